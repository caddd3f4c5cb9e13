/**
 * The analysis' entry point, shared by the CLI and the language server: a workspace of C
 * files (text in), facts and index kept up to date per file, findings of one file out.
 *
 * Bad input never stops the run: oversized, binary or non-UTF-8 files and parses that take too
 * long give a one-line FileProblem for that file and the other files go on.
 */
import { countErrors, CParser, loadCParser, ParsedFile } from './parser';
import { collectFacts, detachStrings, FileFacts } from './facts';
import { WorkspaceIndex } from './index';
import type { FactNeeds } from './factsPolicy';
import type { FileProblem } from './findings';
import { phaseClock } from './phases';
import { DEFAULT_MAX_FILE_MB, MIB, overLimitMessage, readSourceFile } from './sourceTree';
import { PREFILTER } from './wrappers';

export interface WorkspaceLimits {
  /** Files larger than this are reported and skipped, never read past it (sourceTree.ts). */
  maxFileBytes: number;
  /** A parse that takes longer than this is abandoned for that file. */
  parseTimeoutMs: number;
}

export const DEFAULT_LIMITS: WorkspaceLimits = { maxFileBytes: DEFAULT_MAX_FILE_MB * MIB, parseTimeoutMs: 5_000 };

export interface FileStats {
  parsed: number;
  skippedByPrefilter: number;
  bytesParsed: number;
  parseErrors: number;
  parseMilliseconds: number;
}

/** Every counter of FileStats (zeroStats() would not compile without one of them). */
const STAT_KEYS = Object.keys(zeroStats()) as Array<keyof FileStats>;

export function zeroStats(): FileStats {
  return { parsed: 0, skippedByPrefilter: 0, bytesParsed: 0, parseErrors: 0, parseMilliseconds: 0 };
}

/** What `after` counts beyond `before` (one file's share of a workspace's stats). */
export function statsSince(after: FileStats, before: FileStats): FileStats {
  const delta = zeroStats();
  for (const key of STAT_KEYS) delta[key] = after[key] - before[key];
  return delta;
}

/** Turns raw bytes into text, or says in one line why the file is not C source. */
export function decodeSource(file: string, bytes: Uint8Array, limits: WorkspaceLimits = DEFAULT_LIMITS): { text?: string; problem?: FileProblem } {
  if (bytes.length > limits.maxFileBytes) {
    return { problem: { file, message: overLimitMessage(bytes.length, limits.maxFileBytes) } };
  }
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return { problem: { file, message: 'skipped: binary file (contains NUL bytes)' } };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Kernel sources are ASCII or UTF-8; a stray Latin-1 byte (an old author's name) should not
    // cost the file its analysis. Latin-1 maps every byte to one character, so offsets hold.
    const text = new TextDecoder('latin1').decode(bytes);
    return { text, problem: { file, message: 'note: not valid UTF-8; analysed as Latin-1' } };
  }
}

/** A source file's text read and decoded as the indexer does, or undefined when it cannot be read now. */
export function readSourceText(file: string, limits: WorkspaceLimits = DEFAULT_LIMITS): string | undefined {
  // Through the file-system policy (sourceTree.ts): no FIFO or device is opened, no read passes the cap.
  const read = readSourceFile(file, limits.maxFileBytes);
  return 'bytes' in read ? decodeSource(file, read.bytes, limits).text : undefined;
}

export interface WorkspaceOptions {
  /** What the rules need kept in the facts (rules/registry.ts FACT_NEEDS; factsPolicy.ts). */
  needs: readonly FactNeeds[];
  /**
   * Keep each file's syntax tree for incremental re-parse (the editor). The CLI parses each
   * file once and drops the tree after collecting facts, so memory stays flat.
   */
  keepTrees: boolean;
  /** Walk every function's body, not only those a rule can be about (tests compare the two). */
  walkEveryFunction?: boolean;
  /**
   * Intern the facts' strings (default): false in an indexing worker, whose facts are copied to
   * the main thread, which interns them there (adopt()), on a thread that is otherwise idle.
   */
  detachStrings?: boolean;
}

export class Workspace {
  readonly index = new WorkspaceIndex();
  private readonly parsed = new Map<string, ParsedFile>();
  readonly stats: FileStats = zeroStats();

  private constructor(
    private readonly parser: CParser,
    readonly limits: WorkspaceLimits,
    readonly options: WorkspaceOptions,
  ) {}

  static async create(options: WorkspaceOptions, limits: WorkspaceLimits = DEFAULT_LIMITS): Promise<Workspace> {
    return new Workspace(await loadCParser(), limits, options);
  }

