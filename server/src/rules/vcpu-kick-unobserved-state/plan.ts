/**
 * vcpu-kick-unobserved-state, proof: the vCPU's block loop (state, runnable predicate, halt)
 * against the waker's stores and kick; the vCPU must not stay halted while the state the waker
 * set is pending. Fix: the predicate also reads that state.
 */
import type { Op, ProgramExpr } from '../../../../analyzer-runtime/src';
import { ProgramBuilder, segmentOps, srcOf, translateIn } from '../../analysis/extract';
import type { WorkspaceIndex } from '../../analysis/index';
import type { FixPlan, Plan } from '../../analysis/plan';
import type { Candidate } from '../rule';
import { replaceSpan } from '../shared/edits';
import { not, threadContext } from '../shared/programs';
import type { VcpuKickSubject } from './detect';

export function planVcpuKick(index: WorkspaceIndex, c: Candidate<VcpuKickSubject>): Plan {
  return vcpuKickPlan(index, c.subject);
}

/**
 * The vCPU's block loop (set the state, re-check the runnable predicate, schedule) against the
 * waker's stores and kick. What the vCPU must not sleep through is the predicate *or* the state
 * the waker set: a vCPU asleep at the end while that state is set was kicked for nothing.
 */
function vcpuKickPlan(index: WorkspaceIndex, s: VcpuKickSubject): Plan {
  const b = new ProgramBuilder(index);
  const pred = translateIn(b, s.predicate.file, s.predicate.fn, s.predicate.fn.returns[0]);
  const target = s.store.kind === 'store' ? s.store.target : s.store.target!;
  const workLoc = b.location(index.identity(s.file, s.fn, target));
  const work: ProgramExpr = { kind: 'binary', op: '!=', left: { kind: 'read', loc: workLoc, order: 'once' }, right: { kind: 'const', value: 0 } };
  const tracked = new Set(Object.keys(b.locations));
  const kickIdx = s.fn.events.indexOf(s.kick);
  const storeIdx = s.fn.events.indexOf(s.store);
  const wakerOps: Op[] = [
    ...segmentOps(b, { file: s.file, fn: s.fn, from: storeIdx, to: kickIdx }, tracked, new Map()),
    { op: 'wake_up_process', task: 'vcpu', src: srcOf(s.file, s.kick.span) },
  ];
  const blockLoop = (p: ProgramExpr): Op[] => [
    { op: 'set_current_state', state: 'interruptible', barrier: true },
    {
      op: 'if',
      cond: not(p),
      then: [{ op: 'schedule', until: { kind: 'binary', op: '||', left: pred, right: work } }],
      else: [],
      src: srcOf(s.predicate.file, s.predicate.fn.returns[0].span),
    },
  ];
  b.threads.push({ name: 'vcpu', context: 'process', ops: blockLoop(pred) });
  b.threads.push({ name: 'waker', context: threadContext(index, s.fn), ops: wakerOps });
  const program = b.build(`${s.kick.name} at ${s.file}:${s.kick.span.line}`, { check: ['lost-wakeup'] }, [
    { kind: 'binary', op: '||', left: pred, right: work },
  ]);
  const fixedPred: ProgramExpr = { kind: 'binary', op: '||', left: pred, right: work };
  const fixed = { ...program, threads: program.threads.map((t) => (t.name === 'vcpu' ? { ...t, ops: blockLoop(fixedPred) } : t)) };
  // The edit: the predicate also reads the state, named through the predicate's own vCPU parameter.
  const ret = s.predicate.fn.returns[0];
  const vcpuParam = s.predicate.fn.params.find((p) => p.structName === 'kvm_vcpu')?.name;
  const fixes: FixPlan[] = [];
  if (vcpuParam && (target.rootStruct === 'kvm_vcpu' || target.rootStruct === undefined) && target.fields.length > 0) {
    const stateText = `${vcpuParam}->${target.fields.join('.')}`;
    fixes.push({
      title: `Make ${s.predicate.fn.name}() read ${stateText}`,
      program: fixed,
      edits: [replaceSpan(s.predicate.file, ret.span, `(${ret.text}) || READ_ONCE(${stateText})`)],
    });
  }
  return { program, fixes };
}
