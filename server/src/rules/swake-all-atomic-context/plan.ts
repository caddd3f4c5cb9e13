/**
 * swake-all-atomic-context, proof: the waker's code up to the wakeup, in its context, against
 * a sleeper: swake_up_all() there is a sleep in atomic context. Fix: swake_up_one() when the
 * index proves one sleeper.
 */
import type { Op } from '../../../../analyzer-runtime/src';
import { conditionLocations, locName, ProgramBuilder, segmentOps, waitCondition, waiterCondition, waitOp, wakeOp } from '../../analysis/extract';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { FixPlan, Plan } from '../../analysis/plan';
import type { Candidate, E } from '../rule';
import { nameEdit } from '../shared/edits';
import { threadContext, variant } from '../shared/programs';
import { singleOwner } from '../shared/sleepers';
import type { AtomicWakeSubject } from './detect';

export function planAtomicWake(index: WorkspaceIndex, c: Candidate<AtomicWakeSubject>): Plan {
  return atomicWakePlan(index, c.subject.wake, c.subject.waits);
}

function atomicWakePlan(index: WorkspaceIndex, wake: Site<E<'wake'>>, waits: Array<Site<E<'wait'>>>): Plan {
  const b = new ProgramBuilder(index);
  const queueName = locName(wake.queue);
  const w = waits.find((x) => waitCondition(x));
  const tracked = w ? conditionLocations(b, w) : new Set<string>();
  const idx = wake.fn.events.indexOf(wake.event);
  const ops = [
    ...segmentOps(b, { file: wake.file, fn: wake.fn, from: 0, to: idx }, tracked, new Map([[wake.event.queue?.text ?? '', queueName]])),
    wakeOp(b, wake.event, wake.file, queueName),
  ];
  b.object('swait', queueName);
  b.threads.push({ name: 'waker', context: threadContext(index, wake.fn), ops });
  const cond = w ? waiterCondition(b, w) : undefined;
  const snapshots = b.takeSnapshots();
  if (w && cond) b.threads.push({ name: 'waiter', context: 'process', ops: [...snapshots, waitOp(b, w, queueName, cond)] });
  const program = b.build(`${wake.event.name} at ${wake.file}:${wake.event.span.line}`, { check: ['sleep-in-atomic'] }, cond ? [cond] : []);
  const fixes: FixPlan[] = [];
  // One sleeper proved as swait-single-waiter and swake-exclusive-multi-waiter prove it (one
  // wait site on a per-task object, in a kthread, or on the sleeper's stack): one wait site
  // alone can still be run by several tasks, and swake_up_one() would then lose wakeups.
  if (w && singleOwner(index, wake.queue, waits)) {
    fixes.push({
      title: 'Only one task sleeps here: swake_up_one()',
      program: variant(
        program,
        'waker',
        (o) => o.op === 'swake_up_all',
        (o) => [{ op: 'swake_up_one', wq: (o as Extract<Op, { op: 'swake_up_all' }>).wq, src: o.src }],
      ),
      edits: [nameEdit(wake.file, wake.event.span, wake.event.name, 'swake_up_one')],
    });
  }
  return { program, notes: b.notes(), fixes };
}
