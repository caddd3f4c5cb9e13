/**
 * pv-lost-kick: the paravirt qspinlock halting protocol broken on either side (an unlock that
 * cannot see a halted waiter's mark, a waiter halting on a value it did not establish), so a
 * vCPU stays halted while the lock is free. Page: README.md beside this file.
 */
import type { Rule } from '../rule';
import { CODE, detectPvLostKicks, PvSubject } from './detect';
import { planPvLostKick } from './plan';

export const pvLostKick: Rule<PvSubject> = {
  code: CODE,
  summary: 'A paravirt qspinlock unlock that clears the lock byte without the atomic that sees a halted waiter',
  fixSummary: "the protocol's cmpxchg unlock",
  severity: 'warning',
  needs: {
    calls: ['pv_wait', 'pv_kick'],
    // An unlock of a qspinlock often does nothing but its store: kept there.
    storesIn: [{ name: 'unlock', paramStruct: 'qspinlock' }],
  },
  detect: (index, file, facts) => detectPvLostKicks(index, file, facts.functions),
  plan: planPvLostKick,
};
