/**
 * Candidates to findings. Each candidate is extracted into a runtime program (extract.ts) and
 * explored; the verdict decides what the user sees: violated -> a warning whose trace walks
 * the schedule at the real lines; unknown -> information (hidden by default); safe -> nothing.
 * Each fix is applied to the extracted program and explored again; only fixes whose program
 * comes out safe are offered, and the first of those (in the rule's order of preference) is
 * marked preferred.
 */
import { Op, Program, ProgramExpr, PropertyKind } from '../../../analyzer-runtime/src';
import { decide, ProofBounds, ProofJob } from './decide';
import {
  conditionLocations, consumeOps, exitIgnoringTimeout, exitOf, ExtractionError, locName, ProgramBuilder, segmentOps, srcOf, storeLocation, translateIn,
  waitCondition, waiterCondition, waitOp, wakeOp,
} from './extract';
import type { FactEvent, FunctionFacts, Span } from './facts';
import type { FileProblem, Finding, TextEdit } from './findings';
import type { Site, WorkspaceIndex } from './index';
import { activeMessage, Candidate, isNonReturningAtomic, RuleCode } from './rules';
import type { Workspace } from './workspace';

export interface ProofOptions {
  maxStates?: number;
  timeoutMs?: number;
  enabled?: (code: RuleCode) => boolean;
  isCancelled?: () => boolean;
}

type E<K extends FactEvent['kind']> = Extract<FactEvent, { kind: K }>;

interface FixPlan {
  title: string;
  program: Program;
  edits: TextEdit[];
}

export interface Plan {
  program: Program;
  /** The finding's message when the plan named the subject more precisely than the rule. */
  message?: string;
  fixes: FixPlan[];
  /**
   * A restructuring that cannot be written as a local text edit (deferring a callback's
   * sleeping part to a work item): explored like a fix, and reported in the message when safe.
   */
  deferred?: Program;
  /**
   * Other programs for the same candidate (another sleeper on the queue): explored in turn when
   * this one comes out safe, since any one sleeper that can lose the wakeup proves it.
   */
  alternatives?: Plan[];
}

export async function analyzeWorkspaceFile(workspace: Workspace, file: string, options: ProofOptions = {}): Promise<{ findings: Finding[]; problems: FileProblem[] }> {
  const findings: Finding[] = [];
  const bounds = proofBounds(options);
  for (const c of workspace.candidates(file, options.enabled)) {
    if (options.isCancelled?.()) break;
    const planned = planCandidate(workspace.index, c);
    findings.push('finding' in planned ? planned.finding : decide(planned.job, bounds));
  }
  return { findings: findings.filter((f) => f.verdict !== 'safe'), problems: [] };
}

/** The exploration bounds of every proof under these options. */
export function proofBounds(options: ProofOptions = {}): ProofBounds {
  // One iteration of each wait loop: a lost wakeup needs a sleeper to sleep once and never wake.
  return { maxCandidates: options.maxStates ?? 200_000, timeoutMs: options.timeoutMs ?? 5_000, loopBound: 1 };
}

/**
 * The half of a proof that needs the workspace index: the candidate's plan, as a job for
 * decide() (here or on a proof worker), or at once the unknown finding of a candidate that
 * cannot be extracted.
 */
export function planCandidate(index: WorkspaceIndex, c: Candidate): { job: ProofJob } | { finding: Finding } {
  const base = {
    file: c.file,
    line: c.span.line,
    column: c.span.column,
    endLine: c.span.endLine,
    endColumn: c.span.endColumn,
    code: c.code,
    message: c.message,
  };
  try {
    return { job: { base, plan: planFor(index, c) } };
  } catch (error) {
    if (!(error instanceof ExtractionError)) throw error;
    return { finding: { ...base, severity: 'information', verdict: 'unknown', message: `${c.message} (not proved: ${error.message})`, trace: [], fixes: [] } };
  }
}

export function proveCandidate(index: WorkspaceIndex, c: Candidate, options: ProofOptions = {}): Finding {
  const planned = planCandidate(index, c);
  return 'finding' in planned ? planned.finding : decide(planned.job, proofBounds(options));
}

// --- plans per rule -------------------------------------------------------------------------

export function planFor(index: WorkspaceIndex, c: Candidate): Plan {
  const s = c.subject;
  switch (s.kind) {
    case 'active-check':
      return activeCheckPlan(index, s);
    case 'exclusive-wake':
      return exclusiveWakePlan(index, s.wake, s.waits);
    case 'atomic-wake':
      return atomicWakePlan(index, s.wake, s.waits);
    case 'state-order':
      return stateOrderPlan(index, s);
    case 'single-waiter':
      return singleWaiterPlan(index, s.wait, s.wakes);
    case 'callback-sleep':
      return callbackSleepPlan(index, s);
    case 'vcpu-kick':
      return vcpuKickPlan(index, s);
    case 'pv-unlock':
      return pvUnlockPlan(index, s);
    case 'pv-waiter':
      return pvWaiterPlan(index, s);
  }
}

function threadContext(index: WorkspaceIndex, fn: FunctionFacts): 'process' | 'hardirq' | 'softirq' {
  const ctx = index.contextOf(fn);
  return ctx === 'hardirq' || ctx === 'wake-callback' ? 'hardirq' : ctx === 'softirq' ? 'softirq' : 'process';
}

function firstWaiterWithCondition(waits: Array<Site<E<'wait'>>>, what: string): Site<E<'wait'>> {
  const w = waits.find((x) => waitCondition(x));
  if (!w) throw new ExtractionError(waits.length ? `the waiters on ${what} have no condition the model can read` : `no wait site on ${what} in the workspace`);
  return w;
}

