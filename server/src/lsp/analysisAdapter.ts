// Adapts the C analysis (server/src/analysis/) to the server's Analyzer interface. The parser
// loads asynchronously (WebAssembly), so texts that arrive before it is ready are queued and
// applied in order once it is; analyzeFile waits for it.
import { analyzeWorkspaceFile } from '../analysis/prove';
import type { FileProblem } from '../analysis/findings';
import { Workspace } from '../analysis/workspace';
import type { Analyzer, IsCancelled } from './analyzer';
import { CancelledError } from './analyzer';
import { isRuleEnabled, ServerSettings } from './settings';

export class CAnalyzer implements Analyzer {
  private workspace: Workspace | undefined;
  private readonly ready: Promise<Workspace>;
  /** Texts (or removals, as null) received before the parser was loaded, in arrival order. */
  private readonly pending = new Map<string, { text: string; open: boolean } | null>();
  /** The one-line reason a file could not be analysed, shown as its problem. */
  private readonly problems = new Map<string, FileProblem>();

  constructor() {
    this.ready = Workspace.create().then((ws) => {
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
    const problem = ws.setFile(file, text, false, open);
    if (problem) this.problems.set(file, problem);
    else this.problems.delete(file);
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
    const result = await analyzeWorkspaceFile(ws, file, {
      maxStates: settings.exploration.maxStates,
      timeoutMs: settings.exploration.timeoutMs,
      enabled: (code) => isRuleEnabled(settings, code),
      isCancelled,
    });
    return { findings: result.findings, problems: problem ? [problem, ...result.problems] : result.problems };
  }
}

export function createCAnalyzer(): Analyzer | undefined {
  return new CAnalyzer();
}
