// Patch mode (`check --patch`, `--since`) and baselines (`--write-baseline`, `--baseline`).
// Each patch of test/cli-fixtures/patch-mode/ states what it must give in its own text:
// `Expect-report: FILE:LINE CODE STATUS` (or `none`), `Expect-removed: FILE:LINE CODE`,
// `Expect-error: TEXT` (a patch that does not apply: exit 2, one line naming the hunk).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { applySeries, changedLines, splitSeries } from '../../server/src/commands/patch';
import { fingerprints, normalisedMessage } from '../../server/src/commands/baseline';
import type { Finding } from '../../server/src/analysis/findings';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');
const fixtures = join(root, 'test', 'cli-fixtures', 'patch-mode');
const tree = join(fixtures, 'tree');

function check(args: string[], options: { cwd?: string; input?: string } = {}) {
  return spawnSync(process.execPath, [cli, 'check', '--jobs', '1', ...args], { cwd: options.cwd ?? root, encoding: 'utf8', input: options.input });
}

function expectations(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key}: (.+)$`, 'gm'))].map((m) => m[1].trim()).filter((e) => e !== 'none');
}

function treeTexts(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      e.isDirectory() ? walk(join(d, e.name)) : out.set(join(d, e.name), readFileSync(join(d, e.name), 'utf8'));
  };
  walk(dir);
  return out;
}

const patches = readdirSync(fixtures)
  .filter((f) => f.endsWith('.patch'))
  .sort();

test("the patch-mode fixtures: one adds a lost wakeup, one fixes the tree's, one changes a line of its trace, one touches unrelated code, one does not apply", () => {
  assert.deepEqual(patches, ['adds-lost-wakeup.patch', 'changes-old-finding.patch', 'does-not-apply.patch', 'fixes-lost-wakeup.patch', 'unrelated.patch']);
  // The tree has a finding of its own, which only a patch that changes it may report or remove.
  const whole = check(['--format', 'json', tree]);
  assert.equal(whole.status, 1, whole.stderr);
  assert.deepEqual(
    JSON.parse(whole.stdout).findings.map((f: Finding) => `${relative(tree, f.file)}:${f.line} ${f.code}`),
    ['drivers/demo/cache.c:28 waitqueue-active-no-barrier'],
  );
});

for (const name of patches) {
  test(`--patch ${name} reports what the patch states`, () => {
    const text = readFileSync(join(fixtures, name), 'utf8');
    const before = treeTexts(tree);
    const r = check(['--format', 'json', '--tree', tree, '--patch', join(fixtures, name)]);
    assert.deepEqual(treeTexts(tree), before, 'the tree on disk is untouched');
    const error = expectations(text, 'Expect-error');
    if (error.length) {
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(r.stderr.includes(error[0]), r.stderr);
      assert.match(r.stderr.trim(), /^wakeaudit check: patch does not apply: .* \(@@ -\d+,\d+ \+\d+,\d+ @@\) does not match the tree$/);
      return;
    }
    const out = JSON.parse(r.stdout);
    const reported = out.findings.map((f: Finding) => `${relative(tree, f.file)}:${f.line} ${f.code}`);
    const wanted = expectations(text, 'Expect-report');
    assert.deepEqual(
      reported,
      wanted.map((e) => e.split(' ').slice(0, 2).join(' ')),
      r.stderr,
    );
    assert.equal(r.status, reported.length ? 1 : 0, r.stderr);
    assert.deepEqual(
      out.patch.removed.map((f: Finding) => `${relative(tree, f.file)}:${f.line} ${f.code}`),
      expectations(text, 'Expect-removed'),
    );
    // The text form says the same on stderr: the counts, and each removed finding as a note.
    const t = check(['--tree', tree, '--patch', join(fixtures, name)]);
    const introduced = wanted.filter((e) => e.endsWith(' introduced')).length;
    const removed = expectations(text, 'Expect-removed').length;
    assert.match(t.stderr, new RegExp(`: ${introduced} findings? introduced, ${wanted.length - introduced} changed, ${removed} removed$`, 'm'));
    assert.equal((t.stderr.match(/note: the patch removes this finding: /g) ?? []).length, removed);
    // SARIF says the same per result: an introduced finding is `new`, a changed one `updated`.
    const sarif = JSON.parse(check(['--format', 'sarif', '--tree', tree, '--patch', join(fixtures, name)]).stdout);
    assert.deepEqual(
      sarif.runs[0].results.map((x: { baselineState: string }) => x.baselineState),
      wanted.map((e) => (e.endsWith(' changed') ? 'updated' : 'new')),
    );
  });
}

test('--patch - reads the patch from standard input, and SARIF is the same findings', () => {
  const patch = readFileSync(join(fixtures, 'adds-lost-wakeup.patch'), 'utf8');
  const fromFile = check(['--tree', tree, '--patch', join(fixtures, 'adds-lost-wakeup.patch')]);
  const fromStdin = check(['--tree', tree, '--patch', '-'], { input: patch });
  assert.equal(fromStdin.status, 1, fromStdin.stderr);
  assert.equal(fromStdin.stdout, fromFile.stdout);
  assert.match(fromStdin.stdout, /tree\/drivers\/demo\/ring\.c:25:6: warning: .* \[waitqueue-active-no-barrier\]$/m);
  const sarif = JSON.parse(check(['--format', 'sarif', '--tree', tree, '--patch', '-'], { input: patch }).stdout);
  assert.deepEqual(
    sarif.runs[0].results.map(
      (x: { locations: Array<{ physicalLocation: { region: { startLine: number } } }> }) => x.locations[0].physicalLocation.region.startLine,
    ),
    [25],
  );
  // Code scanning's view of a patch: the finding is new (not a changed old one).
  assert.equal(sarif.runs[0].results[0].baselineState, 'new');
});

test('--tree defaults to the current directory', () => {
  const r = check(['--patch', join(fixtures, 'adds-lost-wakeup.patch')], { cwd: tree });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^drivers\/demo\/ring\.c:25:6: warning: /m);
});

test('bad patch-mode usage is a one-line error, exit 2', () => {
  for (const [args, message] of [
    [['--patch', join(fixtures, 'none.patch'), '--tree', tree], /cannot read patch .*none\.patch: ENOENT/],
    [['--patch', join(fixtures, 'adds-lost-wakeup.patch'), tree], /name the tree with --tree DIR/],
    [['--tree', tree], /--tree needs --patch or --since/],
    [['--patch', '-', '--tree', tree, '--fix'], /--fix cannot be used with a patch/],
  ] as const) {
    const r = check([...args], { input: 'not a diff\n' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.split('\n')[0], message);
  }
  const empty = check(['--patch', '-', '--tree', tree], { input: 'just words, no diff\n' });
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /^wakeaudit check: the patch changes no file/);
  const outside = check(['--patch', '-', '--tree', tree], { input: '--- a/../x.c\n+++ b/../x.c\n@@ -1 +1 @@\n-a\n+b\n' });
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /outside the tree/);
});

function gitTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-since-'));
  cpSync(tree, dir, { recursive: true });
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  return dir;
}

test('--since REV checks `git diff REV` of a work tree as --patch checks the same change', () => {
  const dir = gitTree();
  try {
    // Nothing changed since HEAD: nothing introduced, whatever the tree has.
    const r0 = check(['--since', 'HEAD'], { cwd: dir });
    assert.equal(r0.status, 0, r0.stderr);
    assert.match(r0.stderr, /the patch changes 0 files: 0 findings introduced/);
    spawnSync('git', ['apply', join(fixtures, 'adds-lost-wakeup.patch')], { cwd: dir });
    const r = check(['--format', 'json', '--since', 'HEAD'], { cwd: dir });
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).findings.map((f: Finding) => `${f.file}:${f.line}`),
      ['drivers/demo/ring.c:25'],
    );
    const bad = check(['--since', 'no-such-rev'], { cwd: dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^wakeaudit check: git diff no-such-rev failed in \.: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a baseline keeps the tree's findings out, even after lines move, and lets new ones through", () => {
  const dir = gitTree();
  try {
    const baseline = join(dir, 'wakeaudit-baseline.json');
    const w = check(['--write-baseline', baseline, '.'], { cwd: dir });
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stderr, /wrote 1 finding to the baseline/);
    const same = check(['--baseline', baseline, '.'], { cwd: dir });
    assert.equal(same.status, 0, same.stderr);
    assert.equal(same.stdout, '');
    assert.match(same.stderr, /1 finding of the baseline not shown/);
    // The unrelated patch moves the old finding three lines down: still the baseline's.
    spawnSync('git', ['apply', join(fixtures, 'unrelated.patch')], { cwd: dir });
    const moved = check(['--format', 'json', '.'], { cwd: dir });
    assert.equal(JSON.parse(moved.stdout).findings[0].line, 31);
    assert.equal(check(['--baseline', baseline, '.'], { cwd: dir }).status, 0);
    spawnSync('git', ['apply', join(fixtures, 'adds-lost-wakeup.patch')], { cwd: dir });
    const added = check(['--baseline', baseline, '.'], { cwd: dir });
    assert.equal(added.status, 1, added.stderr);
    assert.deepEqual(
      added.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(': ')[0]),
      ['drivers/demo/ring.c:25:6'],
    );
    // SARIF carries the same fingerprints as partialFingerprints.
    const sarif = JSON.parse(check(['--format', 'sarif', '.'], { cwd: dir }).stdout);
    const recorded = JSON.parse(readFileSync(baseline, 'utf8')).findings.map((e: { fingerprint: string }) => e.fingerprint);
    const prints = sarif.runs[0].results.map((x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints['wakeaudit/v1']);
    assert.equal(prints.length, 2);
    assert.ok(prints.includes(recorded[0]), JSON.stringify(prints));
    assert.equal(sarif.runs[0].results[0].baselineState, undefined, 'no baseline given: no baseline state');
    const against = JSON.parse(check(['--format', 'sarif', '--baseline', baseline, '.'], { cwd: dir }).stdout);
    assert.deepEqual(
      against.runs[0].results.map((x: { baselineState: string }) => x.baselineState),
      ['new'],
    );
    writeFileSync(baseline, '{"findings": 3}');
    const broken = check(['--baseline', baseline, '.'], { cwd: dir });
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /^wakeaudit check: baseline .* is not a wakeaudit baseline/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fingerprints: no line numbers, the function counts, identical findings get an occurrence index', () => {
  assert.equal(
    normalisedMessage('orders the store to c->x (line 27) before this check (drivers/a.c:17), lines 3 and 4'),
    'orders the store to c->x before this check (drivers/a.c), line',
  );
  const f = (line: number, message = 'm (line 1)'): Finding => ({
    file: 'a.c',
    line,
    column: 1,
    endLine: line,
    endColumn: 2,
    code: 'r',
    severity: 'warning',
    message,
    verdict: 'violated',
    trace: [],
    fixes: [],
  });
  const [a, b] = fingerprints([f(10), f(20, 'm (line 11)')], () => 'fn');
  assert.equal(a.split(':')[0], b.split(':')[0]);
  assert.deepEqual([a.split(':')[1], b.split(':')[1]], ['0', '1']);
  assert.deepEqual(
    fingerprints([f(30)], () => 'fn'),
    [a],
    'the same finding moved keeps its fingerprint',
  );
  assert.notEqual(fingerprints([f(10)], () => 'other')[0], a);
});

test('a series applies mail after mail; changed lines are those of the final text', () => {
  const series = readFileSync(join(fixtures, 'adds-lost-wakeup.patch'), 'utf8');
  assert.equal(splitSeries(series).length, 2);
  const patched = applySeries(tree, series);
  const ring = patched.files.get(join(tree, 'drivers', 'demo', 'ring.c'))!;
  assert.deepEqual([...ring.added], [16, 17, 18, 19, 20, 21]);
  assert.deepEqual([...ring.deleted], [19, 20]);
  assert.ok(!ring.after!.includes('smp_mb()'));
  const lines = changedLines('a\nb\nc\n', 'a\nB\nc\nd\n');
  assert.deepEqual([[...lines.added], [...lines.deleted]], [[2, 4], [2]]);
});
