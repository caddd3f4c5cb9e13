// The one file-system policy (server/src/analysis/sourceTree.ts): what is read, what is skipped
// and why, and that no read goes past the cap whatever stat says.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSourceFile, walkSourceTree } from '../../server/src/analysis/sourceTree';

test('a regular file is read whole; one over the cap is skipped by its size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-tree-'));
  try {
    writeFileSync(join(dir, 'a.c'), 'int a;\n');
    writeFileSync(join(dir, 'big.c'), 'x'.repeat(3000));
    const a = readSourceFile(join(dir, 'a.c'), 1024);
    assert.ok('bytes' in a && a.bytes.toString() === 'int a;\n');
    assert.deepEqual(readSourceFile(join(dir, 'big.c'), 1.5 * 1024), {
      skipped: 'skipped: 0.0 MB is over the 0 MB limit for one file (--max-file-mb, wakeaudit.maxFileMb)',
    });
    const overOneMb = join(dir, 'over.c');
    writeFileSync(overOneMb, 'x'.repeat(3 * 1048576));
    assert.deepEqual(readSourceFile(overOneMb, 1048576), {
      skipped: 'skipped: 3.0 MB is over the 1 MB limit for one file (--max-file-mb, wakeaudit.maxFileMb)',
    });
    assert.match(readProblemOf(readSourceFile(join(dir, 'none.c'), 1024)), /^cannot read: ENOENT$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readProblemOf(r: ReturnType<typeof readSourceFile>): string {
  return 'unreadable' in r ? r.unreadable : 'skipped' in r ? r.skipped : 'read';
}

test('a file whose size stat does not tell (/proc) is not read past the cap + 1 byte', { skip: !existsSync('/proc/self/status') && 'no /proc here' }, () => {
  // /proc/self/status says 0 bytes and holds about a kilobyte.
  const r = readSourceFile('/proc/self/status', 100);
  assert.ok('skipped' in r, JSON.stringify(r));
  assert.match(r.skipped, /^skipped: it is over the .* MB limit for one file/);
  const whole = readSourceFile('/proc/self/status', 1 << 20);
  assert.ok('bytes' in whole && whole.bytes.length > 100);
});

test('a FIFO, a device link and a directory reached twice are skipped with a reason, never opened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wakeaudit-tree-'));
  try {
    mkdirSync(join(dir, 'd', 'e'), { recursive: true });
    writeFileSync(join(dir, 'd', 'e', 'x.c'), '');
    writeFileSync(join(dir, 'b.h'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    execFileSync('mkfifo', [join(dir, 'p.c')]);
    execFileSync('mkfifo', [join(dir, 'p.txt')]);
    symlinkSync('/dev/null', join(dir, 'n.c'));
    symlinkSync('e', join(dir, 'd', 'again'));
    symlinkSync('..', join(dir, 'd', 'e', 'up'));
    // Readable by a direct read, too: skipped, not blocked.
    assert.deepEqual(readSourceFile(join(dir, 'p.c'), 1024), { skipped: 'skipped: a FIFO, not a regular file (never read)' });
    assert.deepEqual(readSourceFile(join(dir, 'n.c'), 1024), { skipped: 'skipped: a symbolic link to a character device, not a regular file (never read)' });
    const listing = walkSourceTree([dir], { wantsFile: (f) => /\.[ch]$/.test(f) });
    const rel = (f: string) => f.slice(dir.length + 1);
    // Depth-first by name, links to directories last: d/again is d/e reached a second time.
    assert.deepEqual(listing.files.map(rel), ['b.h', 'd/e/x.c']);
    assert.deepEqual(
      listing.skipped.map((p) => `${rel(p.file)}: ${p.message}`),
      [
        'n.c: skipped: a symbolic link to a character device, not a regular file (never read)',
        'p.c: skipped: a FIFO, not a regular file (never read)',
        'd/again: skipped: a symbolic link to a directory already walked (a link loop or a second path to it)',
        'd/e/up: skipped: a symbolic link to a directory already walked (a link loop or a second path to it)',
      ],
    );
    assert.deepEqual(listing.unreadable, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
