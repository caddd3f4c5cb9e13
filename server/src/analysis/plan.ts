/**
 * A proof plan: what a rule hands the explorer for one candidate, as plain data (runtime
 * programs and text edits), so that it can be decided on this thread or on a proof worker
 * (decide.ts) with the same result. Made by a rule's `plan()` on the thread that has the
 * workspace index (rules/<code>/).
 */
import type { Program } from '../../../analyzer-runtime/src';
import type { TextEdit } from './findings';

export interface FixPlan {
  title: string;
  /** The candidate's program with the fix applied: offered only when it explores safe. */
  program: Program;
  edits: TextEdit[];
}

/**
 * What the finding says about the program beyond the rule's message, typed (never read back
 * out of the program's name).
 */
export interface PlanNotes {
  /** Alternatives of a condition the extraction could not model, assumed false (`x is false`). */
  assumptions?: string[];
  /** The sleeper's timeout the program leaves out, and what the loss becomes with it. */
  timeout?: string;
  /**
   * What the program leaves out that could forbid a violation it finds (a sleeper's own lock
   * around its condition): a violation is then not a proof, and the finding stays unknown.
   */
  leftOut?: string[];
}

export interface Plan {
  program: Program;
  /**
   * What the program must show: a violation of its property (a bug, the default), or that it
   * is safe (a hint whose claim is that a simpler form does the same job).
   */
  claim?: 'violation' | 'safe-alternative';
  /** The finding's message when the plan named the subject more precisely than the rule. */
  message?: string;
  notes?: PlanNotes;
  fixes: FixPlan[];
  /**
   * A restructuring that cannot be written as a local text edit (deferring a callback's
   * sleeping part to a work item): explored like a fix, and reported in the message when safe.
   */
  deferred?: Program;
  /**
   * Other programs for the same candidate (another sleeper on the queue): explored in turn when
   * this one comes out safe, since any one sleeper that can lose the wakeup proves it.
   */
  alternatives?: Plan[];
}

/** The finding's fields that come from the candidate itself (where, which rule, its message). */
export interface FindingBase {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  message: string;
}

/** What a proof worker is sent per candidate: everything decide() needs, all plain data. */
export interface ProofJob {
  base: FindingBase;
  plan: Plan;
}
