// Cancelling a C proof over the real protocol. The bundled server proves a C document whose
// proof explores for seconds (an exclusive swait wakeup whose waiter's condition reads two
// fields the waker writes: the waiter's paths alone take seconds to lower); budgets are set far
// beyond the test, so only a cancellation can end it.
// - didChange while the proof runs: the analysis of the old text must be abandoned. The server
//   logs "proofs of FILE stopped" when its proof worker has answered that it stopped; the time
//   from sending didChange to that line is the latency (goal: 100 ms).
// - "Simulate this snippet" on C text, cancelled with $/cancelRequest: the time until the
//   RequestCancelled answer.
// Every sample is printed, with the median and the maximum, so the figure can be quoted.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  LSPErrorCodes,
  ResponseError,
} from 'vscode-languageserver-protocol/node';
import { startServer, TestClient } from './lspClient';

/** An exclusive swake whose waiter's condition sums `fields` fields the waker writes: about 10 s of proof at 2 fields. */
export function slowProofC(fields: number, tag = ''): string {
  const names = Array.from({ length: fields }, (_, i) => `a${i}`);
  return `// ${tag}
#include <linux/swait.h>

struct duplex {
	struct swait_queue_head wq;
${names.map((n) => `\tunsigned int ${n};\n`).join('')}	unsigned int tx_space;
};

static void duplex_read_wait(struct duplex *d)
{
	swait_event_exclusive(d->wq, ${names.map((n) => `READ_ONCE(d->${n})`).join(' + ')} > 0);
	d->a0--;
}

static void duplex_write_wait(struct duplex *d)
{
	swait_event_exclusive(d->wq, READ_ONCE(d->tx_space) > 0);
	d->tx_space--;
}

static void duplex_rx_complete(struct duplex *d, unsigned int k)
{
${names.map((n) => `\tWRITE_ONCE(d->${n}, d->${n} + k);\n`).join('')}	swake_up_one(&d->wq);
}
`;
}

/** The requirement: the median sample stops within it. */
const GOAL_MS = 100;
/**
 * Every sample stops within this bound. An ignored cancellation runs its proof to the end (about
 * 10 s), so 1 s still catches one; a single sample can take a few hundred ms when `npm test` runs
 * the editor tests (code-server, chromium) on the same two cores (seen: 284 ms once, median 9 ms).
 */
const BOUND_MS = Number(process.env.WAKEAUDIT_PROOF_CANCEL_BOUND_MS ?? 1000);
/** How long the proof runs before the edit that abandons it. */
const RUNNING_MS = 400;
const DEBOUNCE_MS = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function summary(what: string, values: number[]): string {
  return `${what} over ${values.length} samples: median ${median(values).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (goal ${GOAL_MS} ms)`;
}

describe('cancelling a C proof', () => {
  let client: TestClient;
  let dir: string;
  /** Resolvers waiting for a server log line that matches. */
  const logWaiters: Array<{ pattern: RegExp; resolve: (at: number) => void }> = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wakeaudit-proof-cancel-'));
    client = await startServer({ settings: { exploration: { timeoutMs: 600_000, maxStates: 1_000_000_000, maxWork: 1e15 }, showUnknown: true } });
    const push = client.logs.push.bind(client.logs);
    client.logs.push = (...messages: string[]) => {
      const at = performance.now();
      for (const message of messages) {
        for (const waiter of [...logWaiters]) {
          if (!waiter.pattern.test(message)) continue;
          logWaiters.splice(logWaiters.indexOf(waiter), 1);
          waiter.resolve(at);
        }
      }
      return push(...messages);
    };
  });

  after(async () => {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const nextLog = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line ${pattern} within ${timeoutMs} ms; log:\n${client.logs.slice(-20).join('\n')}`)), timeoutMs);
      logWaiters.push({ pattern, resolve: (at) => (clearTimeout(timer), resolve(at)) });
    });

  test('an edit abandons the running proof of the old text within the bound, and the new text is analysed', async () => {
    const file = path.join(dir, 'duplex.c');
    const uri = pathToFileURL(file).href;
    let version = 1;
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'c', version, text: slowProofC(2, 'edit 0') },
    });
    const latencies: number[] = [];
    for (let sample = 1; sample <= 10; sample++) {
      // The debounce, then the proof of the current text runs for a while.
      await sleep(DEBOUNCE_MS + RUNNING_MS);
      const stopped = nextLog(/proofs of .*duplex\.c stopped/);
      const sentAt = performance.now();
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: ++version },
        contentChanges: [{ text: slowProofC(2, `edit ${sample}`) }],
      });
      const latency = (await stopped) - sentAt;
      latencies.push(latency);
      console.log(`edit ${sample} after ${RUNNING_MS} ms of proof: the proof stopped ${latency.toFixed(1)} ms after the didChange was sent`);
    }
    console.log(summary('C proof abandoned after didChange', latencies));
    for (const latency of latencies) assert.ok(latency < BOUND_MS, `a proof went on ${latency.toFixed(1)} ms after the edit (bound ${BOUND_MS} ms)`);
    assert.ok(median(latencies) <= GOAL_MS, summary('C proof abandoned after didChange', latencies));

    // The worker is free again: a text whose proof is quick gets its diagnostic.
    const quick = slowProofC(1, 'quick');
    const changedAt = performance.now();
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: ++version },
      contentChanges: [{ text: quick }],
    });
    const diagnostics = await client.waitForDiagnostics(
      uri,
      (d) => d.some((x) => x.code === 'swake-exclusive-multi-waiter' && x.message.includes('Proved')),
      20_000,
    );
    console.log(`after the edits, the quick text's proved diagnostic came ${(performance.now() - changedAt).toFixed(0)} ms after its didChange`);
    assert.ok(diagnostics.length > 0);
  });

  test('a cancelled "simulate this snippet" on C answers RequestCancelled within the bound', async () => {
    const latencies: number[] = [];
    for (const delayMs of [50, 100, 200, 300, 400, 500, 700, 900, 1200, 1500]) {
      const source = new CancellationTokenSource();
      const started = performance.now();
      const request = client.connection.sendRequest(
        ExecuteCommandRequest.type,
        { command: 'wakeaudit.simulate', arguments: [{ text: slowProofC(2, `snippet ${delayMs}`), language: 'c' }] },
        source.token,
      );
      const outcome = request.then(
        (result) => ({ result, at: performance.now() }),
        (error: unknown) => ({ error, at: performance.now() }),
      );
      await sleep(delayMs);
      const cancelledAt = performance.now();
      source.cancel();
      const answer = await outcome;
      assert.ok('error' in answer, `the proof finished before the cancellation (${Math.round(answer.at - started)} ms): make it slower`);
      assert.ok(answer.error instanceof ResponseError, String(answer.error));
      assert.equal(answer.error.code, LSPErrorCodes.RequestCancelled);
      latencies.push(answer.at - cancelledAt);
      console.log(`C snippet cancelled after ${delayMs} ms: answered in ${(answer.at - cancelledAt).toFixed(1)} ms`);
    }
    console.log(summary('C simulate cancelled', latencies));
    for (const latency of latencies) assert.ok(latency < BOUND_MS, `cancellation took ${latency.toFixed(1)} ms (bound ${BOUND_MS} ms)`);
    assert.ok(median(latencies) <= GOAL_MS, summary('C simulate cancelled', latencies));
  });
});
