/**
 * pv-lost-kick, proof: two vCPUs running the PV qspinlock protocol (the runtime's qspinlock with
 * pv_wait()/pv_kick() halting), with the unlock or the waiter as the code writes it; fixed by
 * the protocol's own form (cmpxchg unlock, atomic marking, a re-check after a full barrier).
 */
import type { Op, Program, ProgramExpr } from '../../../../analyzer-runtime/src';
import { locName, ProgramBuilder, srcOf } from '../../analysis/extract';
import type { TextEdit } from '../../analysis/findings';
import type { WorkspaceIndex } from '../../analysis/index';
import type { Plan } from '../../analysis/plan';
import type { Candidate } from '../rule';
import { insertLineBefore, replaceSpan } from '../shared/edits';
import type { PvSubject } from './detect';

export function planPvLostKick(index: WorkspaceIndex, c: Candidate<PvSubject>): Plan {
  return c.subject.kind === 'pv-unlock' ? pvUnlockPlan(index, c.subject) : pvWaiterPlan(index, c.subject);
}

/**
 * The PV protocol of kernel/locking/qspinlock_paravirt.h for two vCPUs contending on the lock,
 * each releasing it with this unlock (a plain clear of the byte) against the protocol's
 * cmpxchg unlock, which sees _Q_SLOW_VAL and kicks the halted vCPU.
 */
function pvUnlockPlan(index: WorkspaceIndex, s: Extract<PvSubject, { kind: 'pv-unlock' }>): Plan {
  const b = new ProgramBuilder(index);
  const lock = b.object('qspinlock', locName(`qspinlock ${s.fn.name}`));
  const src = srcOf(s.file, s.store.span);
  const vcpu = (plain: boolean): Op[] => [
    { op: 'pv_spin_lock', lock },
    { op: 'pv_spin_unlock', lock, ...(plain ? { plain: true } : {}), src },
  ];
  b.threads.push({ name: 'vcpu0', context: 'process', ops: vcpu(true) });
  b.threads.push({ name: 'vcpu1', context: 'process', ops: vcpu(true) });
  const program = b.build(`${s.fn.name} at ${s.file}:${s.store.span.line}`, { check: ['halted-with-work', 'mutual-exclusion', 'deadlock'] });
  const fixed: Program = { ...program, threads: program.threads.map((t) => ({ ...t, ops: vcpu(false) })) };
  // The statement to replace: the call (smp_store_release/WRITE_ONCE) or assignment itself.
  const edit = replaceSpan(s.file, s.store.span, `__pv_queued_spin_unlock(${s.lockParam})`);
  return {
    program,
    fixes: [{ title: 'Unlock with the PV protocol: cmpxchg_release() of the byte, kick the halted waiter on _Q_SLOW_VAL', program: fixed, edits: [edit] }],
  };
}

/**
 * The waiter side. A queue head (plain-mark, unmarked): two vCPUs run the PV protocol with the
 * protocol's cmpxchg unlock, the head marking the byte as the code does; the fix marks it with
 * cmpxchg(locked, _Q_LOCKED_VAL, _Q_SLOW_VAL) (only a held byte is marked) and waits on that
 * mark. A queued node (no-recheck, unordered-recheck): the node publishes its halted state as
 * the code does and halts in pv_wait(&state, halted); the previous holder hands the MCS lock
 * over (node->locked = 1) and runs pv_kick_node(): a node it sees halted is moved to hashed,
 * and the unlock that follows kicks it (modelled as the kick itself); the fix publishes with
 * smp_store_mb() and re-checks node->locked before halting.
 */
