/**
 * waitqueue-active-no-barrier, detection: a lockless waitqueue_active()/swait_active() check
 * (or the one inside wake_up_bit()/wake_up_var()) that decides a wakeup, with a store before it
 * (in its function, a helper it called, or its caller) that no full barrier orders before it.
 */
import { isQueueLock } from '../../analysis/wrappers';
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E, FnEvent } from '../rule';
import { callIsFullyOrdered, helperStores, StoreBefore, unorderedStoreBefore } from '../shared/stores';

export const CODE = 'waitqueue-active-no-barrier';

export interface ActiveCheckSubject {
  check: Site<E<'active'>>;
  /** The condition store the check must be ordered after (maybe in a caller or a helper): the nearest. */
  store: StoreBefore;
  /** Earlier stores no full barrier separates from the check, nearest first. */
  earlierStores: StoreBefore[];
  /** The caller, when the check sits in a helper it calls. */
  via?: FnEvent<'call'>;
  waits: Array<Site<E<'wait'>>>;
}

export function detectActiveChecks(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<ActiveCheckSubject>> {
  const out: Array<Candidate<ActiveCheckSubject>> = [];
  for (const fn of functions) activeChecks(index, file, fn, out);
  return out;
}

function holdsQueueLock(ctxLocks: string[], queueText: string): boolean {
  return ctxLocks.some((l) => isQueueLock(l, queueText));
}

function activeChecks(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Array<Candidate<ActiveCheckSubject>>): void {
  fn.events.forEach((e, i) => {
    if (e.kind !== 'active' || e.info.fullBarrier || !e.queue) return;
    if (holdsQueueLock(e.ctx.locksHeld, e.queue.text)) return;
    const queue = index.identity(file, fn, e.queue);
    // A check that decides no wake-up (a busy test, a debug print) cannot lose one.
    const wakesAfter = fn.events.slice(i + 1).some((x) => x.kind === 'wake' && !!x.queue && index.identity(file, fn, x.queue) === queue);
    if (!e.guardsWake && !wakesAfter) return;
    const check: Site<E<'active'>> = { file, fn, event: e, queue };
    const all = index.waitsOn(queue);
    // Sleepers that queue themselves under a lock held at the check cannot interleave with it
    // (pool->lock around free and check, the allocator's loop under the same lock): only the
    // others can miss the wakeup.
    const locks = checkLocks(index, check);
    const waits = all.filter((w) => !w.event.ctx.locksHeld.some((l) => locks.has(index.identityOfText(w.file, w.fn, l))));
    if (waits.length === 0 && all.length > 0) return;
    const local = unorderedStoreBefore(fn, i, callIsFullyOrdered(index, file), helperStores(index, file, fn), file);
    if (local.ordered) return;
    if (local.found.length) {
      out.push(activeCandidate(check, local.found, undefined, waits));
      return;
    }
    // No store in this function: follow one level up into the callers (a waker calling a
    // helper that does the check).
    for (const caller of index.callersOf(file, fn)) {
      const up = unorderedStoreBefore(caller.fn, caller.index, callIsFullyOrdered(index, caller.file), undefined, caller.file);
      if (!up.found.length) continue;
      out.push(activeCandidate(check, up.found, { file: caller.file, fn: caller.fn, event: caller.event }, waits));
      return;
    }
  });
}

/**
 * Identities of the spin locks held at the check. A sleeper that queues itself under one of
 * them is serialised with the check: if its critical section comes first, the check sees it
 * queued; if the waker's does, the store (before the check, so before the unlock) is visible to
 * the sleeper once it takes the lock, and it does not sleep.
 */
function checkLocks(index: WorkspaceIndex, check: Site<E<'active'>>): Set<string> {
  return new Set(check.event.ctx.locksHeld.map((l) => index.identityOfText(check.file, check.fn, l)));
}

function activeCandidate(
  check: Site<E<'active'>>,
  stores: StoreBefore[],
  via: FnEvent<'call'> | undefined,
  waits: Array<Site<E<'wait'>>>,
): Candidate<ActiveCheckSubject> {
  return {
    code: CODE,
    file: check.file,
    span: check.event.span,
    message: activeMessage(check, stores[0]),
    subject: { check, store: stores[0], earlierStores: stores.slice(1), via, waits },
  };
}

/** The finding's message for a check and the unordered store it names. */
export function activeMessage(check: Site<E<'active'>>, store: FnEvent<'store' | 'atomic'>): string {
  const text = store.event.kind === 'store' ? store.event.target.text : (store.event.target?.text ?? store.event.name);
  // A fixed bit's location (facts.ts bitAccess) reads `word#BIT`.
  const target = text.replace(/^(.*)#(\w+)$/, 'bit $2 of $1');
  const line = store.file === check.file ? `line ${store.event.span.line}` : `${store.file}:${store.event.span.line}`;
  const where = store.fn === check.fn ? line : `in ${store.fn.name}(), ${line}`;
  if (check.event.info.implicit) {
    const [queue, sleeper] = check.event.name === 'wake_up_var' ? ["variable's", 'wait_var_event()'] : ["bit's", 'wait_on_bit()'];
    return `${check.event.name}() checks the ${queue} wait queue with waitqueue_active() and can miss a sleeper: no full barrier orders the store to ${target} (${where}) before it, so a sleeper in ${sleeper} can test the old value and sleep while the waker sees an empty queue`;
  }
  return `${check.event.name}() can miss a sleeper: no full barrier orders the store to ${target} (${where}) before this check, so a waiter can test the old condition and sleep while the waker sees an empty queue`;
}
