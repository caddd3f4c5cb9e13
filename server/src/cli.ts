// `wakeaudit` command line: the same analysis as the editor, headless.
import { runCheckCommand } from './commands/check';
import { runLitmusCommand } from './commands/litmus';
import { runSimulateCommand } from './commands/simulate';

const USAGE = `usage: wakeaudit <command> ...
  check [options] PATH...     audit C files and directories (--help for options)
  litmus FILE_OR_DIR...       run C litmus tests and compare with their Result: lines
  simulate FILE               explore a runtime program (.wake/.json) or a .litmus test`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return runCheckCommand(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'litmus':
      return runLitmusCommand(rest, process.stdout);
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
