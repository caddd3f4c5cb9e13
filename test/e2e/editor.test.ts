// The packaged extension in a real VS Code (code-server 4.100.3) driven by chromium: what a user
// sees. One code-server start for the whole file; screenshots go to test-results/e2e/.
import { after, afterEach, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { startServer } from '../lsp/lspClient';
import { CodeServer, Requirements, artifactsDir, launchChromium, packageExtension, repoRoot, requirementsOrSkip, screenshot, startCodeServer } from './harness';

const { requirements, skip } = requirementsOrSkip();
if (skip) console.log(`# skipping real-editor tests: ${skip}`);

const fixtures = path.join(repoRoot, 'test', 'e2e', 'workspace');
const hostSuite = path.join(repoRoot, 'out', 'test', 'e2e', 'host', 'suite.js');

describe('wakeaudit in code-server', { skip }, () => {
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let scratch: string;
  /** What the bundled server analyses (its initialize result): C cases need `c`. */
  let analyses: string[] = [];
  const started = Date.now();
  const hostResult = () => path.join(scratch, 'host-result.json');

  before(async () => {
    const probe = await startServer({});
    analyses = (probe.initializeResult.capabilities.experimental as { wakeaudit?: { analyses?: string[] } } | undefined)?.wakeaudit?.analyses ?? [];
    await probe.stop();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'wakeaudit-vsix-'));
    const vsix = packageExtension(scratch);
    server = await startCodeServer({
      requirements: requirements as Requirements,
      fixtures,
      vsix,
      env: { WAKEAUDIT_HOST_RESULT: path.join(scratch, 'host-result.json') },
    });
    browser = await launchChromium(requirements as Requirements);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    console.log(`# workbench ready ${Date.now() - started} ms after start`);
  });

  after(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    if (server) {
      if (process.env.WAKEAUDIT_E2E_KEEP_LOG) console.log(server.log());
      await server.stop();
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    console.log(`# real-editor tests: ${Date.now() - started} ms wall time (code-server start to stop)`);
  });

  // A screenshot after every test, named after it: the artifact to look at when one fails.
  let testNumber = 0;
  afterEach(async (context) => {
    testNumber++;
    const name = (context as unknown as { name: string }).name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    if (page) await screenshot(page, `after-${String(testNumber).padStart(2, '0')}-${name}`).catch(() => undefined);
  });

  async function openFile(name: string): Promise<void> {
    // Close whatever widget an earlier step may have left open, so Ctrl+P reaches the workbench.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    // Wait for the filtered row: before filtering, the list shows recently opened files.
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: name }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator(`.tab.active[data-resource-name="${name}"]`).waitFor();
    await page.locator('.monaco-editor .view-lines').first().waitFor();
  }

  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
  }

  async function goToLine(line: number): Promise<void> {
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await page.keyboard.press('Enter');
  }

  /** The visible text of the active editor (Monaco renders spaces as U+00A0). */
  async function editorText(): Promise<string> {
    return (await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  }

  test('the extension starts: status bar item shows', async () => {
    await openFile('ready_flag.c');
    const status = page.locator('.statusbar-item', { hasText: 'wakeaudit' });
    await status.first().waitFor({ timeout: 30_000 });
    await screenshot(page, '01-opened');
  });

  // The whole path of a finding, as a user takes it: squiggle, Problems entry with the rule code,
  // Ctrl+. then Enter on the flagged line, the text changes and the diagnostic goes.
  const findingCases = [
    { file: 'MP-wrong-result.litmus', analysis: 'litmus', code: 'litmus-result-mismatch', marker: 'Result: Never', fixedText: 'Result: Sometimes' },
    { file: 'ready_flag.c', analysis: 'c', code: 'waitqueue-active-no-barrier', marker: 'expect: waitqueue-active-no-barrier', fixedText: 'smp_mb' },
  ];
  /** Skips (saying why) a case whose analysis the server does not have. */
  const skipWithout = (analysis: string, t: { skip(message: string): void }): boolean => {
    if (analyses.includes(analysis)) return false;
    t.skip(`the bundled server reports no ${analysis} analysis (analyses: ${analyses.join(', ')})`);
    return true;
  };
  for (const [caseNumber, finding] of findingCases.entries()) {
    test(`${finding.file}: squiggle and Problems entry with code ${finding.code}`, async (t) => {
      if (skipWithout(finding.analysis, t)) return;
      await openFile(finding.file);
      await page.locator('.squiggly-warning').first().waitFor({ timeout: 30_000 });
      await page.keyboard.press('Control+Shift+M');
      // Other files' findings expand into many trace rows and the list is virtualised: filter
      // the panel to this code so the row is rendered.
      const filter = page.locator('.markers-panel-action-filter input, .viewpane-filter input').first();
      await filter.waitFor({ timeout: 15_000 });
      await filter.fill(finding.code);
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: finding.code });
      await row.first().waitFor({ timeout: 15_000 });
      await screenshot(page, `02-problems-${caseNumber}`);
      await filter.fill('');
      // Back to the editor for the next step.
      await page.keyboard.press('Control+Shift+M');
    });

    test(`${finding.file}: "Show trace" on the flagged line opens the trace view`, async (t) => {
      if (skipWithout(finding.analysis, t)) return;
      await openFile(finding.file);
      const flagged =
        readFileSync(path.join(fixtures, finding.file), 'utf8')
          .split('\n')
          .findIndex((line) => line.includes(finding.marker)) + 1;
      await page.locator('.monaco-editor textarea').first().focus();
      await goToLine(flagged);
      await runCommand('wakeaudit: Show trace');
      const webview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
      await webview.locator(`.verdict[data-verdict="violated"]`, { hasText: finding.code }).waitFor({ timeout: 15_000 });
      assert.ok((await webview.locator('.lane').count()) >= 1);
      await screenshot(page, `03-show-trace-${caseNumber}`);
      if (finding.analysis !== 'c') return;
      // The sequence diagram, compared by structure (not by pixels): a column per lane, a row per
      // step, the stale read and the store it missed marked, the arrow between them, the fix's
      // barrier; then drawn in the real webview (boxes laid out in their columns) and saved.
      const diagram = webview.locator('.diagram svg.wakeaudit-trace');
      await diagram.waitFor({ timeout: 15_000 });
      const lanes = await webview.locator('.lane').count();
      const stepRows = await webview.locator('.lanes .step').count();
      assert.equal(await diagram.locator('g.column').count(), lanes);
      assert.equal(await diagram.locator('g.step').count(), stepRows);
      assert.equal(await diagram.getAttribute('data-columns'), String(lanes));
      assert.equal(await diagram.locator('g.step.stale-read').count(), 1);
      assert.equal(await diagram.locator('g.step.missed-store').count(), 1);
      assert.equal(await diagram.locator('g.arrow.missed').count(), 1);
      assert.equal(await diagram.locator('g.barrier').count(), 1);
      const stale = await diagram.locator('g.step.stale-read rect').boundingBox();
      const missed = await diagram.locator('g.step.missed-store rect').boundingBox();
      assert.ok(stale && missed && stale.y > missed.y, 'the stale read is drawn below the store it missed');
      assert.ok(stale && missed && Math.abs(stale.x - missed.x) > 100, 'the stale read and the store it missed are in different columns');
      assert.match((await diagram.locator('g.step.stale-read title').textContent()) ?? '', /has not propagated to this CPU yet/);
      await diagram.screenshot({ path: path.join(artifactsDir, `03-trace-diagram-${caseNumber}.png`) });
    });

    test(`${finding.file}: the preferred quick fix applies from the keyboard and the diagnostic goes`, async (t) => {
      if (skipWithout(finding.analysis, t)) return;
      await openFile(finding.file);
      const flagged =
        readFileSync(path.join(fixtures, finding.file), 'utf8')
          .split('\n')
          .findIndex((line) => line.includes(finding.marker)) + 1;
      assert.ok(flagged > 0);
      await page.locator('.monaco-editor textarea').first().focus();
      await goToLine(flagged);
      await page.keyboard.press('Control+.');
      await page.locator('.action-widget .monaco-list-row.focused').waitFor({ timeout: 15_000 });
      await screenshot(page, `03-quick-fix-menu-${caseNumber}`);
      await page.keyboard.press('Enter');
      const deadline = Date.now() + 10_000;
      while (!(await editorText()).includes(finding.fixedText) && Date.now() < deadline) await page.waitForTimeout(100);
      assert.ok((await editorText()).includes(finding.fixedText), `the editor does not show ${finding.fixedText}`);
      await page.locator('.squiggly-warning').first().waitFor({ state: 'detached', timeout: 30_000 });
      await screenshot(page, `04-fixed-${caseNumber}`);
    });
  }

  test('simulate from the command palette shows the trace view with one lane per thread', async () => {
    await openFile('SB.litmus');
    await runCommand('wakeaudit: Simulate this snippet');
    const webview: FrameLocator = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    // The panel may still show an earlier trace: wait for this test's lanes.
    await webview.locator('.lane[data-thread="P1"]').waitFor({ timeout: 30_000 });
    assert.equal(await webview.locator('.verdict').getAttribute('data-verdict'), 'violated');
    const lanes = await webview.locator('.lane').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-thread')));
    assert.deepEqual(lanes, ['P0', 'P1']);
    // Every step is drawn inside its own thread's lane (the layout survives the webview's CSP).
    for (const thread of ['P0', 'P1']) {
      const lane = await webview.locator(`.lane[data-thread="${thread}"]`).boundingBox();
      const steps = webview.locator(`.step[data-thread="${thread}"]`);
      assert.ok((await steps.count()) > 0, `no steps in lane ${thread}`);
      for (const box of await Promise.all((await steps.all()).map((step) => step.boundingBox()))) {
        assert.ok(lane && box && box.x >= lane.x - 1 && box.x + box.width <= lane.x + lane.width + 1, `a ${thread} step is outside its lane`);
      }
    }
    // Each step is a link to its source line: following one moves the editor's cursor there.
    await webview.locator('.step-link', { hasText: 'r0 = READ_ONCE(*x)' }).click();
    await page
      .locator('.statusbar-item', { hasText: /Ln 24, Col/ })
      .first()
      .waitFor({ timeout: 10_000 });
    await screenshot(page, '05-trace-view');
  });

  test('extension-host suite (VS Code API) passes inside code-server', async () => {
    assert.ok(existsSync(hostSuite), `${hostSuite} not built`);
    // Paths in the payload are URIs; plain paths would mean the browser's own file system, where
    // no extension host runs. The remote authority is code-server's host:port.
    const remote = (file: string) => `vscode-remote://${new URL(server.url).host}${file}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(hostSuite)],
    ]);
    // A fresh copy of the fixtures: the UI tests above edited (and VS Code backs up) the first one.
    const hostWorkspace = path.join(server.home, 'host-workspace');
    cpSync(fixtures, hostWorkspace, { recursive: true });
    const hostPage = await browser.newPage();
    try {
      await hostPage.goto(`${server.url}/?folder=${encodeURIComponent(hostWorkspace)}&payload=${encodeURIComponent(payload)}`);
      const deadline = Date.now() + 90_000;
      while (!existsSync(hostResult()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      await screenshot(hostPage, '06-extension-host-suite');
      assert.ok(existsSync(hostResult()), 'the extension-host suite wrote no result within 90 s');
      const { results } = JSON.parse(readFileSync(hostResult(), 'utf8')) as { results: { name: string; ok: boolean; skipped?: string; error?: string }[] };
      for (const result of results) {
        const outcome = result.skipped ? `skipped (${result.skipped})` : result.ok ? 'ok' : 'FAILED';
        console.log(`# host: ${outcome} ${result.name}${result.error ? `: ${result.error}` : ''}`);
      }
      assert.ok(results.length > 0, 'no host test ran');
      assert.deepEqual(
        results.filter((r) => !r.ok),
        [],
      );
    } finally {
      await hostPage.close();
    }
  });
});

console.log(`# artifacts: ${artifactsDir}`);
