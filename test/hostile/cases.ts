// Hostile inputs, generated (a FIFO, a link loop or a device link cannot be committed as a
// file; megabytes of nesting should not be): each case writes its tree under a fresh temp dir
// and names the command to run on it, the exit status and the one line it must end with.
// test/hostile/hostile.test.ts runs the `npm test` ones (those that hold on main); `npm run
// hostile` (scripts/hostile.mjs) runs them all, the litmus engine's too, and measures them.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..', '..');
export const cli = join(repoRoot, 'dist', 'cli.js');

/** The hang detector: generous, it tells a run that never ends from a slow one, it times nothing. */
export const HANG_LIMIT_MS = 60_000;

export interface HostileCase {
  name: string;
  /** `npm test` runs it (it holds on main); else only `npm run hostile` (the litmus engine's cases). */
  inNpmTest: boolean;
  /** Writes the input under `dir` and returns the CLI arguments. */
  setup(dir: string): string[];
  status: number;
  /** Each must match a line of stdout + stderr. */
  expect: RegExp[];
}

/** A waker that stores then checks waitqueue_active() with no barrier, and its sleeper: one finding. */
function wakerAndSleeper(prefix: string, condition = `READ_ONCE(c->${prefix}_done)`): string {
  return `struct ${prefix}_chan {
	int ${prefix}_done;
	wait_queue_head_t ${prefix}_wq;
};

static void ${prefix}_complete(struct ${prefix}_chan *c)
{
	c->${prefix}_done = 1;
	if (waitqueue_active(&c->${prefix}_wq))
		wake_up(&c->${prefix}_wq);
}

static void ${prefix}_sync(struct ${prefix}_chan *c)
{
	wait_event(c->${prefix}_wq, ${condition});
}
`;
}

export const GOOD_C = `#include <linux/wait.h>\n\n${wakerAndSleeper('dchan')}`;
const GOOD_FINDING = /good\.c:\d+:\d+: warning: waitqueue_active\(\) can miss a sleeper.*\[waitqueue-active-no-barrier\]/;

/** A tree with the good file, and `more` written into it. */
function tree(dir: string, more: (root: string) => void): string {
  const root = join(dir, 'tree');
  mkdirSync(join(root, 'drivers'), { recursive: true });
  writeFileSync(join(root, 'drivers', 'good.c'), GOOD_C);
  more(root);
  return root;
}

export function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

/** A file whose one deep function sits next to a good one: the deep one costs only itself. */
export function deepC(condition: string): string {
  return `#include <linux/wait.h>\n\n${wakerAndSleeper('dchan')}\n${wakerAndSleeper('deep', condition)}`;
}

const NESTED_DEEPER = /nested deeper than 200 levels \(blocks and expressions\); not explored/;
const WORK_BUDGET = /no answer within 300000 search steps \(maxWork\)/;

function wakeProgram(name: string, threads: string[], locations = 4): string {
  const locs = Array.from({ length: locations }, (_, i) => `int x${i} = 0\n`).join('');
  return `program ${name}\n${locs}${threads.map((body, i) => `thread t${i} (process) {\n${body}}\n`).join('')}`;
}

export function litmus(name: string, threads: string[], exists: string): string {
  return `C ${name}\n\n(*\n * Result: Sometimes\n *)\n\n{}\n\n${threads.map((body, i) => `P${i}(int *x, int *y, spinlock_t *lk)\n{\n${body}}\n`).join('\n')}\nexists (${exists})\n`;
}

/** A litmus test of 1,000 threads, half writers, half readers. */
export function thousandThreadLitmus(): string {
  return litmus(
    'T1000',
    Array.from({ length: 1000 }, (_, i) => (i % 2 ? '\tint r0;\n\n\tr0 = READ_ONCE(*x);\n' : '\tWRITE_ONCE(*x, 1);\n')),
    '1:r0=0',
  );
}

