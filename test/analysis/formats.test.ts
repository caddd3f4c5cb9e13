// Output formats of `wakeaudit check`: gcc-style text, the JSON shape tools rely on, SARIF 2.1.0.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PHASES } from '../../server/src/analysis/phases';
import { assertMatchesCorpusGolden, runCorpus } from './corpusGolden';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');
const fixture = join('server', 'src', 'rules', 'waitqueue-active-no-barrier', 'fixtures', 'plain-store-then-check.c');

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'check', ...args, fixture], { cwd: root, encoding: 'utf8' });
}

test('text is file:line:col: warning: message [code]', () => {
  const r = run();
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /^server\/src\/rules\/waitqueue-active-no-barrier\/fixtures\/plain-store-then-check\.c:14:6: warning: .+ \[waitqueue-active-no-barrier\]/m,
  );
});

test('--explain walks the proved schedule, each step under the line of C it stands for, then the verified fixes', () => {
  const r = run('--explain');
  assert.equal(r.status, 1);
  const lines = r.stdout.split('\n');
  const warning = lines.findIndex((l) => /plain-store-then-check\.c:14:6: warning: /.test(l));
  assert.ok(warning >= 0, r.stdout);
  // The finding's own line, tabs as 8 columns, and a caret under column 6 (`waitqueue_active`).
  assert.equal(lines[warning + 1], '   14 |         if (waitqueue_active(&req->wait))        /* expect: waitqueue-active-no-barrier */');
  assert.equal(lines[warning + 2], '      |             ^');
  // The warning line is the one-line form; the whole message follows the excerpt as a note.
  assert.match(
    lines[warning],
    / warning: waitqueue_active\(\) can miss a sleeper: no full barrier orders the store to req->completed \(line 13\) before this check\. Proved: lost wakeup \[waitqueue-active-no-barrier\]$/,
  );
  assert.match(
    lines[warning + 3],
    /plain-store-then-check\.c:14:6: note: waitqueue_active\(\) can miss a sleeper: .*, so a waiter can test the old condition .* Proved: lost wakeup: waiter sleeps forever/,
  );
  const steps = lines.filter((l) => / note: step \d+ \[(?:waker|waiter\d*)\] /.test(l));
  assert.ok(steps.length >= 4, r.stdout);
  // The store the check is not ordered after comes first, with its line under it.
  const store = lines.findIndex((l) => /plain-store-then-check\.c:13:2: note: step 1 \[waker\] /.test(l));
  assert.ok(store > warning, r.stdout);
  assert.equal(lines[store + 1], '   13 |         req->completed = 1;');
  // Every step line is followed by its excerpt.
  for (const step of steps) assert.match(lines[lines.indexOf(step) + 1], /^ {2,}\d+ \| /);
  assert.match(r.stdout, /plain-store-then-check\.c:14:6: note: fix \(preferred\), verified safe: /);
});

test('the summary line says how many undecided candidates were not shown, and --show-unknown shows them', () => {
  // lnk_irq.c alone: its condition's helper is in a header not given, so the proof is undecided.
  const file = join('test', 'cli-fixtures', 'helper-in-plain-header', 'lnk_irq.c');
  const hidden = spawnSync(process.execPath, [cli, 'check', file], { cwd: root, encoding: 'utf8' });
  assert.equal(hidden.status, 0, hidden.stderr);
  assert.equal(hidden.stdout, '');
  assert.match(hidden.stderr, /^wakeaudit: 0 findings in 1 files .* s; 1 undecided, not shown: --show-unknown lists them$/m);
  const shown = spawnSync(process.execPath, [cli, 'check', '--show-unknown', file], { cwd: root, encoding: 'utf8' });
  assert.match(shown.stdout, /lnk_irq\.c:12:6: note: .*\(unknown\)$/m);
  assert.doesNotMatch(shown.stderr, /undecided/);
});

