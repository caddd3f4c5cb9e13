// A real LSP client for the protocol tests: spawns the bundled server (dist/server.js --stdio)
// and talks to it with vscode-languageserver-protocol's node API, as any editor would.
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ClientCapabilities,
  ConfigurationRequest,
  createProtocolConnection,
  Diagnostic,
  InitializeRequest,
  InitializeResult,
  InitializedNotification,
  LogMessageNotification,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const serverBundle = path.join(repoRoot, 'dist', 'server.js');
export const fixturesDir = path.join(repoRoot, 'test', 'lsp', 'fixtures');

export function fixtureUri(name: string): string {
  return pathToFileURL(path.join(fixturesDir, name)).href;
}

export interface StatusParams {
  state: 'starting' | 'indexing' | 'analysing' | 'idle';
  files: number;
  findings: number;
}

export interface TestClient {
  connection: ProtocolConnection;
  process: ChildProcess;
  initializeResult: InitializeResult;
  /** Latest diagnostics per URI. */
  diagnostics: Map<string, Diagnostic[]>;
  /** Every $/progress value seen, in order. */
  progress: { token: string | number; value: { kind: string; title?: string; message?: string; percentage?: number } }[];
  logs: string[];
  /** The last `wakeaudit/status` the server sent. */
  lastStatus?: StatusParams;
  /** The `wakeaudit` settings section the client answers workspace/configuration with. */
  settings: Record<string, unknown>;
  waitForDiagnostics(uri: string, predicate: (diagnostics: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]>;
  /** Resolves at the next `wakeaudit/status` notification with state idle. */
  nextIdle(timeoutMs?: number): Promise<StatusParams>;
  stop(): Promise<void>;
}

export async function startServer(
  options: { workspaceFolder?: string; settings?: Record<string, unknown>; initializationOptions?: unknown } = {},
): Promise<TestClient> {
  const child = spawn(process.execPath, [serverBundle, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const diagnostics = new Map<string, Diagnostic[]>();
  const diagnosticListeners: (() => void)[] = [];
  const idleListeners: ((status: StatusParams) => void)[] = [];
  const client: Omit<TestClient, 'initializeResult'> & { initializeResult?: InitializeResult } = {
    connection,
    process: child,
    diagnostics,
    progress: [],
    logs: [],
    settings: options.settings ?? {},
    async waitForDiagnostics(uri, predicate, timeoutMs = 20_000) {
      const current = diagnostics.get(uri);
      if (current && predicate(current)) return current;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching diagnostics for ${uri} within ${timeoutMs} ms; last: ${JSON.stringify(diagnostics.get(uri))}\nserver log:\n${client.logs.join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        const listener = () => {
          const now = diagnostics.get(uri);
          if (now && predicate(now)) {
            clearTimeout(timer);
            diagnosticListeners.splice(diagnosticListeners.indexOf(listener), 1);
            resolve(now);
          }
        };
        diagnosticListeners.push(listener);
      });
    },
    nextIdle(timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server not idle within ${timeoutMs} ms`)), timeoutMs);
        idleListeners.push((status) => {
          clearTimeout(timer);
          resolve(status);
        });
      });
    },
    async stop() {
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      connection.dispose();
      if (child.exitCode === null) {
        await Promise.race([new Promise((resolve) => child.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 2000))]);
        if (child.exitCode === null) child.kill();
      }
    },
  };
  connection.onNotification(PublishDiagnosticsNotification.type, (params: PublishDiagnosticsParams) => {
    diagnostics.set(params.uri, params.diagnostics);
    for (const listener of [...diagnosticListeners]) listener();
  });
  connection.onNotification('wakeaudit/status', (status: StatusParams) => {
    client.lastStatus = status;
    if (status.state !== 'idle') return;
    for (const listener of idleListeners.splice(0)) listener(status);
  });
  connection.onNotification(LogMessageNotification.type, (params) => client.logs.push(params.message));
  connection.onRequest(ConfigurationRequest.type, (params) => params.items.map((item) => (item.section === 'wakeaudit' ? client.settings : null)));
  // The server asks for a progress token, then reports on it: listen on every token it creates.
  connection.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
    connection.onProgress(WorkDoneProgress.type, params.token, (value) => client.progress.push({ token: params.token, value }));
    return null;
  });
  connection.listen();

  const capabilities: ClientCapabilities = {
    workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: true } },
    window: { workDoneProgress: true },
    textDocument: {
      synchronization: { dynamicRegistration: false },
      publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true },
      codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } }, isPreferredSupport: true, dataSupport: true },
    },
  };
  const folder = options.workspaceFolder;
  client.initializeResult = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: folder ? pathToFileURL(folder).href : null,
    workspaceFolders: folder ? [{ uri: pathToFileURL(folder).href, name: path.basename(folder) }] : null,
    capabilities,
    initializationOptions: options.initializationOptions,
  });
  await connection.sendNotification(InitializedNotification.type, {});
  return client as TestClient;
}
