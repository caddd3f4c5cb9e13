/**
 * sleep-in-wake-callback: a wait-queue wake function (run under the queue lock with interrupts
 * off) that can sleep. Page: README.md beside this file.
 */
import type { Rule } from '../rule';
import { CallbackSleepSubject, CODE, detectCallbackSleeps } from './detect';
import { planCallbackSleep } from './plan';

export const sleepInWakeCallback: Rule<CallbackSleepSubject> = {
  code: CODE,
  summary: 'A wait-queue wake function (run under the queue lock, IRQs off) that can sleep',
  fixSummary: 'work-item deferral verified and described',
  severity: 'warning',
  detect: (index, file, facts) => detectCallbackSleeps(index, file, facts.functions),
  plan: planCallbackSleep,
};
