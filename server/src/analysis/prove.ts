/**
 * Candidates to findings, the same for the CLI and the language server: the rules of the
 * registry find candidates in a file (rules/<code>/detect), each candidate's rule plans its
 * proof (rules/<code>/plan; extract.ts builds the programs) and decide() explores the plan. The
 * verdict decides what the user sees: violated -> a warning whose trace walks the schedule at
 * the real lines; unknown -> information (hidden by default); safe -> nothing. Only fixes whose
 * program comes out safe are offered.
 */
import { FACT_NEEDS, RULES, ruleOf } from '../rules/registry';
import type { Candidate } from '../rules/rule';
import { proofBounds } from './bounds';
import { decide } from './decide';
import { ExtractionError } from './extract';
import type { FileProblem, Finding } from './findings';
import type { WorkspaceIndex } from './index';
import type { Plan, ProofJob } from './plan';
import { DEFAULT_LIMITS, Workspace, WorkspaceLimits, WorkspaceOptions } from './workspace';

export interface ProofOptions {
  maxStates?: number;
  maxWork?: number;
  timeoutMs?: number;
  enabled?: (code: string) => boolean;
  isCancelled?: () => boolean;
}

/** A workspace whose facts keep what the registry's rules need. */
export function createWorkspace(options: Omit<WorkspaceOptions, 'needs'> = { keepTrees: true }, limits: WorkspaceLimits = DEFAULT_LIMITS): Promise<Workspace> {
  return Workspace.create({ ...options, needs: FACT_NEEDS }, limits);
}

/** The candidates of one file of the index, of the enabled rules, in source order. */
export function findCandidates(index: WorkspaceIndex, file: string, enabled?: (code: string) => boolean): Candidate[] {
  const facts = index.get(file);
  if (!facts) return [];
  const out: Candidate[] = [];
  for (const rule of RULES) if (!enabled || enabled(rule.code)) out.push(...rule.detect(index, file, facts));
  out.sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
  return out;
}

export async function analyzeWorkspaceFile(
  workspace: Workspace,
  file: string,
  options: ProofOptions = {},
): Promise<{ findings: Finding[]; problems: FileProblem[] }> {
  const findings: Finding[] = [];
  const bounds = proofBounds(options);
  for (const c of findCandidates(workspace.index, file, options.enabled)) {
    if (options.isCancelled?.()) break;
    const planned = planCandidate(workspace.index, c);
    findings.push('finding' in planned ? planned.finding : decide(planned.job, bounds));
  }
  return { findings: findings.filter((f) => f.verdict !== 'safe'), problems: [] };
}

/**
 * The candidates of `files`, planned: per candidate in order, the finding known at planning or
 * the index of its proof job in `jobs` (the jobs are plain data, decided here or on workers).
 * `isCancelled` is asked before each candidate; true makes it throw `cancelled()`'s error.
 */
export interface PlannedFiles {
  items: Array<Finding | number>;
  jobs: ProofJob[];
}

export function planFiles(
  index: WorkspaceIndex,
  files: readonly string[],
  enabled?: (code: string) => boolean,
  cancel?: { isCancelled(): boolean; error(): Error },
): PlannedFiles {
  const planned: PlannedFiles = { items: [], jobs: [] };
  for (const file of files) {
    for (const c of findCandidates(index, file, enabled)) {
      if (cancel?.isCancelled()) throw cancel.error();
      const p = planCandidate(index, c);
      planned.items.push('finding' in p ? p.finding : planned.jobs.push(p.job) - 1);
    }
  }
  return planned;
}

/** The findings of planned candidates, in order, given their jobs' decided findings. */
export function withDecided(planned: PlannedFiles, decided: readonly Finding[]): Finding[] {
  return planned.items.map((i) => (typeof i === 'number' ? decided[i] : i));
}

/** The candidate's plan, made by its rule. */
export function planFor(index: WorkspaceIndex, c: Candidate): Plan {
  const rule = ruleOf(c.code);
  if (!rule) throw new Error(`no rule ${c.code}`);
  return rule.plan(index, c);
}

/**
 * The half of a proof that needs the workspace index: the candidate's plan, as a job for
 * decide() (here or on a proof worker), or at once the unknown finding of a candidate that
 * cannot be extracted.
 */
export function planCandidate(index: WorkspaceIndex, c: Candidate): { job: ProofJob } | { finding: Finding } {
  const base = {
    file: c.file,
    line: c.span.line,
    column: c.span.column,
    endLine: c.span.endLine,
    endColumn: c.span.endColumn,
    code: c.code,
    message: c.message,
  };
  try {
    return { job: { base, plan: planFor(index, c) } };
  } catch (error) {
    // Code nested past what the extraction's walks bound (a condition's calls inside calls,
    // thousands deep) costs this candidate, not the file: the stack is back once this returns.
    const reason =
      error instanceof ExtractionError
        ? error.message
        : error instanceof RangeError && /call stack/i.test(error.message)
          ? 'the code is nested too deeply to extract (the call stack ran out)'
          : undefined;
    if (reason === undefined) throw error;
    return { finding: { ...base, severity: 'information', verdict: 'unknown', message: `${c.message} (not proved: ${reason})`, trace: [], fixes: [] } };
  }
}