function nameEdit(file: string, span: Span, oldName: string, newName: string): TextEdit {
  return { file, range: { line: span.line, column: span.column, endLine: span.line, endColumn: span.column + oldName.length }, newText: newName };
}

function replaceSpan(file: string, span: Span, newText: string): TextEdit {
  return { file, range: { line: span.line, column: span.column, endLine: span.endLine, endColumn: span.endColumn }, newText };
}

function insertLineBefore(file: string, span: Span, text: string): TextEdit {
  return { file, range: { line: span.line, column: 1, endLine: span.line, endColumn: 1 }, newText: `${span.indent ?? '\t'}${text}\n` };
}

function insertLineAfter(file: string, span: Span, text: string): TextEdit {
  return { file, range: { line: span.endLine + 1, column: 1, endLine: span.endLine + 1, endColumn: 1 }, newText: `${span.indent ?? '\t'}${text}\n` };
}

function replaceOps(ops: Op[], match: (o: Op) => boolean, replace: (o: Op) => Op[]): Op[] {
  return ops.flatMap((o) => {
    if (match(o)) return replace(o);
    if (o.op === 'if') return [{ ...o, then: replaceOps(o.then, match, replace), else: replaceOps(o.else, match, replace) }];
    return [o];
  });
}

function variant(p: Program, thread: string, match: (o: Op) => boolean, replace: (o: Op) => Op[]): Program {
  return { ...p, threads: p.threads.map((t) => (t.name === thread ? { ...t, ops: replaceOps(t.ops, match, replace) } : t)) };
}

/**
 * One waiter whose condition the store can make true is enough for the lost wakeup: a program
 * is built for each waiter the model can read that tests the stored location (up to four), the
 * others explored when the first comes out safe; when none can be built, the first one's
 * reason is the answer.
 */
function activeCheckPlan(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'active-check' }>): Plan {
  const first = firstWaiterWithCondition(s.waits, s.check.event.queue?.text ?? s.check.queue);
  let reason: ExtractionError | undefined;
  const plans: Plan[] = [];
  for (const w of [first, ...s.waits.filter((x) => x !== first && waitCondition(x))]) {
    try {
      plans.push(activeCheckPlanWith(index, s, w));
    } catch (error) {
      if (!(error instanceof ExtractionError)) throw error;
      reason ??= error;
    }
    if (plans.length === 4) break;
  }
  if (plans.length === 0) throw reason!;
  return { ...plans[0], ...(plans.length > 1 ? { alternatives: plans.slice(1) } : {}) };
}

function activeCheckPlanWith(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'active-check' }>, w: Site<E<'wait'>>): Plan {
  const b = new ProgramBuilder(index);
  const check = s.check;
  const queueName = locName(check.queue);
  const cond = waiterCondition(b, w);
  const snapshots = b.takeSnapshots();
  const tracked = conditionLocations(b, w);
  // The store the waiters test: the nearest unordered one, or an earlier one of the same
  // stretch (a statistics counter bumped between the condition store and the check).
  const store = [s.store, ...s.earlierStores].find((st) => {
    const where = storeLocation(index, st.file, st.fn, st.event);
    return !!where && tracked.has(locName(where.id));
  });
  if (!store) throw new ExtractionError(`the store before the check (line ${s.store.event.span.line}) is not to what the waiters test`);
  const queues = new Map([[check.event.queue?.text ?? '', queueName]]);
  const storeIdx = store.fn.events.indexOf(store.event);
  const checkIdx = check.fn.events.indexOf(check.event);
  const ops: Op[] = [];
  // From the lock that guards the store, when it is under one: the unlock and what the lock
  // orders (the queue's own lock orders it against the sleepers) belong to the program.
  const from = lockRegionStart(store.fn, storeIdx);
  if (s.via) {
    ops.push(...segmentOps(b, { file: store.file, fn: store.fn, from, to: store.fn.events.indexOf(s.via.event) }, tracked, queues));
    ops.push(...segmentOps(b, { file: check.file, fn: check.fn, from: 0, to: checkIdx }, tracked, queues));
  } else if (store.into) {
    // The store is a helper's: its code from the store on, then the caller's after the call.
    ops.push(...segmentOps(b, { file: store.file, fn: store.fn, from, to: store.fn.events.length }, tracked, queues));
    ops.push(...segmentOps(b, { file: check.file, fn: check.fn, from: check.fn.events.indexOf(store.into.event) + 1, to: checkIdx }, tracked, queues));
  } else {
    ops.push(...segmentOps(b, { file: check.file, fn: check.fn, from, to: checkIdx }, tracked, queues));
  }
  const wake = check.fn.events.slice(checkIdx + 1).find((e): e is E<'wake'> => e.kind === 'wake' && !!e.queue && index.identity(check.file, check.fn, e.queue) === check.queue);
  if (!wake) throw new ExtractionError('no wake-up of this queue follows the check');
  const kind = check.event.info.queue === 'swait' ? 'swait' : 'waitqueue';
  b.object(kind, queueName);
  const src = srcOf(check.file, check.event.span);
  const activeOp: Op = kind === 'swait' ? { op: 'swait_active', wq: queueName, reg: 'r0', src } : { op: 'waitqueue_active', wq: queueName, reg: 'r0', src };
  ops.push(activeOp, { op: 'if', cond: { kind: 'reg', name: 'r0' }, then: [wakeOp(b, wake, check.file, queueName)], else: [] });
  b.threads.push({ name: 'waker', context: threadContext(index, check.fn), ops });
  // A waiter with a timeout is modelled without it: the lost wakeup then shows as the wait
  // failing with a timeout although the condition became true (said in the message).
  b.threads.push({ name: 'waiter', context: 'process', ops: [...snapshots, waitOp(b, w, queueName, cond, exitIgnoringTimeout(w.event))] });
  const program = b.build(`${check.event.name} at ${check.file}:${check.event.span.line}`, { check: ['lost-wakeup'] }, [cond]);
  if (w.event.info.exits.includes('timeout')) program.name += ` (the waiter at ${w.file}:${w.event.span.line} has a timeout: the lost wakeup becomes a spurious timeout)`;
  const isActive = (o: Op) => o.op === 'waitqueue_active' || o.op === 'swait_active';
  const sleeper = kind === 'swait' ? 'swq_has_sleeper' : 'wq_has_sleeper';
  // wake_up_bit()'s check is inside it: the barrier goes before the call, the kernel's
  // smp_mb__after_atomic() when the store is a non-returning atomic (clear_and_wake_up_bit()).
  const barrier = check.event.info.implicit && isNonReturningAtomic(store.event) ? { call: 'smp_mb__after_atomic', fence: 'after_atomic' as const } : { call: 'smp_mb', fence: 'mb' as const };
  return {
    program,
    ...(store !== s.store ? { message: activeMessage(check, store) } : {}),
    fixes: [
      {
        title: `Add ${barrier.call}() before ${check.event.name}()`,
        program: variant(program, 'waker', isActive, (o) => [{ op: 'fence', kind: barrier.fence, src: o.src }, o]),
        edits: [insertLineBefore(check.file, check.event.span, `${barrier.call}();`)],
      },
      // An explicit check can become the form with the barrier inside.
      ...(check.event.info.implicit
        ? []
        : [
            {
              title: `Use ${sleeper}() (it has the barrier)`,
              program: variant(program, 'waker', isActive, (o) => [{ ...(o as Extract<Op, { op: 'waitqueue_active' }>), op: sleeper } as Op]),
              edits: [nameEdit(check.file, check.event.span, check.event.name, sleeper)],
            },
          ]),
      // Or go: the wakeup takes the queue's lock, which the sleeper's queueing takes too.
      ...(check.event.guard
        ? [
            {
              title: `Wake unconditionally (drop the ${check.event.name}() test)`,
              program: variant(variant(program, 'waker', isActive, () => []), 'waker', (o) => o.op === 'if' && o.cond.kind === 'reg' && o.cond.name === 'r0', (o) => (o as Extract<Op, { op: 'if' }>).then),
              edits: [replaceSpan(check.file, check.event.guard, '')],
            },
          ]
        : []),
    ],
  };
}

