/**
 * sleep-state-order, proof: the sleeper's loop as written (state, check, schedule) against a
 * function of the workspace that changes what the loop tests and then wakes a task; fixed by
 * set_current_state() or by re-checking after the state change.
 */
import type { Op, ProgramExpr } from '../../../../analyzer-runtime/src';
import { ExtractionError, locName, ProgramBuilder, segmentOps, srcOf, translateIn } from '../../analysis/extract';
import type { FunctionFacts } from '../../analysis/facts';
import type { WorkspaceIndex } from '../../analysis/index';
import type { FixPlan, Plan } from '../../analysis/plan';
import type { Candidate, E } from '../rule';
import { insertLineAfter, nameEdit } from '../shared/edits';
import { not, threadContext } from '../shared/programs';
import type { StateOrderSubject } from './detect';

export function planStateOrder(index: WorkspaceIndex, c: Candidate<StateOrderSubject>): Plan {
  return stateOrderPlan(index, c.subject);
}

function negateText(text: string): string {
  const t = text.trim();
  if (/^!\s*[A-Za-z_][\w]*(?:\s*(?:->|\.)\s*\w+)*$/.test(t) || /^!\s*[A-Za-z_]\w*\([^()]*\)$/.test(t)) return t.replace(/^!\s*/, '');
  // A call or a member chain needs no parentheses: !list_empty(&l), !d->done.
  if (/^[A-Za-z_]\w*(?:\s*(?:->|\.)\s*\w+)*(?:\([^()]*\))?$/.test(t)) return `!${t}`;
  return `!(${t})`;
}

function stateOrderPlan(index: WorkspaceIndex, s: StateOrderSubject): Plan {
  const b = new ProgramBuilder(index);
  const { file, fn, state, check } = s;
  const c = translateIn(b, file, fn, check.condition);
  const snapshots = b.takeSnapshots();
  // The condition under which the thread does not sleep: a check whose branch leaves the loop
  // exits on (if) / after (while) it; a check whose branch holds the sleep exits on its negation.
  const exitCond: ProgramExpr = check.exits && check.exitWhen ? c : not(c);
  const tracked = new Set(Object.keys(b.locations));
  const taskState = /UNINTERRUPTIBLE|IDLE/.test(state.state) ? 'uninterruptible' : 'interruptible';
  const stateSrc = srcOf(file, state.span);
  const checkSrc = srcOf(file, check.span);
  const schedSrc = srcOf(file, s.schedule.span);
  const sleep = (barrier: boolean): Op => ({ op: 'set_current_state', state: taskState, barrier, src: stateSrc });
  // schedule_timeout() and friends come back by themselves: a late wakeup, not a lost one.
  const schedule: Op = { op: 'schedule', until: exitCond, ...(/timeout/.test(s.schedule.name) ? { timeout: true } : {}), src: schedSrc };
  const recheck = (inner: Op[]): Op => ({ op: 'if', cond: not(exitCond), then: inner, else: [], src: checkSrc });
  const waiterOps = [...snapshots, ...(s.variant === 'check-before-state' ? [recheck([sleep(state.barrier), schedule])] : [sleep(false), recheck([schedule])])];
  const fixedOps = [...snapshots, ...(s.variant === 'check-before-state' ? [recheck([sleep(true), recheck([schedule])])] : [sleep(true), recheck([schedule])])];
  // The waker: a function elsewhere that changes what this loop tests and then wakes a task.
  // The queues the sleeper put itself on (add_wait_queue() before the loop): a wake_up() of
  // one of them reaches it through try_to_wake_up() like wake_up_process() does.
  const stateIdx = fn.events.indexOf(state);
  const queues = new Set(
    fn.events
      .slice(0, stateIdx)
      .filter((e): e is E<'wait'> => e.kind === 'wait' && !!e.info.manual && !!e.queue && e.info.queue === 'waitqueue')
      .map((e) => index.identity(file, fn, e.queue!)),
  );
  const waker = findTaskWaker(index, fn, tracked, queues);
  if (!waker) throw new ExtractionError(`no function in the workspace sets ${check.condition.text.replace(/^!/, '')} and then wakes the task`);
  b.threads.push({ name: 'waiter', context: 'process', ops: waiterOps });
  b.threads.push({
    name: 'waker',
    context: threadContext(index, waker.fn),
    ops: [
      ...segmentOps(b, { file: waker.file, fn: waker.fn, from: waker.from, to: waker.wakeIdx }, tracked, new Map()),
      { op: 'wake_up_process', task: 'waiter', src: srcOf(waker.file, waker.fn.events[waker.wakeIdx].span) },
    ],
  });
  const program = b.build(`${fn.name} at ${file}:${state.span.line}`, { check: ['lost-wakeup'] }, [exitCond]);
  const fixed = { ...program, threads: program.threads.map((t) => (t.name === 'waiter' ? { ...t, ops: fixedOps } : t)) };
  const fixes: FixPlan[] = [];
  if (s.variant === 'no-barrier') {
    fixes.push({
      title: `Use set_current_state() (it has the barrier)`,
      program: fixed,
      edits: [nameEdit(file, state.span, state.name, state.name === '__set_current_state' ? 'set_current_state' : state.name)],
    });
  } else if (state.ctx.loopDepth > 0) {
    const exitText = check.exits && check.exitWhen ? check.condition.text : negateText(check.condition.text);
    fixes.push({
      title: `Re-check ${exitText} after ${state.name}()`,
      program: fixed,
      edits: [insertLineAfter(file, state.span, `if (${exitText})\n${state.span.indent ?? '\t'}\tbreak;`)],
    });
  }
  return { program, fixes };
}

/** A function that stores to what the sleeper tests and then wakes a task (itself or one call down). */
function findTaskWaker(index: WorkspaceIndex, waiterFn: FunctionFacts, tracked: Set<string>, queues: Set<string> = new Set()) {
  // Only a function that wakes (or calls a helper of its file that does) can be the waker:
  // most functions of a tree store something and wake nothing, and store identities cost.
  for (const { file, fn, taskWakingHelpers } of index.wakingFunctions()) {
    if (fn === waiterFn) continue;
    let storeAt = -1;
    for (let k = 0; k < fn.events.length; k++) {
      const e = fn.events[k];
      if (e.kind === 'store' && tracked.has(locName(index.identity(file, fn, e.target)))) {
        if (storeAt < 0) storeAt = k;
      }
      if (e.kind === 'atomic' && e.target && tracked.has(locName(index.identity(file, fn, e.target)))) {
        if (storeAt < 0) storeAt = k;
      }
      if (storeAt >= 0 && e.kind === 'wake' && e.info.queue === 'task') return { file, fn, from: storeAt, wakeIdx: k };
      if (storeAt >= 0 && e.kind === 'wake' && e.info.queue === 'waitqueue' && e.queue && queues.has(index.identity(file, fn, e.queue)))
        return { file, fn, from: storeAt, wakeIdx: k };
      // `list_move(..., &prune_list); audit_schedule_prune();` where the helper (a function of
      // this file) does the wake_up_process(): the call stands for the wake.
      if (storeAt >= 0 && e.kind === 'call' && taskWakingHelpers.has(e.name)) return { file, fn, from: storeAt, wakeIdx: k };
    }
  }
  return undefined;
}
