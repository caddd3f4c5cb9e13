// The extension client: starts the language server, forwards commands to it and shows what it
// returns. All analysis lives in the server (see README "Architecture"); nothing here reads or
// runs workspace code, which is why untrusted workspaces are supported.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import {
  SERVER_COMMAND_REINDEX,
  SERVER_COMMAND_SHOW_TRACE,
  SERVER_COMMAND_SIMULATE,
  STATUS_NOTIFICATION,
  ShowTraceArguments,
  SimulateArguments,
  StatusParams,
  TraceResult,
} from './protocol';
import { MAX_RESTARTS, ReportingErrorHandler } from './restart';
import { TracePanel } from './traceView';

let client: LanguageClient | undefined;

/** What the extension offers to its tests (and other extensions): the running client and the last trace. */
export interface WakeauditApi {
  client: LanguageClient;
  lastTrace(): TraceResult | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<WakeauditApi> {
  const output = vscode.window.createOutputChannel('wakeaudit');
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'untitled', language: 'c' },
      // VS Code gives .h files the C++ language id; kernel headers are C.
      { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
      { scheme: 'file', language: 'litmus' },
      { scheme: 'file', language: 'wakeaudit-program' },
    ],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{c,h}') },
    outputChannel: output,
    // The palette commands below have the server commands' names; the server then does not
    // advertise them, so the client library does not register them a second time.
    initializationOptions: { clientRegistersCommands: true },
    // A crashed server is restarted by the library's own policy (DefaultErrorHandler: up to
    // MAX_RESTARTS times in 3 minutes); the wrapper says so to the user each time.
    errorHandler: new ReportingErrorHandler(() => languageClient.createDefaultErrorHandler(MAX_RESTARTS), {
      restarting: (message) => {
        output.appendLine(message);
        status.text = '$(sync~spin) wakeaudit: restarting';
        void vscode.window.showWarningMessage(message);
      },
      gaveUp: (message) => {
        output.appendLine(message);
        status.text = '$(error) wakeaudit: stopped';
        status.tooltip = message;
        void vscode.window.showErrorMessage(message, 'Show output').then((choice) => {
          if (choice) output.show(true);
        });
      },
    }),
    connectionOptions: { maxRestartCount: MAX_RESTARTS },
  };
  const status = vscode.window.createStatusBarItem('wakeaudit.status', vscode.StatusBarAlignment.Left, 10);
  const languageClient = new LanguageClient('wakeaudit', 'wakeaudit', serverOptions, clientOptions);
  client = languageClient;

  status.name = 'wakeaudit';
  status.text = '$(sync~spin) wakeaudit';
  status.tooltip = 'wakeaudit: starting the language server';
  status.command = 'workbench.actions.view.problems';
  status.show();

  const tracePanel = new TracePanel(output);
  let lastTrace: TraceResult | undefined;
  const showTrace = (trace: TraceResult) => {
    lastTrace = trace;
    output.appendLine(`${trace.title}: ${trace.verdict}, ${trace.steps.length} steps on ${trace.threads.length} threads`);
    tracePanel.show(trace);
  };

  const runServerCommand = async <T>(command: string, argument: unknown): Promise<T> =>
    (await languageClient.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] })) as T;

  context.subscriptions.push(
    output,
    status,
    tracePanel,
    vscode.commands.registerCommand('wakeaudit.simulate', async (argument?: SimulateArguments) => {
      const request = argument ?? simulateArgumentsFromEditor();
      if (!request) {
        void vscode.window.showInformationMessage('wakeaudit: open a C, .litmus or .wake file (or select a snippet) to simulate.');
        return undefined;
      }
      try {
        const trace = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'wakeaudit: simulating', cancellable: false },
          () => runServerCommand<TraceResult>(SERVER_COMMAND_SIMULATE, request),
        );
        showTrace(trace);
        return trace;
      } catch (error) {
        reportError(output, 'simulate', error);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('wakeaudit.showTrace', async (argument?: ShowTraceArguments) => {
      const editor = vscode.window.activeTextEditor;
      const request: ShowTraceArguments | undefined =
        argument ?? (editor ? { uri: editor.document.uri.toString(), position: toLspPosition(editor.selection.active) } : undefined);
      if (!request) return undefined;
      try {
        const trace = await runServerCommand<TraceResult>(SERVER_COMMAND_SHOW_TRACE, request);
        showTrace(trace);
        return trace;
      } catch (error) {
        reportError(output, 'show trace', error);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('wakeaudit.reindex', async () => {
      try {
        return await runServerCommand<{ files: number }>(SERVER_COMMAND_REINDEX, {});
      } catch (error) {
        reportError(output, 're-index', error);
        return undefined;
      }
    }),
  );

  languageClient.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => updateStatus(status, params));
  await languageClient.start();
  const experimental = languageClient.initializeResult?.capabilities.experimental as { wakeaudit?: { analyses?: string[] } } | undefined;
  const analyses = experimental?.wakeaudit?.analyses ?? [];
  output.appendLine(`wakeaudit language server started (${serverModule}); it analyses: ${analyses.join(', ') || 'nothing'}`);
  return { client: languageClient, lastTrace: () => lastTrace };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

function toLspPosition(position: vscode.Position): { line: number; character: number } {
  return { line: position.line, character: position.character };
}

/**
 * What to simulate, from the active editor: the selection; else the cursor (the server widens
 * it to the enclosing function); a .litmus/.wake file is always simulated whole.
 */
function simulateArgumentsFromEditor(): SimulateArguments | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const { document, selection } = editor;
  const uri = document.uri.toString();
  if (document.languageId === 'litmus' || document.languageId === 'wakeaudit-program') {
    return { uri, language: document.languageId };
  }
  if (document.languageId !== 'c') return undefined;
  const range = { start: toLspPosition(selection.start), end: toLspPosition(selection.end) };
  return { uri, language: 'c', range };
}

function updateStatus(item: vscode.StatusBarItem, params: StatusParams): void {
  const count = `${params.findings} finding${params.findings === 1 ? '' : 's'}`;
  switch (params.state) {
    case 'indexing':
      item.text = `$(sync~spin) wakeaudit: indexing${params.total ? ` ${params.done ?? 0}/${params.total}` : ''}`;
      break;
    case 'analysing':
      item.text = `$(sync~spin) wakeaudit: ${count}`;
      break;
    case 'starting':
      item.text = '$(sync~spin) wakeaudit';
      break;
    case 'idle':
      item.text = `$(${params.findings > 0 ? 'warning' : 'check'}) wakeaudit: ${count}`;
      break;
  }
  item.tooltip = `wakeaudit: ${params.state}, ${params.files} files indexed, ${count} proved. Click for the Problems view.`;
}

function reportError(output: vscode.OutputChannel, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  output.appendLine(`${what} failed: ${message}`);
  void vscode.window.showErrorMessage(`wakeaudit: ${what} failed: ${message}`);
}