/** Where the outermost lock held at event `at` was taken (`at` when none is held). */
function lockRegionStart(fn: FunctionFacts, at: number): number {
  let from = at;
  for (const lock of fn.events[at]?.ctx.locksHeld ?? []) {
    for (let k = at - 1; k >= 0; k--) {
      const e = fn.events[k];
      if (e.kind === 'lock' && e.action === 'lock' && e.lock === lock) {
        from = Math.min(from, k);
        break;
      }
    }
  }
  return from;
}

function wakerPrefix(b: ProgramBuilder, site: Site<E<'wake'>>, tracked: Set<string>, queueText: string, queueName: string): Op[] {
  const idx = site.fn.events.indexOf(site.event);
  let from = 0;
  for (let k = idx - 1; k >= 0; k--) {
    const e = site.fn.events[k];
    if (e.kind === 'wake' || e.kind === 'wait') {
      from = k + 1;
      break;
    }
  }
  return segmentOps(b, { file: site.file, fn: site.fn, from, to: idx }, tracked, new Map([[queueText, queueName]]));
}

function lockKey(text: string): string {
  return text.replace(/\s+/g, '').replace(/^&/, '').replace(/^\((.*)\)$/, '$1');
}

/**
 * A sleeping lock (mutex) the waiting function holds across the wait, taken directly or by a
 * helper of its file that takes the lock it is passed and returns holding it
 * (`ffs_mutex_lock(&ffs->mutex, nonblock)`). Only a lock of the queue's own object (same root:
 * `ffs->mutex` for `ffs->ev.waitq`) or a file-scope one serialises the sleepers of the site.
 */
export function mutexHeldAcross(index: WorkspaceIndex, site: Site<E<'wait'>>): { text: string; unidentified?: boolean } | undefined {
  const at = site.fn.events.indexOf(site.event);
  const held: string[] = [];
  let viaHelper: string | undefined;
  for (let k = 0; k < at; k++) {
    const e = site.fn.events[k];
    if (e.kind === 'lock' && e.action === 'lock' && e.sleeps) held.push(lockKey(e.lock));
    else if (e.kind === 'lock' && e.action === 'unlock') {
      const i = held.lastIndexOf(lockKey(e.lock));
      if (i >= 0) held.splice(i, 1);
    } else if (e.kind === 'call') {
      const callee = index.functionsNamed(e.name).find((c) => c.file === site.file);
      const param = callee?.fn.params[0]?.name;
      if (!callee || !param) continue;
      const locks = callee.fn.events.filter((x): x is E<'lock'> => x.kind === 'lock' && lockKey(x.lock) === param);
      if (!locks.some((x) => x.action === 'lock' && x.sleeps) || locks.some((x) => x.action === 'unlock')) continue;
      // The facts do not always carry the argument: then which mutex it is stays open.
      if (e.arg0) held.push(lockKey(e.arg0.text));
      else viaHelper = e.name;
    }
  }
  const queue = site.event.queue;
  if (!queue) return undefined;
  const ownRoot = (t: string) => /^[A-Za-z_]\w*/.exec(t)?.[0];
  const isLocal = (name: string) => site.fn.locals.some((l) => l.name === name) || site.fn.params.some((p) => p.name === name);
  const own = held.find((h) => (/^[A-Za-z_]\w*$/.test(h) ? !isLocal(h) : ownRoot(h) === queue.root));
  if (own) return { text: own };
  return viaHelper ? { text: viaHelper, unidentified: true } : undefined;
}

