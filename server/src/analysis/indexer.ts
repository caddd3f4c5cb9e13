/**
 * Indexing many files (a kernel tree) on every core: reading, sanitizing, parsing and
 * collecting facts are independent per file, so worker threads do them and send back only the
 * facts (plain data, small: bodies are walked only for the functions a rule can be about);
 * the index, the rules and the proofs stay on the calling thread, which needs every file's
 * facts at once. With one job everything runs on the calling thread, in the same code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileFacts } from './facts';
import type { FileProblem } from './findings';
import { decodeSource, FileStats, Workspace, WorkspaceLimits } from './workspace';

export interface IndexedFile {
  file: string;
  /** Absent when the file could not be read, decoded or parsed (see problems). */
  facts?: FileFacts;
  problems: FileProblem[];
  /** The file could not be read at all (an I/O error, not a property of its content). */
  unreadable?: boolean;
  /** The user's text, when asked for (check --fix rewrites files from it). */
  text?: string;
  stats: FileStats;
}

/** Reads, decodes and indexes one file into `ws`; what a worker does for each file. */
export function indexOneFile(ws: Workspace, file: string, keepText: boolean): IndexedFile {
  const before = { ...ws.stats };
  const delta = (): FileStats => ({
    parsed: ws.stats.parsed - before.parsed,
    skippedByPrefilter: ws.stats.skippedByPrefilter - before.skippedByPrefilter,
    bytesParsed: ws.stats.bytesParsed - before.bytesParsed,
    parseErrors: ws.stats.parseErrors - before.parseErrors,
    parseMilliseconds: ws.stats.parseMilliseconds - before.parseMilliseconds,
  });
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { file, problems: [{ file, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }], unreadable: true, stats: delta() };
  }
  const problems: FileProblem[] = [];
  const decoded = decodeSource(file, bytes, ws.limits);
  if (decoded.problem) problems.push(decoded.problem);
  if (decoded.text === undefined) return { file, problems, stats: delta() };
  const problem = ws.setFile(file, decoded.text);
  if (problem) return { file, problems: [...problems, problem], stats: delta() };
  return { file, facts: ws.facts(file), problems, ...(keepText ? { text: decoded.text } : {}), stats: delta() };
}

export interface IndexOptions {
  jobs: number;
  keepText: boolean;
  progress?: (done: number, total: number) => void;
}

/** Files per message: large enough that messaging costs nothing, small enough to balance. */
const BATCH = 16;

/**
 * Indexes `files` into `ws` with `jobs` worker threads (1: on this thread). Results come back
 * in the order of `files`, whatever order the workers finish in, so output is deterministic.
 */
export async function indexFiles(ws: Workspace, files: string[], options: IndexOptions): Promise<IndexedFile[]> {
  const results: IndexedFile[] = new Array(files.length);
  if (options.jobs <= 1 || files.length < BATCH * 2) {
    files.forEach((file, n) => {
      if (n % 50 === 0) options.progress?.(n, files.length);
      results[n] = indexOneFile(ws, file, options.keepText);
    });
    return results;
  }
  let next = 0;
  let done = 0;
  const adopt = (at: number, r: IndexedFile) => {
    results[at] = r;
    ws.adopt(r.file, r.facts, r.stats);
    if (++done % 50 === 0) options.progress?.(done, files.length);
  };
  const runWorker = () =>
    new Promise<void>((resolve) => {
      const worker = new Worker(join(__dirname, 'indexWorker.js'), { workerData: { limits: ws.limits satisfies WorkspaceLimits } });
      let batch: number[] = [];
      const send = () => {
        batch = [];
        while (batch.length < BATCH && next < files.length) batch.push(next++);
        if (batch.length === 0) {
          void worker.terminate();
          return;
        }
        worker.postMessage({ files: batch.map((i) => files[i]), keepText: options.keepText });
      };
      worker.on('message', (indexed: IndexedFile[]) => {
        indexed.forEach((r, k) => adopt(batch[k], r));
        send();
      });
      // A worker that dies (out of memory on a pathological file) costs its batch, with a
      // one-line reason per file, and is replaced for the rest.
      worker.on('error', (error) => {
        for (const at of batch) adopt(at, { file: files[at], problems: [{ file: files[at], message: `skipped: indexing worker failed: ${error.message}` }], stats: zeroStats() });
        batch = [];
      });
      worker.on('exit', () => {
        if (next < files.length) void runWorker().then(resolve);
        else resolve();
      });
      send();
    });
  await Promise.all(Array.from({ length: Math.min(options.jobs, Math.ceil(files.length / BATCH)) }, runWorker));
  return results;
}

function zeroStats(): FileStats {
  return { parsed: 0, skippedByPrefilter: 0, bytesParsed: 0, parseErrors: 0, parseMilliseconds: 0 };
}
