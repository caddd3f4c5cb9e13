// The editor proves what `wakeaudit check` proves: a condition whose helper lives in a header
// that names no wait/wake primitive (the prefilter skips it) needs that header, and the header
// of the constant the helper compares with. The CLI's helper-header pass is covered by
// test/analysis/formats.test.ts on the same directory; here the server indexes it as a
// workspace folder, with no file open, and must publish the proved warning.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import { repoRoot, startServer } from './lspClient';

const folder = path.join(repoRoot, 'test', 'cli-fixtures', 'helper-in-plain-header');

test('background indexing parses the skipped headers a condition needs, and the lost wakeup is proved in the editor too', async () => {
  const client = await startServer({ workspaceFolder: folder, settings: { showUnknown: true } });
  try {
    const uri = pathToFileURL(path.join(folder, 'lnk_irq.c')).href;
    const diagnostics = await client.waitForDiagnostics(
      uri,
      (ds) => ds.some((d) => d.code === 'waitqueue-active-no-barrier' && /Proved/.test(d.message)),
      30_000,
    );
    const finding = diagnostics.find((d) => d.code === 'waitqueue-active-no-barrier')!;
    assert.equal(finding.range.start.line, 11, JSON.stringify(finding));
    assert.equal(finding.severity, 2, 'a proved finding is a warning');
    assert.ok(
      client.logs.some((l) => /indexed 2 more header\(s\).*lnk_accessors\.h, lnk_state\.h/.test(l)),
      client.logs.join('\n'),
    );
  } finally {
    await client.stop();
  }
});

test('an edit that makes a condition call a helper of a header nobody needed yet gets that header parsed, and the proof', async () => {
  // On disk nobody waits yet, so indexing needs no header; the editor then adds the sleeper.
  const dir = mkdtempSync(path.join(tmpdir(), 'wakeaudit-helper-edit-'));
  cpSync(folder, dir, { recursive: true });
  const waiter = path.join(dir, 'lnk_wait.c');
  const waiting = readFileSync(waiter, 'utf8');
  writeFileSync(waiter, '// Nothing waits for the link yet.\n#include "lnk_accessors.h"\n');
  const client = await startServer({ workspaceFolder: dir, settings: { showUnknown: true } });
  try {
    for (;;) if ((await client.nextIdle(30_000)).files > 0) break;
    const irq = pathToFileURL(path.join(dir, 'lnk_irq.c')).href;
    assert.ok(!(client.diagnostics.get(irq) ?? []).some((d) => /Proved/.test(d.message)), JSON.stringify(client.diagnostics.get(irq)));
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: pathToFileURL(waiter).href, languageId: 'c', version: 1, text: waiting },
    });
    const diagnostics = await client.waitForDiagnostics(
      irq,
      (ds) => ds.some((d) => d.code === 'waitqueue-active-no-barrier' && /Proved/.test(d.message)),
      30_000,
    );
    assert.equal(diagnostics.find((d) => /Proved/.test(d.message))?.range.start.line, 11);
    assert.ok(
      client.logs.some((l) => /edited conditions use: lnk_accessors\.h/.test(l)),
      client.logs.join('\n'),
    );
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
