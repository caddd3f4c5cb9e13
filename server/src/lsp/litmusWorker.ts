// Runs one .litmus file's LKMM check (litmusAnalyzer.ts checkLitmusText) on a worker thread of
// its own, so a test the checker cannot finish (a thousand threads, a hostile text) leaves the
// server answering: the check is ended (the worker terminated) when the analysis is cancelled or
// when `timeoutMs` passes, a wall-clock safety net, and the file gets a one-line problem. The
// worker runs the server's own bundle, started with workerData.role = LITMUS_WORKER_ROLE.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { FileProblem, Finding } from '../analysis/findings';
import { CancelledError, IsCancelled } from './analyzer';
import type { ServerSettings } from './settings';

export const LITMUS_WORKER_ROLE = 'wakeaudit-litmus-check';

export type LitmusCheck = (file: string, text: string, settings: ServerSettings) => { findings: Finding[]; problems: FileProblem[] };

interface Job {
  file: string;
  text: string;
  settings: ServerSettings;
}

/** Whether this thread was started as a litmus check worker. */
export function isLitmusWorker(): boolean {
  return parentPort !== null && (workerData as { role?: unknown } | undefined)?.role === LITMUS_WORKER_ROLE;
}

/** The worker's side: checks the one job it was given and posts the answer (or the error's message). */
export function runLitmusWorker(check: LitmusCheck): void {
  const { file, text, settings } = (workerData as { job: Job }).job;
  try {
    parentPort!.postMessage({ result: check(file, text, settings) });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
}

/** How often a running check asks whether its analysis was cancelled. */
const CANCEL_POLL_MS = 50;

/** The server's side: the check on a fresh worker, ended by cancellation or by the deadline. */
export function checkOnWorker(entry: string, job: Job, isCancelled: IsCancelled): Promise<{ findings: Finding[]; problems: FileProblem[] }> {
  const timeoutMs = job.settings.exploration.timeoutMs;
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { role: LITMUS_WORKER_ROLE, job }, argv: [], stdout: true, stderr: true });
    // The server's stdout may be its LSP channel: nothing the worker prints may reach it.
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(poll);
      void worker.terminate();
      f();
    };
    const deadline = setTimeout(
      () =>
        finish(() =>
          resolve({
            findings: [],
            problems: [
              {
                file: job.file,
                message: `the LKMM check did not end within ${timeoutMs} ms (timeoutMs, a wall-clock safety net: this depends on the machine's speed and load); not decided`,
              },
            ],
          }),
        ),
      timeoutMs,
    );
    const poll = setInterval(() => {
      if (isCancelled()) finish(() => reject(new CancelledError()));
    }, CANCEL_POLL_MS);
    worker.on('message', (reply: { result: { findings: Finding[]; problems: FileProblem[] } } | { error: string }) =>
      finish(() =>
        'result' in reply ? resolve(reply.result) : resolve({ findings: [], problems: [{ file: job.file, message: `the LKMM check failed: ${reply.error}` }] }),
      ),
    );
    worker.on('error', (error) => finish(() => resolve({ findings: [], problems: [{ file: job.file, message: `the LKMM check failed: ${error.message}` }] })));
    worker.on('exit', (code) =>
      finish(() => resolve({ findings: [], problems: [{ file: job.file, message: `the LKMM check ended without an answer (worker exit ${code})` }] })),
    );
  });
}
