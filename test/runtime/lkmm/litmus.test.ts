// The litmus front end: our own classic-shape suite against LKMM's documented verdicts, the
// kernel's own litmus tests when the kernel tree is present, and parser behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLitmus, runLitmus, LitmusError } from '../../../analyzer-runtime/src/litmus';

// Compiled to out/test/runtime/lkmm/; the suite stays in the source tree.
const repoRoot = path.resolve(__dirname, '../../../..');
const suiteDir = path.join(repoRoot, 'test', 'litmus');
const kernelDir = '/work/kernel/linux-source-6.1/tools/memory-model/litmus-tests';

function litmusFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.litmus'))
    .sort();
}

test('the suite covers the classic shapes, locks and RCU', () => {
  const names = litmusFiles(suiteDir);
  for (const shape of ['SB', 'MP', 'LB', 'R', 'S', '2+2W', 'WRC', 'ISA2', 'IRIW', 'Z6.0', 'Lock', 'RCU']) {
    assert.ok(
      names.some((n) => n.startsWith(`${shape}+`)),
      `no ${shape} test`,
    );
  }
  assert.ok(names.length >= 60, `only ${names.length} tests`);
});

for (const file of litmusFiles(suiteDir)) {
  test(`suite: ${file} gives its documented verdict`, () => {
    const r = runLitmus(fs.readFileSync(path.join(suiteDir, file), 'utf8'));
    assert.ok(r.expected, 'the test has a Result: line');
    assert.equal(r.verdict, r.expected, `${r.name}: positive ${r.positive}, negative ${r.negative}`);
  });
}

test('kernel litmus-tests directory: every verdict matches its Result line', { skip: !fs.existsSync(kernelDir) && 'kernel tree not unpacked' }, () => {
  const mismatches: string[] = [];
  for (const file of litmusFiles(kernelDir)) {
    const r = runLitmus(fs.readFileSync(path.join(kernelDir, file), 'utf8'));
    if (r.verdict !== r.expected) mismatches.push(`${file}: expected ${r.expected}, got ${r.verdict}`);
  }
  assert.deepEqual(mismatches, []);
});

const SB = `C SB-mini
{ }
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\\ 1:r0=0)
`;

test('SB counts: four allowed executions, one of them the relaxed outcome', () => {
  const r = runLitmus(SB);
  assert.equal(r.verdict, 'Sometimes');
  assert.equal(r.positive, 1);
  assert.equal(r.negative, 3);
  assert.equal(r.candidates, 4);
  assert.deepEqual(r.states, ['0:r0=0; 1:r0=0;', '0:r0=0; 1:r0=1;', '0:r0=1; 1:r0=0;', '0:r0=1; 1:r0=1;']);
});

test('parser: init with pointers, registers and ATOMIC_INIT', () => {
  const t = parseLitmus(`C init-forms
{
  int *p=&y; q=z; atomic_t v = ATOMIC_INIT(3); 1:r2=5; (* a comment *)
}
P0(int **p) { int *r0; r0 = READ_ONCE(*p); }
P1(int *y) { int r2; }
exists (0:r0=y /\\ v=3)
`);
  assert.deepEqual(
    t.init.map((e) => [e.thread, e.name, e.value]),
    [
      [undefined, 'p', { address: 'y' }],
      [undefined, 'q', { address: 'z' }],
      [undefined, 'v', 3],
      [1, 'r2', 5],
    ],
  );
  const r = runLitmus(`C ptr
{ int *p=&y; y=4; }
P0(int **p) { int *r0; int r1; r0 = READ_ONCE(*p); r1 = READ_ONCE(*r0); }
exists (0:r0=y /\\ 0:r1=4)
`);
  assert.equal(r.verdict, 'Always');
});

test('parser: propositions with ~, \\/, /\\ and parentheses; filter and locations', () => {
  const t = parseLitmus(`C props
{}
P0(int *x) { WRITE_ONCE(*x, 1); }
locations [x]
filter (x=1)
exists ~(x=0 \\/ x=2) /\\ (true)
`);
  assert.equal(t.quantifier, 'exists');
  assert.equal(t.condition.kind, 'and');
  assert.deepEqual(t.locations, [{ name: 'x' }]);
  assert.equal(runLitmus(`C n\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\n~exists (x=1)\n`).verdict, 'Always');
});

test('failed cmpxchg makes no write', () => {
  const r = runLitmus(`C cmpxchg-fails
{ x=1; }
P0(int *x) { int r0; r0 = cmpxchg(x, 5, 9); }
exists (x=9 \\/ 0:r0=5)
`);
  assert.equal(r.verdict, 'Never');
  assert.equal(r.negative, 1);
});

test('parse errors name the line', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['C bad\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1)\n}\nexists (x=1)\n', 6, /expected ';'/],
    ['C bad\n{}\nP0(int *x) { WRITE_ONCE(*q, 1); }\nexists (x=1)\n', 3, /unknown name 'q'/],
    ['C bad\n{}\nP0(int *x) { frobnicate(x); }\nexists (x=1)\n', 3, /unknown function 'frobnicate'/],
    ['C bad\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\n', 4, /missing final condition/],
    ['C bad\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nexists (x 1)\n', 4, /expected '='/],
    ['no header\n', 1, /starts with 'C <name>'/],
  ];
  for (const [text, line, message] of cases) {
    assert.throws(
      () => runLitmus(text),
      (e: unknown) => e instanceof LitmusError && e.line === line && message.test(e.message),
      `${JSON.stringify(text)} should fail on line ${line} with ${message}`,
    );
  }
});

