/**
 * The second half of a proof: a pure function of a candidate's plan (prove.ts planFor, made on
 * the thread that has the workspace index) and the exploration bounds, returning the finding:
 * verdict, message, trace, verified fixes and proof statistics. A Plan is plain data (runtime
 * programs and text edits), so this runs as well on a proof worker (proofWorker.ts) as on the
 * calling thread, with the same result. It imports the runtime and types only: the worker's
 * bundle carries no parser and no index.
 */
import { explore, ExploreResult, Program, SearchStopped } from '../../../analyzer-runtime/src';
import type { ProofBounds } from './bounds';
import type { Finding, Fix, TraceStep } from './findings';
import type { Plan, PlanNotes, ProofJob } from './plan';
import { traceDiagram } from './traceData';

/**
 * Explores the plan (and, while it comes out safe, its alternatives), then the deferred program
 * and the fixes of a violation. `shouldStop`: asked by every search; once it answers true the
 * proof throws SearchStopped('stopped') and gives no finding (the caller no longer wants one).
 */
export function decide(job: ProofJob, bounds: ProofBounds, shouldStop?: () => boolean): Finding {
  const { base } = job;
  let plan = job.plan;
  const run = (program: Program): ExploreResult => {
    const r = explore(program, shouldStop ? { ...bounds, shouldStop } : bounds);
    if (shouldStop?.()) throw new SearchStopped('stopped');
    return r;
  };
  let result = run(plan.program);
  for (const alt of plan.alternatives ?? []) {
    if (result.verdict !== 'safe') break;
    const r = run(alt.program);
    if (r.verdict === 'safe') continue;
    plan = alt;
    result = r;
  }
  const message = plan.message ?? base.message;
  const proof = {
    states: result.stats.candidates,
    work: result.stats.work,
    milliseconds: Math.round(result.stats.milliseconds),
    ...(result.reason ? { bound: result.reason } : {}),
  };
  if (plan.claim === 'safe-alternative') {
    // The hint's claim is that the task-pointer form does the same job: it must come out safe.
    if (result.verdict !== 'safe')
      return {
        ...base,
        severity: 'information',
        verdict: 'unknown',
        message: `${message} (not proved: ${result.reason ?? 'the single-sleeper program is not safe'})`,
        trace: [],
        fixes: [],
        proof,
      };
    return { ...base, severity: 'hint', verdict: 'violated', trace: [], fixes: verifiedFixes(plan, run), proof };
  }
  if (result.verdict === 'unknown')
    return {
      ...base,
      severity: 'information',
      verdict: 'unknown',
      message: `${message} (undecided: ${result.reason ?? 'bound reached'})`,
      trace: [],
      fixes: [],
      proof,
    };
  if (result.verdict === 'safe') return { ...base, severity: 'information', verdict: 'safe', trace: [], fixes: [], proof };
  if (plan.notes?.leftOut?.length)
    return {
      ...base,
      severity: 'information',
      verdict: 'unknown',
      message: `${message} (not proved: a violation was found, but ${plan.notes.leftOut.join('; ')})`,
      trace: [],
      fixes: [],
      proof,
    };
  let advice = '';
  if (plan.deferred && run(plan.deferred).verdict === 'safe') {
    advice = '. Verified alternative: defer the sleeping part to a work item (the wake function only queues it; one more context switch on the wakeup path)';
  }
  const trace = traceOf(result);
  const fixes = verifiedFixes(plan, run);
  return {
    ...base,
    severity: 'warning',
    verdict: 'violated',
    message: `${message}. Proved: ${result.property?.message ?? 'property violated'}${timeoutNote(plan.notes)}${assumptionNote(plan.notes)}${advice}`,
    trace,
    fixes,
    proof,
    ...(result.trace.length ? { diagram: traceDiagram(result.trace, trace, fixes) } : {}),
  };
}

/** What the extraction assumed of code it could not model (extract.ts ProgramBuilder.assume). */
function assumptionNote(notes: PlanNotes | undefined): string {
  return notes?.assumptions?.length ? ` (assuming ${notes.assumptions.join('; ')}: that alternative of the condition is not modelled)` : '';
}

function timeoutNote(notes: PlanNotes | undefined): string {
  return notes?.timeout ? ` (${notes.timeout})` : '';
}

function verifiedFixes(plan: Plan, run: (program: Program) => ExploreResult): Fix[] {
  const fixes: Fix[] = [];
  for (const f of plan.fixes) {
    const r = run(f.program);
    if (r.verdict !== 'safe') continue;
    fixes.push({ title: f.title, verified: true, preferred: fixes.length === 0, edits: f.edits });
  }
  return fixes;
}

function traceOf(result: ExploreResult): TraceStep[] {
  return result.trace.map((s, i) => {
    const parts = [s.op];
    if (s.writes?.length) parts.push(`writes ${s.writes.map((w) => `${w.loc}=${w.value}`).join(', ')}`);
    if (s.reads?.length) parts.push(`reads ${s.reads.map((r) => `${r.loc}=${r.value}`).join(', ')}`);
    const text = parts.join('; ') + (s.note ? ` (${s.note})` : '');
    return {
      index: i,
      thread: s.thread,
      text,
      ...(s.src?.file
        ? { location: { file: s.src.file, line: s.src.line, column: s.src.column ?? 1, endLine: s.src.line, endColumn: (s.src.column ?? 1) + 1 } }
        : {}),
    };
  });
}
