// The transport the VS Code extension uses: the server forked with --node-ipc, messages over the
// Node IPC channel instead of stdio.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createProtocolConnection, InitializeRequest, IPCMessageReader, IPCMessageWriter, ExecuteCommandRequest } from 'vscode-languageserver-protocol/node';
import { serverBundle } from './lspClient';

test('the bundled server speaks LSP over --node-ipc', async () => {
  const child = fork(serverBundle, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  try {
    const result = await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
    assert.equal(result.serverInfo?.name, 'wakeaudit');
    await connection.sendNotification('initialized', {});
    const trace = (await connection.sendRequest(ExecuteCommandRequest.type, {
      command: 'wakeaudit.simulate',
      arguments: [{ text: 'C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\nexists (x=1)\n', language: 'litmus' }],
    })) as { verdict: string; threads: string[] };
    assert.deepEqual([trace.verdict, trace.threads], ['violated', ['P0']]);
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
  } finally {
    connection.dispose();
    if (child.exitCode === null) child.kill();
  }
});
