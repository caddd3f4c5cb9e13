// A search's way out when its caller no longer wants the answer (an editor request cancelled,
// a deadline passed). Generic: the caller gives a plain `shouldStop()` function; the searches
// call the check returned here in their inner loops, and it throws SearchStopped when told to.
// Nothing here knows who asks (no LSP, no I/O).

/** Thrown out of a search whose `shouldStop()` answered true (or whose deadline passed). */
export class SearchStopped extends Error {
  constructor(readonly why: 'stopped' | 'timeout') {
    super(why === 'stopped' ? 'search stopped by its caller' : 'search deadline passed');
    this.name = 'SearchStopped';
  }
}

/**
 * A check to call often from a search loop: every `every` calls it asks `shouldStop()` and
 * compares the clock with `deadline` (an absolute Date.now() value), throwing SearchStopped.
 * Cheap between checks (one decrement), so it may sit in the innermost loop.
 */
export function stopCheck(options: { shouldStop?: (() => boolean) | undefined; deadline?: number | undefined }, every = 1): () => void {
  const { shouldStop, deadline } = options;
  if (!shouldStop && deadline === undefined) return () => {};
  let countdown = every;
  return () => {
    if (--countdown > 0) return;
    countdown = every;
    if (shouldStop?.()) throw new SearchStopped('stopped');
    if (deadline !== undefined && Date.now() > deadline) throw new SearchStopped('timeout');
  };
}
