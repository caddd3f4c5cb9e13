/**
 * sleep-state-order: the condition checked before set_current_state() and not again before
 * schedule(), or __set_current_state() where the check after it needs the barrier. Page:
 * README.md beside this file.
 */
import type { Rule } from '../rule';
import { CODE, detectStateOrder, StateOrderSubject } from './detect';
import { planStateOrder } from './plan';

export const sleepStateOrder: Rule<StateOrderSubject> = {
  code: CODE,
  summary: 'Condition checked before set_current_state(), or __set_current_state() where a barrier is needed',
  fixSummary: 're-check after the state change, `set_current_state()`',
  severity: 'warning',
  detect: (_index, file, facts) => detectStateOrder(file, facts.functions),
  plan: planStateOrder,
};
