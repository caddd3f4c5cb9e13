/**
 * Indexing many files (a kernel tree) on every core: reading, sanitizing, parsing and
 * collecting facts are independent per file, so worker threads do them and send back only the
 * facts (plain data, small: bodies are walked only for the functions a rule can be about);
 * the index, the rules and the proofs stay on the calling thread, which needs every file's
 * facts at once. With one job everything runs on the calling thread, in the same code.
 */
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { contentHash } from './contentHash';
import type { FileFacts } from './facts';
import type { FileProblem } from './findings';
import { addPhases, PhaseMilliseconds, phaseClock } from './phases';
import { readSourceFile } from './sourceTree';
import { decodeSource, FileStats, statsSince, Workspace, WorkspaceLimits, zeroStats } from './workspace';
import { MODELLED_CONDITION_CALLS } from './wrappers';

export interface IndexedFile {
  file: string;
  /** Absent when the file could not be read, decoded or parsed (see problems). */
  facts?: FileFacts;
  problems: FileProblem[];
  /** The file could not be read at all (an I/O error, not a property of its content). */
  unreadable?: boolean;
  /** The user's text, when asked for (check --fix rewrites files from it). */
  text?: string;
  /**
   * A header the prefilter skipped: the names it has a definition-like `name(...) {` of
   * (definedFunctionNames()), collected while its text is at hand, so the helper-header pass
   * (headersDefiningConditionHelpers) need not read the tree's headers again.
   */
  definedFunctions?: string[];
  /** contentHash() of the decoded text, when asked for (the language server's cache key). */
  hash?: string;
  stats: FileStats;
}

/**
 * Reads, decodes and indexes one file into `ws`; what a worker does for each file. `force`:
 * parse it even if the prefilter would skip it (a header defining a condition's helper).
 */
export function indexOneFile(ws: Workspace, file: string, keepText: boolean, force = false, hashText = false): IndexedFile {
  const before = { ...ws.stats };
  const delta = () => statsSince(ws.stats, before);
  const reading = performance.now();
  const read = readSourceFile(file, ws.limits.maxFileBytes);
  if (!('bytes' in read)) {
    phaseClock.read += performance.now() - reading;
    // Skipped by the policy (a FIFO, a device, over the size cap): a word, not an I/O error.
    if ('skipped' in read) return { file, problems: [{ file, message: read.skipped }], stats: delta() };
    return { file, problems: [{ file, message: read.unreadable }], unreadable: true, stats: delta() };
  }
  const problems: FileProblem[] = [];
  const decoded = decodeSource(file, read.bytes, ws.limits);
  phaseClock.read += performance.now() - reading;
  if (decoded.problem) problems.push(decoded.problem);
  if (decoded.text === undefined) return { file, problems, stats: delta() };
  const problem = ws.setFile(file, decoded.text, force);
  if (problem) return { file, problems: [...problems, problem], ...(hashText ? { hash: contentHash(decoded.text) } : {}), stats: delta() };
  const stats = delta();
  const scanning = performance.now();
  const definedFunctions = stats.skippedByPrefilter > 0 && file.endsWith('.h') ? definedFunctionNames(decoded.text) : undefined;
  phaseClock.helpers += performance.now() - scanning;
  return {
    file,
    facts: ws.facts(file),
    problems,
    ...(keepText ? { text: decoded.text } : {}),
    ...(definedFunctions?.length ? { definedFunctions } : {}),
    ...(hashText ? { hash: contentHash(decoded.text) } : {}),
    stats,
  };
}

/** `\s` of a regular expression, by character code. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const STOPS = new Set([';', '{', '}', '(', ')'].map((c) => c.charCodeAt(0)));
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;

/**
 * The names `text` has a `name(params) {` of, the params without `;{}()`: a function
 * definition's head (a call followed by a block, `if (x) {`, matches too, and is harmless: it
 * only makes a header a candidate). Scanned backwards from each `{`, which costs a fraction of
 * a regular expression run over the whole text (the 6.1 tree's 24,000 headers: ~0.1 s against
 * 1.3 s).
 */
