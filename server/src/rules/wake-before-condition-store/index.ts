/**
 * wake-before-condition-store: a wakeup issued before the store its sleepers wait for, with no
 * wakeup after the store: a sleeper that tested the old value sleeps on. Page: README.md beside
 * this file.
 */
import type { Rule } from '../rule';
import { CODE, detectEarlyWakes, EarlyWakeSubject } from './detect';
import { planEarlyWake } from './plan';

export const wakeBeforeConditionStore: Rule<EarlyWakeSubject> = {
  code: CODE,
  summary: 'A wakeup before the store its sleepers wait for, and no wakeup after the store',
  fixSummary: 'the wakeup moved after the store (with `smp_mb__after_atomic()`/`smp_mb()` for `wake_up_bit()`/`wake_up_var()`)',
  severity: 'warning',
  // The tests on a wakeup's path: one that reads what the sleepers test leaves the finding unknown.
  needs: { checksWith: ['wake'] },
  detect: (index, file, facts) => detectEarlyWakes(index, file, facts.functions),
  plan: planEarlyWake,
};
