// Proofs behind the findings: every proved finding's schedule replays in the runtime to the
// claimed violation; `check --fix` applies verified fixes and nothing else; a plain check
// writes nothing; the task-pointer conversion is one multi-file edit that leaves no finding.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explore, replay } from '../../analyzer-runtime/src';
import { analyzeWorkspaceFile, createWorkspace, findCandidates, planFor } from '../../server/src/analysis/prove';
import { offsetOf } from '../../server/src/analysis/fixes';
import { fixtureCases } from './fixtureHarness';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');

test('every proved finding of the fixture corpus replays to its violation', async () => {
  let replayed = 0;
  for (const c of fixtureCases()) {
    const ws = await createWorkspace();
    for (const f of c.files) ws.setFile(f.path, f.text, true);
    for (const f of c.files) {
      for (const cand of findCandidates(ws.index, f.path)) {
        if (cand.code === 'swait-single-waiter') continue; // a hint: its program is the safe conversion
        let plan;
        try {
          plan = planFor(ws.index, cand);
        } catch {
          continue; // unknown: nothing to replay
        }
        // The plan, or the first of its alternatives (another sleeper) that is violated: the
        // program the finding's proof comes from.
        let r = explore(plan.program, { loopBound: 1, timeoutMs: 5000 });
        for (const alt of plan.alternatives ?? []) {
          if (r.verdict !== 'safe') break;
          const ra = explore(alt.program, { loopBound: 1, timeoutMs: 5000 });
          if (ra.verdict !== 'safe') [plan, r] = [alt, ra];
        }
        if (r.verdict !== 'violated') continue;
        const again = replay(plan.program, r.trace, r.property?.kind, { loopBound: 1 });
        assert.ok(again.ok, `${c.name}: ${cand.code} at line ${cand.span.line}: ${again.reason}`);
        assert.ok(again.violations?.includes(r.property!.kind), `${c.name}: replay shows ${again.violations}`);
        replayed++;
      }
    }
  }
  assert.ok(replayed >= 25, `only ${replayed} proved findings replayed`);
});

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

test('a check run leaves the tree byte-identical; --fix writes only the fixed files and the findings go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-fix-'));
  cpSync(join(root, 'examples'), dir, { recursive: true });
  const before = snapshot(dir);
  // A generous per-proof budget: whether a fix verifies must not depend on the machine's load
  // (the default 1.5 s is a wall-clock bound; the examples' slowest fix takes about 0.5 s idle).
  const budget = ['--timeout-ms', '20000'];
  const plain = spawnSync(process.execPath, [cli, 'check', ...budget, '--format', 'json', dir], { encoding: 'utf8' });
  assert.equal(plain.status, 1, plain.stderr);
  assert.deepEqual(snapshot(dir), before, 'check without --fix wrote something');
  const findings = JSON.parse(plain.stdout).findings as Array<{ file: string; code: string; fixes: Array<{ preferred: boolean; verified: boolean }> }>;
  const fixable = findings.filter((f) => f.fixes.some((x) => x.preferred && x.verified));
  assert.ok(fixable.length >= 3, `fixable findings: ${fixable.length}`);

  const fixed = spawnSync(process.execPath, [cli, 'check', ...budget, '--fix', '--format', 'json', dir], { encoding: 'utf8' });
  assert.match(fixed.stderr, /^fixed .+demo_dma\.c: Add smp_mb\(\) before waitqueue_active\(\)/m);
  const after = snapshot(dir);
  const changed = [...after.keys()].filter((p) => after.get(p) !== before.get(p));
  // Every file written is one the --fix run says it fixed, and one the plain run had a verified fix for.
  const said = [...fixed.stderr.matchAll(/^fixed (.+?): /gm)].map((m) => m[1]);
  const reported = new Set(fixable.flatMap((f) => [f.file]));
  for (const p of changed) {
    assert.ok(said.includes(p), `--fix wrote ${p}, which it did not print`);
    assert.ok(
      [...reported].some((r) => p.endsWith(r.split('/').slice(-2).join('/'))),
      `--fix wrote ${p}, which check did not report fixable`,
    );
  }
  assert.ok(after.get(join(dir, 'drivers', 'demo_dma.c'))!.includes('smp_mb();\n\tif (waitqueue_active(&chan->idle_wq))'));
  // wake_up_bit()'s check is inside it: the barrier goes before the call.
  assert.match(fixed.stderr, /^fixed .+demo_flags\.c: Add smp_mb__after_atomic\(\) before wake_up_bit\(\)/m);
  assert.ok(
    after
      .get(join(dir, 'drivers', 'demo_flags.c'))!
      .includes('clear_bit(DEMO_RESETTING, &d->flags);\n\tsmp_mb__after_atomic();\n\twake_up_bit(&d->flags, DEMO_RESETTING);'),
  );

  const recheck = spawnSync(process.execPath, [cli, 'check', ...budget, '--format', 'json', dir], { encoding: 'utf8' });
  const left = JSON.parse(recheck.stdout).findings as Array<{ code: string; fixes: unknown[] }>;
  assert.ok(left.length < findings.length, `still ${left.length} findings after --fix`);
  assert.ok(!left.some((f) => f.code === 'waitqueue-active-no-barrier'));
});