/**
 * wake_up_locked()/swake_up_locked() are called with the queue's lock held (their contract):
 * when the waker's own code does not take it, its caller did, around the stores before the
 * wakeup too (a `_locked` sleeper tests its condition under that lock).
 */
function holdingQueueLock(wake: Site<E<'wake'>>, prefix: Op[], queueName: string, ops: Op[]): Op[] {
  if (!wake.event.info.locked || prefix.some((o) => o.op === 'lock' && o.lock === queueName)) return ops;
  return [{ op: 'lock', lock: queueName, irq: 'none' }, ...ops, { op: 'unlock', lock: queueName, irq: 'none' }];
}

function writesTracked(ops: Op[]): boolean {
  return ops.some((o) => o.op === 'store' || o.op === 'rmw' || (o.op === 'if' && (writesTracked(o.then) || writesTracked(o.else))));
}

function exclusiveWakePlan(index: WorkspaceIndex, wake: Site<E<'wake'>>, waits: Array<Site<E<'wait'>>>): Plan {
  const b = new ProgramBuilder(index);
  const queueName = locName(wake.queue);
  const withCond = waits.filter((w) => waitCondition(w) || w.event.info.queue === 'completion');
  if (withCond.length === 0) throw new ExtractionError(`the waiters on ${wake.event.queue?.text} have no condition the model can read`);
  // One wait site stands for two sleepers, unless it holds a mutex of the queue's object
  // across the sleep: then its sleepers queue one at a time.
  const held = withCond[1] ? undefined : mutexHeldAcross(index, withCond[0]);
  if (held?.unidentified) throw new ExtractionError(`the waiter at ${withCond[0].file}:${withCond[0].event.span.line} holds a mutex taken in ${held.text}() across the sleep; whether it serialises the sleepers is not modelled`);
  const sites = withCond[1] ? [withCond[0], withCond[1]] : held ? [withCond[0]] : [withCond[0], withCond[0]];
  const tracked = new Set<string>();
  for (const w of sites) for (const l of conditionLocations(b, w)) tracked.add(l);
  const prefix = wakerPrefix(b, wake, tracked, wake.event.queue?.text ?? '', queueName);
  if (!writesTracked(prefix)) throw new ExtractionError('the waker does not change what the waiters test before waking');
  const ops = holdingQueueLock(wake, prefix, queueName, [...prefix, wakeOp(b, wake.event, wake.file, queueName)]);
  b.threads.push({ name: 'waker', context: threadContext(index, wake.fn), ops });
  const conds: ProgramExpr[] = [];
  sites.forEach((w, i) => {
    const cond = waiterCondition(b, w);
    conds.push(cond);
    const snapshots = b.takeSnapshots();
    b.threads.push({ name: `waiter${i + 1}`, context: 'process', ops: [...snapshots, waitOp(b, w, queueName, cond), ...consumeOps(b, w, tracked, cond)] });
  });
  const program = b.build(`${wake.event.name} at ${wake.file}:${wake.event.span.line}`, { check: ['lost-wakeup'] }, conds);
  const fixes: FixPlan[] = [];
  const canWakeAll = !wake.event.ctx.irqsOff && index.contextOf(wake.fn) !== 'hardirq' && !wake.event.info.locked;
  if (canWakeAll) {
    const all = wake.event.info.queue === 'swait' ? 'swake_up_all' : wake.event.name.includes('interruptible') ? 'wake_up_interruptible_all' : 'wake_up_all';
    fixes.push({
      title: `Wake every sleeper: ${all}()`,
      program: variant(program, 'waker', (o) => o.op === 'swake_up_one' || o.op === 'wake_up', (o) => [o.op === 'swake_up_one' ? { op: 'swake_up_all', wq: o.wq, src: o.src } : { ...(o as Extract<Op, { op: 'wake_up' }>), nr: 'all' }]),
      edits: [nameEdit(wake.file, wake.event.span, wake.event.name, all)],
    });
  }
  return { program, fixes };
}

