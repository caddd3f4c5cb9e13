/**
 * waitqueue-active-no-barrier, proof: the waker's code from the store (or the lock around it)
 * to the check and its wakeup, against a sleeper in its wait loop, started where the sleeper
 * must wait. Fixes: a barrier before the check, the *_has_sleeper() form, or no check at all.
 */
import type { Op } from '../../../../analyzer-runtime/src';
import {
  conditionLocations,
  ExtractionError,
  locName,
  ProgramBuilder,
  segmentOps,
  srcOf,
  storeLocation,
  waiterCondition,
  wakeOp,
} from '../../analysis/extract';
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Plan } from '../../analysis/plan';
import type { Candidate, E } from '../rule';
import { insertLineBefore, nameEdit, replaceSpan } from '../shared/edits';
import { sleeperWithoutTimeout, threadContext, variant } from '../shared/programs';
import { firstWaiterWithCondition, planEachWaiter } from '../shared/sleepers';
import { barrierAfter } from '../shared/stores';
import { activeMessage, ActiveCheckSubject } from './detect';

export function planActiveCheck(index: WorkspaceIndex, c: Candidate<ActiveCheckSubject>): Plan {
  return activeCheckPlan(index, c.subject);
}

/** One waiter whose condition the store can make true is enough for the lost wakeup (planEachWaiter). */
function activeCheckPlan(index: WorkspaceIndex, s: ActiveCheckSubject): Plan {
  const first = firstWaiterWithCondition(s.waits, s.check.event.queue?.text ?? s.check.queue);
  return planEachWaiter(first, s.waits, (w) => activeCheckPlanWith(index, s, w));
}

function activeCheckPlanWith(index: WorkspaceIndex, s: ActiveCheckSubject, w: Site<E<'wait'>>): Plan {
  const b = new ProgramBuilder(index);
  const check = s.check;
  const queueName = locName(check.queue);
  const cond = waiterCondition(b, w);
  const snapshots = b.takeSnapshots();
  const tracked = conditionLocations(b, w);
  // The store the waiters test: the nearest unordered one, or an earlier one of the same
  // stretch (a statistics counter bumped between the condition store and the check).
  const store = [s.store, ...s.earlierStores].find((st) => {
    const where = storeLocation(index, st.file, st.fn, st.event);
    return !!where && tracked.has(locName(where.id));
  });
  if (!store) throw new ExtractionError(`the store before the check (line ${s.store.event.span.line}) is not to what the waiters test`);
  const queues = new Map([[check.event.queue?.text ?? '', queueName]]);
  const storeIdx = store.fn.events.indexOf(store.event);
  const checkIdx = check.fn.events.indexOf(check.event);
  const ops: Op[] = [];
  // From the lock that guards the store, when it is under one: the unlock and what the lock
  // orders (the queue's own lock orders it against the sleepers) belong to the program.
  const from = lockRegionStart(store.fn, storeIdx);
  if (s.via) {
    ops.push(...segmentOps(b, { file: store.file, fn: store.fn, from, to: store.fn.events.indexOf(s.via.event) }, tracked, queues));
    ops.push(...segmentOps(b, { file: check.file, fn: check.fn, from: 0, to: checkIdx }, tracked, queues));
  } else if (store.into) {
    // The store is a helper's: its code from the store on, then the caller's after the call.
    ops.push(...segmentOps(b, { file: store.file, fn: store.fn, from, to: store.fn.events.length }, tracked, queues));
    ops.push(...segmentOps(b, { file: check.file, fn: check.fn, from: check.fn.events.indexOf(store.into.event) + 1, to: checkIdx }, tracked, queues));
  } else {
    ops.push(...segmentOps(b, { file: check.file, fn: check.fn, from, to: checkIdx }, tracked, queues));
  }
  const wake = check.fn.events
    .slice(checkIdx + 1)
    .find((e): e is E<'wake'> => e.kind === 'wake' && !!e.queue && index.identity(check.file, check.fn, e.queue) === check.queue);
  if (!wake) throw new ExtractionError('no wake-up of this queue follows the check');
  const kind = check.event.info.queue === 'swait' ? 'swait' : 'waitqueue';
  b.object(kind, queueName);
  const src = srcOf(check.file, check.event.span);
  const activeOp: Op = kind === 'swait' ? { op: 'swait_active', wq: queueName, reg: 'r0', src } : { op: 'waitqueue_active', wq: queueName, reg: 'r0', src };
  ops.push(activeOp, { op: 'if', cond: { kind: 'reg', name: 'r0' }, then: [wakeOp(b, wake, check.file, queueName)], else: [] });
  b.threads.push({ name: 'waker', context: threadContext(index, check.fn), ops });
  const { thread: sleeper, timeout } = sleeperWithoutTimeout(b, w, queueName, cond, snapshots);
  b.threads.push(sleeper);
  const program = b.build(`${check.event.name} at ${check.file}:${check.event.span.line}`, { check: ['lost-wakeup'] }, [cond]);
  const isActive = (o: Op) => o.op === 'waitqueue_active' || o.op === 'swait_active';
  const hasSleeper = kind === 'swait' ? 'swq_has_sleeper' : 'wq_has_sleeper';
  // wake_up_bit()'s check is inside it: the barrier goes before the call, the kernel's
  // smp_mb__after_atomic() when the store is a non-returning atomic (clear_and_wake_up_bit()).
  const barrier = check.event.info.implicit ? barrierAfter(store.event) : { call: 'smp_mb', fence: 'mb' as const };
  return {
    program,
    ...(store !== s.store ? { message: activeMessage(check, store) } : {}),
    notes: { ...b.notes(), ...(timeout ? { timeout } : {}) },
    fixes: [
      {
        title: `Add ${barrier.call}() before ${check.event.name}()`,
        program: variant(program, 'waker', isActive, (o) => [{ op: 'fence', kind: barrier.fence, src: o.src }, o]),
        edits: [insertLineBefore(check.file, check.event.span, `${barrier.call}();`)],
      },
      // An explicit check can become the form with the barrier inside.
      ...(check.event.info.implicit
        ? []
        : [
            {
              title: `Use ${hasSleeper}() (it has the barrier)`,
              program: variant(program, 'waker', isActive, (o) => [{ ...(o as Extract<Op, { op: 'waitqueue_active' }>), op: hasSleeper } as Op]),
              edits: [nameEdit(check.file, check.event.span, check.event.name, hasSleeper)],
            },
          ]),
      // Or go: the wakeup takes the queue's lock, which the sleeper's queueing takes too.
      ...(check.event.guard
        ? [
            {
              title: `Wake unconditionally (drop the ${check.event.name}() test)`,
              program: variant(
                variant(program, 'waker', isActive, () => []),
                'waker',
                (o) => o.op === 'if' && o.cond.kind === 'reg' && o.cond.name === 'r0',
                (o) => (o as Extract<Op, { op: 'if' }>).then,
              ),
              edits: [replaceSpan(check.file, check.event.guard, '')],
            },
          ]
        : []),
    ],
  };
}

/** Where the outermost lock held at event `at` was taken (`at` when none is held). */
function lockRegionStart(fn: FunctionFacts, at: number): number {
  let from = at;
  for (const lock of fn.events[at]?.ctx.locksHeld ?? []) {
    for (let k = at - 1; k >= 0; k--) {
      const e = fn.events[k];
      if (e.kind === 'lock' && e.action === 'lock' && e.lock === lock) {
        from = Math.min(from, k);
        break;
      }
    }
  }
  return from;
}
