// Runs the runtime's simulations (.wake programs, .litmus tests) on a worker thread. A search can
// take seconds and is synchronous; on the main thread it would stop the server from reading any
// message, $/cancelRequest included. Here the main thread stays free: a cancelled request sets a
// flag in shared memory, which the runtime's shouldStop() reads between search steps, so the
// search itself ends within milliseconds and the request is answered RequestCancelled.
// The worker runs the server's own bundle (started with workerData.role = SIMULATOR_WORKER_ROLE).
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { CancellationToken } from 'vscode-languageserver/node';
import { CancelledError } from './analyzer';
import type { TraceResult } from './protocol';
import type { Simulator, SimulatorInput } from './session';
import type { ServerSettings } from './settings';
import { RuntimeSimulator } from './simulator';

export const SIMULATOR_WORKER_ROLE = 'wakeaudit-simulator';

interface Job {
  id: number;
  input: SimulatorInput;
  settings: ServerSettings;
  /** Int32 flag: 0 = run, 1 = stop. */
  flag: SharedArrayBuffer;
}

type Reply = { id: number; result: TraceResult } | { id: number; error: string; cancelled: boolean };

interface Pending {
  resolve: (result: TraceResult) => void;
  reject: (error: Error) => void;
  flag: Int32Array;
  graceTimer?: NodeJS.Timeout;
}

/** Whether this thread was started as the simulator worker. */
export function isSimulatorWorker(): boolean {
  return parentPort !== null && (workerData as { role?: unknown } | undefined)?.role === SIMULATOR_WORKER_ROLE;
}

/** The worker's side: one job at a time, each searched with the job's stop flag as shouldStop(). */
export function runSimulatorWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runSimulatorWorker outside a worker thread');
  const simulator = new RuntimeSimulator();
  port.on('message', (job: Job) => {
    const flag = new Int32Array(job.flag);
    const isCancelled = () => Atomics.load(flag, 0) !== 0;
    simulator.simulate(job.input, job.settings, isCancelled).then(
      (result) => port.postMessage({ id: job.id, result } satisfies Reply),
      (error: unknown) =>
        port.postMessage({
          id: job.id,
          error: error instanceof Error ? error.message : String(error),
          cancelled: error instanceof CancelledError,
        } satisfies Reply),
    );
  });
}

/**
 * The server's side. One worker, started on first use and kept; jobs queue in it. A cancelled
 * job's flag is set at once; the worker answers within a few ms. Should it not answer within
 * `graceMs` (a search step that never returns), the worker is terminated and the next job
 * starts a fresh one, so a cancellation always ends the work.
 */
export class WorkerSimulator implements Simulator {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    /** The script the worker runs: the server bundle itself. */
    private readonly entry: string,
    private readonly log: (message: string) => void = () => {},
    private readonly graceMs = 500,
  ) {}

  simulate(input: SimulatorInput, settings: ServerSettings, token: CancellationToken): Promise<TraceResult> {
    if (token.isCancellationRequested) return Promise.reject(new CancelledError());
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const flag = new SharedArrayBuffer(4);
    return new Promise<TraceResult>((resolve, reject) => {
      const entry: Pending = { resolve, reject, flag: new Int32Array(flag) };
      this.pending.set(id, entry);
      const subscription = token.onCancellationRequested(() => {
        Atomics.store(entry.flag, 0, 1);
        entry.graceTimer = setTimeout(() => {
          if (!this.pending.has(id)) return;
          this.log(`simulation ${id} did not stop within ${this.graceMs} ms of its cancellation: restarting the simulator worker`);
          this.pending.delete(id);
          reject(new CancelledError());
          this.restart();
        }, this.graceMs);
      });
      const done = () => {
        subscription.dispose();
        if (entry.graceTimer) clearTimeout(entry.graceTimer);
      };
      entry.resolve = (result) => (done(), resolve(result));
      entry.reject = (error) => (done(), reject(error));
      worker.postMessage({ id, input, settings, flag } satisfies Job);
    });
  }

  /** Ends the worker (server shutdown); pending jobs fail. */
  dispose(): void {
    this.restart();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.entry, { workerData: { role: SIMULATOR_WORKER_ROLE }, argv: [], stdout: true, stderr: true });
    // The server's stdout may be its LSP channel: nothing the worker prints may reach it.
    worker.stdout.on('data', (chunk: Buffer) => this.log(`simulator: ${chunk.toString().trimEnd()}`));
    worker.stderr.on('data', (chunk: Buffer) => this.log(`simulator: ${chunk.toString().trimEnd()}`));
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      if ('result' in reply) entry.resolve(reply.result);
      else entry.reject(reply.cancelled ? new CancelledError() : new Error(reply.error));
    });
    worker.on('error', (error) => this.failAll(worker, `the simulator worker failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => this.failAll(worker, `the simulator worker exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private failAll(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.pending.size > 0) this.log(message);
    for (const entry of this.pending.values()) entry.reject(new Error(message));
    this.pending.clear();
  }

  private restart(): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    for (const entry of this.pending.values()) entry.reject(new Error('the simulator worker was restarted'));
    this.pending.clear();
    void worker.terminate();
  }
}
