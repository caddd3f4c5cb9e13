/**
 * swake-exclusive-multi-waiter: an exclusive wakeup where several tasks can sleep and a woken
 * one may not consume it or pass it on. Page: README.md beside this file.
 */
import { LIST_REMOVAL } from '../../analysis/wrappers';
import type { Rule } from '../rule';
import { CODE, detectExclusiveWakes, ExclusiveWakeSubject } from './detect';
import { planExclusiveWake } from './plan';

export const swakeExclusiveMultiWaiter: Rule<ExclusiveWakeSubject> = {
  code: CODE,
  summary: 'Exclusive wake-up where several tasks can sleep and a woken one may not consume or pass on the wakeup',
  fixSummary: '`swake_up_all()` / `wake_up_all()`',
  severity: 'warning',
  // Taking an entry off a list after waking is how a sleeper for a non-empty list consumes.
  needs: { calls: [LIST_REMOVAL.source] },
  detect: (index, file, facts) => detectExclusiveWakes(index, file, facts.functions),
  plan: planExclusiveWake,
};