function atomicWakePlan(index: WorkspaceIndex, wake: Site<E<'wake'>>, waits: Array<Site<E<'wait'>>>): Plan {
  const b = new ProgramBuilder(index);
  const queueName = locName(wake.queue);
  const w = waits.find((x) => waitCondition(x));
  const tracked = w ? conditionLocations(b, w) : new Set<string>();
  const idx = wake.fn.events.indexOf(wake.event);
  const ops = [...segmentOps(b, { file: wake.file, fn: wake.fn, from: 0, to: idx }, tracked, new Map([[wake.event.queue?.text ?? '', queueName]])), wakeOp(b, wake.event, wake.file, queueName)];
  b.object('swait', queueName);
  b.threads.push({ name: 'waker', context: threadContext(index, wake.fn), ops });
  const cond = w ? waiterCondition(b, w) : undefined;
  const snapshots = b.takeSnapshots();
  if (w && cond) b.threads.push({ name: 'waiter', context: 'process', ops: [...snapshots, waitOp(b, w, queueName, cond)] });
  const program = b.build(`${wake.event.name} at ${wake.file}:${wake.event.span.line}`, { check: ['sleep-in-atomic'] }, cond ? [cond] : []);
  const fixes: FixPlan[] = [];
  if (waits.length === 1 && w) {
    fixes.push({
      title: 'Only one task sleeps here: swake_up_one()',
      program: variant(program, 'waker', (o) => o.op === 'swake_up_all', (o) => [{ op: 'swake_up_one', wq: (o as Extract<Op, { op: 'swake_up_all' }>).wq, src: o.src }]),
      edits: [nameEdit(wake.file, wake.event.span, wake.event.name, 'swake_up_one')],
    });
  }
  return { program, fixes };
}

/** Negation that does not stack: not(not(x)) is x, so traces read as the C does. */
function not(e: ProgramExpr): ProgramExpr {
  return e.kind === 'not' ? e.operand : { kind: 'not', operand: e };
}

function negateText(text: string): string {
  const t = text.trim();
  if (/^!\s*[A-Za-z_][\w]*(?:\s*(?:->|\.)\s*\w+)*$/.test(t) || /^!\s*[A-Za-z_]\w*\([^()]*\)$/.test(t)) return t.replace(/^!\s*/, '');
  // A call or a member chain needs no parentheses: !list_empty(&l), !d->done.
  if (/^[A-Za-z_]\w*(?:\s*(?:->|\.)\s*\w+)*(?:\([^()]*\))?$/.test(t)) return `!${t}`;
  return `!(${t})`;
}

function stateOrderPlan(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'state-order' }>): Plan {
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
  const queues = new Set(fn.events.slice(0, stateIdx).filter((e): e is E<'wait'> => e.kind === 'wait' && !!e.info.manual && !!e.queue && e.info.queue === 'waitqueue').map((e) => index.identity(file, fn, e.queue!)));
  const waker = findTaskWaker(index, fn, tracked, queues);
  if (!waker) throw new ExtractionError(`no function in the workspace sets ${check.condition.text.replace(/^!/, '')} and then wakes the task`);
  b.threads.push({ name: 'waiter', context: 'process', ops: waiterOps });
  b.threads.push({ name: 'waker', context: threadContext(index, waker.fn), ops: [...segmentOps(b, { file: waker.file, fn: waker.fn, from: waker.from, to: waker.wakeIdx }, tracked, new Map()), { op: 'wake_up_process', task: 'waiter', src: srcOf(waker.file, waker.fn.events[waker.wakeIdx].span) }] });
  const program = b.build(`${fn.name} at ${file}:${state.span.line}`, { check: ['lost-wakeup'] }, [exitCond]);
  const fixed = { ...program, threads: program.threads.map((t) => (t.name === 'waiter' ? { ...t, ops: fixedOps } : t)) };
  const fixes: FixPlan[] = [];
  if (s.variant === 'no-barrier') {
    fixes.push({ title: `Use set_current_state() (it has the barrier)`, program: fixed, edits: [nameEdit(file, state.span, state.name, state.name === '__set_current_state' ? 'set_current_state' : state.name)] });
  } else if (state.ctx.loopDepth > 0) {
    const exitText = check.exits && check.exitWhen ? check.condition.text : negateText(check.condition.text);
    fixes.push({ title: `Re-check ${exitText} after ${state.name}()`, program: fixed, edits: [insertLineAfter(file, state.span, `if (${exitText})\n${state.span.indent ?? '\t'}\tbreak;`)] });
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
      if (storeAt >= 0 && e.kind === 'wake' && e.info.queue === 'waitqueue' && e.queue && queues.has(index.identity(file, fn, e.queue))) return { file, fn, from: storeAt, wakeIdx: k };
      // `list_move(..., &prune_list); audit_schedule_prune();` where the helper (a function of
      // this file) does the wake_up_process(): the call stands for the wake.
      if (storeAt >= 0 && e.kind === 'call' && taskWakingHelpers.has(e.name)) return { file, fn, from: storeAt, wakeIdx: k };
    }
  }
  return undefined;
}

function singleWaiterPlan(index: WorkspaceIndex, wait: Site<E<'wait'>>, wakes: Array<Site<E<'wake'>>>): Plan {
  // The task-pointer form of the same code: the sole sleeper in rcuwait_wait_event(), the
  // wakers in rcuwait_wake_up(). Safe means the conversion loses nothing.
  const b = new ProgramBuilder(index);
  const name = locName(wait.queue);
  const cond = waiterCondition(b, wait);
  const snapshots = b.takeSnapshots();
  const tracked = conditionLocations(b, wait);
  const wake = wakes[0];
  const prefix = wakerPrefix(b, wake, tracked, wake.event.queue?.text ?? '', name);
  if (!writesTracked(prefix)) throw new ExtractionError('the waker does not change what the sleeper tests before waking');
  b.object('rcuwait', name);
  const exit = exitOf(wait.event);
  b.threads.push({ name: 'waker', context: threadContext(index, wake.fn), ops: [...prefix, { op: 'rcuwait_wake_up', w: name, src: srcOf(wake.file, wake.event.span) }] });
  b.threads.push({ name: 'waiter', context: 'process', ops: [...snapshots, { op: 'rcuwait_wait_event', w: name, cond, exit, src: srcOf(wait.file, wait.event.span) }] });
  const program = b.build(`task pointer for ${wait.queue}`, { check: ['lost-wakeup'] }, [cond]);
  const edits = taskPointerEdits(index, wait, wakes);
  return { program, fixes: edits ? [{ title: `Convert to an rcuwait (task pointer): field, sleeper and ${wakes.length} waker${wakes.length === 1 ? '' : 's'}`, program, edits }] : [] };
}

