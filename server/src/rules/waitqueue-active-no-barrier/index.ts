/**
 * waitqueue-active-no-barrier: a condition store, then a lockless waitqueue_active() /
 * swait_active() (or wake_up_bit()/wake_up_var(), which check the same way), with no full
 * barrier between: the store-buffering lost wakeup. Page: README.md beside this file.
 */
import { LOG_CALLS } from '../../analysis/wrappers';
import type { Rule } from '../rule';
import { ActiveCheckSubject, CODE, detectActiveChecks } from './detect';
import { planActiveCheck } from './plan';

export const waitqueueActiveNoBarrier: Rule<ActiveCheckSubject> = {
  code: CODE,
  summary: 'waitqueue_active()/swait_active() after a condition store without a full barrier',
  fixSummary: '`smp_mb()` before the check, `wq_has_sleeper()`, an unconditional wakeup; `smp_mb__after_atomic()` before `wake_up_bit()`',
  severity: 'warning',
  needs: {
    // A log call that always reaches printk ends in a full barrier (printk's klogd wakeup):
    // kept where it can order the store before a check, in the check's function or a helper it calls.
    callsIn: [{ calls: [LOG_CALLS.source], in: [{ has: 'active' }, { calledByFunctionWith: 'active' }] }],
    // The store the check must follow can be a helper's, one call down.
    storesIn: [{ calledByFunctionWith: 'active' }],
  },
  detect: (index, file, facts) => detectActiveChecks(index, file, facts.functions),
  plan: planActiveCheck,
};
