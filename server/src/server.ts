// LSP wiring only: documents in, diagnostics and code actions out. The behaviour is in
// ./lsp/session.ts, the analysis behind ./lsp/analysisAdapter.ts. vscode-languageserver picks
// the transport from argv: --stdio (any LSP client), --node-ipc (the VS Code extension), --socket.
// The same bundle, started as a worker thread, is the simulator worker (./lsp/simulatorWorker.ts)
// or a litmus check worker (./lsp/litmusWorker.ts).
import * as path from 'node:path';
import { format } from 'node:util';
import { Connection, createConnection, ProposedFeatures, StreamMessageWriter, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createCAnalyzer } from './lsp/analysisAdapter';
import { ResyncingStreamReader } from './lsp/framing';
import { AnalyzerByFileKind, checkLitmusText, LitmusAnalyzer } from './lsp/litmusAnalyzer';
import { isLitmusWorker, runLitmusWorker } from './lsp/litmusWorker';
import { Session } from './lsp/session';
import { isSimulatorWorker, runSimulatorWorker, WorkerSimulator } from './lsp/simulatorWorker';

/**
 * --stdio gets our own reader (./lsp/framing.ts: a malformed frame is dropped, not the rest of
 * the stream); other transports are the library's. With explicit streams the library neither
 * exits when stdin ends nor keeps console output off stdout: both are done here.
 */
function connect(shutdownReceived: () => boolean): Connection {
  if (!process.argv.includes('--stdio')) return createConnection(ProposedFeatures.all);
  const reader = new ResyncingStreamReader(process.stdin, (message) => process.stderr.write(`[wakeaudit] ${message}\n`));
  const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(process.stdout));
  const exit = () => process.exit(shutdownReceived() ? 0 : 1);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    console[level] = (...args: unknown[]) => connection.console[level === 'debug' ? 'log' : level](format(...args));
  }
  return connection;
}

function startServer(): void {
  let session: Session | undefined;
  const connection = connect(() => session?.shutdownReceived === true);
  const documents = new TextDocuments(TextDocument);

  // The bundle lives in <extension>/dist/server.js; the rule pages in <extension>/dist/rules/.
  const extensionRoot = path.resolve(__dirname, '..');

  // Litmus checks run on worker threads of their own, ended by cancellation or timeoutMs.
  const analyzer = new AnalyzerByFileKind(createCAnalyzer(), new LitmusAnalyzer(__filename));
  session = new Session(connection, documents, {
    analyzer,
    analyses: analyzer.analyses,
    createScratchAnalyzer: () => new AnalyzerByFileKind(createCAnalyzer(), new LitmusAnalyzer(__filename)),
    // Simulations run on a worker thread: the server keeps answering (and cancelling) meanwhile.
    simulator: new WorkerSimulator(__filename, (message) => connection.console.log(`[wakeaudit] ${message}`)),
    extensionRoot,
  });

  // Whatever goes wrong in a handler is logged; the server keeps serving the other documents.
  process.on('uncaughtException', (error) => connection.console.error(`[wakeaudit] uncaught: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (reason) => connection.console.error(`[wakeaudit] unhandled rejection: ${String(reason)}`));

  session.listen();
  documents.listen(connection);
  connection.listen();
}

if (isSimulatorWorker()) runSimulatorWorker();
else if (isLitmusWorker()) runLitmusWorker(checkLitmusText);
else startServer();
