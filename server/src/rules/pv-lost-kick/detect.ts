/**
 * pv-lost-kick, detection: the two sides of the paravirt qspinlock halting protocol that can
 * leave a vCPU halted while the lock is free: an unlock that clears the byte with a plain store
 * where pv_wait() halts waiters, and waiters that halt on a value they did not establish.
 */
import type { AccessPath, FactEvent, FunctionFacts } from '../../analysis/facts';
import type { WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';

export const CODE = 'pv-lost-kick';

export type PvSubject =
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
    };

export function detectPvLostKicks(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<PvSubject>> {
  const out: Array<Candidate<PvSubject>> = [];
  for (const fn of functions) {
    pvUnlocks(index, file, fn, out);
    pvWaiters(index, file, fn, out);
  }
  return out;
}

/**
 * With paravirt queued spinlocks a waiter can be halted in pv_wait() after marking the lock
 * byte _Q_SLOW_VAL; the unlock must then atomically take the byte back (cmpxchg) to see the
 * mark and kick it. An unlock of a struct qspinlock that clears the byte with a plain store
 * or store-release, in a workspace where pv_wait() halts waiters, can leave a vCPU halted
 * while the lock is free.
 */
function pvUnlocks(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Array<Candidate<PvSubject>>): void {
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
    code: CODE,
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
function pvWaiters(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Array<Candidate<PvSubject>>): void {
  const wi = fn.events.findIndex((e) => e.kind === 'call' && e.name === 'pv_wait');
  if (wi < 0) return;
  const wait = fn.events[wi] as E<'call'>;
  const before = fn.events.slice(0, wi);
  const lockParam = fn.params.find((p) => p.structName === 'qspinlock');
  const isByte = (t: AccessPath | undefined) =>
    !!t && t.fields[t.fields.length - 1] === 'locked' && (t.rootStruct === 'qspinlock' || t.root === lockParam?.name);
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
        code: CODE,
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
    const markedElsewhere = index
      .allFiles()
      .some((f) =>
        f.functions.some(
          (g) =>
            g !== fn &&
            !/unlock/.test(g.name) &&
            g.events.some(
              (e) =>
                e.kind === 'atomic' &&
                e.target?.rootStruct === 'qspinlock' &&
                e.target.fields[e.target.fields.length - 1] === 'locked' &&
                !/_(?:acquire|release)$/.test(e.name),
            ),
        ),
      );
    if (markedElsewhere) return;
    out.push({
      code: CODE,
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
    if (
      e.kind === 'store' &&
      e.target.fields.length > 0 &&
      e.target.rootKind !== 'global' &&
      e.target.fields[e.target.fields.length - 1] !== 'locked' &&
      (e.value ?? '').trim() !== '0'
    ) {
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
      code: CODE,
      file,
      span: wait.span,
      message: `${fn.name}() publishes ${store.target.text} = ${store.value ?? '?'} and halts in pv_wait() without re-checking node->locked: a handover that came while the node was still running does not hash it for a kick, and it halts for good with the lock handed to it`,
      subject: { kind: 'pv-waiter', file, fn, variant: 'no-recheck', wait, store },
    });
    return;
  }
  const between = fn.events.slice(si + 1, wi);
  const ordered =
    store.fullBarrierAfter ||
    between.some((e) => (e.kind === 'barrier' && e.barrier === 'full') || (e.kind === 'atomic' && e.returning && e.ordering === 'full'));
  if (ordered) return;
  out.push({
    code: CODE,
    file,
    span: store.span,
    message: `${fn.name}() publishes ${store.target.text} with ${store.via === '=' ? 'a plain store' : `${store.via}()`} and no full barrier before the re-check that guards pv_wait(): the re-check can miss the handover while the previous holder's pv_kick_node() still sees the node running (store buffering), and the node halts for good`,
    subject: { kind: 'pv-waiter', file, fn, variant: 'unordered-recheck', wait, store },
  });
}
