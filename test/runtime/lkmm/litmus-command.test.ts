// `wakeaudit litmus`: per-file lines, the summary line and the exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { runLitmusCommand } from '../../../server/src/commands/litmus';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const SB = (result: string) => `C SB-cmd
(* Result: ${result} *)
{}
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\\ 1:r0=0)
`;

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wakeaudit-litmus-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('all files matching: exit 0 and an N/N summary', async () => {
  const dir = tempDir({ 'a.litmus': SB('Sometimes'), 'sub/b.litmus': SB('Sometimes'), 'notes.txt': 'ignored' });
  const out = capture();
  assert.equal(await runLitmusCommand([dir], out.stream), 0);
  const lines = out.text().trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^ok +a\.litmus +expected Sometimes +got Sometimes/);
  assert.match(lines[2]!, /^2\/2 match in \d+\.\d\d s$/);
});

test('a mismatch or a parse error: exit 1', async () => {
  const dir = tempDir({ 'a.litmus': SB('Never'), 'b.litmus': 'C broken\n{}\nP0(int *x) { oops }\nexists (x=1)\n' });
  const out = capture();
  assert.equal(await runLitmusCommand([dir], out.stream), 1);
  assert.match(out.text(), /MISMATCH a\.litmus +expected Never +got Sometimes/);
  assert.match(out.text(), /ERROR +b\.litmus .*b\.litmus:3: (?!line)/);
  assert.match(out.text(), /0\/2 match/);
});

test('usage and I/O errors: exit 2', async () => {
  const out = capture();
  assert.equal(await runLitmusCommand([], out.stream), 2);
  assert.match(out.text(), /usage/);
  assert.equal(await runLitmusCommand([path.join(os.tmpdir(), 'no-such-dir-wakeaudit')], capture().stream), 2);
  assert.equal(await runLitmusCommand([tempDir({ 'x.txt': '' })], capture().stream), 2);
});
