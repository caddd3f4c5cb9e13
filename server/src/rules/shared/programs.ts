/**
 * Building blocks of the rules' plans: a thread's context from its function's, a program with
 * some ops replaced (how fixes are applied to a program), the waker's code before its wakeup.
 */
import type { Op, Program, ProgramExpr } from '../../../../analyzer-runtime/src';
import { segmentOps } from '../../analysis/extract';
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

export function wakerPrefix(b: ProgramBuilder, site: Site<E<'wake'>>, tracked: Set<string>, queueText: string, queueName: string): Op[] {
  const idx = site.fn.events.indexOf(site.event);
  let from = 0;
  for (let k = idx - 1; k >= 0; k--) {
    const e = site.fn.events[k];
    if (e.kind === 'wake' || e.kind === 'wait') {
      from = k + 1;
      break;
    }
  }
  return segmentOps(b, { file: site.file, fn: site.fn, from, to: idx }, tracked, new Map([[queueText, queueName]]));
}

export function writesTracked(ops: Op[]): boolean {
  return ops.some((o) => o.op === 'store' || o.op === 'rmw' || (o.op === 'if' && (writesTracked(o.then) || writesTracked(o.else))));
}

/** Negation that does not stack: not(not(x)) is x, so traces read as the C does. */
export function not(e: ProgramExpr): ProgramExpr {
  return e.kind === 'not' ? e.operand : { kind: 'not', operand: e };
}
