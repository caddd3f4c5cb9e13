/**
 * The exploration bounds of a C proof: the one place their defaults live (the CLI, the language
 * server and the tests read them from here; package.json's setting defaults are checked against
 * them by a test).
 */
export interface ProofBounds {
  /** Candidate executions the explorer may judge before it answers unknown. */
  maxCandidates: number;
  /**
   * Search steps one exploration may take before it answers unknown: what decides an undecided
   * verdict, the same on any machine under any load (the explorer's maxWork).
   */
  maxWork: number;
  /**
   * Wall-clock limit of one exploration: only a safety net behind maxWork, far above what the
   * work budget takes here; a verdict it decides says it depends on the machine.
   */
  timeoutMs: number;
  /** Sleeps per wait loop: one is enough for a sleeper to sleep once and never wake. */
  loopBound: number;
}

/**
 * maxWork: the fixture corpus' largest proof (two sleepers on different conditions of one
 * swait queue) takes 126,643 steps (a step: a path begun, an event lowered, a value a read may
 * return, a candidate judged; test/analysis/bounds.test.ts); the 6.1 tree's largest was about
 * 3,000 before lowering counted its events. At 15-65 steps a millisecond here, 300,000 steps
 * end within 5-20 s, inside the 30 s safety net; hostile programs (thousands of threads or
 * ops) end by it in 0.1-5 s (`npm run hostile`).
 */
export const DEFAULT_PROOF_BOUNDS: ProofBounds = { maxCandidates: 200_000, maxWork: 300_000, timeoutMs: 30_000, loopBound: 1 };

/** Bounds from user settings (`maxStates`, `maxWork`, `timeoutMs`), the defaults for what is not set. */
export function proofBounds(options: { maxStates?: number; maxWork?: number; timeoutMs?: number } = {}): ProofBounds {
  return {
    ...DEFAULT_PROOF_BOUNDS,
    ...(options.maxStates !== undefined ? { maxCandidates: options.maxStates } : {}),
    ...(options.maxWork !== undefined ? { maxWork: options.maxWork } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
}
