// Hostile litmus tests: every run ends, bounded, with a clear word. Each input is generated
// here, written to a temporary file and run by the CLI as a child process with a capped V8 heap
// (past it the child dies, and the test fails) under a generous outside timer that only catches
// a hang. Nothing here measures time: the engine's budgets decide, and the answer names which.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const cli = path.resolve(__dirname, '../../../../dist/cli.js');
const HANG_TIMER_MS = 120_000;
const HEAP_MB = 384;

function simulate(name: string, text: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wakeaudit-hostile-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  try {
    const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, cli, 'simulate', file, ...flags], { encoding: 'utf8', timeout: HANG_TIMER_MS });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Four threads taking two locks in turn, six critical sections each, every one a read and a write of x. */
function lockHeavy(): string {
  const threads = [0, 1, 2, 3].map((i) => {
    const sections = [0, 1, 2, 3, 4, 5].map((k) => `  spin_lock(s${k % 2}); r${k} = READ_ONCE(*x); WRITE_ONCE(*x, r${k} + 1); spin_unlock(s${k % 2});`);
    return `P${i}(int *x, spinlock_t *s0, spinlock_t *s1)\n{\n  int r0; int r1; int r2; int r3; int r4; int r5;\n${sections.join('\n')}\n}`;
  });
  return `C locks-4x6\n{}\n${threads.join('\n')}\nexists (x=24)\n`;
}

function thousandThreads(): string {
  const threads = Array.from({ length: 1000 }, (_, i) => `P${i}(int *x, int *y) { int r0; WRITE_ONCE(*x, ${i + 1}); r0 = READ_ONCE(*y); }`);
  return `C threads-1000\n{}\n${threads.join('\n')}\nexists (0:r0=1)\n`;
}

function manyRegisters(): string {
  const decls = Array.from({ length: 200 }, (_, k) => `int r${k};`).join(' ');
  const reads = Array.from({ length: 200 }, (_, k) => `  r${k} = READ_ONCE(*x);`).join('\n');
  return `C registers-200\n{}\nP0(int *x)\n{\n  ${decls}\n${reads}\n}\nP1(int *x) { WRITE_ONCE(*x, 1); WRITE_ONCE(*x, 2); WRITE_ONCE(*x, 3); }\nexists (0:r0=1)\n`;
}

const BUDGET_REASON =
  /^ {2}(no answer within \d+ (ms \(timeoutMs\)|steps \(maxWork\))|more than \d+ (events held at once \(maxHeld\)|candidate executions \(maxCandidates\))|P\d+ has more than \d+ paths \(maxCandidates\))$/m;

for (const [name, text] of [
  ['locks.litmus', lockHeavy()],
  ['threads.litmus', thousandThreads()],
  ['registers.litmus', manyRegisters()],
] as const) {
  test(`${name}: default budgets end the run in Unknown with the budget named (exit 3)`, () => {
    const r = simulate(name, text);
    assert.equal(r.signal, null, 'killed by the hang timer');
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /: Unknown \(/);
    assert.match(r.stdout, BUDGET_REASON);
  });

  test(`${name}: --timeout 1000 also ends in Unknown with a budget named`, () => {
    const r = simulate(name, text, '--timeout', '1000');
    assert.equal(r.signal, null, 'killed by the hang timer');
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, BUDGET_REASON);
  });
}

test('the memory bound decides for the 200-register test: the same answer every run', () => {
  const first = simulate('registers.litmus', manyRegisters(), '--format', 'json');
  const second = simulate('registers.litmus', manyRegisters(), '--format', 'json');
  const a = JSON.parse(first.stdout) as { verdict: string; reason: string; work: number };
  const b = JSON.parse(second.stdout) as { verdict: string; reason: string; work: number };
  assert.equal(a.verdict, 'Unknown');
  assert.match(a.reason, /\(maxHeld\)$/);
  assert.deepEqual([b.verdict, b.reason, b.work], [a.verdict, a.reason, a.work]);
});

const nested = (depth: number, inner: string) => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;

for (const [what, text, line] of [
  ['thousands of parentheses in exists', `C deep-exists\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists ${nested(5000, 'x=1')}\n`, 4],
  ['thousands of parentheses in an expression', `C deep-expr\n{}\nP0(int *x)\n{\n  int r0;\n  r0 = ${nested(5000, '1')};\n}\nexists (x=1)\n`, 6],
  [
    'thousands of nested ifs',
    `C deep-if\n{}\nP0(int *x)\n{\n  int r0;\n  ${'if (r0 == 0) { '.repeat(3000)}WRITE_ONCE(*x, 1);${' }'.repeat(3000)}\n}\nexists (x=1)\n`,
    6,
  ],
  ['thousands of negations in exists', `C deep-not\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (${'~'.repeat(5000)}x=1)\n`, 4],
  ['a conjunction of fifty thousand atoms', `C long-and\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (${Array(50_000).fill('x=1').join(' /\\ ')})\n`, 4],
  [
    'an expression of fifty thousand additions',
    `C long-sum\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*x, ${Array(50_000).fill('1').join(' + ')});\n}\nexists (x=1)\n`,
    5,
  ],
] as const) {
  test(`deep nesting (${what}): one line naming the line, no stack overflow`, () => {
    const r = simulate('deep.litmus', text);
    assert.equal(r.signal, null, 'killed by the hang timer');
    assert.equal(r.status, 2);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`deep\\.litmus:${line}: (nesting|expression nested) deeper than \\d+ levels$`));
    assert.doesNotMatch(r.stderr, /RangeError|internal error|    at /);
  });
}

test('nesting within the bound still parses and runs', () => {
  const r = simulate('ok.litmus', `C nested-ok\n{}\nP0(int *x) { int r0; r0 = ${nested(100, '1')}; WRITE_ONCE(*x, r0); }\nexists ${nested(100, 'x=1')}\n`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^nested-ok: Always /);
});
