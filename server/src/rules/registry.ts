/**
 * The rules, one line each. Adding a rule is adding its folder and a line here: the CLI
 * (--rules, SARIF), the language server (settings, doc links), the fact policy of the front end
 * and the README's table all read this list. The order is the order SARIF lists them in.
 */
import type { FactNeeds } from '../analysis/factsPolicy';
import type { Rule } from './rule';
import { pvLostKick } from './pv-lost-kick';
import { sleepInWakeCallback } from './sleep-in-wake-callback';
import { sleepStateOrder } from './sleep-state-order';
import { swaitSingleWaiter } from './swait-single-waiter';
import { swakeAllAtomicContext } from './swake-all-atomic-context';
import { swakeExclusiveMultiWaiter } from './swake-exclusive-multi-waiter';
import { vcpuKickUnobservedState } from './vcpu-kick-unobserved-state';
import { waitqueueActiveNoBarrier } from './waitqueue-active-no-barrier';
import { wakeBeforeConditionStore } from './wake-before-condition-store';

export const RULES: readonly Rule[] = [
  swakeExclusiveMultiWaiter,
  swaitSingleWaiter,
  swakeAllAtomicContext,
  waitqueueActiveNoBarrier,
  sleepStateOrder,
  sleepInWakeCallback,
  vcpuKickUnobservedState,
  pvLostKick,
  wakeBeforeConditionStore,
];

export type RuleCode = string;

export const RULE_CODES: readonly string[] = RULES.map((r) => r.code);

/** Rules outside the C analysis that have a page too (the litmus analysis' own). */
export const OTHER_RULES: ReadonlyArray<Pick<Rule, 'code' | 'summary' | 'fixSummary' | 'severity'>> = [
  {
    code: 'litmus-result-mismatch',
    summary: "A `.litmus` test's `Result:` line that LKMM contradicts",
    fixSummary: 'the right `Result:`',
    severity: 'warning',
  },
];

export const OTHER_DOCUMENTED_CODES: readonly string[] = OTHER_RULES.map((r) => r.code);

const BY_CODE = new Map(RULES.map((r) => [r.code, r]));

export function ruleOf(code: string): Rule | undefined {
  return BY_CODE.get(code);
}

/** The repository path of a rule's page (its folder's README.md); the build copies it to dist/rules/CODE.md. */
export function rulePagePath(code: string): string {
  return `server/src/rules/${code}/README.md`;
}

/** What every rule needs the front end to keep: the workspace's fact policy. */
export const FACT_NEEDS: readonly FactNeeds[] = RULES.flatMap((r) => (r.needs ? [r.needs] : []));