/**
 * The conversion Linus describes, as one multi-file edit: the field becomes a struct rcuwait,
 * the sleeper rcuwait_wait_event(), every waker rcuwait_wake_up(), initialisation and
 * swait_active() their rcuwait forms. Undefined when some use cannot be converted (a timeout
 * wait, a field the index does not see declared).
 */
function taskPointerEdits(index: WorkspaceIndex, wait: Site<E<'wait'>>, wakes: Array<Site<E<'wake'>>>): TextEdit[] | undefined {
  const m = /^struct (\w+)\.(\w+)$/.exec(wait.queue);
  if (!m || wait.event.info.exits.includes('timeout')) return undefined;
  const [, struct, fieldName] = m;
  const field = index.fieldOf(struct, fieldName);
  const fieldFile = index.fieldFile(struct, fieldName);
  if (!field?.typeSpan || !fieldFile || field.type !== 'struct swait_queue_head') return undefined;
  const cond = wait.event.condition?.text;
  const queueText = wait.event.queue?.text.replace(/^&/, '');
  if (!cond || !queueText) return undefined;
  const state = wait.event.info.exits.includes('signal') ? 'TASK_INTERRUPTIBLE' : wait.event.info.exits.includes('fatal-signal') ? 'TASK_KILLABLE' : 'TASK_UNINTERRUPTIBLE';
  const edits: TextEdit[] = [replaceSpan(fieldFile, field.typeSpan, 'struct rcuwait'), replaceSpan(wait.file, wait.event.span, `rcuwait_wait_event(&${queueText}, ${cond}, ${state})`)];
  for (const w of wakes) {
    const q = w.event.queue?.text;
    if (!q || w.event.info.queue !== 'swait') return undefined;
    edits.push(replaceSpan(w.file, w.event.span, `rcuwait_wake_up(${q.startsWith('&') ? q : `&${q}`})`));
  }
  for (const init of index.callsOnQueue('init_swait_queue_head', wait.queue)) edits.push(nameEdit(init.file, init.event.span, 'init_swait_queue_head', 'rcuwait_init'));
  for (const a of index.activesOn(wait.queue)) {
    if (a.event.name !== 'swait_active') return undefined;
    edits.push(nameEdit(a.file, a.event.span, 'swait_active', 'rcuwait_active'));
  }
  return edits;
}

export type { PropertyKind };

/**
 * The callback as the custom wake function of an entry on a queue, and a waker that wakes the
 * queue: wake_up() runs the function under the queue lock with interrupts off. The program
 * holds the callback's own code up to the sleep (its locks and IRQ changes included).
 */
function callbackSleepPlan(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'callback-sleep' }>): Plan {
  const b = new ProgramBuilder(index);
  const queue = b.object('waitqueue', locName(`queue of ${s.callback.name}`));
  const atIdx = s.callback.events.indexOf(s.at);
  const before = segmentOps(b, { file: s.file, fn: s.callback, from: 0, to: atIdx }, new Set(), new Map());
  const sleepWhat = s.helper ? `${s.helper.sleep.name} (in ${s.helper.fn.name}())` : s.at.name;
  const sleepOp: Op = { op: 'sleep_call', what: sleepWhat, src: srcOf(s.file, s.at.span) };
  b.location('work_pending');
  b.threads.push({ name: 'entry_owner', context: 'process', ops: [{ op: 'add_wait_queue', wq: queue, func: [...before, sleepOp], src: srcOf(s.file, s.callback.nameSpan) }] });
  b.threads.push({ name: 'waker', context: 'process', ops: [{ op: 'wake_up', wq: queue, nr: 1 }] });
  const program = b.build(`${s.callback.name} as a wake function`, { check: ['sleep-in-atomic'] });
  // Deferred: the callback only marks the work; a worker thread (one more context switch on
  // the path) does the sleeping part in process context.
  const deferred: Program = {
    ...program,
    threads: [
      { name: 'entry_owner', context: 'process', ops: [{ op: 'add_wait_queue', wq: queue, func: [...before, { op: 'store', loc: 'work_pending', value: { kind: 'const', value: 1 }, order: 'once', src: sleepOp.src }], src: srcOf(s.file, s.callback.nameSpan) }] },
      program.threads[1],
      { name: 'worker', context: 'process', ops: [{ op: 'if', cond: { kind: 'read', loc: 'work_pending', order: 'once' }, then: [sleepOp], else: [] }] },
    ],
  };
  return { program, fixes: [], deferred };
}

/**
 * The vCPU's block loop (set the state, re-check the runnable predicate, schedule) against the
 * waker's stores and kick. What the vCPU must not sleep through is the predicate *or* the state
 * the waker set: a vCPU asleep at the end while that state is set was kicked for nothing.
 */
