/**
 * sleep-state-order, detection: a sleep whose condition is checked before the task state is
 * set (and not again before schedule()), or a state set with __set_current_state() before the
 * check that needs the barrier set_current_state() has.
 */
import type { FunctionFacts } from '../../analysis/facts';
import type { Candidate, E } from '../rule';

export const CODE = 'sleep-state-order';

export interface StateOrderSubject {
  file: string;
  fn: FunctionFacts;
  state: E<'state'>;
  check: E<'check'>;
  schedule: E<'schedule'>;
  variant: 'check-before-state' | 'no-barrier';
}

export function detectStateOrder(file: string, functions: FunctionFacts[]): Array<Candidate<StateOrderSubject>> {
  const out: Array<Candidate<StateOrderSubject>> = [];
  for (const fn of functions) stateOrder(file, fn, out);
  return out;
}

function isSleepingState(state: string): boolean {
  return /TASK_(?:UN)?INTERRUPTIBLE|TASK_KILLABLE|TASK_IDLE|TASK_PARKED|TASK_STOPPED|TASK_FREEZABLE/.test(state) && !/TASK_RUNNING/.test(state);
}

/** A condition that is only a test for a pending signal of the current task. */
const SIGNAL_TEST = /^!?\s*\(?\s*(?:signal_pending|fatal_signal_pending|freezing)\s*\(\s*current\s*\)\s*\)?$/;

function stateOrder(file: string, fn: FunctionFacts, out: Array<Candidate<StateOrderSubject>>): void {
  fn.events.forEach((e, i) => {
    if (e.kind !== 'schedule') return;
    // The closest state change before this schedule().
    let s = -1;
    for (let k = i - 1; k >= 0; k--) {
      const ev = fn.events[k];
      if (ev.kind === 'state') {
        s = k;
        break;
      }
      if (ev.kind === 'schedule' || ev.kind === 'wait') return;
    }
    if (s < 0) return;
    const state = fn.events[s] as E<'state'>;
    if (!isSleepingState(state.state)) return;
    const between = fn.events.slice(s + 1, i);
    const checksBetween = between.filter((ev): ev is E<'check'> => ev.kind === 'check' && ev.condition.reads.length > 0);
    const fullBarrierBetween = between.some((ev) => ev.kind === 'barrier' && ev.barrier === 'full');
    if (!state.barrier && checksBetween.length > 0 && !fullBarrierBetween) {
      // A signal test needs no barrier before it (see SIGNAL_TEST): the check that matters is
      // the condition's; with only signal tests after the state there is none.
      const check = checksBetween.find((c) => !SIGNAL_TEST.test(c.condition.text));
      if (!check) return;
      // A check made under a lock the waker also takes is ordered by that lock.
      if (check.ctx.locksHeld.length > 0) return;
      out.push({
        code: CODE,
        file,
        span: state.span,
        message: `${state.name}(${state.state}) has no barrier: the check of ${check.condition.text} (line ${check.span.line}) can be satisfied before the state store is visible, so a wake-up between them is lost; use set_current_state()`,
        subject: { file, fn, state, check, schedule: e, variant: 'no-barrier' },
      });
      return;
    }
    if (checksBetween.length > 0) return;
    // No re-check after the state store: the condition must have been checked before it.
    for (let k = s - 1; k >= 0; k--) {
      const ev = fn.events[k];
      if (ev.kind === 'schedule' || ev.kind === 'wait' || ev.kind === 'state') break;
      // A check that leaves the loop, or one whose branch holds the sleep (`if (empty) {
      // set_current_state(); schedule(); }`): either way it was made before the state store.
      const leadsIntoSleep = ev.kind === 'check' && !ev.exits && state.ctx.conditional;
      // A loop bound over a local counter (`for (i = 0; i < n; i++)`) is not what the sleeper waits for.
      if (ev.kind === 'check' && ev.condition.usesLocal && !leadsIntoSleep) break;
      // A signal (or the freezer's fake one) pending before the state change does not let the
      // task sleep: schedule() does not block an interruptible task with a signal pending
      // (signal_pending_state()). Such a test is no lost-wakeup window, and no store to prove one.
      // An `if (signal_pending(current)) break;` is passed over to the loop's own condition; a
      // loop on the signal alone, or a signal test whose other arm sleeps, leaves nothing to check.
      if (ev.kind === 'check' && SIGNAL_TEST.test(ev.condition.text)) {
        if (ev.exits && ev.exitWhen) continue;
        break;
      }
      if (ev.kind === 'check' && (ev.exits || leadsIntoSleep) && ev.condition.reads.length > 0) {
        if (ev.ctx.locksHeld.length > 0 && state.ctx.locksHeld.some((l) => ev.ctx.locksHeld.includes(l))) return;
        out.push({
          code: CODE,
          file,
          span: ev.span,
          message: `${ev.condition.text} is checked before ${state.name}() (line ${state.span.line}) and not again before schedule(): a wake-up that lands between the check and the state change is lost; check the condition after setting the state`,
          subject: { file, fn, state, check: ev, schedule: e, variant: 'check-before-state' },
        });
        return;
      }
    }
  });
}
