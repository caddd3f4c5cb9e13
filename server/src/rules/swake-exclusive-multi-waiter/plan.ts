/**
 * swake-exclusive-multi-waiter, proof: the waker's stores and its one exclusive wakeup against
 * two sleepers (two wait sites, or one site slept on twice unless a mutex of the queue's object
 * serialises it), each consuming what it waited for as its code does. Fix: wake them all.
 */
import type { Op, ProgramExpr } from '../../../../analyzer-runtime/src';
import {
  conditionLocations,
  consumeOps,
  ExtractionError,
  locName,
  ProgramBuilder,
  waitCondition,
  waiterCondition,
  waitOp,
  wakeOp,
} from '../../analysis/extract';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { FixPlan, Plan } from '../../analysis/plan';
import type { Candidate, E } from '../rule';
import { nameEdit } from '../shared/edits';
import { threadContext, variant, wakerPrefix, writesTracked } from '../shared/programs';
import { mutexHeldAcross } from '../shared/sleepers';
import type { ExclusiveWakeSubject } from './detect';

export function planExclusiveWake(index: WorkspaceIndex, c: Candidate<ExclusiveWakeSubject>): Plan {
  return exclusiveWakePlan(index, c.subject.wake, c.subject.waits);
}

/**
 * wake_up_locked()/swake_up_locked() are called with the queue's lock held (their contract):
 * when the waker's own code does not take it, its caller did, around the stores before the
 * wakeup too (a `_locked` sleeper tests its condition under that lock).
 */
function holdingQueueLock(wake: Site<E<'wake'>>, prefix: Op[], queueName: string, ops: Op[]): Op[] {
  if (!wake.event.info.locked || prefix.some((o) => o.op === 'lock' && o.lock === queueName)) return ops;
  return [{ op: 'lock', lock: queueName, irq: 'none' }, ...ops, { op: 'unlock', lock: queueName, irq: 'none' }];
}

function exclusiveWakePlan(index: WorkspaceIndex, wake: Site<E<'wake'>>, waits: Array<Site<E<'wait'>>>): Plan {
  const b = new ProgramBuilder(index);
  const queueName = locName(wake.queue);
  const withCond = waits.filter((w) => waitCondition(w) || w.event.info.queue === 'completion');
  if (withCond.length === 0) throw new ExtractionError(`the waiters on ${wake.event.queue?.text} have no condition the model can read`);
  // One wait site stands for two sleepers, unless it holds a mutex of the queue's object
  // across the sleep: then its sleepers queue one at a time.
  const held = withCond[1] ? undefined : mutexHeldAcross(index, withCond[0]);
  if (held?.unidentified)
    throw new ExtractionError(
      `the waiter at ${withCond[0].file}:${withCond[0].event.span.line} holds a mutex taken in ${held.text}() across the sleep; whether it serialises the sleepers is not modelled`,
    );
  const sites = withCond[1] ? [withCond[0], withCond[1]] : held ? [withCond[0]] : [withCond[0], withCond[0]];
  const tracked = new Set<string>();
  for (const w of sites) for (const l of conditionLocations(b, w)) tracked.add(l);
  const prefix = wakerPrefix(b, wake, tracked, wake.event.queue?.text ?? '', queueName);
  if (!writesTracked(prefix)) throw new ExtractionError('the waker does not change what the waiters test before waking');
  const ops = holdingQueueLock(wake, prefix, queueName, [...prefix, wakeOp(b, wake.event, wake.file, queueName)]);
  b.threads.push({ name: 'waker', context: threadContext(index, wake.fn), ops });
  const conds: ProgramExpr[] = [];
  sites.forEach((w, i) => {
    const cond = waiterCondition(b, w);
    conds.push(cond);
    const snapshots = b.takeSnapshots();
    b.threads.push({ name: `waiter${i + 1}`, context: 'process', ops: [...snapshots, waitOp(b, w, queueName, cond), ...consumeOps(b, w, tracked, cond)] });
  });
  const program = b.build(`${wake.event.name} at ${wake.file}:${wake.event.span.line}`, { check: ['lost-wakeup'] }, conds);
  const fixes: FixPlan[] = [];
  // Where the all-form may run at all (swake_up_all() needs interrupts on) is the other rules'
  // word: every fix is checked against every rule before it is offered (analysis/fixCheck.ts).
  const canWakeAll = !wake.event.info.locked;
  if (canWakeAll) {
    const all = wake.event.info.queue === 'swait' ? 'swake_up_all' : wake.event.name.includes('interruptible') ? 'wake_up_interruptible_all' : 'wake_up_all';
    fixes.push({
      title: `Wake every sleeper: ${all}()`,
      program: variant(
        program,
        'waker',
        (o) => o.op === 'swake_up_one' || o.op === 'wake_up',
        (o) => [o.op === 'swake_up_one' ? { op: 'swake_up_all', wq: o.wq, src: o.src } : { ...(o as Extract<Op, { op: 'wake_up' }>), nr: 'all' }],
      ),
      edits: [nameEdit(wake.file, wake.event.span, wake.event.name, all)],
    });
  }
  return { program, notes: b.notes(), fixes };
}
