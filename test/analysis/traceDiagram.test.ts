// A proved schedule as a sequence diagram: its data (analysis/traceData.ts), its SVG
// (render/traceSvg.ts) and `check --explain --svg DIR`, compared by structure.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceStep as RuntimeTraceStep } from '../../analyzer-runtime/src';
import type { Fix, TraceStep } from '../../server/src/analysis/findings';
import { forOfferedFixes, traceDiagram } from '../../server/src/analysis/traceData';
import { traceSvg } from '../../server/src/render/traceSvg';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');

// Store buffering as the runtime reports it: the waker stores the flag, checks the queue (empty:
// the initial value); the waiter queues, then reads the flag's old value, missing step 1.
const runtime: RuntimeTraceStep[] = [
  { index: 1, thread: 'waker', op: 'WRITE_ONCE(d.flag, 1)', src: { file: 'd.c', line: 10 }, writes: [{ loc: 'd.flag', value: 1, order: 1 }] },
  { index: 2, thread: 'waiter', op: 'prepare_to_wait(d.wq)', src: { file: 'd.c', line: 20 }, writes: [{ loc: 'd.wq.head', value: 1, order: 1 }] },
  { index: 3, thread: 'waker', op: 'r0 = waitqueue_active(d.wq)', src: { file: 'd.c', line: 11 }, reads: [{ loc: 'd.wq.head', value: 0, from: 'init' }] },
  { index: 4, thread: 'waiter', op: 'check d.flag', src: { file: 'd.c', line: 21 }, reads: [{ loc: 'd.flag', value: 0, from: 'init', missed: 1 }] },
  { index: 5, thread: 'helper', op: 'READ_ONCE(d.flag)', src: { file: 'd.c', line: 30 }, reads: [{ loc: 'd.flag', value: 1, from: 1 }] },
];
const steps: TraceStep[] = runtime.map((s) => ({
  index: s.index - 1,
  thread: s.thread,
  text: `${s.op} <long text & "quotes">`,
  location: { file: s.src!.file!, line: s.src!.line, column: 1, endLine: s.src!.line, endColumn: 2 },
}));
const fixes: Fix[] = [
  {
    title: 'Wake unconditionally',
    verified: true,
    preferred: true,
    edits: [{ file: 'd.c', range: { line: 11, column: 2, endLine: 11, endColumn: 30 }, newText: '' }],
  },
  {
    title: 'Add smp_mb() before waitqueue_active()',
    verified: true,
    preferred: false,
    edits: [{ file: 'd.c', range: { line: 11, column: 1, endLine: 11, endColumn: 1 }, newText: '\tsmp_mb();\n' }],
  },
];

test("the diagram data: a column per thread, a row per step, read-from arrows across threads, the stale read, the fix's barrier", () => {
  const d = traceDiagram(runtime, steps, fixes);
  assert.deepEqual(d.threads, ['waker', 'waiter', 'helper']);
  assert.deepEqual(
    d.steps.map((s) => [s.index, s.thread, s.label]),
    runtime.map((s) => [s.index, s.thread, s.op]),
  );
  assert.equal(d.steps[0].text, steps[0].text);
  // Reads of the initial value draw nothing; a read of another thread's store is an arrow; the
  // stale read gets a `missed` arrow from the store it did not see.
  assert.deepEqual(d.arrows, [
    { from: 1, to: 4, loc: 'd.flag', value: 0, kind: 'missed' },
    { from: 1, to: 5, loc: 'd.flag', value: 1, kind: 'reads-from' },
  ]);
  assert.deepEqual(d.stale, { read: 4, missed: 1, loc: 'd.flag' });
  // The barrier is the fix that inserts one (not the preferred unconditional wake), above the check it orders.
  assert.deepEqual(d.barrier && [d.barrier.thread, d.barrier.before, d.barrier.text], ['waker', 3, 'smp_mb();']);
  assert.equal(traceDiagram(runtime, steps, [fixes[0]]).barrier?.text, 'Wake unconditionally', 'without a barrier fix, the preferred one, by its title');
  assert.equal(traceDiagram(runtime, steps, []).barrier, undefined);
  // A fix withdrawn after the proof takes its barrier with it.
  assert.equal(forOfferedFixes(d, [fixes[0]]).barrier, undefined);
  assert.equal(forOfferedFixes(d, fixes), d);
});

