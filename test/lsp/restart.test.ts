// The client's reaction to a crashed server (client/src/restart.ts), without VS Code: the
// library's restart policy decides, the wrapper reports each decision to the user in words and
// takes over the library's own message when it gives up.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { CloseHandlerResult, ErrorHandler } from 'vscode-languageclient/node';
import { CLOSE_ACTION, ERROR_ACTION, MAX_RESTARTS, ReportingErrorHandler } from '../../client/src/restart';

/** vscode-languageclient's DefaultErrorHandler policy (restart up to max times in 3 minutes), on a fake clock. */
function libraryLikeHandler(max: number, now: () => number): ErrorHandler {
  const restarts: number[] = [];
  return {
    error: (_error, _message, count) => ({ action: count && count <= 3 ? ERROR_ACTION.Continue : ERROR_ACTION.Shutdown }),
    closed: (): CloseHandlerResult => {
      restarts.push(now());
      if (restarts.length <= max) return { action: CLOSE_ACTION.Restart };
      if (restarts[restarts.length - 1]! - restarts[0]! <= 3 * 60 * 1000) return { action: CLOSE_ACTION.DoNotRestart, message: 'library message' };
      restarts.shift();
      return { action: CLOSE_ACTION.Restart };
    },
  };
}

test('a crashed server is restarted with a message each time, then given up with a clear one', async () => {
  let clock = 0;
  const shown: { kind: string; message: string }[] = [];
  let created = 0;
  const handler = new ReportingErrorHandler(() => (created++, libraryLikeHandler(MAX_RESTARTS, () => clock)), {
    restarting: (message) => shown.push({ kind: 'restarting', message }),
    gaveUp: (message) => shown.push({ kind: 'gaveUp', message }),
  });
  for (let i = 1; i <= MAX_RESTARTS; i++) {
    clock += 1000;
    const decision = await handler.closed();
    assert.equal(decision.action, CLOSE_ACTION.Restart, `crash ${i}`);
    assert.match(shown.at(-1)!.message, /stopped unexpectedly and is being restarted/);
  }
  clock += 1000;
  const last = await handler.closed();
  assert.equal(last.action, CLOSE_ACTION.DoNotRestart);
  assert.equal(last.handled, true, 'the library must not show its own message as well');
  assert.match(last.message ?? '', /crashed 5 times within 3 minutes and will not be restarted.*Reload Window/);
  assert.deepEqual(
    shown.map((s) => s.kind),
    [...Array(MAX_RESTARTS).fill('restarting'), 'gaveUp'],
  );
  assert.equal(created, 1, 'one library handler, created on first use');
});

test('crashes spread over more than 3 minutes keep being restarted', async () => {
  let clock = 0;
  const kinds: string[] = [];
  const handler = new ReportingErrorHandler(() => libraryLikeHandler(MAX_RESTARTS, () => clock), {
    restarting: () => kinds.push('restarting'),
    gaveUp: () => kinds.push('gaveUp'),
  });
  for (let i = 0; i < 12; i++) {
    clock += 60_000;
    assert.equal((await handler.closed()).action, CLOSE_ACTION.Restart, `crash ${i + 1}`);
  }
  assert.ok(kinds.every((k) => k === 'restarting'));
});

test('transport errors are left to the library policy', () => {
  const handler = new ReportingErrorHandler(() => libraryLikeHandler(MAX_RESTARTS, () => 0), { restarting: () => {}, gaveUp: () => {} });
  assert.deepEqual(handler.error(new Error('x'), undefined, 1), { action: ERROR_ACTION.Continue });
  assert.deepEqual(handler.error(new Error('x'), undefined, 4), { action: ERROR_ACTION.Shutdown });
});
