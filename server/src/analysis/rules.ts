/**
 * Rules: suspicions drawn from facts and the index. A candidate is not a finding: it carries
 * what the extraction needs (the sites involved) and becomes a finding only with a verdict
 * from the runtime (prove.ts). Each rule's meaning is in docs/rules/<code>.md.
 */
import { LIST_REMOVAL, LOG_CALLS, QUEUE_EMPTY_TEST } from './wrappers';
import { isQueueLock } from './extract';
import { onOnePath } from './facts';
import type { AccessPath, FactEvent, FunctionFacts, Span } from './facts';
import type { Site, WorkspaceIndex } from './index';

export const RULE_CODES = [
  'swake-exclusive-multi-waiter',
  'swait-single-waiter',
  'swake-all-atomic-context',
  'waitqueue-active-no-barrier',
  'sleep-state-order',
  'sleep-in-wake-callback',
  'vcpu-kick-unobserved-state',
  'pv-lost-kick',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

type E<K extends FactEvent['kind']> = Extract<FactEvent, { kind: K }>;

export interface FnEvent<K extends FactEvent['kind'] = FactEvent['kind']> {
  file: string;
  fn: FunctionFacts;
  event: E<K>;
}

export type Subject =
  | {
      kind: 'active-check';
      check: Site<E<'active'>>;
      /** The condition store the check must be ordered after (maybe in a caller or a helper): the nearest. */
      store: StoreBefore;
      /** Earlier stores no full barrier separates from the check, nearest first. */
      earlierStores: StoreBefore[];
      /** The caller, when the check sits in a helper it calls. */
      via?: FnEvent<'call'>;
      waits: Array<Site<E<'wait'>>>;
    }
  | { kind: 'exclusive-wake'; wake: Site<E<'wake'>>; waits: Array<Site<E<'wait'>>>; why: string }
  | { kind: 'atomic-wake'; wake: Site<E<'wake'>>; why: string; waits: Array<Site<E<'wait'>>> }
  | { kind: 'state-order'; file: string; fn: FunctionFacts; state: E<'state'>; check: E<'check'>; schedule: E<'schedule'>; variant: 'check-before-state' | 'no-barrier' }
  | { kind: 'single-waiter'; queue: string; wait: Site<E<'wait'>>; wakes: Array<Site<E<'wake'>>>; owner: string }
  | {
      kind: 'vcpu-kick';
      file: string;
      fn: FunctionFacts;
      kick: E<'call'>;
      /** The per-vCPU state the waker sets before the kick. */
      store: E<'store' | 'atomic'>;
      predicate: { file: string; fn: FunctionFacts };
    }
  | { kind: 'pv-unlock'; file: string; fn: FunctionFacts; store: E<'store'>; lockParam: string }
  | {
      kind: 'pv-waiter';
      file: string;
      fn: FunctionFacts;
      /**
       * plain-mark: the queue head marks the lock byte _Q_SLOW_VAL with a store, not an RMW;
       * unmarked: it halts on the lock byte without marking it; no-recheck: a queued node
       * publishes its halted state and halts without re-checking node->locked;
       * unordered-recheck: it re-checks, but the state store has no full barrier before it.
       */
      variant: 'plain-mark' | 'unmarked' | 'no-recheck' | 'unordered-recheck';
      /** The pv_wait() call. */
      wait: E<'call'>;
      /** The store that marks the byte (plain-mark) or publishes the node's state. */
      store?: E<'store'>;
      lockParam?: string;
    }
  | {
      kind: 'callback-sleep';
      file: string;
      callback: FunctionFacts;
      /** The call in the callback that sleeps, or that calls the helper that sleeps. */
      at: E<'sleep'> | E<'call'>;
      /** When the sleep is one level down: the helper and its sleeping op. */
      helper?: { file: string; fn: FunctionFacts; sleep: E<'sleep'> };
    };

export interface Candidate {
  code: RuleCode;
  file: string;
  span: Span;
  message: string;
  subject: Subject;
}

const ATOMIC_BITOPS = new Set(['set_bit', 'clear_bit', 'change_bit', 'clear_bit_unlock']);

/** A non-returning atomic (atomic_t op or bitop): what smp_mb__after_atomic() completes into a full barrier. */
export function isNonReturningAtomic(e: E<'store' | 'atomic'>): boolean {
  return e.kind === 'store' ? ATOMIC_BITOPS.has(e.via) : !e.returning;
}

export function findCandidates(index: WorkspaceIndex, file: string): Candidate[] {
  const facts = index.get(file);
  if (!facts) return [];
  const out: Candidate[] = [];
  for (const fn of facts.functions) {
    activeChecks(index, file, fn, out);
    stateOrder(file, fn, out);
    wakes(index, file, fn, out);
    callbackSleeps(index, file, fn, out);
    vcpuKicks(index, file, fn, out);
    pvUnlocks(index, file, fn, out);
    pvWaiters(index, file, fn, out);
  }
  singleWaiter(index, file, out);
  out.sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
  return out;
}

// --- waitqueue-active-no-barrier ------------------------------------------------------------

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
export function unorderedStoreBefore(fn: FunctionFacts, before: number, callOrders: (call: E<'call'>) => boolean = () => false, descend?: Descend, file = ''): { stores: Array<E<'store' | 'atomic'>>; found: StoreBefore[]; ordered: boolean; barrier: boolean; stop?: FactEvent } {
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
function callIsFullyOrdered(index: WorkspaceIndex, file: string): (call: E<'call'>) => boolean {
  return (call) => {
    const def = calleeOf(index, file, call.name);
    // A log call the workspace does not define (a macro or printk itself) ends in smp_mb().
    if (!def) return LOG_CALLS.test(call.name) && index.functionsNamed(call.name).length === 0;
    return def.fn.events.some(
      (x) =>
        !x.ctx.conditional && x.ctx.loopDepth === 0 &&
        ((x.kind === 'barrier' && x.barrier === 'full') ||
        (x.kind === 'atomic' && x.returning && x.ordering === 'full') ||
        (x.kind === 'store' && x.fullBarrierAfter) ||
        (x.kind === 'wake' && x.info.queue === 'task')),
    );
  };
}

/** One level into the helpers a function calls: their last stores no full barrier follows. */
function helperStores(index: WorkspaceIndex, file: string, caller: FunctionFacts): Descend {
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

function holdsQueueLock(ctxLocks: string[], queueText: string): boolean {
  return ctxLocks.some((l) => isQueueLock(l, queueText));
}

function activeChecks(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Candidate[]): void {
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

function activeCandidate(check: Site<E<'active'>>, stores: StoreBefore[], via: FnEvent<'call'> | undefined, waits: Array<Site<E<'wait'>>>): Candidate {
  return {
    code: 'waitqueue-active-no-barrier',
    file: check.file,
    span: check.event.span,
    message: activeMessage(check, stores[0]),
    subject: { kind: 'active-check', check, store: stores[0], earlierStores: stores.slice(1), via, waits },
  };
}

/** The finding's message for a check and the unordered store it names. */
export function activeMessage(check: Site<E<'active'>>, store: FnEvent<'store' | 'atomic'>): string {
  const text = store.event.kind === 'store' ? store.event.target.text : store.event.target?.text ?? store.event.name;
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

// --- sleep-state-order ----------------------------------------------------------------------

function isSleepingState(state: string): boolean {
  return /TASK_(?:UN)?INTERRUPTIBLE|TASK_KILLABLE|TASK_IDLE|TASK_PARKED|TASK_STOPPED|TASK_FREEZABLE/.test(state) && !/TASK_RUNNING/.test(state);
}

/** A condition that is only a test for a pending signal of the current task. */
const SIGNAL_TEST = /^!?\s*\(?\s*(?:signal_pending|fatal_signal_pending|freezing)\s*\(\s*current\s*\)\s*\)?$/;

function stateOrder(file: string, fn: FunctionFacts, out: Candidate[]): void {
  fn.events.forEach((e, i) => {
    if (e.kind !== 'schedule') return;
    // The closest state change before this schedule().
    let s = -1;
    for (let k = i - 1; k >= 0; k--) {
      const ev = fn.events[k];
      if (ev.kind === 'state') {
        s = k;
        break;
      }
      if (ev.kind === 'schedule' || ev.kind === 'wait') return;
    }
    if (s < 0) return;
    const state = fn.events[s] as E<'state'>;
    if (!isSleepingState(state.state)) return;
    const between = fn.events.slice(s + 1, i);
    const checksBetween = between.filter((ev): ev is E<'check'> => ev.kind === 'check' && ev.condition.reads.length > 0);
    const fullBarrierBetween = between.some((ev) => ev.kind === 'barrier' && ev.barrier === 'full');
    if (!state.barrier && checksBetween.length > 0 && !fullBarrierBetween) {
      // A signal test needs no barrier before it (see SIGNAL_TEST): the check that matters is
      // the condition's; with only signal tests after the state there is none.
      const check = checksBetween.find((c) => !SIGNAL_TEST.test(c.condition.text));
      if (!check) return;
      // A check made under a lock the waker also takes is ordered by that lock.
      if (check.ctx.locksHeld.length > 0) return;
      out.push({
        code: 'sleep-state-order',
        file,
        span: state.span,
        message: `${state.name}(${state.state}) has no barrier: the check of ${check.condition.text} (line ${check.span.line}) can be satisfied before the state store is visible, so a wake-up between them is lost; use set_current_state()`,
        subject: { kind: 'state-order', file, fn, state, check, schedule: e, variant: 'no-barrier' },
      });
      return;
    }
    if (checksBetween.length > 0) return;
    // No re-check after the state store: the condition must have been checked before it.
    for (let k = s - 1; k >= 0; k--) {
      const ev = fn.events[k];
      if (ev.kind === 'schedule' || ev.kind === 'wait' || ev.kind === 'state') break;
      // A check that leaves the loop, or one whose branch holds the sleep (`if (empty) {
      // set_current_state(); schedule(); }`): either way it was made before the state store.
      const leadsIntoSleep = ev.kind === 'check' && !ev.exits && state.ctx.conditional;
      // A loop bound over a local counter (`for (i = 0; i < n; i++)`) is not what the sleeper waits for.
      if (ev.kind === 'check' && ev.condition.usesLocal && !leadsIntoSleep) break;
      // A signal (or the freezer's fake one) pending before the state change does not let the
      // task sleep: schedule() does not block an interruptible task with a signal pending
      // (signal_pending_state()). Such a test is no lost-wakeup window, and no store to prove one.
      // An `if (signal_pending(current)) break;` is passed over to the loop's own condition; a
      // loop on the signal alone, or a signal test whose other arm sleeps, leaves nothing to check.
      if (ev.kind === 'check' && SIGNAL_TEST.test(ev.condition.text)) {
        if (ev.exits && ev.exitWhen) continue;
        break;
      }
      if (ev.kind === 'check' && (ev.exits || leadsIntoSleep) && ev.condition.reads.length > 0) {
        if (ev.ctx.locksHeld.length > 0 && state.ctx.locksHeld.some((l) => ev.ctx.locksHeld.includes(l))) return;
        out.push({
          code: 'sleep-state-order',
          file,
          span: ev.span,
          message: `${ev.condition.text} is checked before ${state.name}() (line ${state.span.line}) and not again before schedule(): a wake-up that lands between the check and the state change is lost; check the condition after setting the state`,
          subject: { kind: 'state-order', file, fn, state, check: ev, schedule: e, variant: 'check-before-state' },
        });
        return;
      }
    }
  });
}

// --- wake-side rules -------------------------------------------------------------------------


/** Does the waiter change what it waited for after waking (take the item, reset the flag)? */
export function consumes(index: WorkspaceIndex, wait: Site<E<'wait'>>): boolean {
  const cond = wait.event.condition;
  if (!cond) return false;
  const ids = new Set(cond.reads.map((r) => index.identity(wait.file, wait.fn, r)));
  const writes = (file: string, fn: FunctionFacts) =>
    fn.events.some((e) => {
      if (e.kind === 'store') return ids.has(index.identity(file, fn, e.target));
      if (e.kind === 'atomic' && e.target) return ids.has(index.identity(file, fn, e.target));
      return false;
    });
  // In the waiting function (a retry loop consumes at its top) or a helper of its file it calls.
  if (writes(wait.file, wait.fn)) return true;
  // Waiting for a list to be non-empty and then taking an entry off a list (the entry's own
  // node is written, not the head the condition reads): consumed.
  if (QUEUE_EMPTY_TEST.test(cond.text) && wait.fn.events.some((e) => e.kind === 'call' && LIST_REMOVAL.test(e.name) && e.span.start > wait.event.span.start)) return true;
  return wait.fn.events.some((e) => e.kind === 'call' && index.functionsNamed(e.name).some((c) => c.file === wait.file && c.fn !== wait.fn && writes(c.file, c.fn)));
}

function wakes(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Candidate[]): void {
  for (const e of fn.events) {
    if (e.kind !== 'wake' || !e.queue) continue;
    const queue = index.identity(file, fn, e.queue);
    const wake: Site<E<'wake'>> = { file, fn, event: e, queue };
    const waits = index.waitsOn(queue);
    if (e.info.needsIrqsOn) {
      const ctx = index.contextOf(fn);
      const why = e.ctx.irqsOff
        ? 'with interrupts disabled'
        : ctx === 'hardirq'
          ? 'from a hard-IRQ handler'
          : ctx === 'wake-callback'
            ? 'from a wait-queue wake callback (queue lock held, interrupts off)'
            : undefined;
      if (why) {
        out.push({
          code: 'swake-all-atomic-context',
          file,
          span: e.span,
          message: `${e.name}() called ${why}: it drops and retakes the queue lock with raw_spin_lock_irq(), which re-enables interrupts, and it may wake an unbounded number of tasks`,
          subject: { kind: 'atomic-wake', wake, why, waits },
        });
      }
      continue;
    }
    if (e.info.nr !== 1 || (e.info.queue !== 'swait' && e.info.queue !== 'waitqueue')) continue;
    const exclusiveWaits = waits.filter((w) => w.event.info.exclusive);
    if (exclusiveWaits.length === 0) continue;
    if (singleOwner(index, queue, waits)) continue;
    // A sleeper leaving on a signal or timeout is a reason only in an open-coded loop: the wait
    // macros dequeue it under the queue lock first and then test the condition once more, so
    // one the wakeup selected returns success when the condition holds (prepare_to_wait_event()'s
    // "exclusive waiter must not fail if it was selected").
    const reasons: string[] = [];
    const leaving = exclusiveWaits.filter((w) => w.event.info.manual && w.event.info.exits.length > 0);
    if (leaving.length) reasons.push(`a woken waiter can leave without consuming the wakeup (${leaving[0].event.name} at ${leaving[0].file}:${leaving[0].event.span.line})`);
    const conditions = new Set(exclusiveWaits.map((w) => w.event.condition?.text ?? ''));
    if (conditions.size > 1) reasons.push('waiters on this queue wait for different conditions');
    // "A state every sleeper needs" is Linus's rule for swait, where every wakeup is exclusive
    // whether the sleeper asked for it or not. A regular queue's exclusive sleepers chose the
    // protocol (one wakeup per freed slot, consumed wherever the slot is taken: fuse's
    // background requests), which the model cannot see: not claimed there.
    const nonConsuming = e.info.queue === 'swait' ? exclusiveWaits.filter((w) => w.event.condition && !consumes(index, w)) : [];
    if (nonConsuming.length) reasons.push(`the waiters test ${nonConsuming[0].event.condition!.text}, a state every sleeper needs, and do not consume it`);
    if (!reasons.length) continue;
    out.push({
      code: 'swake-exclusive-multi-waiter',
      file,
      span: e.span,
      message: `${e.name}() wakes one exclusive waiter but several tasks can sleep on ${e.queue.text}: ${reasons[0]}; wake them all or make every woken sleeper consume or pass the wakeup on`,
      subject: { kind: 'exclusive-wake', wake, waits: exclusiveWaits, why: reasons.join('; ') },
    });
  }
}

/** Objects owned by one task: a per-vCPU queue is only ever slept on by that vCPU's thread. */
const SINGLE_OWNER_STRUCTS = new Set(['kvm_vcpu', 'task_struct']);

/**
 * Proof obligations for "exactly one sleeper": one wait site, on a per-task object, in a
 * kthread, or on an object that lives on the sleeping function's own stack (a local struct,
 * not a pointer: no other task can be running that function's frame).
 */
function singleOwner(index: WorkspaceIndex, queue: string, waits: Array<Site<E<'wait'>>>): string | undefined {
  if (waits.length !== 1) return undefined;
  const w = waits[0];
  const struct = /^struct (\w+)\./.exec(queue)?.[1];
  if (struct && SINGLE_OWNER_STRUCTS.has(struct)) return `struct ${struct}`;
  if (index.contextOf(w.fn) === 'kthread') return `the kthread ${w.fn.name}()`;
  const q = w.event.queue;
  const local = q?.rootKind === 'local' && q.fields.length > 0 ? w.fn.locals.find((l) => l.name === q.root) : undefined;
  if (local && !local.pointer && !local.isStatic && local.structName) return `the sleeper's own stack: ${local.name} is a local struct ${local.structName} of ${w.fn.name}()`;
  return undefined;
}

function singleWaiter(index: WorkspaceIndex, file: string, out: Candidate[]): void {
  // This file's own swait sleepers (walking every wait of the workspace for each file made
  // a whole-tree run quadratic in the number of waits).
  const seen = new Set<string>();
  const sleepers: Array<Site<E<'wait'>>> = [];
  for (const fn of index.get(file)?.functions ?? []) {
    for (const event of fn.events) {
      if (event.kind === 'wait' && event.queue && event.info.queue === 'swait') sleepers.push({ file, fn, event, queue: index.identity(file, fn, event.queue) });
    }
  }
  for (const w of sleepers) {
    if (seen.has(w.queue)) continue;
    seen.add(w.queue);
    const waits = index.waitsOn(w.queue);
    const owner = singleOwner(index, w.queue, waits);
    if (!owner) continue;
    const wakes = index.wakesOn(w.queue);
    if (wakes.length === 0) continue;
    out.push({
      code: 'swait-single-waiter',
      file,
      span: w.event.span,
      message: `only one task ever sleeps on ${w.event.queue?.text ?? 'this queue'} (${owner}): a task pointer woken with wake_up_process(), or an rcuwait, is simpler and cheaper than an swait queue`,
      subject: { kind: 'single-waiter', queue: w.queue, wait: w, wakes, owner },
    });
  }
}

// --- sleep-in-wake-callback -----------------------------------------------------------------

/**
 * A wait-queue entry's wake function runs inside __wake_up_common(), under the queue's
 * spinlock with interrupts off: it must not sleep. Sleeps one helper call down are followed.
 */
function callbackSleeps(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Candidate[]): void {
  if (index.contextOf(fn) !== 'wake-callback') return;
  for (const e of fn.events) {
    if (e.kind === 'sleep' && e.name !== 'synchronize_rcu') {
      out.push({
        code: 'sleep-in-wake-callback',
        file,
        span: e.span,
        message: `${fn.name}() is a wait-queue wake function: it runs under the queue lock with interrupts off, and ${e.why}`,
        subject: { kind: 'callback-sleep', file, callback: fn, at: e },
      });
      return;
    }
    if (e.kind === 'call') {
      for (const callee of index.functionsNamed(e.name)) {
        const sleep = callee.fn.events.find((x): x is E<'sleep'> => x.kind === 'sleep');
        if (!sleep || callee.fn === fn) continue;
        out.push({
          code: 'sleep-in-wake-callback',
          file,
          span: e.span,
          message: `${fn.name}() is a wait-queue wake function (queue lock held, interrupts off) and calls ${e.name}(), where ${sleep.why} (${callee.file}:${sleep.span.line})`,
          subject: { kind: 'callback-sleep', file, callback: fn, at: e, helper: { file: callee.file, fn: callee.fn, sleep } },
        });
        return;
      }
    }
  }
}

// --- vcpu-kick-unobserved-state -------------------------------------------------------------

const KICKS = new Set(['kvm_vcpu_kick', 'kvm_vcpu_wake_up']);
/** The runnable predicates a blocking vCPU loop re-checks after every wakeup. */
export const RUNNABLE_PREDICATES = ['kvm_arch_vcpu_runnable', 'kvm_vcpu_check_block'];

export function runnablePredicate(index: WorkspaceIndex): { file: string; fn: FunctionFacts } | undefined {
  for (const name of RUNNABLE_PREDICATES) {
    const defs = index.functionsNamed(name).filter((d) => d.fn.returns.length > 0);
    if (defs.length === 1) return defs[0];
  }
  return undefined;
}

/**
 * A waker that sets per-vCPU state and kicks: the candidate is raised when the state is not
 * among what the runnable predicate reads (the proof decides); a request made before the kick
 * (kvm_make_request) is what the predicate is supposed to see instead.
 */
function vcpuKicks(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Candidate[]): void {
  const predicate = runnablePredicate(index);
  if (!predicate) return;
  let from = 0;
  fn.events.forEach((e, i) => {
    if (e.kind !== 'call' || !KICKS.has(e.name)) return;
    const stretch = fn.events.slice(from, i);
    from = i + 1;
    const store = [...stretch].reverse().find((x): x is E<'store' | 'atomic'> => (x.kind === 'store' || (x.kind === 'atomic' && !!x.target)) && !(x.kind === 'store' && x.target.rootKind === 'local' && x.target.fields.length === 0));
    if (!store) return;
    const target = store.kind === 'store' ? store.target : store.target!;
    out.push({
      code: 'vcpu-kick-unobserved-state',
      file,
      span: e.span,
      message: `${e.name}() after setting ${target.text} (line ${store.span.line}): if ${predicate.fn.name}() does not read that state, the vCPU wakes, finds itself not runnable and halts again with the work pending`,
      subject: { kind: 'vcpu-kick', file, fn, kick: e, store, predicate },
    });
  });
}

// --- pv-lost-kick -----------------------------------------------------------------------------

/**
 * With paravirt queued spinlocks a waiter can be halted in pv_wait() after marking the lock
 * byte _Q_SLOW_VAL; the unlock must then atomically take the byte back (cmpxchg) to see the
 * mark and kick it. An unlock of a struct qspinlock that clears the byte with a plain store
 * or store-release, in a workspace where pv_wait() halts waiters, can leave a vCPU halted
 * while the lock is free.
 */
function pvUnlocks(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Candidate[]): void {
  if (!/unlock/.test(fn.name)) return;
  const lockParam = fn.params.find((p) => p.structName === 'qspinlock');
  if (!lockParam) return;
  const clearsByte = (e: FactEvent) => (e.kind === 'store' || e.kind === 'atomic') && !!(e.kind === 'store' ? e.target : e.target)?.fields.includes('locked');
  if (fn.events.some((e) => e.kind === 'atomic' && clearsByte(e))) return;
  // The protocol's slow path (entered after the cmpxchg saw _Q_SLOW_VAL) releases the byte
  // with a store and then kicks the waiter it unhashed: that is the correct unlock.
  if (fn.events.some((e) => e.kind === 'call' && e.name === 'pv_kick')) return;
  const store = fn.events.find((e): e is E<'store'> => e.kind === 'store' && clearsByte(e) && (e.value ?? '').trim() === '0');
  // The halting protocol must be the one this unlock serves: a file that halts waiters with
  // pv_wait(). The native unlocks (asm-generic, arch headers) are patched out by paravirt ops
  // when PV spinlocks are on, so a pv_wait() elsewhere in the tree says nothing about them.
  const sameFileHalts = index.get(file)?.functions.some((f) => f.events.some((e) => e.kind === 'call' && e.name === 'pv_wait'));
  if (!store || !sameFileHalts) return;
  out.push({
    code: 'pv-lost-kick',
    file,
    span: store.span,
    message: `${fn.name}() clears ${store.target.text} with ${store.via === '=' ? 'a plain store' : `${store.via}()`} while pv_wait() can halt a waiter that marked the byte _Q_SLOW_VAL: the unlock never sees the mark, never kicks, and the waiter stays halted while the lock is free`,
    subject: { kind: 'pv-unlock', file, fn, store, lockParam: lockParam.name },
  });
}

/**
 * The waiter side of the same protocol. pv_wait(ptr, val) halts only while *ptr == val (the
 * re-check the kicker relies on), so what the waiter established in that word just before
 * decides whether a kick can be lost:
 * - a queue head (a function of a struct qspinlock) must mark the byte _Q_SLOW_VAL with an
 *   atomic RMW (xchg/cmpxchg): a plain store can overwrite a byte the unlock's cmpxchg just
 *   cleared, and the head then halts on its own mark with nobody holding the lock
 *   (plain-mark); a head that marks nothing waits on a value the fast-path unlock never
 *   reports (unmarked; the pv_wait() value is not in the facts, so this is only raised when
 *   no byte write, direct or in a helper called before, precedes the halt);
 * - a queued node (pv_wait_node()) publishes its halted state and must re-check node->locked
 *   after a full barrier: the previous holder's handover and pv_kick_node() only hash (and so
 *   get kicked) a node they see halted (no-recheck, unordered-recheck).
 */
function pvWaiters(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Candidate[]): void {
  const wi = fn.events.findIndex((e) => e.kind === 'call' && e.name === 'pv_wait');
  if (wi < 0) return;
  const wait = fn.events[wi] as E<'call'>;
  const before = fn.events.slice(0, wi);
  const lockParam = fn.params.find((p) => p.structName === 'qspinlock');
  const isByte = (t: AccessPath | undefined) => !!t && t.fields[t.fields.length - 1] === 'locked' && (t.rootStruct === 'qspinlock' || t.root === lockParam?.name);
  // A mark is an RMW of the byte that is not a trylock (cmpxchg_acquire(locked, 0, ...)) nor an
  // unlock (..._release).
  const marks = (e: FactEvent) => e.kind === 'atomic' && isByte(e.target) && !/_(?:acquire|release)$/.test(e.name);
  if (lockParam) {
    if (before.some(marks)) return;
    const slow = (v: string | undefined) => {
      const t = (v ?? '').trim();
      return /SLOW/.test(t) || t === '3' || index.macroValue(file, t) === 3;
    };
    const mark = [...before].reverse().find((e): e is E<'store'> => e.kind === 'store' && isByte(e.target) && slow(e.value));
    if (mark) {
      out.push({
        code: 'pv-lost-kick',
        file,
        span: mark.span,
        message: `${fn.name}() marks ${mark.target.text} _Q_SLOW_VAL with ${mark.via === '=' ? 'a plain store' : `${mark.via}()`} before pv_wait(): the holder's cmpxchg unlock can clear the byte just before, the store then marks a free lock, pv_wait() finds its own mark and halts, and nobody holds the lock to kick it`,
        subject: { kind: 'pv-waiter', file, fn, variant: 'plain-mark', wait, store: mark, lockParam: lockParam.name },
      });
      return;
    }
    // Any other store to the byte before the halt is something the waiter established: the
    // value pv_wait() checks (not in the facts) cannot be told apart from here.
    if (before.some((e) => e.kind === 'store' && isByte(e.target))) return;
    // The facts keep only calls to functions of the same file, so a marking helper elsewhere
    // (a header's xchg wrapper) is invisible at the call: any function of the workspace, not an
    // unlock, that marks a qspinlock byte with an RMW may be the one this head calls.
    const markedElsewhere = index.allFiles().some((f) =>
      f.functions.some((g) => g !== fn && !/unlock/.test(g.name) && g.events.some((e) => e.kind === 'atomic' && e.target?.rootStruct === 'qspinlock' && e.target.fields[e.target.fields.length - 1] === 'locked' && !/_(?:acquire|release)$/.test(e.name))),
    );
    if (markedElsewhere) return;
    out.push({
      code: 'pv-lost-kick',
      file,
      span: wait.span,
      message: `${fn.name}() halts in pv_wait() without marking ${lockParam.name}->locked _Q_SLOW_VAL: the value it re-checks is not one it established, the unlock's cmpxchg fast path sees no slow marker and never kicks, and the waiter stays halted while the lock is free`,
      subject: { kind: 'pv-waiter', file, fn, variant: 'unmarked', wait, lockParam: lockParam.name },
    });
    return;
  }
  // A queued node: the last store to a field of a struct (its state) before the halt.
  let si = -1;
  for (let i = wi - 1; i >= 0; i--) {
    const e = fn.events[i];
    if (e.kind === 'store' && e.target.fields.length > 0 && e.target.rootKind !== 'global' && e.target.fields[e.target.fields.length - 1] !== 'locked' && (e.value ?? '').trim() !== '0') {
      si = i;
      break;
    }
  }
  if (si < 0) return;
  const store = fn.events[si] as E<'store'>;
  // The node must be the function's own (a struct pointer parameter, or a local of a struct
  // type cast from one): pass-through wrappers of pv_wait() (statistics) publish nothing.
  if (!(store.target.rootKind === 'param' || store.target.rootStruct) || !fn.params.some((p) => p.pointer && p.structName)) return;
  // Branch conditions are not kept in the facts of a function that does not sleep the task
  // way, so the re-check is read off the halt's context: a pv_wait() under an if that the
  // store is not under follows a test made after the store.
  if (store.ctx.conditional) return;
  if (!wait.ctx.conditional) {
    out.push({
      code: 'pv-lost-kick',
      file,
      span: wait.span,
      message: `${fn.name}() publishes ${store.target.text} = ${store.value ?? '?'} and halts in pv_wait() without re-checking node->locked: a handover that came while the node was still running does not hash it for a kick, and it halts for good with the lock handed to it`,
      subject: { kind: 'pv-waiter', file, fn, variant: 'no-recheck', wait, store },
    });
    return;
  }
  const between = fn.events.slice(si + 1, wi);
  const ordered = store.fullBarrierAfter || between.some((e) => (e.kind === 'barrier' && e.barrier === 'full') || (e.kind === 'atomic' && e.returning && e.ordering === 'full'));
  if (ordered) return;
  out.push({
    code: 'pv-lost-kick',
    file,
    span: store.span,
    message: `${fn.name}() publishes ${store.target.text} with ${store.via === '=' ? 'a plain store' : `${store.via}()`} and no full barrier before the re-check that guards pv_wait(): the re-check can miss the handover while the previous holder's pv_kick_node() still sees the node running (store buffering), and the node halts for good`,
    subject: { kind: 'pv-waiter', file, fn, variant: 'unordered-recheck', wait, store },
  });
}
