// Bad input: each gives one clear line for that file; the run goes on; nothing hangs.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const GOOD =
  'struct r { wait_queue_head_t wq; int done; };\nstatic void done(struct r *r)\n{\n\tr->done = 1;\n\tif (waitqueue_active(&r->wq))\n\t\twake_up(&r->wq);\n}\nstatic int w(struct r *r) { return wait_event_interruptible(r->wq, r->done); }\n';

function check(dir: string, ...extra: string[]) {
  return spawnSync(process.execPath, [cli, 'check', '--format', 'json', ...extra, dir], { encoding: 'utf8', timeout: 120_000 });
}

test('binary, non-UTF-8, huge, deeply nested, unterminated and unreadable files next to a good one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-bad-'));
  writeFileSync(join(dir, 'good.c'), GOOD);
  writeFileSync(join(dir, 'binary.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3, 0xff]));
  writeFileSync(
    join(dir, 'latin1.c'),
    Buffer.concat([Buffer.from('/* Jos'), Buffer.from([0xe9]), Buffer.from(' */\n' + GOOD.replace(/struct r\b/g, 'struct r2'))]),
  );
  writeFileSync(join(dir, 'huge.c'), Buffer.alloc(50 * 1024 * 1024, 'x'));
  writeFileSync(join(dir, 'nested.c'), 'void wake_up_f(void)\n' + '{'.repeat(100_000) + '}'.repeat(100_000) + '\n');
  writeFileSync(join(dir, 'unterminated.c'), 'static void f(void)\n{\n\twake_up(&q);\n/* never closed\n#define X(a) \\\n');
  const locked = join(dir, 'locked.c');
  writeFileSync(locked, GOOD);
  chmodSync(locked, 0o000);
  const started = Date.now();
  // A cap below the file's size (the default, 64 MB, is above it).
  const r = check(dir, '--max-file-mb', '4');
  const seconds = (Date.now() - started) / 1000;
  assert.ok(r.status === 1, `exit ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  const files = new Set(out.findings.map((f: { file: string }) => f.file.split('/').pop()));
  assert.ok(files.has('good.c'), 'the good file is still analysed');
  assert.ok(files.has('latin1.c'), 'a non-UTF-8 file is analysed as Latin-1');
  const stderr = r.stderr.split('\n');
  assert.ok(
    stderr.some((l) => /binary\.c: skipped: binary file/.test(l)),
    r.stderr,
  );
  assert.ok(
    stderr.some((l) => /huge\.c: skipped: 50\.0 MB is over the 4 MB limit/.test(l)),
    r.stderr,
  );
  assert.ok(
    stderr.some((l) => /latin1\.c: note: not valid UTF-8/.test(l)),
    r.stderr,
  );
  if (process.getuid?.() !== 0)
    assert.ok(
      stderr.some((l) => /locked\.c: cannot read: EACCES/.test(l)),
      r.stderr,
    );
  assert.ok(seconds < 100, `took ${seconds} s`);
});

test('usage errors exit 2; no findings exit 0; a missing path exits 2 with one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-ok-'));
  writeFileSync(join(dir, 'plain.c'), 'int add(int a, int b) { return a + b; }\n');
  assert.equal(spawnSync(process.execPath, [cli, 'check', '--format', 'xml', dir]).status, 2);
  assert.equal(spawnSync(process.execPath, [cli, 'check']).status, 2);
  const ok = check(dir);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).stats.skippedByPrefilter, 1);
  const missing = check(join(dir, 'nope'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope: cannot read: ENOENT/);
});
