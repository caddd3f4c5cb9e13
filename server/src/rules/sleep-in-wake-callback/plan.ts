/**
 * sleep-in-wake-callback, proof: the callback as the wake function of an entry that a waker's
 * wake_up() runs under the queue lock with interrupts off; deferring the sleeping part to a
 * work item is explored too and reported when safe.
 */
import type { Op, Program } from '../../../../analyzer-runtime/src';
import { locName, ProgramBuilder, segmentOps, srcOf } from '../../analysis/extract';
import type { WorkspaceIndex } from '../../analysis/index';
import type { Plan } from '../../analysis/plan';
import type { Candidate } from '../rule';
import type { CallbackSleepSubject } from './detect';

export function planCallbackSleep(index: WorkspaceIndex, c: Candidate<CallbackSleepSubject>): Plan {
  return callbackSleepPlan(index, c.subject);
}

/**
 * The callback as the custom wake function of an entry on a queue, and a waker that wakes the
 * queue: wake_up() runs the function under the queue lock with interrupts off. The program
 * holds the callback's own code up to the sleep (its locks and IRQ changes included).
 */
function callbackSleepPlan(index: WorkspaceIndex, s: CallbackSleepSubject): Plan {
  const b = new ProgramBuilder(index);
  const queue = b.object('waitqueue', locName(`queue of ${s.callback.name}`));
  const atIdx = s.callback.events.indexOf(s.at);
  const before = segmentOps(b, { file: s.file, fn: s.callback, from: 0, to: atIdx }, new Set(), new Map());
  const sleepWhat = s.helper ? `${s.helper.sleep.name} (in ${s.helper.fn.name}())` : s.at.name;
  const sleepOp: Op = { op: 'sleep_call', what: sleepWhat, src: srcOf(s.file, s.at.span) };
  b.location('work_pending');
  b.threads.push({
    name: 'entry_owner',
    context: 'process',
    ops: [{ op: 'add_wait_queue', wq: queue, func: [...before, sleepOp], src: srcOf(s.file, s.callback.nameSpan) }],
  });
  b.threads.push({ name: 'waker', context: 'process', ops: [{ op: 'wake_up', wq: queue, nr: 1 }] });
  const program = b.build(`${s.callback.name} as a wake function`, { check: ['sleep-in-atomic'] });
  // Deferred: the callback only marks the work; a worker thread (one more context switch on
  // the path) does the sleeping part in process context.
  const deferred: Program = {
    ...program,
    threads: [
      {
        name: 'entry_owner',
        context: 'process',
        ops: [
          {
            op: 'add_wait_queue',
            wq: queue,
            func: [...before, { op: 'store', loc: 'work_pending', value: { kind: 'const', value: 1 }, order: 'once', src: sleepOp.src }],
            src: srcOf(s.file, s.callback.nameSpan),
          },
        ],
      },
      program.threads[1],
      { name: 'worker', context: 'process', ops: [{ op: 'if', cond: { kind: 'read', loc: 'work_pending', order: 'once' }, then: [sleepOp], else: [] }] },
    ],
  };
  return { program, fixes: [], deferred };
}
