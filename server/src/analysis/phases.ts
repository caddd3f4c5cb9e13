/**
 * The phases of a `check` run and the time each one took, summed over the threads that ran it
 * (`stats.phaseMilliseconds`; bench/kernel.mjs reads them). Each thread has its own clock
 * (`phaseClock`, this module's state): the code of a phase adds performance.now() deltas to it,
 * a few per file and none per syntax node, so timing costs nothing measurable. Indexing workers
 * send their clock's growth with each batch of results (indexer.ts), proof workers their busy
 * time with each reply (proofPool.ts); `check` adds both to its own thread's clock.
 *
 *   read       reading a file and decoding it into text (indexer.ts)
 *   prefilter  the prefilter's regular expression over the text (workspace.ts)
 *   sanitize   sanitize(): the text the grammar sees (parser.ts)
 *   parse      tree-sitter's parser.parse() alone (parser.ts)
 *   shape      the file's shape walk and the choice of functions to walk (shape.ts)
 *   facts      the rest of fact collection: counting the tree's errors, collectFacts() but
 *              its shape part, and interning a worker's facts on the main thread (workspace.ts)
 *   helpers    the helper-header pass and building the index's cross-file maps (check.ts)
 *   rules      finding the candidates (the rules' detect(), through prove.ts findCandidates())
 *   plan       planning each candidate (the rules' plan(), through prove.ts planCandidate())
 *   prove      exploring the plans (decide()), inline or summed over the proof workers
 *
 * Outside every phase: listing the files, starting the workers, freeing syntax trees, the
 * messages between threads, and the output.
 */
export const PHASES = ['read', 'prefilter', 'sanitize', 'parse', 'shape', 'facts', 'helpers', 'rules', 'plan', 'prove'] as const;

export type Phase = (typeof PHASES)[number];

export type PhaseMilliseconds = Record<Phase, number>;

/**
 * The phases that are analysis in the sense of issue 8 ("facts + rules + proofs"): what is
 * compared with `parse` (bench/kernel.mjs `analysis_ms`). The shape walk is fact collection
 * (it finds the definitions the facts are about and the bodies to walk), so it counts.
 */
export const ANALYSIS_PHASES: readonly Phase[] = ['shape', 'facts', 'helpers', 'rules', 'plan', 'prove'];

export function zeroPhases(): PhaseMilliseconds {
  return Object.fromEntries(PHASES.map((p) => [p, 0])) as PhaseMilliseconds;
}

/** This thread's clock: milliseconds spent in each phase since the thread started. */
export const phaseClock: PhaseMilliseconds = zeroPhases();

/** What `after` counts beyond `before`. */
export function phasesSince(after: PhaseMilliseconds, before: PhaseMilliseconds): PhaseMilliseconds {
  const out = zeroPhases();
  for (const p of PHASES) out[p] = after[p] - before[p];
  return out;
}

/** Adds `more` into `into` (a worker's share into this thread's clock). */
export function addPhases(into: PhaseMilliseconds, more: Partial<PhaseMilliseconds>): void {
  for (const p of PHASES) into[p] += more[p] ?? 0;
}

/** Whole milliseconds, in the order of PHASES (the JSON output's form). */
export function roundPhases(phases: PhaseMilliseconds): PhaseMilliseconds {
  const out = zeroPhases();
  for (const p of PHASES) out[p] = Math.max(0, Math.round(phases[p]));
  return out;
}
