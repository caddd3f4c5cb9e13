// The wakeaudit-specific messages the client exchanges with the server. The server's copy is
// server/src/lsp/protocol.ts; the client keeps its own so that it never imports server code
// (the client stays free of analysis and can be bundled alone).

export const SERVER_COMMAND_SIMULATE = 'wakeaudit.simulate';
export const SERVER_COMMAND_SHOW_TRACE = 'wakeaudit.showTrace';
export const SERVER_COMMAND_REINDEX = 'wakeaudit.reindex';
export const STATUS_NOTIFICATION = 'wakeaudit/status';

export type Verdict = 'violated' | 'safe' | 'unknown' | 'unproved';

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface SimulateArguments {
  text?: string;
  language?: 'c' | 'litmus' | 'wakeaudit-program';
  uri?: string;
  range?: LspRange;
}

export interface ShowTraceArguments {
  uri: string;
  position?: LspPosition;
  findingKey?: string;
}

export interface TraceViewStep {
  index: number;
  thread: string;
  text: string;
  uri?: string;
  range?: LspRange;
}

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
  files: number;
  findings: number;
  done?: number;
  total?: number;
}
