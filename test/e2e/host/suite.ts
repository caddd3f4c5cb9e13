// Extension-host tests: they run inside VS Code (code-server's extension host here, desktop VS
// Code under @vscode/test-electron elsewhere) and use the VS Code API directly. VS Code loads
// this module as `extensionTestsPath` and awaits run(); the result is also written as JSON to
// $WAKEAUDIT_HOST_RESULT, because a browser-hosted VS Code has no process exit code to report.
//
// `node --test out/test/` loads every file under out/test/, this one included: loaded outside
// VS Code it only defines run(), so `vscode` is required inside run(), never at the top.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as vscodeApi from 'vscode';

interface CaseResult {
  name: string;
  ok: boolean;
  /** Why the case did not run (the server lacks what it needs). */
  skipped?: string;
  error?: string;
  milliseconds: number;
}

const EXTENSION_ID = 'wakeaudit.wakeaudit';

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export async function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vscode = require('vscode') as typeof vscodeApi;
  const results: CaseResult[] = [];
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;

  let analyses: string[] = [];
  // A case returns a reason string when it cannot run in this build.
  const cases: [string, () => Promise<void | string>][] = [
    [
      'the extension activates and starts its language server',
      async () => {
        const extension = vscode.extensions.getExtension(EXTENSION_ID);
        check(extension, `${EXTENSION_ID} is not installed`);
        const api = (await extension.activate()) as { client?: { isRunning(): boolean; initializeResult?: { capabilities: { experimental?: unknown } } } };
        check(extension.isActive, 'extension did not activate');
        check(api.client?.isRunning(), 'language client is not running');
        const experimental = api.client?.initializeResult?.capabilities.experimental as { wakeaudit?: { analyses?: string[] } } | undefined;
        analyses = experimental?.wakeaudit?.analyses ?? [];
        check(analyses.includes('litmus'), `server analyses ${JSON.stringify(analyses)}`);
      },
    ],
    [
      'a litmus test with a wrong Result line gets a diagnostic and a preferred quick fix',
      async () => {
        check(folder, 'no workspace folder open');
        const uri = vscode.Uri.joinPath(folder, 'MP-wrong-result.litmus');
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document);
        const diagnostic = await waitFor('a wakeaudit diagnostic in MP-wrong-result.litmus', () =>
          vscode.languages.getDiagnostics(uri).find((d) => d.source === 'wakeaudit'),
        );
        // With a rule page to link, the code comes as { value, target }.
        const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
        check(code === 'litmus-result-mismatch', `unexpected code ${JSON.stringify(diagnostic.code)}`);
        check(document.getText(diagnostic.range) === 'Never', `range covers ${JSON.stringify(document.getText(diagnostic.range))}`);
        const actions = await vscode.commands.executeCommand<vscodeApi.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          uri,
          diagnostic.range,
          vscode.CodeActionKind.QuickFix.value,
        );
        const preferred = actions.find((action) => action.isPreferred);
        check(preferred?.edit, `no preferred quick fix among ${JSON.stringify(actions.map((a) => a.title))}`);
      },
    ],
    [
      'a proved finding appears as a diagnostic with its code, rule link and trace',
      async () => {
        if (!analyses.includes('c')) return `the server reports no C analysis (analyses: ${analyses.join(', ')})`;
        check(folder, 'no workspace folder open');
        const uri = vscode.Uri.joinPath(folder, 'ready_flag.c');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
        const diagnostic = await waitFor('a wakeaudit diagnostic in ready_flag.c', () =>
          vscode.languages.getDiagnostics(uri).find((d) => d.source === 'wakeaudit'),
        );
        const code = diagnostic.code as { value: string; target: vscodeApi.Uri };
        check(code.value === 'waitqueue-active-no-barrier', `unexpected code ${JSON.stringify(diagnostic.code)}`);
        check(code.target.path.endsWith('dist/rules/waitqueue-active-no-barrier.md'), `rule link ${code.target.toString()}`);
        check(diagnostic.severity === vscode.DiagnosticSeverity.Warning, `severity ${diagnostic.severity}`);
        check((diagnostic.relatedInformation?.length ?? 0) > 0, 'no trace steps in relatedInformation');
      },
    ],
    [
      'the simulate command answers a litmus file with a verdict and one lane per thread',
      async () => {
        check(folder, 'no workspace folder open');
        const uri = vscode.Uri.joinPath(folder, 'SB.litmus');
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
        const trace = (await vscode.commands.executeCommand('wakeaudit.simulate')) as
          { verdict: string; threads: string[]; steps: { thread: string }[] } | undefined;
        check(trace, 'simulate returned nothing');
        check(trace.verdict === 'violated', `verdict ${trace.verdict}`);
        check(JSON.stringify(trace.threads) === '["P0","P1"]', `threads ${JSON.stringify(trace.threads)}`);
        check(
          trace.steps.every((step) => trace.threads.includes(step.thread)),
          'a step on an unknown thread',
        );
      },
    ],
  ];

  for (const [name, body] of cases) {
    const started = Date.now();
    try {
      const skipped = await body();
      results.push({ name, ok: true, ...(skipped ? { skipped } : {}), milliseconds: Date.now() - started });
    } catch (error) {
      results.push({ name, ok: false, error: error instanceof Error ? error.message : String(error), milliseconds: Date.now() - started });
    }
  }
  const resultFile = process.env.WAKEAUDIT_HOST_RESULT;
  if (resultFile) writeFileSync(resultFile, JSON.stringify({ results }, null, 2));
  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) throw new Error(failed.map((f) => `${f.name}: ${f.error}`).join('\n'));
}

/** Where this suite's compiled module is, for extensionTestsPath. */
export const suitePath = path.join(__dirname, 'suite.js');
