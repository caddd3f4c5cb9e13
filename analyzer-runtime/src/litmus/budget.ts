/**
 * What one litmus run may spend, checked inside every loop of the engine (thread paths, the
 * product of paths, rf/co choices per location, the model check of each candidate):
 *
 * - work: a count of engine steps, the same for the same test on any machine (maxWork);
 * - time: a wall-clock deadline, a safety net behind work (timeoutMs);
 * - states: thread paths and candidate executions (maxCandidates);
 * - memory: events held at once in thread paths and in per-location rf/co choices (maxHeld).
 *
 * Past any of them the run stops with a reason and answers Unknown, never a guess.
 */
import { SearchStopped, stopCheck, WorkCounter } from '../stop';

export interface LitmusLimits {
  /** Thread paths per thread and candidate executions (the states bound). */
  maxCandidates: number;
  /** Engine steps (a model check costs in proportion to its size). */
  maxWork: number;
  /** Wall-clock milliseconds. */
  timeoutMs: number;
  /** Events held at once (thread paths plus rf/co choices): the memory bound. */
  maxHeld: number;
}

/**
 * The defaults: of the suite and 2,500 generated tests cross-checked with herd7, one needs more
 * (a 4-thread RMW test, past maxHeld); the largest of the others takes 2.6M steps. The hostile
 * tests of test/runtime/lkmm/litmus-hostile.test.ts stop at maxHeld within a few seconds.
 */
export const DEFAULT_LITMUS_LIMITS: LitmusLimits = { maxCandidates: 2_000_000, maxWork: 6_000_000, timeoutMs: 20_000, maxHeld: 200_000 };

/** Too many thread paths or candidate executions (the states bound). */
export class TooManyStates extends Error {}

export class LitmusBudget {
  readonly limits: LitmusLimits;
  private readonly work: WorkCounter;
  private readonly check: (units?: number) => void;
  private held = 0;

  constructor(limits: Partial<LitmusLimits> = {}, shouldStop?: () => boolean) {
    const given = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_LITMUS_LIMITS, ...given };
    this.work = { done: 0, limit: this.limits.maxWork };
    // The clock is read every 256 steps: cheap, and a step is far below a millisecond.
    this.check = stopCheck({ shouldStop, deadline: Date.now() + this.limits.timeoutMs, work: this.work }, 256);
  }

  /** One step of work (or `units` steps); throws SearchStopped past the work or time budget. */
  tick(units = 1): void {
    this.check(units);
  }

  /** `events` more events are kept; throws SearchStopped('memory') past maxHeld. */
  hold(events: number): void {
    this.held += events;
    if (this.held > this.limits.maxHeld) throw new SearchStopped('memory');
  }

  release(events: number): void {
    this.held -= events;
  }

  get workDone(): number {
    return Math.min(this.work.done, this.work.limit);
  }

  /** The one-line reason a stopped run gives for its Unknown. */
  reason(e: SearchStopped | TooManyStates): string {
    if (e instanceof TooManyStates) return `${e.message} (maxCandidates)`;
    switch (e.why) {
      case 'timeout':
        return `no answer within ${this.limits.timeoutMs} ms (timeoutMs)`;
      case 'work':
        return `no answer within ${this.limits.maxWork} steps (maxWork)`;
      case 'memory':
        return `more than ${this.limits.maxHeld} events held at once (maxHeld)`;
      case 'stopped':
        return 'stopped by its caller';
    }
  }
}
