// Runtime measurement (not a test): verdict times of the explorer on typical 2- and 3-thread
// wait/wake patterns (examples/programs/*.wake), each next to the litmus engine on the litmus
// test of the same memory-model shape, measured in the same run; then the litmus engine over
// the whole test/litmus directory.
//   node bench/runtime.mjs [--runs N]      (after npm run build)
// Then the three-thread programs of test/runtime/explorer/data.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const rt = require('../out/analyzer-runtime/src/index.js');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 5;

const SB = (name, p0fence, p1fence) => `C ${name}
{}
P0(int *done, int *list) { int r0; WRITE_ONCE(*done, 1); ${p0fence} r0 = READ_ONCE(*list); }
P1(int *done, int *list) { int r1; WRITE_ONCE(*list, 1); ${p1fence} r1 = READ_ONCE(*done); }
exists (0:r0=0 /\\ 1:r1=0)
`;
// The memory-model core of each pattern: the store-buffering shape between the condition and
// the queue (or task state); three-thread patterns against a three-thread shape.
const SHAPES = {
  waitqueue_active_no_barrier: SB('SB+relaxed+mb', '', 'smp_mb();'),
  waitqueue_active_mb: SB('SB+mb+mb', 'smp_mb();', 'smp_mb();'),
  wq_has_sleeper: SB('SB+mb+mb', 'smp_mb();', 'smp_mb();'),
  set_current_state_no_barrier: SB('SB+mb+relaxed', 'smp_mb();', ''),
  set_current_state_barrier: SB('SB+mb+mb', 'smp_mb();', 'smp_mb();'),
  rcuwait: SB('SB+mb+mb', 'smp_mb();', 'smp_mb();'),
  completion: readFileSync(join(root, 'test/litmus/SB+locks.litmus'), 'utf8'),
  swake_up_all_irqsave: readFileSync(join(root, 'test/litmus/SB+locks.litmus'), 'utf8'),
  swake_up_all_unlocked: readFileSync(join(root, 'test/litmus/SB+locks.litmus'), 'utf8'),
  swake_up_one_two_waiters: readFileSync(join(root, 'test/litmus/Z6.0+mb+mb+mb.litmus'), 'utf8'),
  swake_up_all_two_waiters: readFileSync(join(root, 'test/litmus/Z6.0+mb+mb+mb.litmus'), 'utf8'),
};

function time(fn, runs = RUNS) {
  const ms = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    result = fn();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1], result };
}

const f = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)).padStart(7);
console.log(`explorer on examples/programs (${RUNS} runs each; times in ms)`);
console.log(`${'program'.padEnd(30)} thr  verdict   loop  median     max   paths  combos  cands | litmus shape          median  ratio`);
const dir = join(root, 'examples/programs');
const rows = [];
for (const file of readdirSync(dir)
  .filter((n) => n.endsWith('.wake'))
  .sort()) {
  const name = file.replace(/\.wake$/, '');
  const program = rt.parseProgram(readFileSync(join(dir, file), 'utf8'));
  for (const loopBound of [1, 2]) {
    const e = time(
      () => rt.explore(program, { loopBound, timeoutMs: 60_000, maxCandidates: 10_000_000 }),
      program.threads.length > 2 && loopBound === 2 ? Math.min(RUNS, 3) : RUNS,
    );
    const shape = SHAPES[name];
    const l = shape ? time(() => rt.runLitmus(shape)) : undefined;
    const s = e.result.stats;
    rows.push({ threads: program.threads.length, ms: e.median });
    console.log(
      `${name.padEnd(30)} ${String(program.threads.length).padStart(3)}  ${e.result.verdict.padEnd(8)} ${String(loopBound).padStart(5)} ${f(e.median)} ${f(e.max)} ${String(s.paths).padStart(7)} ${String(s.combinations).padStart(7)} ${String(s.candidates).padStart(6)} | ` +
        (l ? `${l.result.name.padEnd(20)} ${f(l.median)} ${(e.median / l.median).toFixed(1).padStart(6)}x` : '-'),
    );
  }
}
// Three-thread programs extracted from real findings (waker + two waiters), at loopBound 1.
const data = join(root, 'test/runtime/explorer/data');
console.log(`\nextracted three-thread programs (test/runtime/explorer/data, loopBound 1, ${RUNS} runs each)`);
for (const file of readdirSync(data)
  .filter((n) => n.endsWith('.json'))
  .sort()) {
  const program = JSON.parse(readFileSync(join(data, file), 'utf8'));
  const e = time(() => rt.explore(program, { loopBound: 1, timeoutMs: 60_000 }));
  const s = e.result.stats;
  console.log(
    `${file.padEnd(34)} ${e.result.verdict.padEnd(8)} trace ${String(e.result.trace.length).padStart(3)} ${f(e.median)} ${f(e.max)} ms  paths ${s.paths} combos ${s.combinations} cands ${s.candidates}`,
  );
}
for (const n of [2, 3]) {
  const ms = rows
    .filter((r) => r.threads === n)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  if (ms.length)
    console.log(`${n}-thread patterns: median ${ms[Math.floor(ms.length / 2)].toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms over ${ms.length} runs`);
}

console.log(`\nlitmus engine on test/litmus (${RUNS} runs each)`);
const lit = join(root, 'test/litmus');
const times = [];
let slowest = { name: '', ms: 0 };
for (const file of readdirSync(lit)
  .filter((n) => n.endsWith('.litmus'))
  .sort()) {
  const text = readFileSync(join(lit, file), 'utf8');
  const t = time(() => rt.runLitmus(text));
  times.push(t.median);
  if (t.max > slowest.ms) slowest = { name: file, ms: t.max };
}
times.sort((a, b) => a - b);
console.log(
  `${times.length} tests: median ${times[Math.floor(times.length / 2)].toFixed(2)} ms, max ${times[times.length - 1].toFixed(1)} ms (slowest run: ${slowest.name} ${slowest.ms.toFixed(1)} ms), total ${times.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
);
