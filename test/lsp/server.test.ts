// Protocol tests: the bundled server (dist/server.js --stdio) driven by a real LSP client
// library, the way an editor drives it.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeAction,
  CodeActionRequest,
  Diagnostic,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  Hover,
  HoverRequest,
  MarkupContent,
  TextDocumentSyncKind,
  TextEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TestClient, fixtureUri, fixturesDir, startServer } from './lspClient';

const FLAGGED_CODE = 'waitqueue-active-no-barrier';

function fixtureText(name: string): string {
  return readFileSync(path.join(fixturesDir, name), 'utf8');
}

async function open(client: TestClient, name: string, text = fixtureText(name)): Promise<string> {
  const uri = fixtureUri(name);
  await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'c', version: 1, text } });
  return uri;
}

/** The kinds of input the server analyses, from its initialize result. */
function analysesOf(client: TestClient): string[] {
  const experimental = client.initializeResult.capabilities.experimental as { wakeaudit?: { analyses?: string[] } } | undefined;
  return experimental?.wakeaudit?.analyses ?? [];
}

function ours(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.source === 'wakeaudit');
}

describe('language server over stdio', () => {
  let client: TestClient;

  before(async () => {
    client = await startServer({ workspaceFolder: fixturesDir, settings: { showUnknown: false } });
  });

  after(async () => {
    await client.stop();
  });

  /** C findings need the C analysis; a build without it says so and these tests skip, saying why. */
  function skipWithoutC(t: { skip(message: string): void }): boolean {
    if (analysesOf(client).includes('c')) return false;
    t.skip(`the server reports no C analysis (analyses: ${analysesOf(client).join(', ')}): server/src/analysis has no entry point yet`);
    return true;
  }

  test('reports what it analyses; without the C analysis, simulating C is refused with the reason', async () => {
    const analyses = analysesOf(client);
    assert.ok(analyses.includes('litmus'), JSON.stringify(analyses));
    if (analyses.includes('c')) return;
    await assert.rejects(
      client.connection.sendRequest(ExecuteCommandRequest.type, {
        command: 'wakeaudit.simulate',
        arguments: [{ text: fixtureText('ready_flag.c'), language: 'c' }],
      }),
      /no C analysis/,
    );
  });

  test('initialize: incremental sync, quick fixes, the simulate and showTrace commands', () => {
    const capabilities = client.initializeResult.capabilities;
    const sync = capabilities.textDocumentSync;
    assert.equal(typeof sync === 'object' ? sync.change : sync, TextDocumentSyncKind.Incremental);
    assert.deepEqual(capabilities.codeActionProvider, { codeActionKinds: ['quickfix'] });
    assert.ok(capabilities.executeCommandProvider?.commands.includes('wakeaudit.simulate'));
    assert.ok(capabilities.executeCommandProvider?.commands.includes('wakeaudit.showTrace'));
  });

  test('indexes the workspace folder in the background with work-done progress', async () => {
    const deadline = Date.now() + 20_000;
    while (!client.progress.some((p) => p.value.kind === 'end') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const kinds = client.progress.map((p) => p.value.kind);
    assert.equal(kinds[0], 'begin');
    assert.ok(kinds.includes('end'), `progress ${JSON.stringify(client.progress)}`);
    const stats = (await client.connection.sendRequest('wakeaudit/stats')) as { files: number };
    assert.equal(stats.files, 3, 'the three fixture .c files are indexed');
  });

  test('odd input neither crashes the server nor stops it answering', async () => {
    await open(client, 'odd_input.c');
    await open(client, 'binary.c', '\u0000\uffff{{{{((((' + '/*'.repeat(500));
    const result = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: fixtureUri('odd_input.c') },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    });
    assert.ok(Array.isArray(result));
    assert.equal(client.process.exitCode, null);
  });

  test('a proved finding: diagnostic with code, rule link, severity and the trace as related information', async (t) => {
    if (skipWithoutC(t)) return;
    const uri = await open(client, 'ready_flag.c');
    const [diagnostic] = ours(await client.waitForDiagnostics(uri, (d) => ours(d).length > 0));
    assert.equal(diagnostic.code, FLAGGED_CODE);
    assert.equal(diagnostic.severity, 2 /* Warning */);
    const flaggedLine = fixtureText('ready_flag.c')
      .split('\n')
      .findIndex((line) => line.includes(`expect: ${FLAGGED_CODE}`));
    assert.equal(diagnostic.range.start.line, flaggedLine);
    const href = diagnostic.codeDescription?.href ?? '';
    assert.ok(href.startsWith('file:') && fileURLToPath(href).endsWith(path.join('dist', 'rules', `${FLAGGED_CODE}.md`)), href);
    const related = diagnostic.relatedInformation ?? [];
    assert.ok(related.length >= 2, `trace steps: ${JSON.stringify(related)}`);
    // The whole message first (the list shows its one-line form), then one entry per step.
    assert.ok(related[0].message.startsWith(diagnostic.message.replace(/\. Proved: .*$/, '')), related[0].message);
    assert.match(related[0].message, /Proved: lost wakeup: /);
    for (const info of related.slice(1)) assert.match(info.message, /^step \d+: [^:]+: .+/);
  });

  test('the preferred quick fix removes the diagnostic once applied', async (t) => {
    if (skipWithoutC(t)) return;
    const uri = fixtureUri('ready_flag.c');
    const [diagnostic] = ours(client.diagnostics.get(uri) ?? []);
    assert.ok(diagnostic, 'diagnostic from the previous test');
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], only: ['quickfix'] },
    })) as CodeAction[];
    const preferred = actions.find((a) => a.isPreferred);
    assert.ok(preferred, `actions: ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.equal(preferred.kind, 'quickfix');
    const edits = preferred.edit?.changes?.[uri] ?? [];
    assert.ok(edits.length > 0, 'the fix edits this file');

    const before = TextDocument.create(uri, 'c', 1, fixtureText('ready_flag.c'));
    const fixedText = TextDocument.applyEdits(before, edits as TextEdit[]);
    assert.notEqual(fixedText, before.getText());
    // Send the fix as incremental changes, last edit first so earlier ranges stay valid.
    const sorted = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: sorted.map((edit) => ({ range: edit.range, text: edit.newText })),
    });
    await client.waitForDiagnostics(uri, (d) => ours(d).length === 0);
  });

  test('the fixed form of the same code has no finding', async (t) => {
    if (skipWithoutC(t)) return;
    const idle = client.nextIdle();
    const uri = await open(client, 'ready_flag_fixed.c');
    await idle;
    assert.deepEqual(ours(client.diagnostics.get(uri) ?? []), []);
  });

  test('an edit in another file re-proves nothing that did not change', async () => {
    // A document of its own (not on disk) holding a test LKMM contradicts: its proof is a full
    // candidate enumeration, so a re-proof would show in the counters.
    const probe = fixtureUri('cache-probe.litmus');
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: probe, languageId: 'litmus', version: 1, text: fixtureText('MP-wrong-result.litmus') },
    });
    await client.waitForDiagnostics(probe, (d) => ours(d).length > 0);
    await client.nextIdle().catch(() => undefined);
    const before = (await client.connection.sendRequest('wakeaudit/stats')) as { analysesRun: number; cacheHits: number };
    const idle = client.nextIdle();
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: fixtureUri('odd_input.c'), version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '/* edited */\n' }],
    });
    await idle;
    const afterEdit = (await client.connection.sendRequest('wakeaudit/stats')) as { analysesRun: number; cacheHits: number };
    assert.equal(afterEdit.analysesRun - before.analysesRun, 1, 'only the edited file was analysed again');
    assert.ok(afterEdit.cacheHits > before.cacheHits, 'the other files came from the cache');
    assert.equal(ours(client.diagnostics.get(probe) ?? []).length, 1, 'the finding elsewhere is still shown');
  });

  test('simulate a document range: verdict and a trace on at least two threads', async (t) => {
    if (skipWithoutC(t)) return;
    const uri = fixtureUri('ready_flag.c');
    // The quick-fix test above fixed the open document: put the original text back.
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 3 },
      contentChanges: [{ text: fixtureText('ready_flag.c') }],
    });
    const trace = (await client.connection.sendRequest(ExecuteCommandRequest.type, {
      command: 'wakeaudit.simulate',
      arguments: [{ uri, language: 'c' }],
    })) as { verdict: string; threads: string[]; steps: { thread: string; uri?: string }[] };
    assert.equal(trace.verdict, 'violated');
    assert.ok(trace.threads.length >= 2, JSON.stringify(trace.threads));
    assert.ok(
      trace.steps.some((step) => step.uri === uri),
      'steps point into the document',
    );
  });

  test('simulate a snippet given as text', async (t) => {
    if (skipWithoutC(t)) return;
    const trace = (await client.connection.sendRequest(ExecuteCommandRequest.type, {
      command: 'wakeaudit.simulate',
      arguments: [{ text: fixtureText('ready_flag.c'), language: 'c' }],
    })) as { verdict: string; threads: string[] };
    assert.equal(trace.verdict, 'violated');
    assert.ok(trace.threads.length >= 2);
  });

  test('simulate a litmus file: LKMM verdict, one lane per litmus thread', async () => {
    for (const [name, verdict] of [
      ['SB.litmus', 'violated'],
      ['SB+mbs.litmus', 'safe'],
    ] as const) {
      const uri = fixtureUri(name);
      await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'litmus', version: 1, text: fixtureText(name) },
      });
      const trace = (await client.connection.sendRequest(ExecuteCommandRequest.type, {
        command: 'wakeaudit.simulate',
        arguments: [{ uri }],
      })) as { verdict: string; threads: string[]; steps: { thread: string; uri?: string; range?: { start: { line: number } } }[]; message: string };
      assert.equal(trace.verdict, verdict, `${name}: ${trace.message}`);
      assert.deepEqual(trace.threads, ['P0', 'P1']);
      const lines = fixtureText(name).split('\n');
      for (const step of trace.steps) {
        assert.equal(step.uri, uri);
        assert.ok(lines[step.range?.start.line ?? -1]?.includes(';'), 'each step links to a statement line');
      }
    }
  });

  test('a litmus test whose Result line LKMM contradicts: diagnostic, verified quick fix, diagnostic gone', async () => {
    const name = 'MP-wrong-result.litmus';
    const uri = fixtureUri(name);
    const text = fixtureText(name);
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'litmus', version: 1, text } });
    const [diagnostic] = ours(await client.waitForDiagnostics(uri, (d) => ours(d).length > 0));
    assert.equal(diagnostic.code, 'litmus-result-mismatch');
    assert.equal(diagnostic.severity, 2);
    const resultLine = text.split('\n').findIndex((line) => line.includes('Result: Never'));
    assert.equal(diagnostic.range.start.line, resultLine);
    assert.match(diagnostic.message, /answers Sometimes/);
    // After the whole message (the list shows its first sentence), the steps.
    const step = (diagnostic.relatedInformation ?? []).find((r) => r.message.startsWith('step '));
    assert.match(step?.message ?? '', /^step 1: LKMM: allowed final states: .*1:r0=1; 1:r1=0;/);

    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    assert.deepEqual(
      actions.map((a) => [a.title, a.isPreferred]),
      [['Set "Result: Sometimes"', true]],
    );
    const edits = actions[0].edit?.changes?.[uri] ?? [];
    const fixed = TextDocument.applyEdits(TextDocument.create(uri, 'litmus', 1, text), edits as TextEdit[]);
    assert.ok(fixed.includes('Result: Sometimes') && !fixed.includes('Result: Never'));
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: edits.map((edit) => ({ range: edit.range, text: edit.newText })),
    });
    await client.waitForDiagnostics(uri, (d) => ours(d).length === 0);
  });

  test('show trace for the diagnostic at a position', async () => {
    const uri = fixtureUri('cache-probe.litmus');
    const [diagnostic] = ours(client.diagnostics.get(uri) ?? []);
    assert.ok(diagnostic, 'the probe from the cache test still has its finding');
    const trace = (await client.connection.sendRequest(ExecuteCommandRequest.type, {
      command: 'wakeaudit.showTrace',
      arguments: [{ uri, position: diagnostic.range.start }],
    })) as { code: string; verdict: string; threads: string[]; steps: { uri?: string }[] };
    assert.equal(trace.code, 'litmus-result-mismatch');
    assert.equal(trace.verdict, 'violated');
    assert.deepEqual(trace.threads, ['LKMM']);
    assert.equal(trace.steps[0]?.uri, uri);
    await assert.rejects(
      client.connection.sendRequest(ExecuteCommandRequest.type, { command: 'wakeaudit.showTrace', arguments: [{ uri, position: { line: 0, character: 0 } }] }),
      /no wakeaudit finding at this position/,
    );
  });

  test('a C finding: hover with the whole message and the schedule; its trace carries the sequence diagram', async (t) => {
    if (skipWithoutC(t)) return;
    // ready_flag.c's text under another name: the quick-fix test above edited the original.
    const uri = await open(client, 'diagram-probe.c', fixtureText('ready_flag.c'));
    const [diagnostic] = ours(await client.waitForDiagnostics(uri, (d) => ours(d).length > 0));
    assert.match(diagnostic.message, /Proved: lost wakeup$/);
    const hover = (await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: diagnostic.range.start })) as Hover | null;
    const markdown = (hover?.contents as MarkupContent | undefined)?.value ?? '';
    assert.match(markdown, /^\*\*waitqueue-active-no-barrier\*\* \(violated\): .*Proved: lost wakeup: /);
    assert.match(markdown, /^1\. `waker` /m);
    assert.equal(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } }), null);
    const trace = (await client.connection.sendRequest(ExecuteCommandRequest.type, {
      command: 'wakeaudit.showTrace',
      arguments: [{ uri, position: diagnostic.range.start }],
    })) as {
      threads: string[];
      steps: unknown[];
      svg?: string;
    };
    const svg = trace.svg ?? '';
    assert.equal((svg.match(/<g class="column"/g) ?? []).length, trace.threads.length);
    assert.equal((svg.match(/<g class="step[ "]/g) ?? []).length, trace.steps.length);
    assert.equal((svg.match(/<g class="step stale-read"/g) ?? []).length, 1);
    assert.equal((svg.match(/<g class="arrow missed"/g) ?? []).length, 1);
    // Labels are the editor's C text.
    assert.match(svg, /> WRITE_ONCE\(dev-&gt;ready, 1\);<\/text>/);
  });

  test('a rule turned off in the settings disappears, and comes back', async () => {
    const uri = fixtureUri('cache-probe.litmus');
    client.settings = { rules: { 'litmus-result-mismatch': false } };
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    await client.waitForDiagnostics(uri, (d) => ours(d).length === 0);
    client.settings = {};
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    await client.waitForDiagnostics(uri, (d) => ours(d).length > 0);
  });

  test('closing a file the workspace index does not cover clears its diagnostics', async () => {
    // On disk under the workspace folder, but not matched by the include globs (*.c, *.h).
    const name = 'SB-wrong-result.litmus';
    const uri = fixtureUri(name);
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'litmus', version: 1, text: fixtureText(name) },
    });
    await client.waitForDiagnostics(uri, (d) => ours(d).length === 1);
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
    await client.waitForDiagnostics(uri, (d) => d.length === 0);
  });

  test('unknown commands are refused with an error, not a crash', async () => {
    await assert.rejects(client.connection.sendRequest(ExecuteCommandRequest.type, { command: 'wakeaudit.nope', arguments: [] }));
    await assert.rejects(client.connection.sendRequest(ExecuteCommandRequest.type, { command: 'wakeaudit.simulate', arguments: [42] }));
    assert.equal(client.process.exitCode, null);
  });
});

describe('language server for the VS Code client', () => {
  test('does not advertise the commands the client registers itself', async () => {
    const client = await startServer({ initializationOptions: { clientRegistersCommands: true } });
    try {
      assert.deepEqual(client.initializeResult.capabilities.executeCommandProvider?.commands, []);
    } finally {
      await client.stop();
    }
  });
});