export const CASES: HostileCase[] = [
  {
    name: 'check: a directory symlink loop (a/loop -> ..) is walked once',
    inNpmTest: true,
    setup: (dir) => [
      'check',
      tree(dir, (root) => {
        mkdirSync(join(root, 'a', 'b'), { recursive: true });
        symlinkSync('..', join(root, 'a', 'b', 'loop'));
        symlinkSync('..', join(root, 'a', 'up'));
      }),
    ],
    status: 1,
    expect: [
      GOOD_FINDING,
      /a\/b\/loop: skipped: a symbolic link to a directory already walked/,
      /a\/up: skipped: a symbolic link to a directory already walked/,
    ],
  },
  {
    name: 'check: a FIFO named x.c is never opened (--jobs 1)',
    inNpmTest: true,
    setup: (dir) => ['check', '--jobs', '1', tree(dir, (root) => mkfifo(join(root, 'x.c')))],
    status: 1,
    expect: [GOOD_FINDING, /x\.c: skipped: a FIFO, not a regular file \(never read\)/],
  },
  {
    name: 'check: a FIFO among enough files for indexing workers (--jobs 2)',
    inNpmTest: true,
    setup: (dir) => [
      'check',
      '--jobs',
      '2',
      tree(dir, (root) => {
        for (let i = 0; i < 40; i++) writeFileSync(join(root, 'drivers', `plain${i}.c`), `int plain${i}(int a) { return a + ${i}; }\n`);
        mkfifo(join(root, 'drivers', 'pipe.h'));
      }),
    ],
    status: 1,
    expect: [GOOD_FINDING, /pipe\.h: skipped: a FIFO, not a regular file/],
  },
  {
    name: 'check: a FIFO named on the command line is never opened',
    inNpmTest: true,
    setup: (dir) => {
      const root = tree(dir, (r) => mkfifo(join(r, 'fifo.c')));
      return ['check', join(root, 'fifo.c'), join(root, 'drivers', 'good.c')];
    },
    status: 1,
    expect: [GOOD_FINDING, /fifo\.c: skipped: a FIFO, not a regular file/],
  },
  {
    name: 'check: a symlink to /dev/zero named foo.c is never read',
    inNpmTest: true,
    setup: (dir) => ['check', tree(dir, (root) => symlinkSync('/dev/zero', join(root, 'foo.c')))],
    status: 1,
    expect: [GOOD_FINDING, /foo\.c: skipped: a symbolic link to a character device, not a regular file \(never read\)/],
  },
  {
    name: 'check --format json: what was skipped is among the problems',
    inNpmTest: true,
    setup: (dir) => ['check', '--format', 'json', tree(dir, (root) => symlinkSync('/dev/zero', join(root, 'zero.h')))],
    status: 1,
    expect: [/"file": ".*zero\.h",\s*$/, /"message": "skipped: a symbolic link to a character device, not a regular file \(never read\)"/],
  },
  {
    name: 'check --format sarif: what was skipped is a tool execution notification',
    inNpmTest: true,
    setup: (dir) => ['check', '--format', 'sarif', tree(dir, (root) => mkfifo(join(root, 'fifo.c')))],
    status: 1,
    expect: [/"toolExecutionNotifications"/, /"text": ".*skipped: a FIFO, not a regular file/],
  },
  {
    name: 'check: a file over --max-file-mb is skipped, not parsed',
    inNpmTest: true,
    setup: (dir) => ['check', '--max-file-mb', '1', tree(dir, (root) => writeFileSync(join(root, 'big.c'), '/* padding */\n'.repeat(150_000)))],
    status: 1,
    expect: [GOOD_FINDING, /big\.c: skipped: 2\.0 MB is over the 1 MB limit for one file \(--max-file-mb, wakeaudit\.maxFileMb\)/],
  },
  {
    name: 'check: a file over the default 64 MB cap is skipped without being read',
    inNpmTest: true,
    setup: (dir) => ['check', tree(dir, (root) => writeFileSync(join(root, 'huge.h'), Buffer.alloc(65 * 1024 * 1024, 0x20)))],
    status: 1,
    expect: [GOOD_FINDING, /huge\.h: skipped: 65\.0 MB is over the 64 MB limit for one file/],
  },
  {
    name: 'check: a wait condition in 5,000 parentheses costs its candidate only',
    inNpmTest: true,
    setup: (dir) => [
      'check',
      '--show-unknown',
      tree(dir, (root) => writeFileSync(join(root, 'deep.c'), deepC(`${'('.repeat(5000)}READ_ONCE(c->deep_done)${')'.repeat(5000)}`))),
    ],
    status: 1,
    expect: [
      /deep\.c:\d+:\d+: warning: waitqueue_active\(\) can miss a sleeper/,
      /deep\.c:\d+:\d+: note: .*not proved: the condition nests deeper than 200 levels; not modelled/,
    ],
  },
  {
    name: "check: a wait condition behind 10,000 '!'s costs its candidate only",
    inNpmTest: true,
    setup: (dir) => [
      'check',
      '--show-unknown',
      tree(dir, (root) => writeFileSync(join(root, 'deep.c'), deepC(`${'!'.repeat(10_000)}READ_ONCE(c->deep_done)`))),
    ],
    status: 1,
    expect: [
      /deep\.c:\d+:\d+: warning: waitqueue_active\(\) can miss a sleeper/,
      /deep\.c:\d+:\d+: note: .*not proved: the condition nests deeper than 200 levels; not modelled/,
    ],
  },
  {
    name: 'check: a wait condition of 20,000 && operands costs its candidate only',
    inNpmTest: true,
    setup: (dir) => [
      'check',
      '--show-unknown',
      tree(dir, (root) => writeFileSync(join(root, 'deep.c'), deepC(Array(20_000).fill('READ_ONCE(c->deep_done)').join(' && ')))),
    ],
    status: 1,
    expect: [
      /deep\.c:\d+:\d+: warning: waitqueue_active\(\) can miss a sleeper/,
      /deep\.c:\d+:\d+: note: .*not proved: the condition nests deeper than 200 levels; not modelled/,
    ],
  },
  {
    name: 'check: a waker inside 5,000 nested ifs leaves the rest of the file analysed',
    inNpmTest: true,
    setup: (dir) => [
      'check',
      tree(dir, (root) =>
        writeFileSync(
          join(root, 'deepif.c'),
          `${GOOD_C.replace(/dchan/g, 'other')}\nstatic void deep_poke(struct other_chan *c)\n{\n${'\tif (c) {\n'.repeat(5000)}\t\tc->other_done = 1;\n${'\t}\n'.repeat(5000)}}\n`,
        ),
      ),
    ],
    status: 1,
    expect: [GOOD_FINDING, /deepif\.c:\d+:\d+: warning: waitqueue_active\(\) can miss a sleeper/],
  },
  {
    name: 'simulate: 3,000 nested parentheses in .wake text: one line naming the line',
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(join(dir, 'parens.wake'), `program parens\nint x = 0\nthread t (process) {\n  r0 = ${'('.repeat(3000)}x${')'.repeat(3000)}\n}\n`);
      return ['simulate', join(dir, 'parens.wake')];
    },
    status: 2,
    expect: [new RegExp(`parens\\.wake:4: ${NESTED_DEEPER.source}`)],
  },
  {
    name: 'simulate: 3,000 nested ifs in .wake text: one line naming the line',
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(
        join(dir, 'ifs.wake'),
        `program ifs\nint x = 0\nthread t (process) {\n  r0 = READ_ONCE(x)\n${'if (r0) {\n'.repeat(3000)}WRITE_ONCE(x, 1)\n${'}\n'.repeat(3000)}}\n`,
      );
      return ['simulate', join(dir, 'ifs.wake')];
    },
    status: 2,
    // The 200th if (line 5 + 199) opens the block past the bound.
    expect: [new RegExp(`ifs\\.wake:204: ${NESTED_DEEPER.source}`)],
  },
  {
    name: "simulate: 20,000 '!'s and a 20,000-operand sum in .wake text",
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(
        join(dir, 'bangs.wake'),
        `program bangs\nint x = 0\nthread t (process) {\n  r0 = ${'!'.repeat(20_000)}x\n  r1 = ${Array(20_000).fill('x').join(' + ')}\n}\n`,
      );
      return ['simulate', join(dir, 'bangs.wake')];
    },
    status: 2,
    expect: [new RegExp(`bangs\\.wake:4: ${NESTED_DEEPER.source}`)],
  },
  {
    name: 'simulate: a 20,000-operand sum in .wake text (no recursion in the parser; the validator bounds it)',
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(
        join(dir, 'sum.wake'),
        `program sum\nint x = 0\nthread t (process) {\n  WRITE_ONCE(x, 1)\n  r1 = ${Array(20_000).fill('x').join(' + ')}\n}\n`,
      );
      return ['simulate', join(dir, 'sum.wake')];
    },
    status: 2,
    expect: [new RegExp(`sum\\.wake:5: ${NESTED_DEEPER.source}`)],
  },
  {
    name: "simulate: a .json program 100,000 'not's deep",
    inNpmTest: true,
    setup: (dir) => {
      const deep = `${'{"kind":"not","operand":'.repeat(100_000)}{"kind":"const","value":1}${'}'.repeat(100_000)}`;
      writeFileSync(
        join(dir, 'deep.json'),
        `{"name":"deep","locations":{"x":0},"objects":[],"threads":[{"name":"t","context":"process","ops":[{"op":"assign","reg":"r0","value":${deep}}]}]}`,
      );
      return ['simulate', join(dir, 'deep.json')];
    },
    status: 2,
    expect: [NESTED_DEEPER],
  },
  {
    name: 'simulate: 12 threads of loads and stores end by the work budget',
    inNpmTest: true,
    setup: (dir) => {
      const threads = Array.from(
        { length: 12 },
        (_, i) => `  WRITE_ONCE(x${i % 4}, 1)\n  r0 = READ_ONCE(x${(i + 1) % 4})\n  WRITE_ONCE(x${(i + 2) % 4}, 2)\n  r1 = READ_ONCE(x${(i + 3) % 4})\n`,
      );
      writeFileSync(join(dir, 'threads12.wake'), wakeProgram('threads12', threads));
      return ['simulate', join(dir, 'threads12.wake')];
    },
    status: 3,
    expect: [/^threads12: UNKNOWN$/, WORK_BUDGET],
  },
  {
    name: 'simulate: 1,000 threads end by the work budget',
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(
        join(dir, 'threads1000.wake'),
        wakeProgram(
          'threads1000',
          Array.from({ length: 1000 }, (_, i) => `  WRITE_ONCE(x${i % 4}, 1)\n  r0 = READ_ONCE(x${(i + 1) % 4})\n`),
        ),
      );
      return ['simulate', join(dir, 'threads1000.wake')];
    },
    status: 3,
    expect: [/^threads1000: UNKNOWN$/, WORK_BUDGET],
  },
  {
    name: 'simulate: two threads of 6,000 ops each (thousands of values per read) end by the work budget',
    inNpmTest: true,
    setup: (dir) => {
      const body = Array.from({ length: 3000 }, (_, k) => `  WRITE_ONCE(x${k % 4}, ${k})\n  r${k} = READ_ONCE(x${(k + 1) % 4})\n`).join('');
      writeFileSync(join(dir, 'long.wake'), wakeProgram('long', [body, body.replace(/r(\d+) =/g, 's$1 =')]));
      return ['simulate', join(dir, 'long.wake')];
    },
    status: 3,
    expect: [/^long: UNKNOWN$/, WORK_BUDGET],
  },
  {
    name: 'simulate: 2^40 paths of one thread end by the work budget',
    inNpmTest: true,
    setup: (dir) => {
      const body = Array.from(
        { length: 40 },
        (_, k) => `  r${k} = READ_ONCE(x${k % 4})\n  if (r${k}) { WRITE_ONCE(x${(k + 1) % 4}, ${k}) } else { WRITE_ONCE(x${(k + 2) % 4}, ${k}) }\n`,
      ).join('');
      writeFileSync(join(dir, 'branchy.wake'), wakeProgram('branchy', [body, body, body]));
      return ['simulate', join(dir, 'branchy.wake')];
    },
    status: 3,
    expect: [/^branchy: UNKNOWN$/, WORK_BUDGET],
  },
  {
    name: 'simulate: a FIFO named prog.wake is never opened',
    inNpmTest: true,
    setup: (dir) => {
      mkfifo(join(dir, 'prog.wake'));
      return ['simulate', join(dir, 'prog.wake')];
    },
    status: 2,
    expect: [/prog\.wake: skipped: a FIFO, not a regular file \(never read\)/],
  },
  {
    name: 'litmus DIR: a link loop and a FIFO .litmus are skipped, the good test runs',
    inNpmTest: true,
    setup: (dir) => {
      const root = join(dir, 'litmus');
      mkdirSync(join(root, 'sub'), { recursive: true });
      writeFileSync(
        join(root, 'SB.litmus'),
        litmus(
          'SB',
          ['\tint r0;\n\n\tWRITE_ONCE(*x, 1);\n\tr0 = READ_ONCE(*y);\n', '\tint r0;\n\n\tWRITE_ONCE(*y, 1);\n\tr0 = READ_ONCE(*x);\n'],
          '0:r0=0 /\\ 1:r0=0',
        ),
      );
      symlinkSync('..', join(root, 'sub', 'loop'));
      mkfifo(join(root, 'pipe.litmus'));
      return ['litmus', root];
    },
    status: 0,
    expect: [
      /sub\/loop: skipped: a symbolic link to a directory already walked/,
      /pipe\.litmus: skipped: a FIFO, not a regular file/,
      /^ok +SB\.litmus/,
      /^1\/1 match/,
    ],
  },
  // The litmus engine's budgets (issue 23): past a budget simulate answers Unknown, exit 3.
  {
    name: 'litmus engine: 1,000 threads',
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(join(dir, 'T1000.litmus'), thousandThreadLitmus());
      return ['simulate', join(dir, 'T1000.litmus')];
    },
    status: 3,
    expect: [/: Unknown \(/, /\((maxHeld|maxWork|timeoutMs|maxCandidates)\)$/],
  },
  {
    name: 'litmus engine: 2,000 registers in two threads',
    inNpmTest: true,
    setup: (dir) => {
      const regs = (n: number) =>
        `${Array.from({ length: n }, (_, k) => `\tint r${k};\n`).join('')}\n${Array.from({ length: n }, (_, k) => `\tr${k} = READ_ONCE(*${k % 2 ? 'x' : 'y'});\n`).join('')}`;
      writeFileSync(join(dir, 'Regs.litmus'), litmus('Regs', [`\tWRITE_ONCE(*x, 1);\n\tWRITE_ONCE(*y, 1);\n`, regs(2000)], '1:r0=0'));
      return ['simulate', join(dir, 'Regs.litmus')];
    },
    status: 3,
    expect: [/: Unknown \(/, /\((maxHeld|maxWork|timeoutMs|maxCandidates)\)$/],
  },
  {
    name: 'litmus engine: 4 lock-heavy threads',
    inNpmTest: true,
    setup: (dir) => {
      const body = Array.from({ length: 6 }, (_, k) => `\tspin_lock(lk);\n\tr${k} = READ_ONCE(*x);\n\tWRITE_ONCE(*x, r${k} + 1);\n\tspin_unlock(lk);\n`).join(
        '',
      );
      const decl = Array.from({ length: 6 }, (_, k) => `\tint r${k};\n`).join('');
      writeFileSync(
        join(dir, 'Locks4.litmus'),
        litmus(
          'Locks4',
          Array.from({ length: 4 }, () => `${decl}\n${body}`),
          '0:r5=0',
        ),
      );
      return ['simulate', '--timeout', '1000', join(dir, 'Locks4.litmus')];
    },
    status: 3,
    expect: [/^Locks4: Unknown \(/, /\((maxHeld|maxWork|timeoutMs|maxCandidates)\)$/],
  },
  {
    name: 'litmus engine: 3,000 nested parentheses in .litmus text',
    inNpmTest: true,
    setup: (dir) => {
      writeFileSync(join(dir, 'Deep.litmus'), litmus('Deep', [`\tint r0;\n\n\tr0 = ${'('.repeat(3000)}READ_ONCE(*x)${')'.repeat(3000)};\n`], '0:r0=0'));
      return ['simulate', join(dir, 'Deep.litmus')];
    },
    status: 2,
    expect: [/Deep\.litmus:\d+: .*nest/i],
  },
];

/** What a finished run looked like. */
export interface CaseRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Killed by the hang detector. */
  hung: boolean;
  output: string;
  milliseconds: number;
  /** Peak resident set of the run's processes, in KiB (GNU time's %M), when measured. */
  maxRssKb?: number;
}

