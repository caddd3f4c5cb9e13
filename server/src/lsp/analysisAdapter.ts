// Adapts the C analysis (server/src/analysis/) to the server's Analyzer interface. The parser
// loads asynchronously (WebAssembly), so texts that arrive before it is ready are queued and
// applied in order once it is; analyzeFile waits for it.
// Proofs are planned here (that needs the workspace index) and explored on a proof worker
// thread (analysis/proofPool.ts): the server keeps reading messages meanwhile, and a new edit
// (a new generation) or a cancelled request stops the worker's search within milliseconds
// through a flag in shared memory; a stopped analysis gives no findings (CancelledError).
import type { ProofJob } from '../analysis/plan';
import type { FileProblem, Finding } from '../analysis/findings';
import { availableParallelism } from 'node:os';
import { contentHash } from '../analysis/contentHash';
import { definedFunctionNames, headersDefiningConditionHelpers, indexFiles, SearchedNames } from '../analysis/indexer';
import { proofBounds } from '../analysis/bounds';
import { createWorkspace, planFiles, withDecided } from '../analysis/prove';
import { ProofPool } from '../analysis/proofPool';
import { readSourceText, Workspace } from '../analysis/workspace';
import { keepFixesSafeUnderEveryRule } from '../analysis/fixCheck';
import { readProblem, readUtf8Source } from '../analysis/sourceTree';
import type { Analyzer, IsCancelled, LoadedFile, LoadOptions } from './analyzer';
import { CancelledError } from './analyzer';
import { isRuleEnabled, ServerSettings } from './settings';

/** Fewer files than this are read one by one by the server (no worker start-up for a few files). */
const BULK_MIN = 64;
/** Indexing workers at most: the server's own thread and the proof workers need a core too. */
const MAX_INDEX_JOBS = 8;

export class CAnalyzer implements Analyzer {
  private workspace: Workspace | undefined;
  private readonly ready: Promise<Workspace>;
  /** Texts (or removals, as null) received before the parser was loaded, in arrival order. */
  private readonly pending = new Map<string, { text: string; open: boolean } | null>();
  /** The one-line reason a file could not be analysed, shown as its problem. */
  private readonly problems = new Map<string, FileProblem>();
  /** Headers the prefilter skipped, with the names they define (for completeIndex()). */
  private readonly skippedHeaders = new Map<string, string[]>();
  /** Skipped headers completeIndex() found needed: parsed whatever the prefilter says, from then on. */
  private readonly neededHeaders = new Set<string>();
  /** The editor's text of open documents: what completeIndex() parses for an open header, not the disk's. */
  private readonly openTexts = new Map<string, string>();
  /**
   * Files set since the last completeIndex(): the next one searches only their conditions
   * (an edit that calls a helper of a header nobody needed yet). Undefined: search them all.
   */
  private changedSinceComplete: Set<string> | undefined;

  constructor(private readonly log: (message: string) => void = (message) => console.log(`[wakeaudit] ${message}`)) {
    this.ready = createWorkspace().then((ws) => {
      this.workspace = ws;
      for (const [file, entry] of this.pending) {
        if (entry === null) ws.remove(file);
        else this.apply(ws, file, entry.text, entry.open);
      }
      this.pending.clear();
      return ws;
    });
  }

  private apply(ws: Workspace, file: string, text: string, open: boolean): void {
    // Only an open document keeps its syntax tree (for incremental re-parse as the user types);
    // a background-indexed file keeps only its facts.
    const skippedBefore = ws.stats.skippedByPrefilter;
    const problem = ws.setFile(file, text, this.neededHeaders.has(file), open);
    if (problem) this.problems.set(file, problem);
    else this.problems.delete(file);
    if (ws.stats.skippedByPrefilter > skippedBefore && file.endsWith('.h')) this.skippedHeaders.set(file, definedFunctionNames(text));
    else this.skippedHeaders.delete(file);
    if (open) this.openTexts.set(file, text);
    else this.openTexts.delete(file);
    this.changedSinceComplete?.add(file);
  }

  /**
   * The workspace's files read, decoded, parsed and their facts collected on worker threads
   * (analysis/indexer.ts, as `wakeaudit check` does), adopted here in file order. Below
   * BULK_MIN files, or on one core, nothing is loaded here (the caller's per-file reads yield to
   * the editor between files; a single-threaded bulk load would not). Headers completeIndex()
   * found needed are parsed here, whatever the prefilter says.
   */
  async loadFiles(files: string[], options: LoadOptions): Promise<LoadedFile[]> {
    const jobs = Math.min(availableParallelism(), MAX_INDEX_JOBS);
    if (files.length < BULK_MIN || jobs < 2) return [];
    const ws = await this.ready;
    // The cap the indexing workers read with (they get the workspace's limits) and setFile() checks.
    ws.limits.maxFileBytes = options.maxFileBytes;
    const bulk = files.filter((f) => !this.neededHeaders.has(f));
    const indexed = await indexFiles(ws, bulk, {
      jobs,
      keepText: false,
      hashText: true,
      isCancelled: options.isCancelled,
      adoptable: (f) => !options.isOpen(f),
      progress: options.progress,
    });
    const loaded: LoadedFile[] = [];
    for (const r of indexed) {
      if (r.unreadable) {
        loaded.push({ file: r.file, error: r.problems[0]?.message ?? 'cannot read' });
        continue;
      }
      // The reason it was skipped, or a note (not UTF-8): shown as the file's problem.
      const problem = r.problems[r.problems.length - 1];
      if (problem) this.problems.set(r.file, problem);
      else this.problems.delete(r.file);
      if (r.stats.skippedByPrefilter > 0 && r.file.endsWith('.h')) this.skippedHeaders.set(r.file, r.definedFunctions ?? []);
      else this.skippedHeaders.delete(r.file);
      // A file with no text to hash (binary, over the size limit) is known by its reason.
      loaded.push({ file: r.file, hash: r.hash ?? contentHash('no text', problem?.message ?? '') });
    }
    for (const file of files.filter((f) => this.neededHeaders.has(f))) {
      if (options.isCancelled() || options.isOpen(file)) continue;
      const read = readUtf8Source(file, ws.limits.maxFileBytes);
      if (!('text' in read)) {
        loaded.push({ file, error: readProblem(read) });
        continue;
      }
      this.apply(ws, file, read.text, false);
      loaded.push({ file, hash: contentHash(read.text) });
    }
    return loaded;
  }

