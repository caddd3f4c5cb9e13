/**
 * swake-all-atomic-context: swake_up_all() from hard-IRQ or IRQs-off context, where it must not
 * run (it re-enables interrupts between wakeups). Page: README.md beside this file.
 */
import type { Rule } from '../rule';
import { AtomicWakeSubject, CODE, detectAtomicWakes } from './detect';
import { planAtomicWake } from './plan';

export const swakeAllAtomicContext: Rule<AtomicWakeSubject> = {
  code: CODE,
  summary: 'swake_up_all() from hard-IRQ or IRQs-off context',
  fixSummary: '`swake_up_one()` when one sleeper is proved',
  severity: 'warning',
  detect: (index, file, facts) => detectAtomicWakes(index, file, facts.functions),
  plan: planAtomicWake,
};
