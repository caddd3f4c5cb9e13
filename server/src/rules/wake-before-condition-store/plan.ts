/**
 * wake-before-condition-store, proof: the waker's code from its previous wait or wakeup through
 * the wakeup and the late store to the end of its function (the path both are on), against a
 * sleeper of the queue in its wait loop, started where it must wait. Fix: the wakeup moved after
 * the store.
 */
import type { Op, Program } from '../../../../analyzer-runtime/src';
import { ExtractionError, locName, ProgramBuilder, segmentOps, waiterCondition, wakeOp } from '../../analysis/extract';
import { onOnePath } from '../../analysis/facts';
import type { AccessPath, Span } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { FixPlan, Plan } from '../../analysis/plan';
import type { Candidate, E } from '../rule';
import { afterPreviousWaitOrWake, sleeperWithoutTimeout, threadContext } from '../shared/programs';
import { firstWaiterWithCondition, planEachWaiter } from '../shared/sleepers';
import { barrierAfter } from '../shared/stores';
import type { EarlyWakeSubject } from './detect';

export function planEarlyWake(index: WorkspaceIndex, c: Candidate<EarlyWakeSubject>): Plan {
  const s = c.subject;
  const first = firstWaiterWithCondition(s.waits, s.wake.event.queue?.text ?? s.wake.queue);
  return planEachWaiter(first, s.waits, (w) => earlyWakePlan(index, s, w));
}

const atOrAfter = (op: Op, span: Span) => !!op.src && (op.src.line > span.line || (op.src.line === span.line && (op.src.column ?? 0) >= span.column));

function earlyWakePlan(index: WorkspaceIndex, s: EarlyWakeSubject, w: Site<E<'wait'>>): Plan {
  const { wake, store } = s;
  const b = new ProgramBuilder(index);
  const queueName = locName(wake.queue);
  const cond = waiterCondition(b, w);
  const snapshots = b.takeSnapshots();
  const tracked = new Set(Object.keys(b.locations));
  const events = wake.fn.events;
  const at = events.indexOf(wake.event);
  const from = afterPreviousWaitOrWake(wake.fn, at);
  const readsTracked = (reads: AccessPath[]) => reads.some((r) => tracked.has(locName(index.identity(wake.file, wake.fn, r))));
  // The program starts where the sleepers must wait; a waker that itself waited earlier for
  // what they read (a teardown that first waits for DISCONNECTED) rules that state out.
  for (const e of events.slice(0, at)) {
    if (e.kind === 'wait' && e.condition && readsTracked(e.condition.reads)) {
      throw new ExtractionError(
        `the waker waited for ${e.condition.text} (line ${e.span.line}) before the wakeup, which reads what the sleepers wait for; the starting state that follows from it is not derived`,
      );
    }
  }
  // The program runs the path, not the tests that choose it: a test on the way that reads what
  // the sleepers test (`if (con->cm_err == 1) wake_up(...)`) may rule out the starting state.
  const storeAt = events.indexOf(store);
  for (let k = from; k <= storeAt; k++) {
    const e = events[k];
    if (e.kind === 'check' && onOnePath(e.ctx, wake.event.ctx) && onOnePath(e.ctx, store.ctx) && readsTracked(e.condition.reads)) {
      throw new ExtractionError(
        `the path to the store tests ${e.condition.text} (line ${e.span.line}), which reads what the sleepers wait for; the test is not modelled`,
      );
    }
  }
  // The events on the one path through the wakeup and the store, in one segment, so a lock
  // taken before the wakeup is released where the code releases it.
  const path = events.filter((e, k) => k >= from && e !== wake.event && onOnePath(e.ctx, wake.event.ctx) && onOnePath(e.ctx, store.ctx));
  const ops = segmentOps(
    b,
    { file: wake.file, fn: { ...wake.fn, events: path }, from: 0, to: path.length },
    tracked,
    new Map([[wake.event.queue?.text ?? '', queueName]]),
  );
  // wake_up_bit()/wake_up_var() check their hashed queue locklessly before waking it (the
  // facts give them an implicit 'active' event at the same place): modelled as the kernel runs it.
  const implicitCheck = events.some((e) => e.kind === 'active' && e.info.implicit && e.span.start === wake.event.span.start);
  const wakeUp = wakeOp(b, wake.event, wake.file, queueName);
  const wakeOps: Op[] = implicitCheck
    ? [
        { op: 'waitqueue_active', wq: b.object('waitqueue', queueName), reg: 'r0', src: wakeUp.src },
        { op: 'if', cond: { kind: 'reg', name: 'r0' }, then: [wakeUp], else: [] },
      ]
    : [wakeUp];
  const insertAt = (after: (op: Op) => boolean, before: Op[] = []) => {
    const k = ops.findIndex(after);
    return k < 0 ? [...ops, ...before, ...wakeOps] : [...ops.slice(0, k), ...before, ...wakeOps, ...ops.slice(k)];
  };
  const { thread: sleeper, timeout } = sleeperWithoutTimeout(b, w, queueName, cond, snapshots);
  const threads = (wakerOps: Op[]) => [{ name: 'waker', context: threadContext(index, wake.fn), ops: wakerOps }, sleeper];
  b.threads.push(...threads(insertAt((op) => atOrAfter(op, wake.event.span))));
  const program = b.build(`${wake.event.name} at ${wake.file}:${wake.event.span.line}`, { check: ['lost-wakeup'] }, [cond]);
  // wake_up_bit()/wake_up_var() check their hashed queue locklessly: moved after the store,
  // they need the barrier waitqueue-active-no-barrier asks for (the kernel's
  // smp_mb__after_atomic() after an atomic bitop, smp_mb() after a plain store).
  const barrier = implicitCheck ? barrierAfter(store) : undefined;
  const moved = (extra: Op[]) =>
    threads(insertAt((op) => atOrAfter(op, store.span) && !(op.src!.line === store.span.line && op.src!.column === store.span.column), extra));
  return {
    program,
    notes: { ...b.notes(), ...(timeout ? { timeout } : {}) },
    fixes: moveFix(s, program, moved(barrier ? [{ op: 'fence', kind: barrier.fence, src: wakeUp.src }] : []), barrier?.call),
  };
}

/**
 * Moving the wakeup after the store: offered when both are statements of their own in the same
 * block (the wakeup then still runs on every path it ran on, only later).
 */
function moveFix(s: EarlyWakeSubject, program: Program, threads: Program['threads'], barrier: string | undefined): FixPlan[] {
  const { wake, store } = s;
  const w = wake.event;
  if (!w.statement || !w.statementText || !store.statement || w.ctx.branch !== store.ctx.branch) return [];
  const indent = w.statement.indent ?? '\t';
  return [
    {
      title: barrier
        ? `Move ${w.name}() after the store (line ${store.span.line}), after ${barrier}()`
        : `Move ${w.name}() after the store (line ${store.span.line})`,
      program: { ...program, threads },
      edits: [
        { file: wake.file, range: { line: w.statement.line, column: 1, endLine: w.statement.endLine + 1, endColumn: 1 }, newText: '' },
        {
          file: wake.file,
          range: { line: store.statement.endLine + 1, column: 1, endLine: store.statement.endLine + 1, endColumn: 1 },
          newText: `${barrier ? `${indent}${barrier}();\n` : ''}${indent}${w.statementText}\n`,
        },
      ],
    },
  ];
}
