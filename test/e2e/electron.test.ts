// The same extension-host suite (test/e2e/host/suite.ts) under desktop VS Code through
// @vscode/test-electron, wherever desktop VS Code can be downloaded and shown. On machines
// without that (no route to update.code.visualstudio.com, no display) the test skips and says
// why; the suite still runs in code-server (editor.test.ts).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './harness';

const VSCODE_VERSION = '1.100.3';

test('extension-host suite under desktop VS Code (@vscode/test-electron)', async (t) => {
  if (!process.env.DISPLAY) {
    t.skip('no DISPLAY: desktop VS Code needs a display (run under xvfb-run to enable this test)');
    return;
  }
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  const cachePath = path.join(process.env.WAKEAUDIT_E2E_HOME ?? path.join(os.homedir(), '.cache', 'wakeaudit-e2e'), 'vscode');
  let executable: string;
  try {
    executable = await downloadAndUnzipVSCode({ version: VSCODE_VERSION, cachePath });
  } catch (error) {
    t.skip(`desktop VS Code ${VSCODE_VERSION} cannot be downloaded here (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'wakeaudit-electron-'));
  try {
    const workspace = path.join(scratch, 'workspace');
    cpSync(path.join(repoRoot, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
    const resultFile = path.join(scratch, 'host-result.json');
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'e2e', 'host', 'suite.js'),
      extensionTestsEnv: { WAKEAUDIT_HOST_RESULT: resultFile },
      launchArgs: [workspace, '--disable-gpu', '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(scratch, 'user-data')],
    });
    assert.ok(existsSync(resultFile), 'the suite wrote no result');
    const { results } = JSON.parse(readFileSync(resultFile, 'utf8')) as { results: { name: string; ok: boolean; error?: string }[] };
    assert.deepEqual(
      results.filter((r) => !r.ok),
      [],
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