test('json has findings with 1-based positions, verdict, trace, fixes, and stats', () => {
  const r = run('--format', 'json');
  const out = JSON.parse(r.stdout);
  const f = out.findings[0];
  for (const key of ['file', 'line', 'column', 'endLine', 'endColumn', 'code', 'severity', 'message', 'verdict', 'trace', 'fixes']) assert.ok(key in f, key);
  assert.equal(f.line, 14);
  assert.equal(out.stats.files, 1);
  assert.equal(typeof out.stats.milliseconds, 'number');
});

test('json stats time every phase of the run (stats.phaseMilliseconds): whole non-negative milliseconds, parse and facts above zero when files were parsed', () => {
  // Inline (--jobs 1) and on workers (--jobs 2: server/src/rules' fixtures have enough files for indexing
  // workers, and its proofs go to proof workers): both report every phase.
  for (const [jobs, dir] of [
    ['1', 'examples'],
    ['2', 'server/src/rules'],
  ]) {
    const r = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--jobs', jobs, dir], { cwd: root, encoding: 'utf8' });
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const stats = JSON.parse(r.stdout).stats;
    const phases = stats.phaseMilliseconds;
    assert.deepEqual(Object.keys(phases), [...PHASES], `--jobs ${jobs} ${dir}`);
    for (const p of PHASES) assert.ok(Number.isInteger(phases[p]) && phases[p] >= 0, `--jobs ${jobs} ${dir}: ${p} = ${phases[p]}`);
    assert.ok(stats.parsed > 0, `--jobs ${jobs} ${dir}: nothing parsed`);
    assert.ok(phases.parse > 0, `--jobs ${jobs} ${dir}: parse = ${phases.parse}`);
    assert.ok(phases.facts > 0, `--jobs ${jobs} ${dir}: facts = ${phases.facts}`);
    assert.ok(stats.proofs > 0 && phases.prove > 0, `--jobs ${jobs} ${dir}: ${stats.proofs} proofs, prove = ${phases.prove}`);
  }
});

test('sarif is a 2.1.0 log with the rule and a region', () => {
  const out = JSON.parse(run('--format', 'sarif').stdout);
  assert.equal(out.version, '2.1.0');
  const result = out.runs[0].results[0];
  assert.equal(result.ruleId, 'waitqueue-active-no-barrier');
  assert.equal(out.runs[0].tool.driver.rules[result.ruleIndex].id, 'waitqueue-active-no-barrier');
  assert.equal(result.locations[0].physicalLocation.region.startLine, 14);
});

test('--rules restricts the rules; an unknown rule is a usage error', () => {
  assert.equal(run('--rules', 'sleep-state-order').status, 0);
  assert.equal(run('--rules', 'no-such-rule').status, 2);
});

test('--jobs 1 (one thread) reports exactly the corpus golden, in its order (proofWorkers.test.ts checks --jobs 2 against it)', () => {
  const run = runCorpus(1);
  assert.ok((run.stats.files as number) > 64, `${run.stats.files} files: too few for --jobs 2 to use the workers`);
  assert.ok(run.findings.length > 50, `${run.findings.length} findings`);
  assertMatchesCorpusGolden(run, 'check --jobs 1');
});

test('check runs under a heap cap and, when the cap is too small, says so and runs again with more', () => {
  const r = spawnSync(process.execPath, [cli, 'check', '--format', 'json', fixture], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WAKEAUDIT_HEAP_CAP_MB: '4' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /needed more than 4 MB of heap; running it again/);
  assert.equal(JSON.parse(r.stdout).findings[0].line, 14);
});

test('headers the prefilter skipped are parsed when they define a helper a wait condition calls, or a constant that helper compares with', () => {
  const dir = join('test', 'cli-fixtures', 'helper-in-plain-header');
  const r = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--show-unknown', dir], { cwd: root, encoding: 'utf8' });
  const out = JSON.parse(r.stdout);
  // lnk_accessors.h (lnk_is_up()), then lnk_state.h (LNK_UP, which lnk_is_up() compares with).
  assert.equal(out.stats.helperHeaders, 2);
  const f = out.findings.find((x: { code: string }) => x.code === 'waitqueue-active-no-barrier');
  assert.ok(f, r.stdout);
  assert.equal(f.verdict, 'violated', f.message);
  assert.equal(f.line, 12);
});