  /**
   * Adds or replaces a file. Files that mention no wait/wake primitive are indexed as empty
   * without parsing (the prefilter); `force` parses anyway. `keepTree` (default: the
   * workspace's keepTrees) keeps this file's tree for an incremental re-parse: the editor keeps
   * the trees of open documents only.
   */
  setFile(file: string, text: string, force = false, keepTree = this.options.keepTrees): FileProblem | undefined {
    if (text.length > this.limits.maxFileBytes) {
      this.remove(file);
      return { file, message: overLimitMessage(text.length, this.limits.maxFileBytes) };
    }
    const filtering = performance.now();
    const skip = !force && !PREFILTER.test(text);
    phaseClock.prefilter += performance.now() - filtering;
    if (skip) {
      this.stats.skippedByPrefilter++;
      this.parsed.delete(file);
      this.index.set(emptyFacts(file));
      return undefined;
    }
    const started = performance.now();
    let parsed: ParsedFile;
    try {
      parsed = this.parser.parse(text, this.parsed.get(file), this.limits.parseTimeoutMs);
    } catch (error) {
      this.remove(file);
      return { file, message: `skipped: ${(error as Error).message}` };
    }
    this.stats.parseMilliseconds += performance.now() - started;
    this.stats.parsed++;
    this.stats.bytesParsed += text.length;
    const previous = this.parsed.get(file);
    if (previous && previous.tree !== parsed.tree) previous.tree.delete();
    this.parsed.set(file, parsed);
    // The facts phase: counting the tree's errors and collecting the facts, but the shape walk
    // inside collectFacts() (shape.ts clocks its own phase); freeing trees is no phase's.
    const collecting = performance.now();
    const shapeBefore = phaseClock.shape;
    const errors = countErrors(parsed.tree.rootNode);
    this.stats.parseErrors += errors;
    try {
      this.index.set(
        collectFacts(file, parsed, errors, {
          needs: this.options.needs,
          walkEveryFunction: this.options.walkEveryFunction,
          keepUnwalked: this.options.keepTrees,
          detachStrings: this.options.detachStrings,
        }),
      );
    } catch (error) {
      this.index.set(emptyFacts(file));
      return { file, message: `facts not collected: ${(error as Error).message}` };
    } finally {
      phaseClock.facts += performance.now() - collecting - (phaseClock.shape - shapeBefore);
      if (!keepTree) {
        parsed.tree.delete();
        this.parsed.delete(file);
      }
    }
    return undefined;
  }

  /**
   * The facts `text` would give `file`, leaving the index, the stats and the kept trees as they
   * are (a fix's text, analysed to see what else it changes). Undefined when it cannot be parsed.
   */
  factsOfText(file: string, text: string): FileFacts | undefined {
    if (text.length > this.limits.maxFileBytes) return undefined;
    let parsed: ParsedFile;
    try {
      parsed = this.parser.parse(text, undefined, this.limits.parseTimeoutMs);
    } catch {
      return undefined;
    }
    try {
      return collectFacts(file, parsed, countErrors(parsed.tree.rootNode), {
        needs: this.options.needs,
        walkEveryFunction: this.options.walkEveryFunction,
        detachStrings: this.options.detachStrings,
      });
    } catch {
      return undefined;
    } finally {
      parsed.tree.delete();
    }
  }

  /** Takes a file's facts collected elsewhere (an indexing worker), with what it cost there. */
  adopt(file: string, facts: FileFacts | undefined, stats: FileStats): void {
    if (facts) {
      // One copy of each string across files (names, types, paths repeat from file to file);
      // the copy from the worker already made them strings of their own. Part of the facts
      // phase: collectFacts() does the same on the thread that collects (one job).
      const interning = performance.now();
      detachStrings(facts, false);
      this.index.set(facts);
      phaseClock.facts += performance.now() - interning;
    } else this.remove(file);
    for (const key of STAT_KEYS) this.stats[key] += stats[key];
  }

  remove(file: string): void {
    this.parsed.get(file)?.tree.delete();
    this.parsed.delete(file);
    this.index.remove(file);
  }

  facts(file: string): FileFacts | undefined {
    return this.index.get(file);
  }

  /** The enclosing function of a 1-based position, for "simulate the function under the cursor". */
  enclosingFunction(file: string, line: number, column: number) {
    const facts = this.index.get(file);
    if (!facts) return undefined;
    const hit = facts.functions.find(
      (f) =>
        (f.span.line < line || (f.span.line === line && f.span.column <= column)) &&
        (f.span.endLine > line || (f.span.endLine === line && f.span.endColumn >= column)),
    );
    return hit ? { name: hit.name, span: hit.span } : undefined;
  }
}

function emptyFacts(file: string): FileFacts {
  return { file, functions: [], structFields: [], globals: [], registrations: [], parseErrors: 0 };
}