export function definedFunctionNames(text: string): string[] {
  const names = new Set<string>();
  for (let brace = text.indexOf('{'); brace >= 0; brace = text.indexOf('{', brace + 1)) {
    let i = brace - 1;
    while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
    if (text.charCodeAt(i) !== CLOSE_PAREN) continue;
    i--;
    while (i >= 0 && !STOPS.has(text.charCodeAt(i))) i--;
    if (text.charCodeAt(i) !== OPEN_PAREN) continue;
    i--;
    while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
    const end = i + 1;
    while (i >= 0 && isWord(text.charCodeAt(i))) i--;
    const first = text.charCodeAt(i + 1);
    if (end > i + 1 && !(first >= 48 && first <= 57)) names.add(text.slice(i + 1, end));
  }
  return [...names];
}

export interface IndexOptions {
  jobs: number;
  keepText: boolean;
  /** Parse even files the prefilter would skip. */
  force?: boolean;
  /** Report each text's contentHash() (IndexedFile.hash). */
  hashText?: boolean;
  progress?: (done: number, total: number) => void;
  /** Checked before each batch: once true, no more are sent, and the results end where adoption stopped. */
  isCancelled?: () => boolean;
  /**
   * Asked as each result is about to enter `ws`: false leaves `ws` as it is for that file (the
   * editor opened it meanwhile: its text wins over the disk's) and drops the result.
   */
  adoptable?: (file: string) => boolean;
}

/** A worker's answer to one batch: its files, in order, and the time its phases took on them. */
export interface IndexedBatch {
  indexed: IndexedFile[];
  phases: PhaseMilliseconds;
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
    for (let n = 0; n < files.length; n++) {
      if (options.isCancelled?.()) return results.slice(0, n).filter((r) => r !== undefined);
      if (n % 50 === 0) options.progress?.(n, files.length);
      if (options.adoptable && !options.adoptable(files[n])) continue;
      results[n] = indexOneFile(ws, files[n], options.keepText, options.force, options.hashText);
    }
    return results.filter((r) => r !== undefined);
  }
  let next = 0;
  let done = 0;
  // Adopted in file order, whatever order the batches come back in: the index lists sites in
  // the order its files arrived, and a plan picks among them (which sleeper is the second
  // waiter), so an index built in completion order made findings depend on the jobs count.
  let adopted = 0;
  const dropped = new Set<number>();
  const adopt = (at: number, r: IndexedFile) => {
    results[at] = r;
    for (; adopted < files.length && results[adopted] !== undefined; adopted++) {
      const a = results[adopted];
      if (options.adoptable && !options.adoptable(a.file)) dropped.add(adopted);
      else ws.adopt(a.file, a.facts, a.stats);
    }
    if (++done % 50 === 0) options.progress?.(done, files.length);
  };
  const runWorker = () =>
    new Promise<void>((resolve) => {
      const worker = new Worker(join(__dirname, 'indexWorker.js'), { workerData: { limits: ws.limits satisfies WorkspaceLimits, needs: ws.options.needs } });
      let batch: number[] = [];
      const send = () => {
        batch = [];
        while (batch.length < BATCH && next < files.length && !options.isCancelled?.()) batch.push(next++);
        if (batch.length === 0) {
          void worker.terminate();
          return;
        }
        worker.postMessage({ files: batch.map((i) => files[i]), keepText: options.keepText, force: !!options.force, hashText: !!options.hashText });
      };
      worker.on('message', ({ indexed, phases }: IndexedBatch) => {
        addPhases(phaseClock, phases);
        indexed.forEach((r, k) => adopt(batch[k], r));
        send();
      });
      // A worker that dies (out of memory on a pathological file) costs its batch, with a
      // one-line reason per file, and is replaced for the rest.
      worker.on('error', (error) => {
        for (const at of batch)
          adopt(at, { file: files[at], problems: [{ file: files[at], message: `skipped: indexing worker failed: ${error.message}` }], stats: zeroStats() });
        batch = [];
      });
      worker.on('exit', () => {
        if (next < files.length && !options.isCancelled?.()) void runWorker().then(resolve);
        else resolve();
      });
      send();
    });
  await Promise.all(Array.from({ length: Math.min(options.jobs, Math.ceil(files.length / BATCH)) }, runWorker));
  // The results adopted, in file order: all of them unless cancelled (what follows the first
  // file never sent stays out of `ws`) or some were not adoptable.
  return results.slice(0, adopted).filter((_, i) => !dropped.has(i));
}