test('the unconditional-wake fix drops the waitqueue_active() test, keeps the wakeup, verifies, and leaves no finding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-uncond-'));
  const file = join(dir, 'demo_dma.c');
  cpSync(join(root, 'examples', 'drivers', 'demo_dma.c'), file);
  const run = () =>
    JSON.parse(spawnSync(process.execPath, [cli, 'check', '--format', 'json', file], { encoding: 'utf8' }).stdout).findings as Array<{
      code: string;
      fixes: Array<{
        title: string;
        verified: boolean;
        edits: Array<{ range: { line: number; column: number; endLine: number; endColumn: number }; newText: string }>;
      }>;
    }>;
  const finding = run().find((f) => f.code === 'waitqueue-active-no-barrier');
  const fix = finding?.fixes.find((f) => f.title.startsWith('Wake unconditionally'));
  assert.ok(fix && fix.verified, JSON.stringify(finding?.fixes.map((f) => f.title)));
  let text = readFileSync(file, 'utf8');
  for (const e of fix.edits)
    text = text.slice(0, offsetOf(text, e.range.line, e.range.column)) + e.newText + text.slice(offsetOf(text, e.range.endLine, e.range.endColumn));
  assert.ok(
    text.includes(
      'WRITE_ONCE(chan->idle, 1);\n\t/* Racy "optimisation": wakeaudit proves the lost wakeup and offers smp_mb(). */\n\twake_up(&chan->idle_wq);\n\treturn IRQ_HANDLED;',
    ),
    text,
  );
  writeFileSync(file, text);
  assert.ok(!run().some((f) => f.code === 'waitqueue-active-no-barrier'));
});

test('the task-pointer conversion edits the field, the sleeper and the waker across files, and verifies', async () => {
  const c = fixtureCases().find((x) => x.name === join('swait-single-waiter', 'vcpu-split.case'));
  assert.ok(c, 'fixture swait-single-waiter/vcpu-split.case');
  const ws = await createWorkspace();
  for (const f of c.files) ws.setFile(f.path, f.text, true);
  const hints = [];
  for (const f of c.files) hints.push(...(await analyzeWorkspaceFile(ws, f.path)).findings.filter((x) => x.code === 'swait-single-waiter'));
  assert.equal(hints.length, 1);
  const fix = hints[0].fixes[0];
  assert.ok(fix && fix.verified && fix.preferred, JSON.stringify(hints[0].fixes));
  const files = new Set(fix.edits.map((e) => e.file));
  assert.ok(files.size >= 2, `edits touch ${[...files].join(', ')}`);
  assert.ok(fix.edits.some((e) => e.newText === 'struct rcuwait'));
  assert.ok(fix.edits.some((e) => e.newText.startsWith('rcuwait_wait_event(')));
  assert.ok(fix.edits.some((e) => e.newText.startsWith('rcuwait_wake_up(')));
  // Apply and re-analyse: no swait left, so no finding of any rule.
  const texts = new Map(c.files.map((f) => [f.path, f.text]));
  for (const file of files) {
    const lines = texts.get(file)!.split('\n');
    const edits = fix.edits.filter((e) => e.file === file).sort((a, b) => b.range.line - a.range.line || b.range.column - a.range.column);
    for (const e of edits) {
      assert.equal(e.range.line, e.range.endLine, 'single-line edits');
      const l = lines[e.range.line - 1];
      lines[e.range.line - 1] = l.slice(0, e.range.column - 1) + e.newText + l.slice(e.range.endColumn - 1);
    }
    texts.set(file, lines.join('\n'));
  }
  const ws2 = await createWorkspace();
  for (const [p, t] of texts) ws2.setFile(p, t, true);
  for (const p of texts.keys())
    assert.deepEqual(
      (await analyzeWorkspaceFile(ws2, p)).findings.filter((x) => x.verdict === 'violated'),
      [],
    );
  assert.ok([...texts.values()].some((t) => t.includes('rcuwait_wait_event(&')));
});
