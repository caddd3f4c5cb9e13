/**
 * What a rule is: one folder under rules/ (`rules/<code>/`) holding its detection, its proof
 * plan and fixes, its doc page (README.md) and its fixtures, and exporting one Rule object,
 * listed once in registry.ts. Everything else (SARIF, the CLI's --rules, the editor's settings
 * and doc links, the README's table) reads the registry.
 *
 * A candidate is a suspicion, not a finding: it carries what the rule's plan needs (the sites
 * involved, typed by the rule) and becomes a finding only with a verdict from the runtime.
 */
import type { FactEvent, FileFacts, FunctionFacts, Span } from '../analysis/facts';
import type { FactNeeds } from '../analysis/factsPolicy';
import type { WorkspaceIndex } from '../analysis/index';
import type { Plan } from '../analysis/plan';

export type E<K extends FactEvent['kind']> = Extract<FactEvent, { kind: K }>;

/** One event of one function of one file. */
export interface FnEvent<K extends FactEvent['kind'] = FactEvent['kind']> {
  file: string;
  fn: FunctionFacts;
  event: E<K>;
}

export interface Candidate<Subject = unknown> {
  code: string;
  file: string;
  span: Span;
  message: string;
  /** What the rule's plan() works from: the rule's own type. */
  subject: Subject;
}

export interface Rule<Subject = any> {
  /** The diagnostic code, also the folder's name. */
  code: string;
  /** One line: SARIF's shortDescription and the README's table. */
  summary: string;
  /** One line: the fixes it offers (the README's table). */
  fixSummary: string;
  /** How a proved finding is shown: a bug, or a suggestion whose proof is that the simpler form is safe. */
  severity: 'warning' | 'hint';
  /** What the front end must keep in the facts for this rule (calls, stores it would drop). */
  needs?: FactNeeds;
  /** The candidates in one file of the indexed workspace. */
  detect(index: WorkspaceIndex, file: string, facts: FileFacts): Array<Candidate<Subject>>;
  /**
   * The candidate as a program for the runtime, with its fixes; throws ExtractionError (the
   * finding is then `unknown`, with the reason) when it cannot be extracted faithfully.
   */
  plan(index: WorkspaceIndex, candidate: Candidate<Subject>): Plan;
}