/** Signs of a crash in the output: what a run must never print. */
export const CRASH = /internal error|RangeError|Maximum call stack|FATAL ERROR|JavaScript heap out of memory|^\s+at .+:\d+:\d+\)?$/m;

const GNU_TIME = '/usr/bin/time';

/**
 * Runs one case in a fresh temp dir, as a child process under the outside kill timer; with
 * `measure`, under GNU time for the peak RSS (of the largest process: `check` runs in a child).
 */
export function runCase(c: HostileCase, options: { measure?: boolean } = {}): Promise<CaseRun> {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-hostile-'));
  const args = c.setup(dir);
  const measure = options.measure && existsSync(GNU_TIME);
  const rssFile = join(dir, 'rss');
  const [command, argv] = measure ? [GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, cli, ...args]] : [process.execPath, [cli, ...args]];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      // The whole group: `check` runs its analysis in a child of its own.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, HANG_LIMIT_MS);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const milliseconds = Math.round(performance.now() - started);
      let maxRssKb: number | undefined;
      if (measure && existsSync(rssFile)) {
        const n = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        if (Number.isFinite(n)) maxRssKb = n;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ status, signal, hung, output: Buffer.concat(chunks).toString('utf8'), milliseconds, ...(maxRssKb !== undefined ? { maxRssKb } : {}) });
    });
  });
}

/** What is wrong with a run, by the case's expectation (empty: it ended as it must). */
export function complaints(c: HostileCase, r: CaseRun): string[] {
  const out: string[] = [];
  if (r.hung) out.push(`hung: killed after ${HANG_LIMIT_MS} ms`);
  if (r.signal && !r.hung) out.push(`crashed: signal ${r.signal}`);
  if (CRASH.test(r.output)) out.push('crashed: a stack trace or an internal error in the output');
  if (r.status !== c.status) out.push(`exit status ${r.status}, expected ${c.status}`);
  const lines = r.output.split('\n');
  for (const e of c.expect) if (!lines.some((l) => e.test(l))) out.push(`no line matches ${e}`);
  return out;
}