function vcpuKickPlan(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'vcpu-kick' }>): Plan {
  const b = new ProgramBuilder(index);
  const pred = translateIn(b, s.predicate.file, s.predicate.fn, s.predicate.fn.returns[0]);
  const target = s.store.kind === 'store' ? s.store.target : s.store.target!;
  const workLoc = b.location(index.identity(s.file, s.fn, target));
  const work: ProgramExpr = { kind: 'binary', op: '!=', left: { kind: 'read', loc: workLoc, order: 'once' }, right: { kind: 'const', value: 0 } };
  const tracked = new Set(Object.keys(b.locations));
  const kickIdx = s.fn.events.indexOf(s.kick);
  const storeIdx = s.fn.events.indexOf(s.store);
  const wakerOps: Op[] = [...segmentOps(b, { file: s.file, fn: s.fn, from: storeIdx, to: kickIdx }, tracked, new Map()), { op: 'wake_up_process', task: 'vcpu', src: srcOf(s.file, s.kick.span) }];
  const blockLoop = (p: ProgramExpr): Op[] => [
    { op: 'set_current_state', state: 'interruptible', barrier: true },
    { op: 'if', cond: not(p), then: [{ op: 'schedule', until: { kind: 'binary', op: '||', left: pred, right: work } }], else: [], src: srcOf(s.predicate.file, s.predicate.fn.returns[0].span) },
  ];
  b.threads.push({ name: 'vcpu', context: 'process', ops: blockLoop(pred) });
  b.threads.push({ name: 'waker', context: threadContext(index, s.fn), ops: wakerOps });
  const program = b.build(`${s.kick.name} at ${s.file}:${s.kick.span.line}`, { check: ['lost-wakeup'] }, [{ kind: 'binary', op: '||', left: pred, right: work }]);
  const fixedPred: ProgramExpr = { kind: 'binary', op: '||', left: pred, right: work };
  const fixed = { ...program, threads: program.threads.map((t) => (t.name === 'vcpu' ? { ...t, ops: blockLoop(fixedPred) } : t)) };
  // The edit: the predicate also reads the state, named through the predicate's own vCPU parameter.
  const ret = s.predicate.fn.returns[0];
  const vcpuParam = s.predicate.fn.params.find((p) => p.structName === 'kvm_vcpu')?.name;
  const fixes: FixPlan[] = [];
  if (vcpuParam && (target.rootStruct === 'kvm_vcpu' || target.rootStruct === undefined) && target.fields.length > 0) {
    const stateText = `${vcpuParam}->${target.fields.join('.')}`;
    fixes.push({
      title: `Make ${s.predicate.fn.name}() read ${stateText}`,
      program: fixed,
      edits: [replaceSpan(s.predicate.file, ret.span, `(${ret.text}) || READ_ONCE(${stateText})`)],
    });
  }
  return { program, fixes };
}

/**
 * The PV protocol of kernel/locking/qspinlock_paravirt.h for two vCPUs contending on the lock,
 * each releasing it with this unlock (a plain clear of the byte) against the protocol's
 * cmpxchg unlock, which sees _Q_SLOW_VAL and kicks the halted vCPU.
 */
function pvUnlockPlan(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'pv-unlock' }>): Plan {
  const b = new ProgramBuilder(index);
  const lock = b.object('qspinlock', locName(`qspinlock ${s.fn.name}`));
  const src = srcOf(s.file, s.store.span);
  const vcpu = (plain: boolean): Op[] => [{ op: 'pv_spin_lock', lock }, { op: 'pv_spin_unlock', lock, ...(plain ? { plain: true } : {}), src }];
  b.threads.push({ name: 'vcpu0', context: 'process', ops: vcpu(true) });
  b.threads.push({ name: 'vcpu1', context: 'process', ops: vcpu(true) });
  const program = b.build(`${s.fn.name} at ${s.file}:${s.store.span.line}`, { check: ['halted-with-work', 'mutual-exclusion', 'deadlock'] });
  const fixed: Program = { ...program, threads: program.threads.map((t) => ({ ...t, ops: vcpu(false) })) };
  // The statement to replace: the call (smp_store_release/WRITE_ONCE) or assignment itself.
  const edit = replaceSpan(s.file, s.store.span, `__pv_queued_spin_unlock(${s.lockParam})`);
  return { program, fixes: [{ title: 'Unlock with the PV protocol: cmpxchg_release() of the byte, kick the halted waiter on _Q_SLOW_VAL', program: fixed, edits: [edit] }] };
}

/**
 * The waiter side. A queue head (plain-mark, unmarked): two vCPUs run the PV protocol with the
 * protocol's cmpxchg unlock, the head marking the byte as the code does; the fix marks it with
 * cmpxchg(locked, _Q_LOCKED_VAL, _Q_SLOW_VAL) (only a held byte is marked) and waits on that
 * mark. A queued node (no-recheck, unordered-recheck): the node publishes its halted state as
 * the code does and halts in pv_wait(&state, halted); the previous holder hands the MCS lock
 * over (node->locked = 1) and runs pv_kick_node(): a node it sees halted is moved to hashed,
 * and the unlock that follows kicks it (modelled as the kick itself); the fix publishes with
 * smp_store_mb() and re-checks node->locked before halting.
 */
