// The engine behind "Simulate this snippet" for inputs that are not kernel C: C litmus tests go
// straight to the runtime's LKMM checker. The answer is drawn like a trace: the verdict on top,
// one lane per litmus thread with its statements, each linked to its source line.
import { explore, LitmusError, parseLitmus, parseProgram, ProgramError, runParsedLitmus, SearchStopped } from '../../../analyzer-runtime/src';
import type { Verdict } from '../analysis/findings';
import { CancelledError, IsCancelled } from './analyzer';
import type { TraceResult, TraceViewStep } from './protocol';
import type { ServerSettings } from './settings';

export class RuntimeSimulator {
  async simulate(
    input: { text: string; language: 'litmus' | 'wakeaudit-program'; file: string; uri: string },
    settings: ServerSettings,
    isCancelled: IsCancelled,
  ): Promise<TraceResult> {
    if (isCancelled()) throw new CancelledError();
    try {
      // The runtime asks isCancelled() every few steps of its search and stops at once.
      const result =
        input.language === 'wakeaudit-program'
          ? this.simulateProgram(input.text, input.file, input.uri, settings, isCancelled)
          : this.simulateLitmus(input.text, input.file, input.uri, settings, isCancelled);
      if (isCancelled()) throw new CancelledError();
      return result;
    } catch (error) {
      if (error instanceof SearchStopped) throw new CancelledError();
      throw error;
    }
  }

  /** A `.wake` program: explored, and its counterexample drawn one lane per thread. */
  private simulateProgram(text: string, file: string, uri: string, settings: ServerSettings, isCancelled: IsCancelled): TraceResult {
    let program;
    try {
      program = parseProgram(text);
    } catch (error) {
      if (error instanceof ProgramError)
        return { title: `program: ${file}`, verdict: 'unknown', message: `not a program the runtime reads: ${error.message}`, threads: [], steps: [] };
      throw error;
    }
    const r = explore(program, {
      maxCandidates: settings.exploration.maxStates,
      maxWork: settings.exploration.maxWork,
      timeoutMs: settings.exploration.timeoutMs,
      shouldStop: isCancelled,
    });
    const lines = text.split('\n');
    return {
      title: `program: ${program.name}`,
      verdict: r.verdict,
      message:
        r.verdict === 'violated'
          ? (r.property?.message ?? 'property violated')
          : r.verdict === 'safe'
            ? `safe: ${r.reason ?? 'no violation within the bounds'}`
            : `undecided: ${r.reason ?? 'budget exhausted'}`,
      threads: program.threads.map((t) => t.name),
      steps: r.trace.map((s, i) => {
        // A program's own ops carry the .wake line they came from when the tag has no file.
        const line = s.src && !s.src.file ? s.src.line - 1 : undefined;
        return {
          index: i,
          thread: s.thread,
          text: s.note ? `${s.op} (${s.note})` : s.op,
          ...(line !== undefined && line >= 0 && line < lines.length
            ? { uri, range: { start: { line, character: 0 }, end: { line, character: lines[line].length } } }
            : {}),
        };
      }),
      proof: { states: r.stats.candidates, milliseconds: Math.round(r.stats.milliseconds) },
    };
  }

  private simulateLitmus(text: string, file: string, uri: string, settings: ServerSettings, isCancelled: IsCancelled): TraceResult {
    const lines = text.split('\n');
    let test;
    try {
      test = parseLitmus(text);
    } catch (error) {
      if (error instanceof LitmusError) {
        return { title: `litmus: ${file}`, verdict: 'unknown', message: `not a litmus test the runtime reads: ${error.message}`, threads: [], steps: [] };
      }
      throw error;
    }
    const result = runParsedLitmus(test, { maxCandidates: settings.exploration.maxStates, timeoutMs: settings.exploration.timeoutMs, shouldStop: isCancelled });
    if (result.verdict === 'Unknown') {
      return { title: `litmus: ${result.name}`, verdict: 'unknown', message: `LKMM gives no answer: ${result.reason}.`, threads: [], steps: [] };
    }
    // The litmus question is the final condition: `exists`/`not exists` ask whether the outcome
    // is reachable, `forall` whether it always holds. A reachable `exists` outcome (or a
    // `forall` that can fail) is what the test warns about.
    const violated = test.quantifier === 'forall' ? result.negative > 0 : result.positive > 0;
    const verdict: Verdict = violated ? 'violated' : 'safe';
    const threads = test.threads.map((thread) => `P${thread.index}`);
    const steps: TraceViewStep[] = [];
    for (const thread of test.threads) {
      for (const statement of thread.body) {
        // A bare register declaration does nothing a reader needs to see in the lanes.
        if (statement.kind === 'declare' && !statement.init) continue;
        const lineIndex = statement.line - 1;
        const source = (lines[lineIndex] ?? '').trim();
        steps.push({
          index: steps.length,
          thread: `P${thread.index}`,
          text: source,
          uri,
          range: { start: { line: lineIndex, character: 0 }, end: { line: lineIndex, character: (lines[lineIndex] ?? '').length } },
        });
      }
    }
    const states = result.states.length > 0 ? ` Final states: ${result.states.join(' | ')}.` : '';
    return {
      title: `litmus: ${result.name}`,
      verdict,
      message: `LKMM answers ${result.verdict} for the ${test.quantifier} clause (${result.positive} allowed executions satisfy it, ${result.negative} do not${result.expected ? `; the test expects ${result.expected}` : ''}).${states}`,
      threads,
      steps,
      proof: { states: result.candidates, milliseconds: result.milliseconds },
    };
  }
}
