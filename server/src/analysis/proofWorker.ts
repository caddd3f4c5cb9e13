/**
 * A proof worker thread (proofPool.ts): decides the plans it is sent (decide.ts) and posts back
 * each one's finding, or the error that ended it. A request may carry a stop flag in shared
 * memory (Int32, 0 = run, 1 = stop) that every search asks between its steps: once set, the
 * request answers `stopped` within milliseconds and gives no findings. Its own bundle
 * (dist/proofWorker.js): the runtime and decide() only, no parser, no index.
 */
import { parentPort } from 'node:worker_threads';
import { SearchStopped } from '../../../analyzer-runtime/src';
import type { ProofBounds } from './bounds';
import { decide } from './decide';
import type { ProofJob } from './plan';
import type { Finding } from './findings';

export interface ProofRequest {
  id: number;
  jobs: ProofJob[];
  bounds: ProofBounds;
  flag?: SharedArrayBuffer;
}

/** Per job, in the request's order: its finding, or the message of the error its proof threw. */
export type ProofOutcome = { finding: Finding } | { error: string };

/** `milliseconds`: the time the worker spent on the request (check's prove phase). */
export type ProofReply = { id: number; outcomes: ProofOutcome[]; milliseconds: number } | { id: number; stopped: true };

parentPort?.on('message', (request: ProofRequest) => {
  const started = performance.now();
  const flag = request.flag ? new Int32Array(request.flag) : undefined;
  const shouldStop = flag ? () => Atomics.load(flag, 0) !== 0 : undefined;
  const outcomes: ProofOutcome[] = [];
  for (const job of request.jobs) {
    if (shouldStop?.()) return parentPort?.postMessage({ id: request.id, stopped: true } satisfies ProofReply);
    try {
      outcomes.push({ finding: decide(job, request.bounds, shouldStop) });
    } catch (error) {
      if (error instanceof SearchStopped && error.why === 'stopped') return parentPort?.postMessage({ id: request.id, stopped: true } satisfies ProofReply);
      outcomes.push({ error: error instanceof Error ? error.message : String(error) });
    }
  }
  parentPort?.postMessage({ id: request.id, outcomes, milliseconds: performance.now() - started } satisfies ProofReply);
});
