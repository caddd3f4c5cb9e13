/**
 * The exploration bounds of a C proof: the one place their defaults live (the CLI, the language
 * server and the tests read them from here; package.json's setting defaults are checked against
 * them by a test).
 */
export interface ProofBounds {
  /** Candidate executions the explorer may judge before it answers unknown. */
  maxCandidates: number;
  /** Wall-clock limit of one exploration. */
  timeoutMs: number;
  /** Sleeps per wait loop: one is enough for a sleeper to sleep once and never wake. */
  loopBound: number;
}

export const DEFAULT_PROOF_BOUNDS: ProofBounds = { maxCandidates: 200_000, timeoutMs: 2_000, loopBound: 1 };

/** Bounds from user settings (`maxStates`, `timeoutMs`), the defaults for what is not set. */
export function proofBounds(options: { maxStates?: number; timeoutMs?: number } = {}): ProofBounds {
  return { ...DEFAULT_PROOF_BOUNDS, ...(options.maxStates !== undefined ? { maxCandidates: options.maxStates } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) };
}