function pvWaiterPlan(index: WorkspaceIndex, s: Extract<Candidate['subject'], { kind: 'pv-waiter' }>): Plan {
  const b = new ProgramBuilder(index);
  const waitSrc = srcOf(s.file, s.wait.span);
  const name = `${s.fn.name} at ${s.file}:${(s.store ?? s.wait).span.line}`;
  if (s.variant === 'plain-mark' || s.variant === 'unmarked') {
    const lock = b.object('qspinlock', locName(`qspinlock ${s.fn.name}`));
    const src = srcOf(s.file, (s.store ?? s.wait).span);
    const vcpu = (fixed: boolean): Op[] => {
      const head: Op = fixed
        ? { op: 'pv_spin_lock', lock, mark: 'cmpxchg', src }
        : s.variant === 'plain-mark'
          ? { op: 'pv_spin_lock', lock, mark: 'store', src }
          : { op: 'pv_spin_lock', lock, mark: 'none', waitValue: 1, src };
      return [head, { op: 'pv_spin_unlock', lock }];
    };
    b.threads.push({ name: 'vcpu0', context: 'process', ops: vcpu(false) });
    b.threads.push({ name: 'vcpu1', context: 'process', ops: vcpu(false) });
    const program = b.build(name, { check: ['halted-with-work', 'mutual-exclusion', 'deadlock'] });
    const fixed: Program = { ...program, threads: program.threads.map((t) => ({ ...t, ops: vcpu(true) })) };
    const byte = `&${s.lockParam}->locked`;
    const edits: TextEdit[] =
      s.variant === 'plain-mark' && s.store
        ? [replaceSpan(s.file, s.store.span, `cmpxchg(${s.store.target.addressOf ? s.store.target.text : `&${s.store.target.text}`}, _Q_LOCKED_VAL, ${(s.store.value ?? '_Q_SLOW_VAL').trim()})`)]
        : [insertLineBefore(s.file, s.wait.span, `cmpxchg(${byte}, _Q_LOCKED_VAL, _Q_SLOW_VAL);`), replaceSpan(s.file, s.wait.span, `pv_wait(${byte}, _Q_SLOW_VAL)`)];
    const title =
      s.variant === 'plain-mark'
        ? 'Mark the byte atomically: cmpxchg(&lock->locked, _Q_LOCKED_VAL, _Q_SLOW_VAL) marks only a held lock'
        : 'Mark the byte _Q_SLOW_VAL with cmpxchg() (after hashing the waiter) and pv_wait() on that mark';
    return { program, fixes: [{ title, program: fixed, edits }] };
  }
  // A queued node.
  const store = s.store!;
  const state = b.location(index.identity(s.file, s.fn, store.target));
  const locked = b.location('struct mcs_spinlock.locked');
  const valueText = (store.value ?? '').trim();
  const v = /^\d+$/.test(valueText) ? Number(valueText) : index.macroValue(s.file, valueText);
  const halted = v !== undefined && v > 0 ? v : 1;
  const hashed = halted + 1;
  const c = (value: number): ProgramExpr => ({ kind: 'const', value });
  const rd = (loc: string): ProgramExpr => ({ kind: 'read', loc, order: 'once' });
  const pending: ProgramExpr = { kind: 'binary', op: '!=', left: rd(locked), right: c(0) };
  const storeSrc = srcOf(s.file, store.span);
  const wait: Op = { op: 'pv_wait', loc: state, value: halted, pending, src: waitSrc };
  const waiter = (order: 'mb' | 'once' | 'release', recheck: boolean): Op[] => [
    { op: 'store', loc: state, value: c(halted), order, src: storeSrc },
    ...(recheck
      ? ([
          { op: 'load', loc: locked, reg: 'r0', order: 'once' },
          { op: 'if', cond: { kind: 'binary', op: '==', left: { kind: 'reg', name: 'r0' }, right: c(0) }, then: [wait], else: [] },
        ] as Op[])
      : [wait]),
  ];
  const order = store.fullBarrierAfter ? 'mb' : store.release ? 'release' : 'once';
  // The previous holder: arch_mcs_spin_unlock_contended(&node->locked), then pv_kick_node().
  // Its smp_mb__before_atomic() + cmpxchg_relaxed() is meant as full ordering whether or not
  // the cmpxchg succeeds (LKMM gives a failed RMW none): modelled as smp_mb().
  const prev: Op[] = [
    { op: 'store', loc: locked, value: c(1), order: 'release' },
    { op: 'fence', kind: 'mb' },
    { op: 'rmw', fn: 'cmpxchg_relaxed', loc: state, args: [c(halted), c(hashed)], reg: 'r0' },
    { op: 'if', cond: { kind: 'binary', op: '==', left: { kind: 'reg', name: 'r0' }, right: c(halted) }, then: [{ op: 'pv_kick', task: 'waiter' }], else: [] },
  ];
  b.threads.push({ name: 'waiter', context: 'process', ops: waiter(order, s.variant === 'unordered-recheck') });
  b.threads.push({ name: 'prev', context: 'process', ops: prev });
  const program = b.build(name, { check: ['halted-with-work', 'deadlock'] });
  const fixed: Program = { ...program, threads: program.threads.map((t) => (t.name === 'waiter' ? { ...t, ops: waiter('mb', true) } : t)) };
  const edits: TextEdit[] = [];
  if (!store.fullBarrierAfter) edits.push(replaceSpan(s.file, store.span, `smp_store_mb(${store.target.text}, ${valueText || halted})`));
  if (s.variant === 'no-recheck') {
    // The re-check reads the node's MCS locked flag, through the parameter that holds it.
    const node = s.fn.params.find((p) => p.pointer && (p.structName === 'mcs_spinlock' || (p.structName !== undefined && index.fieldOf(p.structName, 'locked'))));
    if (!node) return { program, fixes: [] };
    edits.push(insertLineBefore(s.file, s.wait.span, `if (!READ_ONCE(${node.name}->locked))`));
  }
  const title = s.variant === 'no-recheck' ? 'Publish the halted state with smp_store_mb() and re-check node->locked before pv_wait()' : 'Publish the halted state with smp_store_mb() (full barrier before the re-check)';
  return { program, fixes: [{ title, program: fixed, edits }] };
}
