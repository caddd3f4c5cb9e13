/**
 * What the analysis reports, in the shape both surfaces use: the CLI prints it as JSON/SARIF/text
 * and the language server turns it into diagnostics and code actions. Other tools rely on the
 * JSON shape, so fields are only ever added, never renamed. Lines and columns are 1-based.
 */

/** How sure we are: proved by a trace, proved safe, undecided within the bounds, or not yet tried. */
export type Verdict = 'violated' | 'safe' | 'unknown' | 'unproved';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface SourceSpan {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One step of the schedule that breaks the property, pointing at a real source line. */
export interface TraceStep {
  /** Index of the step in the schedule (0-based). */
  index: number;
  /** Thread name as the runtime calls it (e.g. "waker", "waiter1"). */
  thread: string;
  /** What the thread does, readably ("reads cond = 0 (stale: no full barrier after the store)"). */
  text: string;
  /** Where in the C source the step comes from; absent for steps the model adds (e.g. a signal). */
  location?: SourceSpan;
}

export interface TextEdit {
  file: string;
  /** 1-based start and end, end exclusive, as in SourceSpan. */
  range: Omit<SourceSpan, 'file'>;
  newText: string;
}

export interface Fix {
  title: string;
  /** True only when the fixed program was re-explored and came out safe. */
  verified: boolean;
  preferred: boolean;
  /** Possibly across several files (a task-pointer conversion edits the struct, waiter and waker). */
  edits: TextEdit[];
}

export interface Finding extends SourceSpan {
  code: string;
  severity: Severity;
  message: string;
  verdict: Verdict;
  trace: TraceStep[];
  fixes: Fix[];
  /** Exploration statistics behind the verdict, when a proof ran. */
  /** `work`: the search steps taken, what the maxWork budget bounds (the same on every machine). */
  proof?: { states: number; work?: number; milliseconds: number; bound?: string };
  /** A proved schedule as a sequence diagram's data (traceData.ts); not in `check`'s JSON. */
  diagram?: TraceDiagram;
}

/** One step of a diagram: a row, in its thread's column. */
export interface DiagramStep {
  /** 1-based, the trace's order: the row. */
  index: number;
  thread: string;
  /** The runtime's label of the operation (`WRITE_ONCE(ring.ready, 1)`); renderers may show the C line instead. */
  label: string;
  /** What the step does, in full (the trace text): the hover. */
  text: string;
  location?: { file: string; line: number };
}

export interface DiagramArrow {
  /** The step whose store is read. */
  from: number;
  /** The step that reads it. */
  to: number;
  loc: string;
  value: number;
  /** `missed`: not a read-from but the store a stale read did not see (drawn as its own mark). */
  kind: 'reads-from' | 'missed';
}

export interface TraceDiagram {
  threads: string[];
  steps: DiagramStep[];
  arrows: DiagramArrow[];
  /** The stale read (the step that read an old value) and the store it missed. */
  stale?: { read: number; missed: number; loc: string };
  /** The preferred fix's barrier: drawn in `thread`'s column just above step `before`. */
  barrier?: { thread: string; before: number; text: string; title: string; fix: string };
}

/** A file the analysis could not handle, with a one-line reason; the run goes on without it. */
export interface FileProblem {
  file: string;
  message: string;
}
