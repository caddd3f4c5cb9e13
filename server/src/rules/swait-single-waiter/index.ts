/**
 * swait-single-waiter: an swait queue that provably has one sleeper; a task pointer (rcuwait)
 * is simpler. A hint: its proof is that the converted program is safe. Page: README.md beside
 * this file.
 */
import type { Rule } from '../rule';
import { CODE, detectSingleWaiters, SingleWaiterSubject } from './detect';
import { planSingleWaiter } from './plan';

export const swaitSingleWaiter: Rule<SingleWaiterSubject> = {
  code: CODE,
  summary: 'swait queue with exactly one sleeper: a task pointer or rcuwait is simpler',
  fixSummary: 'task-pointer (rcuwait) conversion, multi-file',
  severity: 'hint',
  // The conversion renames the queue's initialisers: their calls, with the queue they set up.
  needs: { calls: ['init_\\w+', 'rcuwait_init'], callArguments: ['init_\\w*', 'rcuwait_init\\w*'] },
  detect: (index, file) => detectSingleWaiters(index, file),
  plan: planSingleWaiter,
};
