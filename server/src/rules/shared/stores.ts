/**
 * The stores a lockless check or a wakeup must be ordered after: walking back from a point of
 * a function (and one call into its helpers) to the nearest full barrier. Shared by the rules
 * that ask "is the condition store ordered before this?".
 */
import { LOG_CALLS, STORE_MACROS } from '../../analysis/wrappers';
import { onOnePath } from '../../analysis/facts';
import type { FactEvent, FunctionFacts } from '../../analysis/facts';
import type { WorkspaceIndex } from '../../analysis/index';
import type { E, FnEvent } from '../rule';

/** The non-returning atomic bitops (wrappers.ts STORE_MACROS `atomic`). */
const ATOMIC_BITOPS = new Set([...STORE_MACROS].filter(([, m]) => m.atomic).map(([name]) => name));

/** A non-returning atomic (atomic_t op or bitop): what smp_mb__after_atomic() completes into a full barrier. */
export function isNonReturningAtomic(e: E<'store' | 'atomic'>): boolean {
  return e.kind === 'store' ? ATOMIC_BITOPS.has(e.via) : !e.returning;
}

/**
 * The barrier that orders `store` before a later lockless queue check: the kernel's
 * smp_mb__after_atomic() after a non-returning atomic (clear_bit() before wake_up_bit()), else smp_mb().
 */
export function barrierAfter(store: E<'store' | 'atomic'>): { call: 'smp_mb__after_atomic' | 'smp_mb'; fence: 'after_atomic' | 'mb' } {
  return isNonReturningAtomic(store) ? { call: 'smp_mb__after_atomic', fence: 'after_atomic' } : { call: 'smp_mb', fence: 'mb' };
}

/** A store before a check: in the check's function, or (`into`) in a helper it called before. */
export interface StoreBefore {
  file: string;
  fn: FunctionFacts;
  event: E<'store' | 'atomic'>;
  /** The call, in the walked function, into the helper (`fn`) that made the store. */
  into?: FnEvent<'call'>;
}

/** Follows a call into its helper: the helper's last unordered stores, `barrier` when a full barrier precedes them there. */
type Descend = (call: E<'call'>) => { file: string; fn: FunctionFacts; stores: Array<E<'store' | 'atomic'>>; barrier: boolean } | undefined;

/**
 * Walks back from `before` for the stores no full barrier separates from it, nearest first
 * (`stores`: this function's; `found`: with the helpers'); `ordered` when an ordering point
 * comes before any store;
 * `barrier` when the walk ended at one. With `descend`, a helper called on the way
 * contributes its own last stores (`__put_permit(p); if (waitqueue_active(&wq))`).
 */