// Random programs whose verdict, counts and flags herd7 (7.57, Linux 6.1 model) computed;
// each file's comment records herd7's answer, which must be reproduced exactly.
const differentialDir = path.join(suiteDir, 'herd-differential');
for (const file of litmusFiles(differentialDir)) {
  test(`herd7 differential: ${file} reproduces herd7's verdict, counts and flags`, () => {
    const text = fs.readFileSync(path.join(differentialDir, file), 'utf8');
    const herd = /Positive: (\d+) Negative: (\d+) (?:with Flag ([\w, -]+)\.|and no flags\.)/.exec(text);
    assert.ok(herd, 'the comment records herd7 counts');
    const r = runLitmus(text);
    assert.equal(r.verdict, r.expected);
    assert.deepEqual([r.positive, r.negative, r.flags], [Number(herd[1]), Number(herd[2]), herd[3] ? herd[3].split(', ') : []]);
  });
}

test('while loops are unrolled as herd7 does, and paths beyond the bound are reported as cut', () => {
  const r = runLitmus(`C loop-count
{}
P0(int *x) { WRITE_ONCE(*x, 1); WRITE_ONCE(*x, 2); WRITE_ONCE(*x, 3); }
P1(int *x) { int r0; int n; n = 0; r0 = READ_ONCE(*x); while (r0 != 3) { n = n + 1; r0 = READ_ONCE(*x); } }
exists (1:n=1)
`);
  // herd7 7.57 (6.1 model, default -unroll 2): Sometimes 3 7, states n=0, n=1, n=2.
  assert.deepEqual([r.verdict, r.positive, r.negative], ['Sometimes', 3, 7]);
  assert.deepEqual(r.states, ['1:n=0;', '1:n=1;', '1:n=2;']);
  assert.equal(r.unrollLimitHit, true);
  assert.equal(runLitmus(SB).unrollLimitHit, false);
});

test('a cycle of plain copies: the undetermined value and the data-race flag, as herd7 reports them', () => {
  const r = runLitmus(fs.readFileSync(path.join(suiteDir, 'LB+plaincopy+plaincopy.litmus'), 'utf8'));
  assert.deepEqual([r.verdict, r.positive, r.negative], ['Sometimes', 1, 3]);
  assert.deepEqual(r.flags, ['data-race']);
  assert.deepEqual(r.states, ['0:r1=0; 1:r1=0;', '0:r1=?; 1:r1=?;']);
});

test('a cycle of computed plain values has no execution (herd7 finds no solution)', () => {
  const r = runLitmus(fs.readFileSync(path.join(suiteDir, 'LB+plainarith+plainarith.litmus'), 'utf8'));
  assert.deepEqual([r.verdict, r.positive, r.negative, r.candidates], ['Never', 0, 3, 3]);
  assert.deepEqual(r.flags, ['data-race']);
});

test('the same cycle with marked accesses: forbidden by the model, no race', () => {
  const text = fs
    .readFileSync(path.join(suiteDir, 'LB+plaincopy+plaincopy.litmus'), 'utf8')
    .replace(/r1 = \*(\w);/g, 'r1 = READ_ONCE(*$1);')
    .replace(/\*(\w) = r1;/g, 'WRITE_ONCE(*$1, r1);');
  const r = runLitmus(text);
  assert.deepEqual([r.verdict, r.positive, r.negative, r.flags], ['Never', 0, 3, []]);
});

test('diy7 header: the quoted cycle and Key=Value lines are metadata', () => {
  const t = parseLitmus(fs.readFileSync(path.join(suiteDir, 'LB+addroffset+addroffset.litmus'), 'utf8'));
  assert.equal(t.info['Cycle'], 'Rfe DpAddrdW Rfe DpAddrdW');
  assert.equal(t.info['Relax'], '');
  assert.equal(t.info['Safe'], 'Rfe DpAddrdW');
  assert.equal(t.info['Prefetch'], '0:a=F,0:b=W,1:b=F,1:a=W');
  assert.equal(t.info['Com'], 'Rf Rf');
  assert.equal(t.info['Orig'], 'DpAddrdW Rfe DpAddrdW Rfe');
  assert.equal(t.threads.length, 2);
  assert.equal(t.expected, 'Sometimes');
});

test('registers declared by use: an untyped register read before any assignment holds 0 (as in herd7)', () => {
  const r = runLitmus(`C declared-by-use
{}
P0(int *x, int *y) { r1 = READ_ONCE(*y); WRITE_ONCE(*x, r4); r2 = r1 + r4; }
P1(int *x, int *y) { WRITE_ONCE(*y, 1); }
exists (0:r2=1 /\\ x=0)
`);
  // herd7 7.58: Sometimes, Positive: 1 Negative: 1.
  assert.deepEqual([r.verdict, r.positive, r.negative], ['Sometimes', 1, 1]);
});
