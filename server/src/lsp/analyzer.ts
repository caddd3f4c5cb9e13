// The one seam between the language server and the analysis: "here are the workspace's files,
// give me the findings of these files". Everything LSP-specific (documents, diagnostics,
// progress, caching, cancellation plumbing) stays on the server side of this interface.
import type { FileProblem, Finding, SourceSpan } from '../analysis/findings';
import type { ServerSettings } from './settings';

/** A cooperative cancellation check; the analysis calls it between files and between proofs. */
export type IsCancelled = () => boolean;

export interface Analyzer {
  /** Replaces (or adds) the text of one file in the analysis' workspace model. No proofs run here. */
  /** `open`: the editor has the document open (it will be edited: keep what makes re-parsing cheap). */
  setFile(file: string, text: string, open?: boolean): void;
  removeFile(file: string): void;
  /**
   * A key that changes whenever anything outside `file` that its findings depend on changes
   * (e.g. the index entries of the queues it waits on or wakes). The server caches a file's
   * findings under (settings, file text, this key), so an edit elsewhere that leaves the key
   * alone does not re-prove anything.
   */
  contextKey(file: string): string;
  /** The function around a 1-based position, so "simulate" at a cursor means that function. */
  enclosingFunction?(file: string, line: number, column: number): Omit<SourceSpan, 'file'> | undefined;
  /**
   * Reads `files` from disk into the analysis in bulk (on worker threads where it has them),
   * instead of one setFile() per file. `isOpen`: the editor's text wins, so a file opened
   * meanwhile keeps it. Returns the files it loaded with the hash of the text it read
   * (contentHash), or why one could not be read; files it did not get to (cancelled, opened)
   * are not in the answer.
   */
  loadFiles?(files: string[], options: LoadOptions): Promise<LoadedFile[]>;
  /**
   * After the workspace's files were given to setFile(): adds what the indexed code needs from
   * files the analysis passed over (the C analysis: headers its prefilter skipped that define a
   * helper a condition calls, or a constant such a helper compares with), as `wakeaudit check`
   * does. `all`: every file's needs (after a re-index); else those of the files set since the
   * last call (an edit that calls a helper nobody needed before). Returns the files it added;
   * yields between files, and stops when `isCancelled`.
   */
  completeIndex?(isCancelled: IsCancelled, options?: { all?: boolean }): Promise<string[]>;
  /** Findings whose primary location is in `file`, proved within the exploration bounds. */
  analyzeFile(file: string, settings: ServerSettings, isCancelled: IsCancelled): Promise<{ findings: Finding[]; problems: FileProblem[] }>;
  /** Ends what the analyzer started (worker threads): server shutdown. */
  dispose?(): void;
}

export interface LoadOptions {
  isCancelled: IsCancelled;
  isOpen: (file: string) => boolean;
  /** The size cap of one file (`wakeaudit.maxFileMb`): larger files are skipped, never read past it. */
  maxFileBytes: number;
  progress?: (done: number, total: number) => void;
}

export type LoadedFile = { file: string; hash: string } | { file: string; error: string };

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}
