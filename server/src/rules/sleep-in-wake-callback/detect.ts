/**
 * sleep-in-wake-callback, detection: a function registered as a wait-queue entry's wake
 * function that sleeps, itself or one helper call down.
 */
import type { FunctionFacts } from '../../analysis/facts';
import type { WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';

export const CODE = 'sleep-in-wake-callback';

export interface CallbackSleepSubject {
  file: string;
  callback: FunctionFacts;
  /** The call in the callback that sleeps, or that calls the helper that sleeps. */
  at: E<'sleep'> | E<'call'>;
  /** When the sleep is one level down: the helper and its sleeping op. */
  helper?: { file: string; fn: FunctionFacts; sleep: E<'sleep'> };
}

export function detectCallbackSleeps(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<CallbackSleepSubject>> {
  const out: Array<Candidate<CallbackSleepSubject>> = [];
  for (const fn of functions) callbackSleeps(index, file, fn, out);
  return out;
}

/**
 * A wait-queue entry's wake function runs inside __wake_up_common(), under the queue's
 * spinlock with interrupts off: it must not sleep. Sleeps one helper call down are followed.
 */
function callbackSleeps(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Array<Candidate<CallbackSleepSubject>>): void {
  if (index.contextOf(fn) !== 'wake-callback') return;
  for (const e of fn.events) {
    if (e.kind === 'sleep') {
      out.push({
        code: CODE,
        file,
        span: e.span,
        message: `${fn.name}() is a wait-queue wake function: it runs under the queue lock with interrupts off, and ${e.why}`,
        subject: { file, callback: fn, at: e },
      });
      return;
    }
    if (e.kind === 'call') {
      for (const callee of index.functionsNamed(e.name)) {
        const sleep = callee.fn.events.find((x): x is E<'sleep'> => x.kind === 'sleep');
        if (!sleep || callee.fn === fn) continue;
        out.push({
          code: CODE,
          file,
          span: e.span,
          message: `${fn.name}() is a wait-queue wake function (queue lock held, interrupts off) and calls ${e.name}(), where ${sleep.why} (${callee.file}:${sleep.span.line})`,
          subject: { file, callback: fn, at: e, helper: { file: callee.file, fn: callee.fn, sleep } },
        });
        return;
      }
    }
  }
}
