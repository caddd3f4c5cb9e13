// `wakeaudit` command line: the same analysis as the editor, headless.
import { spawnSync } from 'node:child_process';
import { runCheckCommand } from './commands/check';
import { runLitmusCommand } from './commands/litmus';
import { runRulesCommand } from './commands/rules';
import { runSimulateCommand } from './commands/simulate';

const USAGE = `usage: wakeaudit <command> ...
  check [options] PATH...     audit C files and directories (--help for options)
  litmus FILE_OR_DIR...       run C litmus tests and compare with their Result: lines
  simulate FILE               explore a runtime program (.wake/.json) or a .litmus test
  rules [--format F]          the rules: text, json or the README's markdown table`;

/**
 * A whole kernel tree's index is about 0.5 GB of live heap, but V8's default limit (a quarter
 * of the machine's memory) lets a long `check` grow to several GB of mostly garbage before it
 * collects: 2.7 GB peak RSS on the 6.1 tree. `check` therefore runs in a child whose old space
 * is capped at HEAP_CAP_MB (1.2 GB peak RSS, same time; WAKEAUDIT_HEAP_CAP_MB overrides it),
 * unless the user set a limit; should the cap be too small for some input, the run is repeated
 * once with a far larger one.
 */
const HEAP_CAP_MB = Number(process.env.WAKEAUDIT_HEAP_CAP_MB) || 1200;
const UNCAPPED_MB = 8192;

function heapLimitSet(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-old-space-size'));
}

function runCheckInCappedChild(argv: string[]): number {
  const run = (mb: number) =>
    spawnSync(process.execPath, [`--max-old-space-size=${mb}`, __filename, ...argv], {
      stdio: 'inherit',
      env: { ...process.env, WAKEAUDIT_HEAP_MB: String(mb) },
    });
  let r = run(HEAP_CAP_MB);
  // V8 aborts (SIGABRT) when the heap limit is reached; nothing was written to stdout yet
  // (output is written once the analysis is done).
  if (r.signal === 'SIGABRT' || r.status === 134) {
    process.stderr.write(`wakeaudit: the analysis needed more than ${HEAP_CAP_MB} MB of heap; running it again with ${UNCAPPED_MB} MB\n`);
    r = run(UNCAPPED_MB);
  }
  if (r.error) throw r.error;
  return r.status ?? 2;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      if (!process.env.WAKEAUDIT_HEAP_MB && !heapLimitSet() && !rest.includes('--help') && !rest.includes('-h')) return runCheckInCappedChild(argv);
      return runCheckCommand(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'litmus':
      return runLitmusCommand(rest, process.stdout);
    case 'rules':
      return runRulesCommand(rest, process.stdout, process.stderr);
    case 'simulate':
      return runSimulateCommand(rest, { stdout: process.stdout, stderr: process.stderr });
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      process.stderr.write(`wakeaudit: unknown command ${JSON.stringify(command ?? '')}\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`wakeaudit: internal error: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