function structure(svg: string) {
  const count = (re: RegExp) => (svg.match(re) ?? []).length;
  return {
    columns: count(/<g class="column"/g),
    rows: count(/<g class="step[ "]/g),
    arrows: count(/<g class="arrow"/g),
    missed: count(/<g class="arrow missed"/g),
    staleRead: /<g class="step stale-read" data-step="(\d+)"/.exec(svg)?.[1],
    missedStore: /<g class="step missed-store" data-step="(\d+)"/.exec(svg)?.[1],
    barrier: /<g class="barrier" data-thread="([^"]+)" data-before="(\d+)"/.exec(svg)?.slice(1),
  };
}

test('the SVG: its structure follows the data, labels are the C lines when known, every text escaped, the long text in <title>', () => {
  const d = traceDiagram(runtime, steps, fixes);
  const svg = traceSvg(d, { lineText: (file, line) => (line === 10 ? '\tWRITE_ONCE(d->flag, 1); /* publish */' : undefined), title: 'a <finding>' });
  assert.deepEqual(structure(svg), { columns: 3, rows: 5, arrows: 1, missed: 1, staleRead: '4', missedStore: '1', barrier: ['waker', '3'] });
  assert.match(svg, /<tspan fill="#57606a">1<\/tspan> WRITE_ONCE\(d-&gt;flag, 1\);<\/text>/, 'the C line, without its comment');
  assert.match(svg, /<tspan fill="#57606a">2<\/tspan> prepare_to_wait\(d\.wq\)<\/text>/, 'the model label where no C line is known');
  assert.match(svg, /<title>step 1 \[waker\] WRITE_ONCE\(d\.flag, 1\) &lt;long text &amp; &quot;quotes&quot;&gt; \(d\.c:10\)<\/title>/);
  assert.ok(!svg.includes('<long') && !svg.includes('<finding>'), 'nothing unescaped');
  assert.match(svg, /data-columns="3" data-rows="5"/);
});

test('check --explain --svg DIR writes one diagram per proved finding, the same structure as its trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-svg-'));
  try {
    const fixture = join('server', 'src', 'rules', 'waitqueue-active-no-barrier', 'fixtures', 'atomic-inc-no-mb.c');
    const r = spawnSync(process.execPath, [cli, 'check', '--jobs', '1', '--explain', '--svg', dir, fixture], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /wrote 1 trace diagram to /);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^atomic-inc-no-mb\.c-\d+-waitqueue-active-no-barrier\.svg$/);
    const svg = readFileSync(join(dir, files[0]), 'utf8');
    const json = JSON.parse(spawnSync(process.execPath, [cli, 'check', '--jobs', '1', '--format', 'json', fixture], { cwd: root, encoding: 'utf8' }).stdout);
    const f = json.findings[0];
    assert.equal(f.diagram, undefined, 'the JSON keeps its shape');
    const s = structure(svg);
    assert.equal(s.rows, f.trace.length);
    assert.equal(s.columns, new Set(f.trace.map((t: TraceStep) => t.thread)).size);
    assert.equal(s.missed, 1);
    assert.ok(s.staleRead && s.missedStore, svg);
    // The stale read is the step whose text says what it did not see.
    assert.match(f.trace[Number(s.staleRead) - 1].text, new RegExp(`at step ${s.missedStore} .*has not propagated`));
    // The barrier is the smp_mb() fix, in the waker's column, above the check.
    assert.equal(s.barrier?.[0], 'waker');
    assert.match(svg, /<g class="barrier"[^>]*>.*smp_mb\(\);<\/text><\/g>/);
    assert.match(f.trace[Number(s.barrier?.[1]) - 1].text, /waitqueue_active/);
    const usage = spawnSync(process.execPath, [cli, 'check', '--svg', dir, fixture], { cwd: root, encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /^wakeaudit check: --svg needs --explain$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
