/**
 * Candidates to findings. Each candidate is extracted into a runtime program and explored;
 * the verdict decides what the user sees (violated -> warning with the trace, unknown ->
 * information, safe -> nothing). Until a candidate can be extracted it stays `unproved`.
 */
import type { FileProblem, Finding } from './findings';
import type { RuleCode } from './rules';
import { unprovedFinding, Workspace } from './workspace';

export interface ProofOptions {
  maxStates?: number;
  timeoutMs?: number;
  enabled?: (code: RuleCode) => boolean;
  isCancelled?: () => boolean;
}

export async function analyzeWorkspaceFile(workspace: Workspace, file: string, options: ProofOptions = {}): Promise<{ findings: Finding[]; problems: FileProblem[] }> {
  const candidates = workspace.candidates(file, options.enabled);
  return { findings: candidates.map(unprovedFinding), problems: [] };
}