export function unorderedStoreBefore(
  fn: FunctionFacts,
  before: number,
  callOrders: (call: E<'call'>) => boolean = () => false,
  descend?: Descend,
  file = '',
): { stores: Array<E<'store' | 'atomic'>>; found: StoreBefore[]; ordered: boolean; barrier: boolean; stop?: FactEvent } {
  const found: StoreBefore[] = [];
  const stores: Array<E<'store' | 'atomic'>> = [];
  const add = (event: E<'store' | 'atomic'>) => {
    stores.push(event);
    found.push({ file, fn, event });
  };
  const result = (barrier: boolean, stop?: FactEvent) => ({ stores, found, ordered: barrier && found.length === 0, barrier, stop });
  let sawAfterAtomic = false;
  const at = fn.events[before]?.ctx;
  for (let i = before - 1; i >= 0; i--) {
    const e = fn.events[i];
    // The other arm of an if the check sits in (`if (x) { store; wake } else if (...) check`).
    if (at && !onOnePath(e.ctx, at)) continue;
    if (e.kind === 'barrier') {
      if (e.barrier === 'full') return result(true, e);
      if (e.barrier === 'after-atomic') sawAfterAtomic = true;
      continue;
    }
    if (e.kind === 'store') {
      if (e.fullBarrierAfter) return result(true, e);
      // set_bit()/clear_bit() are non-returning atomics: smp_mb__after_atomic() completes them.
      if (sawAfterAtomic && ATOMIC_BITOPS.has(e.via)) return result(true, e);
      add(e);
      continue;
    }
    if (e.kind === 'atomic') {
      if (e.returning && e.ordering === 'full') return result(true, e);
      // smp_mb__after_atomic() after a non-returning atomic is a full barrier for both.
      if (sawAfterAtomic && !e.returning) return result(true, e);
      add(e);
      continue;
    }
    // wake_up_process() and friends: try_to_wake_up() runs smp_mb__after_spinlock() before it
    // reads the task's state, a full barrier whether or not the task sleeps.
    if (e.kind === 'wake' && e.info.queue === 'task') return result(true, e);
    if (e.kind === 'call') {
      // A helper of the workspace called in between that is itself fully ordered.
      if (callOrders(e)) return result(true, e);
      const inner = descend?.(e);
      // smp_mb__after_atomic() after a helper whose last access is a non-returning atomic
      // (`put_ref(x); smp_mb__after_atomic(); wake_up_var(x)`) completes it: a full barrier.
      if (inner && sawAfterAtomic) {
        const last = inner.stores[0];
        if (last && isNonReturningAtomic(last)) return result(true, e);
      } else if (inner) {
        for (const event of inner.stores) found.push({ file: inner.file, fn: inner.fn, event, into: { file, fn, event: e } });
        if (inner.barrier) return result(true, e);
      }
    }
    // A lock taken (not released) after the store and before the check: spin_lock is only an
    // acquire, it does not order the earlier store before the later load.
  }
  return result(false);
}

/** The one definition a call reaches: the workspace's only one, or this file's static one. */
export function calleeOf(index: WorkspaceIndex, file: string, name: string): { file: string; fn: FunctionFacts } | undefined {
  let defs = index.functionsNamed(name);
  if (defs.length > 1) defs = defs.filter((d) => d.file === file && d.fn.isStatic);
  return defs.length === 1 ? defs[0] : undefined;
}

/**
 * A call whose callee always runs a full barrier: smp_mb(), a fully ordered value-returning
 * atomic, smp_store_mb(), a task wakeup, outside any branch or loop (a barrier on one path of
 * the helper leaves the other unordered).
 */
export function callIsFullyOrdered(index: WorkspaceIndex, file: string): (call: E<'call'>) => boolean {
  return (call) => {
    const def = calleeOf(index, file, call.name);
    // A log call the workspace does not define (a macro or printk itself) ends in smp_mb().
    if (!def) return LOG_CALLS.test(call.name) && index.functionsNamed(call.name).length === 0;
    return def.fn.events.some(
      (x) =>
        !x.ctx.conditional &&
        x.ctx.loopDepth === 0 &&
        ((x.kind === 'barrier' && x.barrier === 'full') ||
          (x.kind === 'atomic' && x.returning && x.ordering === 'full') ||
          (x.kind === 'store' && x.fullBarrierAfter) ||
          (x.kind === 'wake' && x.info.queue === 'task')),
    );
  };
}

/** One level into the helpers a function calls: their last stores no full barrier follows. */
export function helperStores(index: WorkspaceIndex, file: string, caller: FunctionFacts): Descend {
  return (call) => {
    const def = calleeOf(index, file, call.name);
    if (!def || def.fn === caller) return undefined;
    const tail = unorderedStoreBefore(def.fn, def.fn.events.length, callIsFullyOrdered(index, def.file));
    // A barrier on one path of the helper (`if (atomic_dec_and_test(..))`) leaves the other
    // unordered: only one every call runs orders what the caller did before.
    const always = !!tail.stop && !tail.stop.ctx.conditional && tail.stop.ctx.loopDepth === 0;
    return { file: def.file, fn: def.fn, stores: tail.stores, barrier: tail.barrier && always };
  };
}
