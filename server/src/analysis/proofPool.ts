/**
 * Proof worker threads (proofWorker.ts, its own bundle beside the caller's). The calling thread
 * keeps the workspace index and plans each candidate (prove.ts planCandidate); the exploring,
 * which is pure and takes the time, runs here on the plans, which are plain data.
 *
 * - `check` sends every plan and gets each finding back by its position: the output does not
 *   depend on which worker finished first, nor on how many there are.
 * - The language server sends a file's plans with its `isCancelled()`: the pool polls it on a
 *   short timer and, once it answers true, sets the request's stop flag in shared memory, which
 *   the worker's searches read between steps. The request then answers `stopped` within
 *   milliseconds; a worker that does not answer within `graceMs` is terminated (and replaced by
 *   the next request), so a cancellation always ends the work.
 *
 * Workers start on first use and hold the process open only while they have work; close()
 * terminates them.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProofBounds } from './bounds';
import type { ProofJob } from './plan';
import type { ProofOutcome, ProofReply, ProofRequest } from './proofWorker';

export type { ProofOutcome } from './proofWorker';

export interface ProveOptions {
  /** Polled every `pollMs` while the request runs; true stops it (the promise resolves 'stopped'). */
  isCancelled?: () => boolean;
  /** Called once a stopped request has ended, with the milliseconds since the stop was seen. */
  onStopped?: (milliseconds: number) => void;
}

interface Pending {
  request: ProofRequest;
  resolve: (outcome: ProofOutcome[] | 'stopped') => void;
  flag?: Int32Array;
  stoppedAt?: number;
}

interface Slot {
  worker: Worker;
  inFlight: Pending[];
}

export interface ProofPoolOptions {
  /** Worker threads at most. */
  size: number;
  /** Requests sent ahead to one worker, so it never waits for the calling thread. */
  depth?: number;
  /** The worker script (default: proofWorker.js beside this module or bundle). */
  script?: string;
  pollMs?: number;
  graceMs?: number;
  log?: (message: string) => void;
}

export class ProofPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly size: number;
  private readonly depth: number;
  private readonly script: string;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly log: (message: string) => void;
  private busy = 0;

  constructor(options: ProofPoolOptions) {
    this.size = Math.max(1, Math.floor(options.size));
    this.depth = options.depth ?? 2;
    this.script = options.script ?? join(__dirname, 'proofWorker.js');
    this.pollMs = options.pollMs ?? 5;
    this.graceMs = options.graceMs ?? 500;
    this.log = options.log ?? (() => {});
  }

  /**
   * Decides `jobs` on a worker, in order. Resolves each job's outcome, or 'stopped' when
   * `isCancelled()` answered true before the request ended (then no outcome at all).
   */
  prove(jobs: ProofJob[], bounds: ProofBounds, options: ProveOptions = {}): Promise<ProofOutcome[] | 'stopped'> {
    if (this.closed) return Promise.reject(new Error('the proof pool is closed'));
    const { isCancelled, onStopped } = options;
    if (isCancelled?.()) return Promise.resolve('stopped');
    return new Promise((resolve) => {
      const flagBuffer = isCancelled ? new SharedArrayBuffer(4) : undefined;
      const entry: Pending = { request: { id: this.nextId++, jobs, bounds, ...(flagBuffer ? { flag: flagBuffer } : {}) }, resolve };
      if (flagBuffer && isCancelled) {
        entry.flag = new Int32Array(flagBuffer);
        let grace: NodeJS.Timeout | undefined;
        const poll = setInterval(() => {
          if (entry.stoppedAt !== undefined || !isCancelled()) return;
          this.stop(entry);
          grace = setTimeout(() => this.abandon(entry), this.graceMs);
        }, this.pollMs);
        entry.resolve = (outcome) => {
          clearInterval(poll);
          if (grace) clearTimeout(grace);
          if (outcome === 'stopped' && entry.stoppedAt !== undefined) onStopped?.(performance.now() - entry.stoppedAt);
          resolve(outcome);
        };
      }
      this.queue.push(entry);
      this.dispatch();
    });
  }

  /** Milliseconds the workers spent on the requests that answered, summed over the workers. */
  get busyMilliseconds(): number {
    return this.busy;
  }

  /** Terminates every worker; requests still running resolve 'stopped'. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const entry of this.queue.splice(0)) entry.resolve('stopped');
    for (const slot of slots) for (const entry of slot.inFlight.splice(0)) entry.resolve('stopped');
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private stop(entry: Pending): void {
    entry.stoppedAt = performance.now();
    if (entry.flag) Atomics.store(entry.flag, 0, 1);
    // Not sent yet: nothing to wait for.
    const queued = this.queue.indexOf(entry);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      entry.resolve('stopped');
    }
  }

  /** A stopped request whose worker did not answer in time: the worker goes, its requests with it. */
  private abandon(entry: Pending): void {
    const slot = this.slots.find((s) => s.inFlight.includes(entry));
    if (!slot) return;
    this.log(`a proof did not stop within ${this.graceMs} ms of its cancellation: restarting its worker`);
    this.remove(slot, 'the proof worker was restarted');
    void slot.worker.terminate();
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      // An idle worker, else a new one while there may be more, else the least busy with room.
      const slot =
        this.slots.find((s) => s.inFlight.length === 0) ??
        (this.slots.length < this.size
          ? this.spawn()
          : this.slots.filter((s) => s.inFlight.length < this.depth).sort((a, b) => a.inFlight.length - b.inFlight.length)[0]);
      if (!slot) return;
      const entry = this.queue.shift()!;
      if (slot.inFlight.length === 0) slot.worker.ref();
      slot.inFlight.push(entry);
      slot.worker.postMessage(entry.request);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.script, { argv: [], stdout: true, stderr: true });
    const slot: Slot = { worker, inFlight: [] };
    // The language server's stdout may be its LSP channel: nothing a worker prints may reach it.
    worker.stdout.on('data', (chunk: Buffer) => this.log(`proof worker: ${chunk.toString().trimEnd()}`));
    worker.stderr.on('data', (chunk: Buffer) => this.log(`proof worker: ${chunk.toString().trimEnd()}`));
    worker.on('message', (reply: ProofReply) => {
      const at = slot.inFlight.findIndex((e) => e.request.id === reply.id);
      if (at < 0) return;
      const [entry] = slot.inFlight.splice(at, 1);
      if (slot.inFlight.length === 0) worker.unref();
      if ('milliseconds' in reply) this.busy += reply.milliseconds;
      entry.resolve('stopped' in reply ? 'stopped' : reply.outcomes);
      this.dispatch();
    });
    // A worker that dies (out of memory on a pathological program) costs the requests it had,
    // each job with a one-line reason; the next request starts a fresh one.
    worker.on('error', (error) => {
      this.remove(slot, `proof worker failed: ${error.message}`);
      this.dispatch();
    });
    worker.on('exit', (code) => {
      this.remove(slot, `proof worker exited (code ${code})`);
      this.dispatch();
    });
    this.slots.push(slot);
    return slot;
  }

  private remove(slot: Slot, message: string): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    for (const entry of slot.inFlight.splice(0)) {
      entry.resolve(entry.stoppedAt !== undefined ? 'stopped' : entry.request.jobs.map(() => ({ error: message })));
    }
  }
}
