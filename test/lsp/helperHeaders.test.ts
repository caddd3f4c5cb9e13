// The editor proves what `wakeaudit check` proves: a condition whose helper lives in a header
// that names no wait/wake primitive (the prefilter skips it) needs that header, and the header
// of the constant the helper compares with. The CLI's helper-header pass is covered by
// test/analysis/formats.test.ts on the same directory; here the server indexes it as a
// workspace folder, with no file open, and must publish the proved warning.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, startServer } from './lspClient';

const folder = path.join(repoRoot, 'test', 'cli-fixtures', 'helper-in-plain-header');

test('background indexing parses the skipped headers a condition needs, and the lost wakeup is proved in the editor too', async () => {
  const client = await startServer({ workspaceFolder: folder, settings: { showUnknown: true } });
  try {
    const uri = pathToFileURL(path.join(folder, 'lnk_irq.c')).href;
    const diagnostics = await client.waitForDiagnostics(uri, (ds) => ds.some((d) => d.code === 'waitqueue-active-no-barrier' && /Proved/.test(d.message)), 30_000);
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
