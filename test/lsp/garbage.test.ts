// Robustness of the transport: the bundled server fed malformed JSON-RPC (bad headers, bodies
// that are not JSON, unknown methods, parameters of the wrong type, notifications for documents
// never opened, binary text) must keep serving; and it must exit cleanly when its client goes away.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { StreamMessageReader } from 'vscode-languageserver-protocol/node';
import { serverBundle } from './lspClient';

interface RawServer {
  child: ChildProcess;
  stderr: string[];
  /** Writes one frame: the header (a correct one unless given) and the body as is. */
  send(body: string | Buffer, header?: string): void;
  /** Sends a request and resolves with its response message. */
  request(method: string, params: unknown, timeoutMs?: number): Promise<{ result?: unknown; error?: { code: number; message: string } }>;
  notify(method: string, params: unknown): void;
  responses: Map<number | string, unknown>;
  logs: string[];
}

function startRaw(): RawServer {
  const child = spawn(process.execPath, [serverBundle, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const reader = new StreamMessageReader(child.stdout!);
  const responses = new Map<number | string, unknown>();
  const waiters = new Map<number | string, (message: unknown) => void>();
  const logs: string[] = [];
  reader.listen((message) => {
    const m = message as { id?: number | string; method?: string; params?: { message?: string } };
    if (m.method === 'window/logMessage' && m.params?.message) logs.push(m.params.message);
    // Requests from the server (configuration, progress) get an empty answer.
    if (m.method !== undefined && m.id !== undefined)
      server.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: m.method === 'workspace/configuration' ? [{}] : null }));
    if (m.method === undefined && m.id !== undefined) {
      responses.set(m.id, m);
      waiters.get(m.id)?.(m);
    }
  });
  let nextId = 1000;
  const server: RawServer = {
    child,
    stderr,
    responses,
    logs,
    send(body, header) {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      child.stdin!.write(header ?? `Content-Length: ${bytes.length}\r\n\r\n`);
      child.stdin!.write(bytes);
    },
    request(method, params, timeoutMs = 10_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no answer to ${method} within ${timeoutMs} ms; stderr: ${stderr.join('')}; log: ${logs.join('\n')}`)),
          timeoutMs,
        );
        waiters.set(id, (message) => {
          clearTimeout(timer);
          resolve(message as { result?: unknown; error?: { code: number; message: string } });
        });
        server.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      });
    },
    notify(method, params) {
      server.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
    },
  };
  return server;
}

async function initialize(server: RawServer): Promise<void> {
  const answer = await server.request('initialize', { processId: process.pid, rootUri: null, workspaceFolders: null, capabilities: {} });
  assert.ok(answer.result, JSON.stringify(answer));
  server.notify('initialized', {});
}

function exited(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null } | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x1b, 0x5b, 0x32, 0x4a, 0x7f]).toString('latin1');

test('malformed JSON-RPC: the server stays up and still answers a valid request', async () => {
  const server = startRaw();
  try {
    await initialize(server);
    const uri = 'file:///tmp/wakeaudit-garbage/a.c';
    // Bodies that are not JSON-RPC at all.
    server.send('{"jsonrpc": "2.0", "id": 1, "method": ');
    server.send('this is not json');
    server.send('[1, 2, 3]');
    server.send('null');
    server.send('{"jsonrpc":"2.0","id":{"nested":true},"method":"initialize"}');
    server.send(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]));
    // Unknown methods: a request is answered MethodNotFound, a notification ignored.
    const unknown = await server.request('wakeaudit/noSuchMethod', { x: 1 });
    assert.equal(unknown.error?.code, -32601, JSON.stringify(unknown));
    server.notify('wakeaudit/noSuchNotification', [1, 2]);
    server.notify('$/noSuchProtocolNotification', null);
    // Parameters of the wrong type.
    server.notify('textDocument/didOpen', { textDocument: 5 });
    server.notify('textDocument/didOpen', null);
    server.notify('textDocument/didOpen', { textDocument: { uri: 42, languageId: [], version: 'x', text: { not: 'text' } } });
    server.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: 'oops' });
    server.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: 17, type: 'x' }] });
    server.notify('workspace/didChangeConfiguration', 'not an object');
    const wrongParams = [
      await server.request('textDocument/codeAction', null),
      await server.request('textDocument/codeAction', { textDocument: { uri }, range: 'everything', context: 3 }),
      await server.request('workspace/executeCommand', { command: 'wakeaudit.simulate', arguments: 'not a list' }),
      await server.request('workspace/executeCommand', { command: 'wakeaudit.simulate', arguments: [{ text: 42, language: 'wakeaudit-program' }] }),
      await server.request('workspace/executeCommand', { command: 'wakeaudit.simulate', arguments: [{ uri: 'file:///nonexistent/x.wake' }] }),
      await server.request('workspace/executeCommand', { command: 'wakeaudit.showTrace', arguments: [{ uri: 7 }] }),
      await server.request('workspace/executeCommand', { command: 42 }),
    ];
    // Each is answered (a result or an error), none kills the server.
    for (const answer of wrongParams) assert.ok('result' in answer || 'error' in answer, JSON.stringify(answer));
    // Notifications for documents never opened.
    server.notify('textDocument/didChange', { textDocument: { uri: 'file:///never/opened.c', version: 2 }, contentChanges: [{ text: 'int x;' }] });
    server.notify('textDocument/didClose', { textDocument: { uri: 'file:///never/opened.c' } });
    server.notify('textDocument/didSave', { textDocument: { uri: 'file:///never/opened.c' } });
    // Binary text in a document, opened twice, changed and closed.
    server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: BINARY.repeat(200) } });
    server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text: `void f(void) { ${BINARY} wake_up(&q); }` } });
    server.notify('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 9999, character: 0 }, end: { line: -1, character: -5 } }, text: BINARY }],
    });
    server.notify('textDocument/didOpen', { textDocument: { uri: 'file:///tmp/wakeaudit-garbage/b.litmus', languageId: 'litmus', version: 1, text: BINARY } });
    server.notify('textDocument/didClose', { textDocument: { uri } });
    // Still alive, still answering.
    const stats = await server.request('wakeaudit/stats', null);
    assert.ok(stats.result, JSON.stringify(stats));
    const trace = await server.request('workspace/executeCommand', {
      command: 'wakeaudit.simulate',
      arguments: [{ text: 'C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\nexists (x=1)\n', language: 'litmus' }],
    });
    assert.equal((trace.result as { verdict?: string } | undefined)?.verdict, 'violated', JSON.stringify(trace));
    assert.equal(server.child.exitCode, null, `server exited; stderr: ${server.stderr.join('')}`);
    const crashes = server.logs.filter((line) => /uncaught|unhandled rejection/i.test(line));
    assert.deepEqual(crashes, [], 'handlers threw past their guards');
  } finally {
    server.child.kill();
  }
});

test('a bad Content-Length header does not wedge the server for the next client message', async () => {
  const server = startRaw();
  try {
    await initialize(server);
    // A header the reader cannot use; what a broken client might send. The reader reports an
    // error for it; the server must neither crash nor hang.
    server.send('{}', 'Content-Length: abc\r\n\r\n');
    server.send('{}', 'Content-Type: application/json\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const outcome = await Promise.race([
      server.request('wakeaudit/stats', null, 5000).then(
        () => 'answered',
        () => 'no answer',
      ),
      exited(server.child, 5000).then((exit) => (exit === 'timeout' ? 'no answer' : 'exited')),
    ]);
    // The reader drops the bad frames and finds the next header (server/src/lsp/framing.ts).
    assert.equal(outcome, 'answered', `stderr: ${server.stderr.join('')}`);
    assert.match(server.stderr.join(''), /dropped \d+ bytes of input: a header without a usable Content-Length/);
    assert.doesNotMatch(server.stderr.join(''), /at .*\(.*:\d+:\d+\)/, 'a stack trace on stderr');
  } finally {
    server.child.kill();
  }
});

test('the server exits cleanly when its client closes stdin', async () => {
  const server = startRaw();
  await initialize(server);
  // Mid-search, to show a running simulation does not keep it alive.
  void server
    .request('workspace/executeCommand', {
      command: 'wakeaudit.simulate',
      arguments: [{ text: 'program p\nint a = 0\nthread t (process) {\n  WRITE_ONCE(a, 1)\n}\n', language: 'wakeaudit-program' }],
    })
    .catch(() => {});
  const started = performance.now();
  server.child.stdin!.end();
  const exit = await exited(server.child, 5000);
  if (exit === 'timeout') server.child.kill();
  assert.notEqual(exit, 'timeout', 'the server did not exit within 5 s of stdin closing');
  console.log(`server exited ${JSON.stringify(exit)} ${(performance.now() - started).toFixed(0)} ms after stdin closed`);
  assert.equal(exit !== 'timeout' && exit.signal, null);
  assert.doesNotMatch(server.stderr.join(''), /at .*\(.*:\d+:\d+\)|uncaught|unhandled/i, `crash output: ${server.stderr.join('')}`);
});

test('the server exits cleanly when its client disappears (pipes destroyed)', async () => {
  const server = startRaw();
  await initialize(server);
  server.child.stdout!.destroy();
  server.child.stdin!.destroy();
  const exit = await exited(server.child, 5000);
  if (exit === 'timeout') server.child.kill();
  assert.notEqual(exit, 'timeout', 'the server did not exit within 5 s of losing its client');
  assert.doesNotMatch(server.stderr.join(''), /uncaught|unhandled/i, `crash output: ${server.stderr.join('')}`);
});