function pvWaiterPlan(index: WorkspaceIndex, s: Extract<PvSubject, { kind: 'pv-waiter' }>): Plan {
  const b = new ProgramBuilder(index);
  const waitSrc = srcOf(s.file, s.wait.span);
  const name = `${s.fn.name} at ${s.file}:${(s.store ?? s.wait).span.line}`;
  if (s.variant === 'plain-mark' || s.variant === 'unmarked') {
    const lock = b.object('qspinlock', locName(`qspinlock ${s.fn.name}`));
    const src = srcOf(s.file, (s.store ?? s.wait).span);
    const vcpu = (fixed: boolean): Op[] => {
      const head: Op = fixed
        ? { op: 'pv_spin_lock', lock, mark: 'cmpxchg', src }
        : s.variant === 'plain-mark'
          ? { op: 'pv_spin_lock', lock, mark: 'store', src }
          : { op: 'pv_spin_lock', lock, mark: 'none', waitValue: 1, src };
      return [head, { op: 'pv_spin_unlock', lock }];
    };
    b.threads.push({ name: 'vcpu0', context: 'process', ops: vcpu(false) });
    b.threads.push({ name: 'vcpu1', context: 'process', ops: vcpu(false) });
    const program = b.build(name, { check: ['halted-with-work', 'mutual-exclusion', 'deadlock'] });
    const fixed: Program = { ...program, threads: program.threads.map((t) => ({ ...t, ops: vcpu(true) })) };
    const byte = `&${s.lockParam}->locked`;
    const edits: TextEdit[] =
      s.variant === 'plain-mark' && s.store
        ? [
            replaceSpan(
              s.file,
              s.store.span,
              `cmpxchg(${s.store.target.addressOf ? s.store.target.text : `&${s.store.target.text}`}, _Q_LOCKED_VAL, ${(s.store.value ?? '_Q_SLOW_VAL').trim()})`,
            ),
          ]
        : [
            insertLineBefore(s.file, s.wait.span, `cmpxchg(${byte}, _Q_LOCKED_VAL, _Q_SLOW_VAL);`),
            replaceSpan(s.file, s.wait.span, `pv_wait(${byte}, _Q_SLOW_VAL)`),
          ];
    const title =
      s.variant === 'plain-mark'
        ? 'Mark the byte atomically: cmpxchg(&lock->locked, _Q_LOCKED_VAL, _Q_SLOW_VAL) marks only a held lock'
        : 'Mark the byte _Q_SLOW_VAL with cmpxchg() (after hashing the waiter) and pv_wait() on that mark';
    return { program, fixes: [{ title, program: fixed, edits }] };
  }
  // A queued node.
  const store = s.store!;
  const state = b.location(index.identity(s.file, s.fn, store.target));
  const locked = b.location('struct mcs_spinlock.locked');
  const valueText = (store.value ?? '').trim();
  const v = /^\d+$/.test(valueText) ? Number(valueText) : index.macroValue(s.file, valueText);
  const halted = v !== undefined && v > 0 ? v : 1;
  const hashed = halted + 1;
  const c = (value: number): ProgramExpr => ({ kind: 'const', value });
  const rd = (loc: string): ProgramExpr => ({ kind: 'read', loc, order: 'once' });
  const pending: ProgramExpr = { kind: 'binary', op: '!=', left: rd(locked), right: c(0) };
  const storeSrc = srcOf(s.file, store.span);
  const wait: Op = { op: 'pv_wait', loc: state, value: halted, pending, src: waitSrc };
  const waiter = (order: 'mb' | 'once' | 'release', recheck: boolean): Op[] => [
    { op: 'store', loc: state, value: c(halted), order, src: storeSrc },
    ...(recheck
      ? ([
          { op: 'load', loc: locked, reg: 'r0', order: 'once' },
          { op: 'if', cond: { kind: 'binary', op: '==', left: { kind: 'reg', name: 'r0' }, right: c(0) }, then: [wait], else: [] },
        ] as Op[])
      : [wait]),
  ];
  const order = store.fullBarrierAfter ? 'mb' : store.release ? 'release' : 'once';
  // The previous holder: arch_mcs_spin_unlock_contended(&node->locked), then pv_kick_node().
  // Its smp_mb__before_atomic() + cmpxchg_relaxed() is meant as full ordering whether or not
  // the cmpxchg succeeds (LKMM gives a failed RMW none): modelled as smp_mb().
  const prev: Op[] = [
    { op: 'store', loc: locked, value: c(1), order: 'release' },
    { op: 'fence', kind: 'mb' },
    { op: 'rmw', fn: 'cmpxchg_relaxed', loc: state, args: [c(halted), c(hashed)], reg: 'r0' },
    { op: 'if', cond: { kind: 'binary', op: '==', left: { kind: 'reg', name: 'r0' }, right: c(halted) }, then: [{ op: 'pv_kick', task: 'waiter' }], else: [] },
  ];
  b.threads.push({ name: 'waiter', context: 'process', ops: waiter(order, s.variant === 'unordered-recheck') });
  b.threads.push({ name: 'prev', context: 'process', ops: prev });
  const program = b.build(name, { check: ['halted-with-work', 'deadlock'] });
  const fixed: Program = { ...program, threads: program.threads.map((t) => (t.name === 'waiter' ? { ...t, ops: waiter('mb', true) } : t)) };
  const edits: TextEdit[] = [];
  if (!store.fullBarrierAfter) edits.push(replaceSpan(s.file, store.span, `smp_store_mb(${store.target.text}, ${valueText || halted})`));
  if (s.variant === 'no-recheck') {
    // The re-check reads the node's MCS locked flag, through the parameter that holds it.
    const node = s.fn.params.find(
      (p) => p.pointer && (p.structName === 'mcs_spinlock' || (p.structName !== undefined && index.fieldOf(p.structName, 'locked'))),
    );
    if (!node) return { program, fixes: [] };
    edits.push(insertLineBefore(s.file, s.wait.span, `if (!READ_ONCE(${node.name}->locked))`));
  }
  const title =
    s.variant === 'no-recheck'
      ? 'Publish the halted state with smp_store_mb() and re-check node->locked before pv_wait()'
      : 'Publish the halted state with smp_store_mb() (full barrier before the re-check)';
  return { program, fixes: [{ title, program: fixed, edits }] };
}