  async completeIndex(isCancelled: IsCancelled, options: { all?: boolean } = {}): Promise<string[]> {
    const ws = await this.ready;
    // Every file's conditions after a (re-)index; else only those of the files set since.
    const changed = options.all ? undefined : this.changedSinceComplete;
    this.changedSinceComplete = new Set();
    if (changed?.size === 0) return [];
    // Two rounds, as in `check`: the helpers found in the first need theirs in turn (the
    // second round reads the same conditions through the helpers the first one added).
    const searched: SearchedNames = { helpers: new Set(), constants: new Set() };
    const added: string[] = [];
    for (let round = 0; round < 2; round++) {
      const skipped = [...this.skippedHeaders].map(([file, definedFunctions]) => ({ file, definedFunctions }));
      const more = headersDefiningConditionHelpers(ws, skipped, searched, changed);
      if (more.length === 0) break;
      for (const file of more) {
        // Each header is a parse: let the server read its messages in between.
        await new Promise((resolve) => setImmediate(resolve));
        if (isCancelled()) {
          // Searched again next time: what changed, or everything if this was the full search.
          this.changedSinceComplete = changed ? new Set([...changed, ...this.changedSinceComplete]) : undefined;
          return added;
        }
        const open = this.openTexts.get(file);
        const read = open !== undefined ? { text: open } : readUtf8Source(file, ws.limits.maxFileBytes);
        if (!('text' in read)) {
          this.log(`${file}: ${readProblem(read)}`);
          continue;
        }
        const text = read.text;
        this.neededHeaders.add(file);
        this.apply(ws, file, text, open !== undefined);
        added.push(file);
      }
    }
    return added;
  }

  setFile(file: string, text: string, open = true): void {
    if (this.workspace) this.apply(this.workspace, file, text, open);
    else {
      this.pending.delete(file);
      this.pending.set(file, { text, open });
    }
  }

  removeFile(file: string): void {
    this.problems.delete(file);
    this.skippedHeaders.delete(file);
    this.neededHeaders.delete(file);
    this.openTexts.delete(file);
    if (this.workspace) this.workspace.remove(file);
    else this.pending.set(file, null);
  }

  contextKey(file: string): string {
    return this.workspace ? this.workspace.index.contextKey(file) : 'loading';
  }

  enclosingFunction(file: string, line: number, column: number) {
    const hit = this.workspace?.enclosingFunction(file, line, column);
    if (!hit) return undefined;
    const { line: l, column: c, endLine, endColumn } = hit.span;
    return { line: l, column: c, endLine, endColumn };
  }

  async analyzeFile(file: string, settings: ServerSettings, isCancelled: IsCancelled) {
    const ws = await this.ready;
    if (isCancelled()) throw new CancelledError();
    const problem = this.problems.get(file);
    const enabled = (code: string) => isRuleEnabled(settings, code);
    const bounds = proofBounds(settings.exploration);
    // On the proof workers; cancelled or failed, the analysis throws (no partial result).
    const prove = async (jobs: ProofJob[]): Promise<Finding[]> => {
      if (jobs.length === 0) return [];
      const started = performance.now();
      const outcomes = await proofPool(this.log).prove(jobs, bounds, {
        isCancelled,
        onStopped: (ms) =>
          this.log(
            `proofs of ${file} stopped ${ms.toFixed(1)} ms after their cancellation was seen (${(performance.now() - started).toFixed(0)} ms after they started)`,
          ),
      });
      if (outcomes === 'stopped') throw new CancelledError();
      return outcomes.map((o) => {
        if ('error' in o) throw new Error(o.error);
        return o.finding;
      });
    };
    const planned = planFiles(ws.index, [file], enabled, { isCancelled, error: () => new CancelledError() });
    const proved = withDecided(planned, await prove(planned.jobs)).filter((f) => f.verdict !== 'safe');
    const findings = await keepFixesSafeUnderEveryRule(
      {
        workspace: ws,
        textOf: (f) => this.openTexts.get(f) ?? readSourceText(f, ws.limits),
        enabled,
        prove,
        known: (files) => (files.length === 1 && files[0] === file ? proved : undefined),
      },
      proved,
    );
    // A check cut short dropped fixes it did not finish: this result is not the file's.
    if (isCancelled()) throw new CancelledError();
    return { findings, problems: problem ? [problem] : [] };
  }

  /** Ends the proof workers (server shutdown); a later analysis starts new ones. */
  dispose(): void {
    const pool = sharedPool;
    sharedPool = undefined;
    void pool?.close();
  }
}

/**
 * The proof workers of every C analyzer of the server (the workspace's and the scratch ones of
 * snippets): passes run one after another, so one worker does; a second serves a snippet
 * simulated during a pass. Started on first use; idle workers do not keep the process alive.
 */
let sharedPool: ProofPool | undefined;

function proofPool(log: (message: string) => void): ProofPool {
  sharedPool ??= new ProofPool({ size: 2, depth: 1, log });
  return sharedPool;
}

export function createCAnalyzer(): Analyzer | undefined {
  return new CAnalyzer();
}