/** Names the helper-header pass has searched the skipped headers for (carried across its rounds). */
export interface SearchedNames {
  helpers: Set<string>;
  /** `<directory>\0<NAME>` */
  constants: Set<string>;
}

/**
 * The headers, among `skipped` (files the prefilter left out), that define what the index's
 * conditions need and lack: a function called in a wait condition or a checked condition and
 * defined nowhere in the index (a driver's `static inline bool foo_is_up(...)` in a header that
 * names no wait primitive), or a constant such a helper compares with (`#define`, enumerator)
 * that no indexed file defines, searched in the helper's own directory. (Constants in the
 * conditions themselves are mostly kernel-wide macros: searching for them doubled the cost of
 * this pass on the 6.1 tree and proved nothing more.) Parsing them lets the condition be
 * modelled instead of the finding staying unknown. Called again after they are indexed, it
 * finds what their helpers need in turn.
 */
export function headersDefiningConditionHelpers(
  ws: Workspace,
  skipped: Array<Pick<IndexedFile, 'file' | 'definedFunctions'>>,
  searched: SearchedNames = { helpers: new Set(), constants: new Set() },
  /** Only the conditions of these files (the editor's edited ones); default: every file's. */
  conditionsOf?: ReadonlySet<string>,
): string[] {
  const helpers = new Set<string>();
  const looked = new Set<string>();
  // Constants by the directory of the file that needs them: only a header of that directory
  // is searched (a driver's own enum; kernel-wide macros such as HZ are not numbers to model).
  const constants = new Map<string, Set<string>>();
  const scan = (file: string, text: string, depth: number) => {
    for (const m of text.matchAll(/\b([A-Za-z_]\w*)\b(\s*\()?/g)) {
      const name = m[1];
      if (m[2]) {
        if (MODELLED_CONDITION_CALLS.has(name) || looked.has(name)) continue;
        looked.add(name);
        const defs = ws.index.functionsNamed(name);
        // A name an earlier round searched the headers for is not searched again.
        if (defs.length === 0) {
          if (!searched.helpers.has(name)) helpers.add(name);
        }
        // What an inlined helper returns is part of the condition.
        else if (depth < 4) {
          for (const d of defs) for (const r of d.fn.returns) scan(d.file, r.text, depth + 1);
        }
      } else if (depth > 0 && /^[A-Z][A-Z0-9_]*$/.test(name) && name.length > 1 && ws.index.macroValue(file, name) === undefined) {
        const dir = dirname(file);
        if (searched.constants.has(`${dir}\0${name}`)) continue;
        if (!constants.has(dir)) constants.set(dir, new Set());
        constants.get(dir)!.add(name);
      }
    }
  };
  const files = conditionsOf ? [...conditionsOf].flatMap((file) => ws.index.get(file) ?? []) : ws.index.allFiles();
  for (const f of files) {
    for (const fn of f.functions) {
      for (const e of fn.events) {
        const text = e.kind === 'wait' ? e.condition?.text : e.kind === 'check' ? e.condition.text : undefined;
        if (text) scan(f.file, text, 0);
      }
    }
  }
  if (helpers.size === 0 && constants.size === 0) return [];
  for (const h of helpers) searched.helpers.add(h);
  for (const [dir, names] of constants) for (const n of names) searched.constants.add(`${dir}\0${n}`);
  // A helper's definition: its name among the header's definedFunctions; a constant's: a
  // `#define NAME` or an enumerator inside an enum's braces, in a header of the directory.
  const constantDefinition = new Map(
    [...constants].map(([dir, set]) => {
      const names = [...set].join('|');
      return [dir, new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+(?:${names})\\b|\\benum\\b[^;{}]*\\{[^{}]*\\b(?:${names})\\b`, 'm')];
    }),
  );
  const out: string[] = [];
  for (const { file, definedFunctions } of skipped) {
    if (!file.endsWith('.h')) continue;
    if (definedFunctions?.some((name) => helpers.has(name))) {
      out.push(file);
      continue;
    }
    const byDir = constantDefinition.get(dirname(file));
    if (!byDir) continue;
    const read = readSourceFile(file, ws.limits.maxFileBytes);
    if ('bytes' in read && byDir.test(read.bytes.toString('latin1'))) out.push(file);
  }
  return out;
}
