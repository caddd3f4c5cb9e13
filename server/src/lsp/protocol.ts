// Messages between the wakeaudit client and server beyond standard LSP. The client has its own
// copy of these shapes (client/src/protocol.ts): it must not import server code.
import type { Range } from 'vscode-languageserver/node';
import type { TraceStep, Verdict } from '../analysis/findings';

export const COMMAND_SIMULATE = 'wakeaudit.simulate';
export const COMMAND_SHOW_TRACE = 'wakeaudit.showTrace';
export const COMMAND_REINDEX = 'wakeaudit.reindex';
/** Server -> client notification driving the status bar item. */
export const STATUS_NOTIFICATION = 'wakeaudit/status';

/** Client -> server request for counters (tests and benchmarks read it). */
export const STATS_REQUEST = 'wakeaudit/stats';

export interface StatsResult {
  files: number;
  /** Analyses that missed the content cache and ran (with their proofs). */
  analysesRun: number;
  cacheHits: number;
  cacheEntries: number;
  heapUsedBytes: number;
}

export type SnippetLanguage = 'c' | 'litmus' | 'wakeaudit-program';

/** Arguments of wakeaudit.simulate: either the text itself, or a document and an optional range. */
export interface SimulateArguments {
  text?: string;
  language?: SnippetLanguage;
  uri?: string;
  range?: Range;
}

/** Arguments of wakeaudit.showTrace: the diagnostic's document and position (or its data key). */
export interface ShowTraceArguments {
  uri: string;
  position?: { line: number; character: number };
  findingKey?: string;
}

export interface TraceViewStep {
  index: number;
  thread: string;
  text: string;
  /** Where to reveal the step; absent for steps the model adds. */
  uri?: string;
  range?: Range;
}

/** What both commands return, and what the trace view draws: the verdict on top, one lane per thread. */
export interface TraceResult {
  title: string;
  verdict: Verdict;
  message: string;
  code?: string;
  threads: string[];
  steps: TraceViewStep[];
  proof?: { states: number; milliseconds: number; bound?: string };
  /** The proved schedule as an SVG sequence diagram (server/src/render/traceSvg.ts), when there is one. */
  svg?: string;
}

export interface StatusParams {
  state: 'starting' | 'indexing' | 'analysing' | 'idle';
  /** Files known to the server (indexed from disk or open). */
  files: number;
  /** Diagnostics currently shown (proved findings, plus unknown ones when shown). */
  findings: number;
  /** Progress while indexing: files done out of total. */
  done?: number;
  total?: number;
}

export function threadsOf(steps: readonly Pick<TraceStep, 'thread'>[]): string[] {
  const threads: string[] = [];
  for (const step of steps) if (!threads.includes(step.thread)) threads.push(step.thread);
  return threads;
}
