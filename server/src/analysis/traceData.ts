/**
 * A proved schedule as the data of a sequence diagram: one column per thread, one row per step,
 * an arrow for each read-from between threads, the stale read and the store it missed, and where
 * the preferred fix's barrier goes. Built from the runtime's trace (which says, per read, which
 * step's write it read and which later store it missed) and the finding's verified fixes, as
 * plain data; render/traceSvg.ts draws it.
 */
import type { TraceStep as RuntimeTraceStep } from '../../../analyzer-runtime/src';
import type { DiagramArrow, DiagramStep, Fix, TraceDiagram, TraceStep } from './findings';

export type { TraceDiagram } from './findings';

/**
 * `trace`: the runtime's steps; `steps`: the finding's (same order, with their text and
 * location); `fixes`: the finding's verified fixes (the preferred one places the barrier).
 */
export function traceDiagram(trace: RuntimeTraceStep[], steps: TraceStep[], fixes: Fix[]): TraceDiagram {
  const threads: string[] = [];
  for (const s of trace) if (!threads.includes(s.thread)) threads.push(s.thread);
  const threadOf = new Map(trace.map((s) => [s.index, s.thread]));
  const out: DiagramStep[] = trace.map((s, i) => ({
    index: s.index,
    thread: s.thread,
    label: s.op,
    text: steps[i]?.text ?? s.op,
    ...(steps[i]?.location ? { location: { file: steps[i].location!.file, line: steps[i].location!.line } } : {}),
  }));
  const arrows: DiagramArrow[] = [];
  let stale: TraceDiagram['stale'];
  for (const s of trace) {
    for (const r of s.reads ?? []) {
      if (r.from !== 'init' && threadOf.get(r.from) !== s.thread) arrows.push({ from: r.from, to: s.index, loc: r.loc, value: r.value, kind: 'reads-from' });
      if (r.missed !== undefined && !stale) {
        stale = { read: s.index, missed: r.missed, loc: r.loc };
        arrows.push({ from: r.missed, to: s.index, loc: r.loc, value: r.value, kind: 'missed' });
      }
    }
  }
  // The diagram shows a barrier: the first verified fix that inserts one, else the preferred fix.
  const barrierFix = fixes.find((f) => f.verified && f.edits.some((e) => BARRIER.test(e.newText))) ?? fixes.find((f) => f.preferred && f.verified);
  const barrier = barrierOf(out, barrierFix);
  return { threads, steps: out, arrows, ...(stale ? { stale } : {}), ...(barrier ? { barrier } : {}) };
}

/**
 * The diagram for the fixes a finding still offers: fixes can be withdrawn after its proof (one
 * that another rule finds unsafe), and a withdrawn fix's barrier is not drawn.
 */
export function forOfferedFixes(d: TraceDiagram, fixes: Fix[]): TraceDiagram {
  if (!d.barrier || fixes.some((f) => f.verified && f.title === d.barrier!.fix)) return d;
  const { barrier: _withdrawn, ...rest } = d;
  return rest;
}

/** A fix's text that orders memory: a full barrier, or a helper with one inside. */
const BARRIER = /\b(?:smp_mb\w*|wq_has_sleeper|swq_has_sleeper|set_current_state|smp_store_mb)\s*\(/;

/**
 * Where the fix's edit lands in the schedule: above the step at the smallest line at or
 * after the edit, in the edit's file (an inserted `smp_mb()` goes before the check it orders).
 */
function barrierOf(steps: DiagramStep[], fix: Fix | undefined): TraceDiagram['barrier'] {
  const edit = fix?.edits.find((e) => BARRIER.test(e.newText)) ?? fix?.edits[0];
  if (!fix || !edit) return undefined;
  let best: DiagramStep | undefined;
  for (const s of steps) {
    if (!s.location || s.location.file !== edit.file || s.location.line < edit.range.line) continue;
    if (!best || s.location.line < best.location!.line) best = s;
  }
  if (!best) return undefined;
  const lines = edit.newText.split('\n').map((l) => l.trim());
  const text = lines.find((l) => BARRIER.test(l)) ?? (lines.find(Boolean) || fix.title);
  return { thread: best.thread, before: best.index, text, title: `The fix (${fix.title}) goes here: it forbids the stale read.`, fix: fix.title };
}
