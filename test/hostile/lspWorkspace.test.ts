// The language server on a hostile workspace (a directory link loop, a FIFO, a link to
// /dev/zero, a file over wakeaudit.maxFileMb, a deeply nested condition) with a .litmus document
// of 1,000 threads opened in the editor: it must keep answering, publish the good files'
// diagnostics, and say in its log what it skipped and why the litmus test was not decided.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import { startServer } from '../lsp/lspClient';
import { deepC, GOOD_C, HANG_LIMIT_MS, mkfifo, thousandThreadLitmus } from './cases';

/** Resolves with the promise's value, or fails when the server does not answer within the hang limit. */
function answered<T>(what: string, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${HANG_LIMIT_MS} ms`)), HANG_LIMIT_MS).unref()),
  ]);
}

test('a hostile workspace and a 1,000-thread litmus document leave the server answering', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wakeaudit-hostile-ws-'));
  mkdirSync(join(root, 'drivers', 'a'), { recursive: true });
  writeFileSync(join(root, 'drivers', 'good.c'), GOOD_C);
  writeFileSync(join(root, 'drivers', 'deep.c'), deepC(`${'('.repeat(5000)}READ_ONCE(c->deep_done)${')'.repeat(5000)}`));
  symlinkSync('..', join(root, 'drivers', 'a', 'loop'));
  mkfifo(join(root, 'drivers', 'x.c'));
  symlinkSync('/dev/zero', join(root, 'drivers', 'foo.c'));
  writeFileSync(join(root, 'drivers', 'big.c'), '/* padding */\n'.repeat(150_000));
  const client = await startServer({ workspaceFolder: root, settings: { maxFileMb: 1, exploration: { timeoutMs: 3000 } } });
  try {
    const good = pathToFileURL(join(root, 'drivers', 'good.c')).href;
    const deep = pathToFileURL(join(root, 'drivers', 'deep.c')).href;
    const hasFinding = (d: { code?: string | number }[]) => d.some((x) => x.code === 'waitqueue-active-no-barrier');
    await client.waitForDiagnostics(good, hasFinding, HANG_LIMIT_MS);
    // The deep function costs itself only: the file's other finding is there.
    await client.waitForDiagnostics(deep, hasFinding, HANG_LIMIT_MS);
    const litmusUri = pathToFileURL(join(root, 'T1000.litmus')).href;
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: litmusUri, languageId: 'litmus', version: 1, text: thousandThreadLitmus() },
    });
    // While the litmus check runs (on its own worker), the server answers.
    const stats = await answered('wakeaudit/stats', client.connection.sendRequest('wakeaudit/stats'));
    assert.ok(stats && typeof stats === 'object');
    const deadline = Date.now() + HANG_LIMIT_MS;
    // The litmus engine's own budgets (work, states, events held) usually end it first; on a
    // slow machine the worker's wall-clock safety net may: either way one line names the file.
    const ended =
      /T1000\.litmus: (?:no verdict: .*\((?:maxWork|maxStates|maxHeld|timeoutMs)\)|the LKMM check did not end within 3000 ms \(timeoutMs, a wall-clock safety net)/;
    while (!client.logs.some((l) => ended.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const log = client.logs.join('\n');
    assert.match(log, ended, log);
    assert.match(log, /a\/loop: skipped: a symbolic link to a directory already walked/, log);
    assert.match(log, /x\.c: skipped: a FIFO, not a regular file \(never read\)/, log);
    assert.match(log, /foo\.c: skipped: a symbolic link to a character device, not a regular file/, log);
    assert.match(log, /big\.c: skipped: 2\.0 MB is over the 1 MB limit for one file/, log);
    // And still after it.
    await answered('wakeaudit/stats after the litmus check', client.connection.sendRequest('wakeaudit/stats'));
  } finally {
    await client.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
