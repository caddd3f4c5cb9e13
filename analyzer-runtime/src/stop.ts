// A search's way out when its caller no longer wants the answer (an editor request cancelled,
// a deadline passed). Generic: the caller gives a plain `shouldStop()` function; the searches
// call the check returned here in their inner loops, and it throws SearchStopped when told to.
// Nothing here knows who asks (no LSP, no I/O).

/**
 * Thrown out of a search whose `shouldStop()` answered true, whose deadline passed, or that
 * used up its work budget (a count of search steps: unlike the clock, the same for the same
 * input on any machine).
 */
export class SearchStopped extends Error {
  constructor(readonly why: 'stopped' | 'timeout' | 'work' | 'memory') {
    super(
      why === 'stopped'
        ? 'search stopped by its caller'
        : why === 'timeout'
          ? 'search deadline passed'
          : why === 'work'
            ? 'search work budget used up'
            : 'search memory budget used up',
    );
    this.name = 'SearchStopped';
  }
}

/**
 * A check to call often from a search loop: every `every` calls it asks `shouldStop()` and
 * compares the clock with `deadline` (an absolute Date.now() value), throwing SearchStopped.
 * Cheap between checks (one decrement), so it may sit in the innermost loop. A step that costs
 * more than one unit of work (a whole model check) says so with `units`.
 */
export function stopCheck(
  options: { shouldStop?: (() => boolean) | undefined; deadline?: number | undefined; work?: WorkCounter },
  every = 1,
): (units?: number) => void {
  const { shouldStop, deadline, work } = options;
  if (!shouldStop && deadline === undefined && !work) return () => {};
  let countdown = every;
  return (units = 1) => {
    if (work && (work.done += units) > work.limit) throw new SearchStopped('work');
    if (--countdown > 0) return;
    countdown = every;
    if (shouldStop?.()) throw new SearchStopped('stopped');
    if (deadline !== undefined && Date.now() > deadline) throw new SearchStopped('timeout');
  };
}

/** The steps a search has taken (`done`) and may take (`limit`); a step is one call of the check. */
export interface WorkCounter {
  done: number;
  limit: number;
}
