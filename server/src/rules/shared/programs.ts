/**
 * Building blocks of the rules' plans: a thread's context from its function's, a program with
 * some ops replaced (how fixes are applied to a program), the waker's code before its wakeup.
 */
import type { Op, Program, ProgramExpr, Thread } from '../../../../analyzer-runtime/src';
import { exitIgnoringTimeout, segmentOps, waitOp } from '../../analysis/extract';
import type { ProgramBuilder } from '../../analysis/extract';
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { E } from '../rule';

export function threadContext(index: WorkspaceIndex, fn: FunctionFacts): 'process' | 'hardirq' | 'softirq' {
  const ctx = index.contextOf(fn);
  return ctx === 'hardirq' || ctx === 'wake-callback' ? 'hardirq' : ctx === 'softirq' ? 'softirq' : 'process';
}

export function replaceOps(ops: Op[], match: (o: Op) => boolean, replace: (o: Op) => Op[]): Op[] {
  return ops.flatMap((o) => {
    if (match(o)) return replace(o);
    if (o.op === 'if') return [{ ...o, then: replaceOps(o.then, match, replace), else: replaceOps(o.else, match, replace) }];
    return [o];
  });
}

export function variant(p: Program, thread: string, match: (o: Op) => boolean, replace: (o: Op) => Op[]): Program {
  return { ...p, threads: p.threads.map((t) => (t.name === thread ? { ...t, ops: replaceOps(t.ops, match, replace) } : t)) };
}

/** Where the waker's code before event `at` starts: after its previous wait or wakeup, else at the top. */
export function afterPreviousWaitOrWake(fn: FunctionFacts, at: number): number {
  for (let k = at - 1; k >= 0; k--) {
    const e = fn.events[k];
    if (e.kind === 'wake' || e.kind === 'wait') return k + 1;
  }
  return 0;
}

export function wakerPrefix(b: ProgramBuilder, site: Site<E<'wake'>>, tracked: Set<string>, queueText: string, queueName: string): Op[] {
  const idx = site.fn.events.indexOf(site.event);
  return segmentOps(b, { file: site.file, fn: site.fn, from: afterPreviousWaitOrWake(site.fn, idx), to: idx }, tracked, new Map([[queueText, queueName]]));
}

/**
 * A sleeper's thread for a lost-wakeup program: its snapshots, then its wait without its timeout
 * (the lost wakeup then shows as the wait failing with a timeout although the condition became
 * true), and the plan's note saying so when it has one.
 */
export function sleeperWithoutTimeout(
  b: ProgramBuilder,
  w: Site<E<'wait'>>,
  queueName: string,
  cond: ProgramExpr,
  snapshots: Op[],
): { thread: Thread; timeout?: string } {
  const thread: Thread = { name: 'waiter', context: 'process', ops: [...snapshots, waitOp(b, w, queueName, cond, exitIgnoringTimeout(w.event))] };
  if (!w.event.info.exits.includes('timeout')) return { thread };
  return { thread, timeout: `the waiter at ${w.file}:${w.event.span.line} has a timeout: the lost wakeup becomes a spurious timeout` };
}

export function writesTracked(ops: Op[]): boolean {
  return ops.some((o) => o.op === 'store' || o.op === 'rmw' || (o.op === 'if' && (writesTracked(o.then) || writesTracked(o.else))));
}

/** Negation that does not stack: not(not(x)) is x, so traces read as the C does. */
export function not(e: ProgramExpr): ProgramExpr {
  return e.kind === 'not' ? e.operand : { kind: 'not', operand: e };
}
