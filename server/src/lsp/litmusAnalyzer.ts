// Findings for C litmus files: a test whose `Result:` line disagrees with what the bundled LKMM
// checker answers is reported (code litmus-result-mismatch), with a quick fix that writes the
// checker's answer into the Result line. The fix is verified the only way that matters for a
// comment-only change: the fixed text is parsed again and its Result now equals the verdict.
import { LitmusError, parseLitmus, runParsedLitmus } from '../../../analyzer-runtime/src';
import type { Finding, FileProblem, SourceSpan } from '../analysis/findings';
import type { Analyzer, IsCancelled, LoadedFile, LoadOptions } from './analyzer';
import type { ServerSettings } from './settings';
import { checkOnWorker } from './litmusWorker';

export const LITMUS_RESULT_MISMATCH = 'litmus-result-mismatch';

/** 1-based position of a string offset. */
function positionAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

function spanOf(file: string, text: string, start: number, end: number): SourceSpan {
  const from = positionAt(text, start);
  const to = positionAt(text, end);
  return { file, line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
}

export function checkLitmusText(file: string, text: string, settings: ServerSettings): { findings: Finding[]; problems: FileProblem[] } {
  let test;
  try {
    test = parseLitmus(text);
  } catch (error) {
    if (error instanceof LitmusError) return { findings: [], problems: [{ file, message: error.message }] };
    throw error;
  }
  const resultWord = /Result:\s*([A-Za-z]+)/.exec(text);
  if (!test.expected || !resultWord) return { findings: [], problems: [] };
  const result = runParsedLitmus(test, { maxCandidates: settings.exploration.maxStates, timeoutMs: settings.exploration.timeoutMs });
  if (result.verdict === 'Unknown') return { findings: [], problems: [{ file, message: `no verdict: ${result.reason}` }] };
  if (result.verdict === test.expected) return { findings: [], problems: [] };

  const wordStart = resultWord.index + resultWord[0].length - resultWord[1].length;
  const wordEnd = wordStart + resultWord[1].length;
  const span = spanOf(file, text, wordStart, wordEnd);
  const fixedText = text.slice(0, wordStart) + result.verdict + text.slice(wordEnd);
  const verified = parseLitmus(fixedText).expected === result.verdict;
  const condition = /^\s*(~\s*exists|exists|forall)\b.*$/m.exec(text);
  const conditionSpan = condition
    ? spanOf(file, text, condition.index + (condition[0].length - condition[0].trimStart().length), condition.index + condition[0].length)
    : undefined;
  return {
    findings: [
      {
        ...span,
        code: LITMUS_RESULT_MISMATCH,
        severity: 'warning',
        message: `The test says "Result: ${test.expected}" but the Linux-kernel memory model answers ${result.verdict} (${result.positive} allowed executions satisfy the ${test.quantifier} clause, ${result.negative} do not).`,
        verdict: 'violated',
        trace: [
          {
            index: 0,
            thread: 'LKMM',
            text: `allowed final states: ${result.states.join(' | ') || 'none'}`,
            ...(conditionSpan ? { location: conditionSpan } : {}),
          },
        ],
        fixes: [
          {
            title: `Set "Result: ${result.verdict}"`,
            verified,
            preferred: true,
            edits: [{ file, range: { line: span.line, column: span.column, endLine: span.endLine, endColumn: span.endColumn }, newText: result.verdict }],
          },
        ],
        proof: { states: result.candidates, milliseconds: result.milliseconds },
      },
    ],
    problems: [],
  };
}

/** The Analyzer for .litmus files: each test stands alone, so nothing outside the file matters. */
export class LitmusAnalyzer implements Analyzer {
  private readonly texts = new Map<string, string>();

  /**
   * `workerEntry`: the server bundle, to check each file on a worker thread of its own (the
   * server keeps answering whatever the test; litmusWorker.ts); without it, on this thread.
   */
  constructor(private readonly workerEntry?: string) {}

  setFile(file: string, text: string): void {
    this.texts.set(file, text);
  }

  removeFile(file: string): void {
    this.texts.delete(file);
  }

  contextKey(): string {
    return '';
  }

  async analyzeFile(file: string, settings: ServerSettings, isCancelled: IsCancelled): Promise<{ findings: Finding[]; problems: FileProblem[] }> {
    const text = this.texts.get(file);
    if (text === undefined || isCancelled()) return { findings: [], problems: [] };
    if (this.workerEntry) return checkOnWorker(this.workerEntry, { file, text, settings }, isCancelled);
    return checkLitmusText(file, text, settings);
  }
}

/**
 * Sends each file to the analyzer for its kind: .litmus files to the LKMM checker, the rest to
 * the C analysis. Without a C analysis in the build, C files are kept out of it entirely.
 */
export class AnalyzerByFileKind implements Analyzer {
  constructor(
    private readonly c: Analyzer | undefined,
    private readonly litmus: Analyzer,
  ) {}

  /** What this build can analyse, as reported to clients. */
  get analyses(): string[] {
    return this.c ? ['c', 'litmus'] : ['litmus'];
  }

  private of(file: string): Analyzer | undefined {
    return file.endsWith('.litmus') ? this.litmus : this.c;
  }

  setFile(file: string, text: string, open?: boolean): void {
    this.of(file)?.setFile(file, text, open);
  }

  removeFile(file: string): void {
    this.of(file)?.removeFile(file);
  }

  contextKey(file: string): string {
    return this.of(file)?.contextKey(file) ?? '';
  }

  /** C files only, through the C analysis (a .litmus file is read one at a time by the caller). */
  async loadFiles(files: string[], options: LoadOptions): Promise<LoadedFile[]> {
    const c = this.c;
    if (!c?.loadFiles) return [];
    return c.loadFiles(
      files.filter((f) => this.of(f) === c),
      options,
    );
  }

  async completeIndex(isCancelled: IsCancelled, options?: { all?: boolean }): Promise<string[]> {
    return [...((await this.c?.completeIndex?.(isCancelled, options)) ?? []), ...((await this.litmus.completeIndex?.(isCancelled, options)) ?? [])];
  }

  enclosingFunction(file: string, line: number, column: number): ReturnType<NonNullable<Analyzer['enclosingFunction']>> {
    return this.of(file)?.enclosingFunction?.(file, line, column);
  }

  async analyzeFile(file: string, settings: ServerSettings, isCancelled: IsCancelled): Promise<{ findings: Finding[]; problems: FileProblem[] }> {
    const analyzer = this.of(file);
    return analyzer ? analyzer.analyzeFile(file, settings, isCancelled) : { findings: [], problems: [] };
  }

  dispose(): void {
    this.c?.dispose?.();
    this.litmus.dispose?.();
  }
}
