/**
 * swake-exclusive-multi-waiter, detection: one exclusive wakeup (swake_up_one(), or wake_up()
 * on exclusive waiters) where several tasks can sleep and a woken one may not consume the
 * wakeup or pass it on (Linus's rules (a)/(b) for exclusive wakeups).
 */
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';
import { consumes, singleOwner } from '../shared/sleepers';

export const CODE = 'swake-exclusive-multi-waiter';

export interface ExclusiveWakeSubject {
  wake: Site<E<'wake'>>;
  waits: Array<Site<E<'wait'>>>;
  why: string;
}

export function detectExclusiveWakes(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<ExclusiveWakeSubject>> {
  const out: Array<Candidate<ExclusiveWakeSubject>> = [];
  for (const fn of functions) {
    for (const e of fn.events) {
      if (e.kind !== 'wake' || !e.queue || e.info.needsIrqsOn) continue;
      const queue = index.identity(file, fn, e.queue);
      const wake: Site<E<'wake'>> = { file, fn, event: e, queue };
      const waits = index.waitsOn(queue);
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
      if (leaving.length)
        reasons.push(`a woken waiter can leave without consuming the wakeup (${leaving[0].event.name} at ${leaving[0].file}:${leaving[0].event.span.line})`);
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
        code: CODE,
        file,
        span: e.span,
        message: `${e.name}() wakes one exclusive waiter but several tasks can sleep on ${e.queue.text}: ${reasons[0]}; wake them all or make every woken sleeper consume or pass the wakeup on`,
        subject: { wake, waits: exclusiveWaits, why: reasons.join('; ') },
      });
    }
  }
  return out;
}
