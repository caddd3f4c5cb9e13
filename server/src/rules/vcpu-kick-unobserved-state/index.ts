/**
 * vcpu-kick-unobserved-state: a vCPU kick after setting state the runnable predicate never
 * reads: the vCPU wakes, is not runnable, and halts again with the work pending. Page:
 * README.md beside this file.
 */
import type { Rule } from '../rule';
import { CODE, detectVcpuKicks, KICKS, VcpuKickSubject } from './detect';
import { planVcpuKick } from './plan';

export const vcpuKickUnobservedState: Rule<VcpuKickSubject> = {
  code: CODE,
  summary: 'A vCPU kick after setting state the runnable predicate never reads',
  fixSummary: 'the predicate reads the state',
  severity: 'warning',
  needs: { calls: KICKS },
  detect: (index, file, facts) => detectVcpuKicks(index, file, facts.functions),
  plan: planVcpuKick,
};
