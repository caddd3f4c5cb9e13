/**
 * Lowering: runs one thread of a Program on its own, with every shared read returning a
 * guessed value (as threads.ts does for litmus code), and turns every op, kernel objects
 * included, into LKMM events: reads, writes, fences, RMWs and spin locks. The result is one
 * path per combination of guesses and of the thread's own choices (signal pending, timer
 * expiry, blocking forever on a lock), each with its events, its trace steps and how it ends.
 *
 * Kernel objects become shared locations (see Layout) and the primitives the kernel builds
 * them from:
 * - a task's state is the location `T->__state` (0 TASK_RUNNING, 1 TASK_INTERRUPTIBLE,
 *   2 TASK_UNINTERRUPTIBLE); set_current_state() is a store and smp_mb(), __set_current_state()
 *   the store alone; schedule() is a full barrier (smp_mb__after_spinlock() after taking the
 *   runqueue lock) then a read of the state: TASK_RUNNING returns at once, any other value ends the path
 *   asleep. Whether the sleep is forever is decided on the whole execution: it is iff no write
 *   co-after the read sets the state back to TASK_RUNNING.
 * - try_to_wake_up(p) is a full barrier (smp_mb__after_spinlock() under p->pi_lock), a read of p's state and,
 *   when that is not TASK_RUNNING, a store of TASK_RUNNING; it succeeds iff it stored.
 * - a wait queue is its lock `Q.lock` (a spinlock) and its list `Q.head`: one location whose
 *   value encodes the queued entries in order (see encodeList), read and written under the
 *   lock; waitqueue_active()/swait_active() read it without the lock (READ_ONCE, list_empty()).
 *   wake_up() walks the list under the lock, wakes every entry with try_to_wake_up() and
 *   removes those it woke (autoremove_wake_function); it stops after nr exclusive entries were
 *   woken. swake_up_locked() wakes and removes the first entry only; swake_up_all() empties the
 *   list and wakes every entry, dropping the lock between wakeups.
 * - wait_event*() is the kernel's loop: check the condition, then repeat prepare_to_wait_event()
 *   (queue the entry if it is not queued, set the state with a barrier, under the lock; or,
 *   when a signal is pending, dequeue instead), re-check the condition, schedule();
 *   finish_wait() at the end.
 * - rcuwait is the task pointer `W.task` (rcu_assign_pointer / rcu_dereference);
 *   rcuwait_wake_up() is smp_mb() then wake_up_process() of the task it reads.
 * - a completion is `C.done` and an swait queue `C.wait`, all under `C.wait.lock`, as
 *   kernel/sched/completion.c does.
 *
 * Wait loops are bounded by the number of times they return from schedule() (loopBound): a
 * path may go to sleep once more and end asleep there (a waiter woken for a condition that is
 * not its own goes back to sleep for good), but a path that would return from that sleep is
 * dropped and counted (loopBoundHits).
 */
import type { Annotation, EventKind } from '../lkmm/execution';
import type { Scalar } from '../litmus/ast';
import type { ThreadEvent, ThreadPath } from '../litmus/threads';
import { Op, Program, ProgramExpr, PropertyKind, PvMark, SourceTag, TaskState, WaitExit } from '../program/ir';
import { exprString } from '../program/text';
import { rmwBase } from '../program/validate';
import { rmwEffect } from '../program/rmw';

export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
/** UINT_MAX of complete_all(): large enough that no test reaches it by counting. */
export const COMPLETION_ALL = 1 << 30;

export function stateName(v: number): string {
  return v === TASK_RUNNING
    ? 'TASK_RUNNING'
    : v === TASK_INTERRUPTIBLE
      ? 'TASK_INTERRUPTIBLE'
      : v === TASK_UNINTERRUPTIBLE
        ? 'TASK_UNINTERRUPTIBLE'
        : String(v);
}

/** Names of the shared locations kernel objects are lowered to. */
export const Layout = {
  state: (task: string) => `${task}->__state`,
  queueLock: (q: string) => `${q}.lock`,
  queueHead: (q: string) => `${q}.head`,
  rcuwaitTask: (w: string) => `${w}.task`,
  completionDone: (c: string) => `${c}.done`,
  completionQueue: (c: string) => `${c}.wait`,
  /** A vCPU's request bits and its rcuwait (kvm_arch_vcpu_get_wait()). */
  vcpuRequests: (v: string) => `${v}.requests`,
  vcpuWait: (v: string) => `${v}.wait`,
  /** An eventfd's count (its queue is the object itself: `E.lock`, `E.head`). */
  eventfdCount: (e: string) => `${e}.count`,
  /** A work item's PENDING bit (its worker sleeps on the object itself as a queue). */
  workPending: (w: string) => `${w}.pending`,
  /**
   * A qspinlock's locked byte and tail (thread + 1 of the queued vCPU), as two locations: the
   * PV trylock looks at the byte only (pv_hybrid_queued_unfair_trylock() may steal the lock
   * from a queued vCPU), and the pending bit is unused under PV. The PV hash entry holds the
   * halted queue head's thread + 1.
   */
  qspinVal: (l: string) => `${l}.locked`,
  qspinTail: (l: string) => `${l}.tail`,
  qspinHash: (l: string) => `${l}.hash`,
  /** The hypervisor's pv_unhalted flag of a vCPU (thread), set by pv_kick(). */
  pvUnhalted: (task: string) => `${task}->pv_unhalted`,
};

export const Q_LOCKED_VAL = 1;
export const Q_SLOW_VAL = 3;

/** A queue entry: which thread's task, and whether it is exclusive. */
export interface QueueEntry {
  thread: number;
  exclusive: boolean;
  /** A custom wake function (add_wait_queue with func) registered by thread, not its task. */
  func?: boolean;
}

/**
 * The list of entries as one integer: entry i (0 = first) is the base-B digit i, with
 * digit = 3 * thread + (func ? 2 : exclusive ? 1 : 0) + 1 and B = 3 * threads + 1; 0 is the
 * empty list.
 */
export function encodeList(entries: QueueEntry[], threads: number): number {
  const base = 3 * threads + 1;
  let v = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    v = v * base + (3 * e.thread + (e.func ? 2 : e.exclusive ? 1 : 0) + 1);
  }
  return v;
}

export function decodeList(value: number, threads: number): QueueEntry[] {
  const base = 3 * threads + 1;
  const out: QueueEntry[] = [];
  let v = value;
  while (v > 0) {
    const d = (v % base) - 1;
    const kind = d % 3;
    const e: QueueEntry = { thread: Math.floor(d / 3), exclusive: kind === 1 };
    if (kind === 2) e.func = true;
    out.push(e);
    v = Math.floor(v / base);
  }
  return out;
}

const mine = (index: number) => (e: QueueEntry) => e.thread === index && !e.func;

/** One step of a path: what the trace shows as one line. */
export interface PathStep {
  label: string;
  src?: SourceTag;
  /** Indices of this step's events in the path's event list. */
  events: number[];
  note?: string;
}

/** A property violation visible on the path itself (not depending on other threads). */
export interface PathViolation {
  kind: PropertyKind;
  step: number;
  message: string;
}

export type PathEnd =
  | { kind: 'done' }
  /** Stopped in schedule() reading a sleeping state (read: event index of that read). */
  | { kind: 'asleep'; step: number; read: number; stateLoc: string; what: string; until?: ProgramExpr; untilText?: string; queue?: string }
  /** Spinning forever on a lock it never gets. */
  | { kind: 'lock-blocked'; step: number; lock: string; label: string }
  /** A vCPU halted (kvm_vcpu_block(), pv_wait()): asleep until kicked; pending is the work it has. */
  | { kind: 'halted'; step: number; read: number; stateLoc: string; what: string; pending: ProgramExpr; pendingText: string };

export interface ExplorerPath extends ThreadPath {
  thread: number;
  steps: PathStep[];
  /** Step index of each event. */
  eventStep: number[];
  end: PathEnd;
  violations: PathViolation[];
  registerValues: Map<string, number>;
}

/** Raised when the path needs more loop iterations than the bound: the path is dropped. */
export class LoopBoundExceeded extends Error {}
/** Raised when a read has no possible value (its guesses are all ruled out): no such path. */
class ImpossiblePath extends Error {}
class PathStop extends Error {
  constructor(readonly end: PathEnd) {
    super('path ends');
  }
}

interface Tracked {
  value: number;
  deps: number[];
}

type Chooser = (alternatives: number) => number;

function union(...lists: number[][]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

const FENCE_ANNOT: Record<string, Annotation> = {
  mb: 'mb',
  wmb: 'wmb',
  rmb: 'rmb',
  before_atomic: 'before-atomic',
  after_atomic: 'after-atomic',
  after_spinlock: 'after-spinlock',
};

/** Op text in traces uses the `.wake` printer's expression form. */
export const exprText = exprString;

function srcText(src: SourceTag | undefined): string {
  if (!src) return '';
  return `${src.file ? `${src.file}:` : 'line '}${src.line}`;
}

/**
 * Reads of a condition whose value matters only through a predicate: for each such read node,
 * the function mapping its value to the class it falls in. The condition (and everything the
 * path does after it) is the same for every value of one class, so the lowering guesses a class
 * instead of a value: one path whose read may take any value of the class (ThreadEvent.values),
 * the value itself being fixed by the write it reads from when executions are built. A read
 * qualifies when every operator between it and the condition's root is !, &&, || (they look at
 * its truth only) or a binary operator with a constant other operand.
 */
const condKeysCache = new WeakMap<ProgramExpr, Map<ProgramExpr, (v: number) => number>>();
export function conditionKeys(root: ProgramExpr): Map<ProgramExpr, (v: number) => number> {
  const cached = condKeysCache.get(root);
  if (cached) return cached;
  const out = new Map<ProgramExpr, (v: number) => number>();
  const truth = (v: number) => (v ? 1 : 0);
  const visit = (e: ProgramExpr, key: ((v: number) => number) | undefined): void => {
    switch (e.kind) {
      case 'const':
      case 'reg':
        return;
      case 'read':
        if (key) out.set(e, key);
        return;
      case 'not':
        return visit(e.operand, truth);
      case 'binary': {
        if (e.op === '&&' || e.op === '||') {
          visit(e.left, truth);
          visit(e.right, truth);
          return;
        }
        const compare = ['==', '!=', '<', '>', '<=', '>='].includes(e.op);
        const fn = (x: number, y: number) => binaryValue(e.op, x, y);
        const parent = key ?? (compare ? (v: number) => v : undefined);
        if (e.right.kind === 'const' && parent) {
          const c = e.right.value;
          visit(e.left, (v) => parent(fn(v, c)));
        } else visit(e.left, undefined);
        if (e.left.kind === 'const' && parent) {
          const c = e.left.value;
          visit(e.right, (v) => parent(fn(c, v)));
        } else visit(e.right, undefined);
        return;
      }
      case 'let':
        // The value lands in a register the body may use any way: its reads take exact values.
        visit(e.value, undefined);
        return visit(e.body, key);
    }
  };
  visit(root, truth);
  condKeysCache.set(root, out);
  return out;
}

export function binaryValue(op: ProgramExpr & { kind: 'binary' } extends { op: infer O } ? O : never, x: number, y: number): number {
  switch (op) {
    case '&&':
      return x && y ? 1 : 0;
    case '||':
      return x || y ? 1 : 0;
    case '==':
      return x === y ? 1 : 0;
    case '!=':
      return x !== y ? 1 : 0;
    case '<':
      return x < y ? 1 : 0;
    case '>':
      return x > y ? 1 : 0;
    case '<=':
      return x <= y ? 1 : 0;
    case '>=':
      return x >= y ? 1 : 0;
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '&':
      return x & y;
    case '|':
      return x | y;
  }
  return 0;
}

export interface LowerOptions {
  /** schedule() calls per wait loop. */
  loopBound: number;
  /**
   * The search's stop check, called once per event lowered: lowering a path costs its length,
   * so a program of long threads or many paths uses its work budget up (maxWork) instead of
   * running for minutes on one step per path.
   */
  tick?: () => void;
}

class ThreadLowering {
  readonly events: ThreadEvent[] = [];
  readonly steps: PathStep[] = [];
  readonly eventStep: number[] = [];
  readonly violations: PathViolation[] = [];
  readonly registers = new Map<string, Tracked>();
  private ctrlDeps: number[] = [];
  private irqOff = 0;
  private readonly held: string[] = [];
  private readonly me: string;
  private readonly nThreads: number;
  private currentSrc: SourceTag | undefined;
  /** The queue whose wake function is running, if any. */
  private inCallback: string | undefined;
  /** Queue of each list location (Layout.queueHead). */
  private readonly headQueue = new Map<string, string>();
  /** Per queue: whether this thread's own entry may be on the list ('maybe' once it queued it). */
  private readonly ownQueued = new Map<string, 'absent' | 'maybe'>();
  /** Values this thread has written so far, per location. */
  private readonly ownWrites = new Map<string, Set<number>>();
  /** Queues this thread added its wake function to. */
  private readonly ownFunc = new Set<string>();
  /** Paravirt qspinlocks (held ones are in `held` for the atomic context, but are not LK locks). */
  private readonly qspinlocks = new Set<string>();
  /** Word location -> qspinlock, and the qspinlocks whose tail this thread may be in. */
  private readonly qspinWord = new Map<string, string>();
  private readonly inTail = new Set<string>();
  private readonly qspinTailOf = new Map<string, string>();
  /** Condition keys of the condition being evaluated (see conditionKeys). */
  private condKeys: Map<ProgramExpr, (v: number) => number> | undefined;

  constructor(
    private readonly program: Program,
    private readonly index: number,
    private readonly readValues: (loc: string) => Scalar[],
    private readonly choose: Chooser,
    private readonly options: LowerOptions,
  ) {
    this.me = program.threads[index]!.name;
    this.nThreads = program.threads.length;
    for (const o of program.objects) {
      if (o.kind === 'waitqueue' || o.kind === 'swait' || o.kind === 'eventfd' || o.kind === 'work') this.headQueue.set(Layout.queueHead(o.name), o.name);
      if (o.kind === 'completion') this.headQueue.set(Layout.queueHead(Layout.completionQueue(o.name)), Layout.completionQueue(o.name));
      if (o.kind === 'qspinlock') {
        this.qspinlocks.add(o.name);
        this.qspinWord.set(Layout.qspinVal(o.name), o.name);
        this.qspinTailOf.set(Layout.qspinTail(o.name), o.name);
      }
    }
  }

  run(): ExplorerPath {
    let end: PathEnd = { kind: 'done' };
    try {
      this.block(this.program.threads[this.index]!.ops);
    } catch (e) {
      if (e instanceof PathStop) end = e.end;
      else throw e;
    }
    const registers = new Map<string, Scalar>();
    const registerValues = new Map<string, number>();
    for (const [k, v] of this.registers) {
      registers.set(k, v.value);
      registerValues.set(k, v.value);
    }
    return {
      thread: this.index,
      events: this.events,
      registers,
      registerValues,
      steps: this.steps,
      eventStep: this.eventStep,
      end,
      violations: this.violations,
    };
  }

  // ---- steps and events ----

  private step(label: string, note?: string): number {
    const s: PathStep = { label, events: [] };
    if (this.currentSrc) s.src = this.currentSrc;
    if (note) s.note = note;
    this.steps.push(s);
    return this.steps.length - 1;
  }

  private noteStep(note: string): void {
    const s = this.steps[this.steps.length - 1];
    if (s) s.note = s.note ? `${s.note}; ${note}` : note;
  }

  private emit(e: Omit<ThreadEvent, 'ctrl' | 'line'>): number {
    this.options.tick?.();
    if (this.steps.length === 0) this.step('(start)');
    if ((e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') && e.loc !== undefined && typeof e.value === 'number') {
      let w = this.ownWrites.get(e.loc);
      if (!w) this.ownWrites.set(e.loc, (w = new Set()));
      w.add(e.value);
    }
    this.events.push({ ...e, ctrl: this.ctrlDeps, line: this.currentSrc?.line ?? 0 });
    const id = this.events.length - 1;
    this.eventStep.push(this.steps.length - 1);
    this.steps[this.steps.length - 1]!.events.push(id);
    return id;
  }

  /** The values a read of loc may return: its domain, less what this thread's own history rules out. */
  /** domainOf(loc), each of its values one step of the search's work (a read costs what it may return). */
  private domain(loc: string): number[] {
    const options = this.domainOf(loc);
    const tick = this.options.tick;
    if (tick) for (let n = options.length; n > 0; n--) tick();
    return options;
  }

  private domainOf(loc: string): number[] {
    let options = this.readValues(loc) as number[];
    for (const v of options) if (typeof v !== 'number') throw new Error(`location ${loc} holds an address`);
    // A read may always see this thread's own earlier writes (the read values grow to a
    // fixpoint; before they have, a path must not die for want of its own values).
    const own = this.ownWrites.get(loc);
    if (own) {
      // By a set: a long thread writes hundreds of values, and this runs at every read.
      const known = new Set(options);
      const extra = [...own].filter((v) => !known.has(v));
      if (extra.length > 0) options = [...options, ...extra];
    }
    const byte = this.qspinWord.get(loc);
    if (byte !== undefined) {
      // Only the holder clears the lock byte.
      if (this.held.includes(byte)) return options.filter((v) => v !== 0);
      return options;
    }
    const tailOf = this.qspinTailOf.get(loc);
    if (tailOf !== undefined) {
      // Only this thread puts itself in the tail (another vCPU's xchg_tail may replace it).
      if (!this.inTail.has(tailOf)) return options.filter((v) => v !== this.index + 1);
      return options;
    }
    const q = this.headQueue.get(loc);
    if (q === undefined) return options;
    // Only this thread ever inserts its own entries: before it queues one (or after it took it
    // out itself) the list cannot hold it; its wake function, once added, is never removed.
    const ownEntry = this.ownQueued.get(q) ?? 'absent';
    const hasFunc = this.ownFunc.has(q);
    return options.filter((v) => {
      const entries = decodeList(v, this.nThreads);
      if (ownEntry === 'absent' && entries.some(mine(this.index))) return false;
      if (entries.some((e) => e.func && e.thread === this.index) !== hasFunc) return false;
      return true;
    });
  }

  private guess(loc: string): number {
    const options = this.domain(loc);
    if (options.length === 0) throw new ImpossiblePath();
    return options[this.choose(options.length)]!;
  }

  /**
   * A read. key: the read's value matters only through key(value) (conditionKeys, or a test of
   * the list), so one class of values is guessed rather than one value, when no lock is held
   * (reads inside critical sections take part in the lock chains, which need values).
   */
  /** Class reads are kept out of critical sections of spin locks (the lock chains need values). */
  private classReadsAllowed(): boolean {
    return this.held.every((l) => this.qspinlocks.has(l));
  }

  private read(loc: string, annot: Annotation, key?: (v: number) => number): Tracked {
    if (key && this.classReadsAllowed()) {
      const options = this.domain(loc);
      const classes = new Map<number, number[]>();
      for (const v of options) {
        const k = key(v);
        const c = classes.get(k);
        if (c) c.push(v);
        else classes.set(k, [v]);
      }
      const list = [...classes.values()];
      if (list.length === 0) throw new ImpossiblePath();
      const cls = list[this.choose(list.length)]!;
      const value = cls[0]!;
      const e: Omit<ThreadEvent, 'ctrl' | 'line'> = { kind: 'R', annot, loc, value, addr: [], data: [] };
      if (cls.length > 1) e.values = cls;
      const id = this.emit(e);
      if (cls.every((v) => !decodeList(v, this.nThreads).some(mine(this.index)))) this.sawList(loc, value);
      return { value, deps: [id] };
    }
    const value = this.guess(loc);
    const id = this.emit({ kind: 'R', annot, loc, value, addr: [], data: [] });
    this.sawList(loc, value);
    return { value, deps: [id] };
  }

  /** After reading a list without this thread's entry, nobody but this thread can put it back. */
  private sawList(loc: string, value: number): void {
    const q = this.headQueue.get(loc);
    if (q !== undefined && !decodeList(value, this.nThreads).some(mine(this.index))) this.ownQueued.set(q, 'absent');
  }

  /** A write of a list by this thread: its own entry is on it or not. */
  private wroteList(q: string, entries: QueueEntry[]): void {
    this.ownQueued.set(q, entries.some(mine(this.index)) ? 'maybe' : 'absent');
  }

  private write(loc: string, annot: Annotation, v: Tracked, rmwRead?: number): number {
    const e: Omit<ThreadEvent, 'ctrl' | 'line'> = { kind: 'W', annot, loc, value: v.value, addr: [], data: v.deps };
    if (rmwRead !== undefined) e.rmwRead = rmwRead;
    return this.emit(e);
  }

  private fence(annot: Annotation): void {
    this.emit({ kind: 'F', annot, addr: [], data: [] });
  }

  /** Runs body with the events' control dependency extended by deps. */
  private under<T>(deps: number[], body: () => T): T {
    const outer = this.ctrlDeps;
    this.ctrlDeps = union(outer, deps);
    try {
      return body();
    } finally {
      this.ctrlDeps = outer;
    }
  }

  /** An RMW: fences around a fully ordered one; compute undefined = failed (a lone read). */
  private rmw(
    loc: string,
    order: 'mb' | 'relaxed' | 'acquire' | 'release',
    readAnnot: Annotation | undefined,
    compute: (old: number) => number | undefined,
    key?: (old: number) => number,
  ): Tracked {
    // key: the caller looks at the old value only through key(old), so the values that give
    // the same key and the same new value are guessed as one class (the write is the same).
    if (key && this.classReadsAllowed()) {
      const groups = new Map<string, number[]>();
      for (const v of this.domain(loc)) {
        const g = `${compute(v) ?? 'fail'}|${key(v)}`;
        const l = groups.get(g);
        if (l) l.push(v);
        else groups.set(g, [v]);
      }
      const list = [...groups.values()];
      if (list.length === 0) throw new ImpossiblePath();
      const cls = list[this.choose(list.length)]!;
      const old = cls[0]!;
      const next = compute(old);
      if (next === undefined) {
        const e: Omit<ThreadEvent, 'ctrl' | 'line'> = { kind: 'R', annot: 'once', loc, value: old, addr: [], data: [] };
        if (cls.length > 1) e.values = cls;
        const id = this.emit(e);
        return { value: old, deps: [id] };
      }
      return this.rmwWith(loc, order, readAnnot, old, next, cls.length > 1 ? cls : undefined);
    }
    const old = this.guess(loc);
    const next = compute(old);
    if (next === undefined) {
      const id = this.emit({ kind: 'R', annot: 'once', loc, value: old, addr: [], data: [] });
      return { value: old, deps: [id] };
    }
    return this.rmwWith(loc, order, readAnnot, old, next);
  }

  private rmwWith(
    loc: string,
    order: 'mb' | 'relaxed' | 'acquire' | 'release',
    readAnnot: Annotation | undefined,
    old: number,
    next: number,
    values?: number[],
  ): Tracked {
    if (order === 'mb') this.fence('mb');
    const re: Omit<ThreadEvent, 'ctrl' | 'line'> = {
      kind: 'R',
      annot: readAnnot ?? (order === 'acquire' ? 'acquire' : 'once'),
      loc,
      value: old,
      addr: [],
      data: [],
    };
    if (values) re.values = values;
    const rid = this.emit(re);
    this.write(loc, order === 'release' ? 'release' : 'once', { value: next, deps: [rid] }, rid);
    if (order === 'mb') this.fence('mb');
    return { value: old, deps: [rid] };
  }

  /** spin_lock(): LKR + LKW. mayBlock: the path may instead spin forever here (and end). */
  private lockAcquire(loc: string, label: string, mayBlock: boolean): void {
    if (mayBlock && this.choose(2) === 1) {
      this.step(label, 'spins forever: the lock is never released');
      throw new PathStop({ kind: 'lock-blocked', step: this.steps.length - 1, lock: loc, label });
    }
    const rid = this.emit({ kind: 'LKR', annot: 'acquire', loc, value: 0, addr: [], data: [] });
    this.emit({ kind: 'LKW', annot: 'once', loc, value: 1, addr: [], data: [], rmwRead: rid });
    this.held.push(loc);
  }

  private lockRelease(loc: string): void {
    this.emit({ kind: 'UL', annot: 'release', loc, value: 0, addr: [], data: [] });
    const i = this.held.lastIndexOf(loc);
    if (i >= 0) this.held.splice(i, 1);
  }

  // ---- context ----

  private atomicReason(irqOnly = false): string | undefined {
    const ctx = this.program.threads[this.index]!.context;
    if (this.inCallback) return `in a wake function of ${this.inCallback} (called with ${Layout.queueLock(this.inCallback)} held, interrupts off)`;
    if (ctx === 'hardirq') return 'in hard-IRQ context';
    if (this.irqOff > 0) return 'with interrupts disabled';
    if (irqOnly) return undefined;
    if (ctx === 'softirq') return 'in softirq context';
    const internal = this.held.filter((l) => !l.endsWith('->pi_lock'));
    if (internal.length > 0) return `while holding spin lock ${internal[internal.length - 1]}`;
    return undefined;
  }

  private mightSleep(what: string): void {
    const reason = this.atomicReason();
    if (reason) {
      this.violations.push({ kind: 'sleep-in-atomic', step: this.steps.length - 1, message: `${this.me} calls ${what}, which may sleep, ${reason}` });
    }
  }

  // ---- expressions ----

  private eval(e: ProgramExpr): Tracked {
    switch (e.kind) {
      case 'const':
        return { value: e.value, deps: [] };
      case 'reg':
        return this.registers.get(e.name) ?? { value: 0, deps: [] };
      case 'read':
        return this.read(e.loc, e.order === 'plain' ? 'plain' : e.order === 'acquire' ? 'acquire' : 'once', this.condKeys?.get(e));
      case 'not': {
        const v = this.eval(e.operand);
        return { value: v.value ? 0 : 1, deps: v.deps };
      }
      case 'binary': {
        const a = this.eval(e.left);
        // && and || short-circuit as in C: the right operand is not evaluated (not read).
        if (e.op === '&&' && !a.value) return { value: 0, deps: a.deps };
        if (e.op === '||' && a.value) return { value: 1, deps: a.deps };
        const b = this.eval(e.right);
        const deps = union(a.deps, b.deps);
        return { value: binaryValue(e.op, a.value, b.value), deps };
      }
      case 'let':
        // The assignment stays, as C's does: the register holds the value after the condition.
        this.registers.set(e.reg, this.eval(e.value));
        return this.eval(e.body);
    }
  }

  /** A condition: reads whose value matters only through a predicate guess a class of values. */
  private evalCond(e: ProgramExpr): Tracked {
    const outer = this.condKeys;
    this.condKeys = conditionKeys(e);
    try {
      return this.eval(e);
    } finally {
      this.condKeys = outer;
    }
  }

  // ---- ops ----

  private block(ops: Op[]): void {
    for (const o of ops) this.op(o);
  }

  private op(o: Op): void {
    const outerSrc = this.currentSrc;
    if (o.src) this.currentSrc = o.src;
    try {
      this.opInner(o);
    } finally {
      this.currentSrc = outerSrc;
    }
  }

  private opInner(o: Op): void {
    switch (o.op) {
      case 'load': {
        const label =
          o.order === 'plain' ? `${o.reg} = ${o.loc}` : o.order === 'acquire' ? `${o.reg} = smp_load_acquire(${o.loc})` : `${o.reg} = READ_ONCE(${o.loc})`;
        this.step(label);
        this.registers.set(o.reg, this.read(o.loc, o.order === 'plain' ? 'plain' : o.order));
        return;
      }
      case 'store': {
        this.step('');
        const v = this.eval(o.value);
        const vt = exprText(o.value);
        const s = this.steps[this.steps.length - 1]!;
        s.label =
          o.order === 'plain'
            ? `${o.loc} = ${vt}`
            : o.order === 'once'
              ? `WRITE_ONCE(${o.loc}, ${vt})`
              : o.order === 'release'
                ? `smp_store_release(${o.loc}, ${vt})`
                : `smp_store_mb(${o.loc}, ${vt})`;
        this.write(o.loc, o.order === 'plain' ? 'plain' : o.order === 'release' ? 'release' : 'once', v);
        if (o.order === 'mb') this.fence('mb');
        return;
      }
      case 'fence':
        this.step(o.kind === 'mb' || o.kind === 'wmb' || o.kind === 'rmb' ? `smp_${o.kind}()` : `smp_mb__${o.kind}()`);
        this.fence(FENCE_ANNOT[o.kind]!);
        return;
      case 'rmw':
        this.atomic(o.fn, o.loc, o.args, o.reg);
        return;
      case 'assign':
        this.step(`${o.reg} = ${exprText(o.value)}`);
        this.registers.set(o.reg, this.eval(o.value));
        return;
      case 'lock': {
        const loc = this.lockLoc(o.lock);
        const label = `spin_lock${o.irq === 'irq' ? '_irq' : o.irq === 'irqsave' ? '_irqsave' : ''}(${o.lock})`;
        this.step(label);
        if (o.irq === 'irq' || o.irq === 'irqsave') this.irqOff++;
        this.lockAcquire(loc, label, true);
        return;
      }
      case 'unlock': {
        const loc = this.lockLoc(o.lock);
        this.step(`spin_unlock${o.irq === 'irq' ? '_irq' : o.irq === 'irqsave' ? '_irqrestore' : ''}(${o.lock})`);
        if (!this.held.includes(loc)) {
          // Unlocking a lock this thread does not hold has no meaning in the model: ignored.
          this.noteStep(`${o.lock} is not held here: ignored`);
          return;
        }
        this.lockRelease(loc);
        if ((o.irq === 'irq' || o.irq === 'irqsave') && this.irqOff > 0) this.irqOff--;
        return;
      }
      case 'irq_disable':
        this.step('local_irq_disable()');
        this.irqOff++;
        return;
      case 'irq_enable':
        this.step('local_irq_enable()');
        if (this.irqOff > 0) this.irqOff--;
        return;
      case 'if': {
        this.step(`if (${exprText(o.cond)})`);
        const c = this.evalCond(o.cond);
        this.noteStep(c.value ? 'taken' : 'not taken');
        this.under(c.deps, () => this.block(c.value ? o.then : o.else));
        return;
      }
      case 'sleep_call':
        this.step(`${o.what}()`);
        this.mightSleep(`${o.what}()`);
        return;
      case 'assert': {
        const text = exprText(o.cond);
        this.step(`assert(${text})`);
        const c = this.evalCond(o.cond);
        if (!c.value) {
          const kind = o.property ?? 'assertion';
          this.violations.push({ kind, step: this.steps.length - 1, message: o.message ?? `${this.me}: assertion ${text} fails` });
        }
        return;
      }
      case 'set_current_state': {
        const v = o.state === 'running' ? TASK_RUNNING : o.state === 'interruptible' ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
        this.step(`${o.barrier ? '' : '__'}set_current_state(${stateName(v)})`);
        this.setState(v, o.barrier);
        return;
      }
      case 'schedule': {
        this.step(o.timeout ? 'schedule_timeout()' : 'schedule()');
        this.mightSleep(o.timeout ? 'schedule_timeout()' : 'schedule()');
        this.schedule(o.timeout === true, o.timeout ? 'schedule_timeout()' : 'schedule()', o.until, o.until ? exprText(o.until) : undefined);
        return;
      }
      case 'wake_up_process':
        this.step(`wake_up_process(${o.task})`);
        this.tryToWakeUp(this.threadIndex(o.task));
        return;
      case 'prepare_to_wait': {
        const st = o.state === 'interruptible' ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
        this.step(`prepare_to_wait${o.exclusive ? '_exclusive' : ''}(${o.wq}, ${stateName(st)})`);
        this.prepare(o.wq, o.exclusive, st, false);
        return;
      }
      case 'finish_wait':
        this.step(`finish_wait(${o.wq})`);
        this.finish(o.wq);
        return;
      case 'add_wait_queue': {
        this.step(`add_wait_queue(${o.wq}, wake function)`);
        const head = Layout.queueHead(o.wq);
        this.irqOff++;
        this.lockAcquire(Layout.queueLock(o.wq), '', false);
        const l = this.read(head, 'once');
        const entries = decodeList(l.value, this.nThreads);
        if (!entries.some((e) => e.func && e.thread === this.index)) {
          entries.unshift({ thread: this.index, exclusive: false, func: true });
          this.write(head, 'once', { value: encodeList(entries, this.nThreads), deps: l.deps });
          this.ownFunc.add(o.wq);
        }
        this.lockRelease(Layout.queueLock(o.wq));
        this.irqOff--;
        return;
      }
      case 'wait_event': {
        const name = `wait_event${o.exit === 'signal' ? '_interruptible' : o.exit === 'timeout' ? '_timeout' : ''}${o.exclusive ? '_exclusive' : ''}`;
        this.waitLoop(`${name}(${o.wq}, ${exprText(o.cond)})`, o.wq, o.cond, o.exclusive, o.exit, 'wait');
        return;
      }
      case 'wake_up': {
        const name = o.nr === 'all' ? 'wake_up_all' : o.nr === 1 ? 'wake_up' : 'wake_up_nr';
        this.step(`${name}${o.locked ? '_locked' : ''}(${o.wq}${typeof o.nr === 'number' && o.nr !== 1 ? `, ${o.nr}` : ''})`);
        this.wakeUp(o.wq, o.nr === 'all' ? Infinity : o.nr, o.locked === true);
        return;
      }
      case 'waitqueue_active':
      case 'wq_has_sleeper':
      case 'swait_active':
      case 'swq_has_sleeper': {
        this.step(`${o.reg} = ${o.op}(${o.wq})`);
        if (o.op === 'wq_has_sleeper' || o.op === 'swq_has_sleeper') this.fence('mb');
        const head = this.read(Layout.queueHead(o.wq), 'once');
        this.registers.set(o.reg, { value: head.value !== 0 ? 1 : 0, deps: head.deps });
        this.noteStep(head.value !== 0 ? `the queue has ${this.describeList(head.value)}` : 'the queue looks empty');
        return;
      }
      case 'swait_event': {
        const name = `swait_event${o.exit === 'signal' ? '_interruptible' : o.exit === 'timeout' ? '_timeout' : ''}_exclusive`;
        this.waitLoop(`${name}(${o.wq}, ${exprText(o.cond)})`, o.wq, o.cond, true, o.exit, 'swait');
        return;
      }
      case 'swake_up_one': {
        this.step(`swake_up_one(${o.wq})`);
        this.lockAcquire(Layout.queueLock(o.wq), '', false);
        this.swakeUpLocked(o.wq);
        this.lockRelease(Layout.queueLock(o.wq));
        return;
      }
      case 'swake_up_locked':
        this.step(`swake_up_locked(${o.wq})`);
        this.swakeUpLocked(o.wq);
        return;
      case 'swake_up_all': {
        this.step(`swake_up_all(${o.wq})`);
        const reason = this.atomicReason(true);
        if (reason) {
          this.violations.push({
            kind: 'sleep-in-atomic',
            step: this.steps.length - 1,
            message: `${this.me} calls swake_up_all(${o.wq}) ${reason}; it re-enables interrupts between wakeups and must only be called from process context with interrupts enabled`,
          });
        }
        this.swakeUpAll(o.wq, false);
        return;
      }
      case 'rcuwait_wait_event': {
        const name = `rcuwait_wait_event${o.exit === 'timeout' ? '_timeout' : ''}`;
        const st = o.exit === 'signal' ? 'TASK_INTERRUPTIBLE' : 'TASK_UNINTERRUPTIBLE';
        this.rcuwaitWait(`${name}(${o.w}, ${exprText(o.cond)}, ${st})`, o.w, o.cond, o.exit);
        return;
      }
      case 'rcuwait_wake_up': {
        this.step(`rcuwait_wake_up(${o.w})`);
        this.fence('mb');
        this.fence('rcu-lock');
        const t = this.read(Layout.rcuwaitTask(o.w), 'once');
        if (t.value > 0) {
          this.noteStep(`reads the task pointer: ${this.program.threads[t.value - 1]?.name ?? '?'}`);
          this.under(t.deps, () => this.tryToWakeUp(t.value - 1, true));
          this.continued(`rcuwait_wake_up(${o.w})`);
        } else this.noteStep('reads no task: nothing to wake');
        this.fence('rcu-unlock');
        return;
      }
      case 'wait_for_completion': {
        const name = `wait_for_completion${o.exit === 'signal' ? '_interruptible' : o.exit === 'timeout' ? '_timeout' : ''}`;
        this.waitForCompletion(`${name}(${o.c})`, o.c, o.exit);
        return;
      }
      case 'kvm_vcpu_block':
        this.vcpuBlock(o.vcpu, o.runnable, o.pending ?? o.runnable);
        return;
      case 'kvm_vcpu_kick':
      case 'kvm_vcpu_wake_up':
        this.step(`${o.op}(${o.vcpu})`);
        this.vcpuWakeUp(o.vcpu, `${o.op}(${o.vcpu})`);
        if (o.op === 'kvm_vcpu_kick') this.noteStep('a vCPU in guest mode would also get an IPI (not modelled: a halted vCPU is not in guest mode)');
        return;
      case 'kvm_make_request': {
        const fn = o.wake === 'kick' ? 'kvm_make_request_and_kick' : o.wake === 'all_cpus' ? 'kvm_make_all_cpus_request' : 'kvm_make_request';
        const label = `${fn}(${o.req}${o.noWakeup ? ' | KVM_REQUEST_NO_WAKEUP' : ''}, ${o.vcpu})`;
        this.step(label);
        // Order the request's payload before the bit (pairs with kvm_check_request()'s barrier).
        this.fence('wmb');
        this.rmw(
          Layout.vcpuRequests(o.vcpu),
          'relaxed',
          'noreturn',
          (v) => v | (1 << o.req),
          () => 0,
        );
        if (o.wake === 'kick' || (o.wake === 'all_cpus' && !o.noWakeup)) {
          this.continued(label);
          this.vcpuWakeUp(o.vcpu, label);
        } else if (o.noWakeup) this.noteStep('KVM_REQUEST_NO_WAKEUP: a halted vCPU is not woken');
        return;
      }
      case 'kvm_check_request': {
        this.step(`${o.reg} = kvm_check_request(${o.req}, ${o.vcpu})`);
        const loc = Layout.vcpuRequests(o.vcpu);
        const bit = 1 << o.req;
        const r = this.read(loc, 'once', (v) => (v & bit ? 1 : 0));
        if (r.value & bit) {
          this.under(r.deps, () => {
            this.rmw(
              loc,
              'relaxed',
              'noreturn',
              (v) => v & ~bit,
              () => 0,
            );
            this.fence('after-atomic');
          });
        }
        this.registers.set(o.reg, { value: r.value & bit ? 1 : 0, deps: r.deps });
        return;
      }
      case 'eventfd_signal': {
        const label = `eventfd_signal(${o.ctx})`;
        this.step(label);
        const count = Layout.eventfdCount(o.ctx);
        this.irqOff++;
        this.lockAcquire(Layout.queueLock(o.ctx), '', false);
        const c = this.read(count, 'once');
        this.write(count, 'once', { value: c.value + 1, deps: c.deps });
        // wake_up_locked_poll(&ctx->wqh, EPOLLIN): every entry, wake functions included.
        this.wakeUp(o.ctx, Infinity, true);
        this.lockRelease(Layout.queueLock(o.ctx));
        this.irqOff--;
        return;
      }
      case 'schedule_work': {
        const label = `schedule_work(${o.work})`;
        this.step(label);
        const was = this.rmw(
          Layout.workPending(o.work),
          'mb',
          undefined,
          (v) => (v & 1 ? undefined : v | 1),
          (v) => v & 1,
        );
        if (was.value & 1) {
          this.noteStep('already pending: nothing to do');
          return;
        }
        this.noteStep('queued: wakes the worker');
        this.under(was.deps, () => {
          this.continued(label);
          this.wakeUp(o.work, Infinity, false);
        });
        return;
      }
      case 'worker': {
        const pending: ProgramExpr = {
          kind: 'binary',
          op: '!=',
          left: { kind: 'read', loc: Layout.workPending(o.work), order: 'once' },
          right: { kind: 'const', value: 0 },
        };
        this.waitLoop(`worker_thread(): waits for ${o.work}`, o.work, pending, false, 'none', 'wait');
        this.step(`process_one_work(${o.work})`);
        this.write(Layout.workPending(o.work), 'once', { value: 0, deps: [] });
        this.fence('mb');
        this.block(o.body);
        return;
      }
      case 'pv_spin_lock':
        this.pvLock(o.lock, o.mark ?? 'xchg', o.waitValue ?? Q_SLOW_VAL);
        return;
      case 'pv_wait': {
        const pending: ProgramExpr = o.pending ?? {
          kind: 'binary',
          op: '!=',
          left: { kind: 'read', loc: o.loc, order: 'once' },
          right: { kind: 'const', value: o.value },
        };
        this.pvWait(o.loc, o.value, `pv_wait(${o.loc}, ${o.value})`, pending);
        return;
      }
      case 'pv_kick':
        this.pvKick(this.threadIndex(o.task), []);
        return;
      case 'pv_spin_unlock':
        this.pvUnlock(o.lock, o.plain === true);
        return;
      case 'complete':
      case 'complete_all': {
        this.step(`${o.op}(${o.c})`);
        const q = Layout.completionQueue(o.c);
        const done = Layout.completionDone(o.c);
        this.irqOff++;
        this.lockAcquire(Layout.queueLock(q), '', false);
        if (o.op === 'complete') {
          const d = this.read(done, 'once');
          if (d.value !== COMPLETION_ALL) this.write(done, 'once', { value: d.value + 1, deps: d.deps });
          this.swakeUpLocked(q);
        } else {
          this.write(done, 'once', { value: COMPLETION_ALL, deps: [] });
          this.swakeUpAll(q, true);
        }
        this.lockRelease(Layout.queueLock(q));
        this.irqOff--;
        return;
      }
    }
  }

  // ---- vCPUs ----

  /** kvm_vcpu_wake_up(): rcuwait_wake_up(kvm_arch_vcpu_get_wait(vcpu)). */
  private vcpuWakeUp(vcpu: string, label: string): void {
    this.fence('mb');
    this.fence('rcu-lock');
    const t = this.read(Layout.rcuwaitTask(Layout.vcpuWait(vcpu)), 'once');
    if (t.value > 0) {
      this.noteStep(`reads the vCPU task: ${this.program.threads[t.value - 1]?.name ?? '?'}`);
      this.under(t.deps, () => this.tryToWakeUp(t.value - 1, true));
      this.continued(label);
    } else this.noteStep('reads no vCPU task (not blocking): nothing to wake');
    this.fence('rcu-unlock');
  }

  /**
   * kvm_vcpu_block(): prepare_to_rcuwait(); loop { set_current_state(TASK_INTERRUPTIBLE);
   * if (kvm_vcpu_check_block() < 0) break; schedule(); } finish_rcuwait(). Signals and the
   * halt-polling window are not modelled (a poll only delays the halt).
   */
  private vcpuBlock(vcpu: string, runnable: ProgramExpr, pending: ProgramExpr): void {
    const label = `kvm_vcpu_block(${vcpu})`;
    const text = exprText(runnable);
    this.step(label);
    this.mightSleep('kvm_vcpu_block()');
    const w = Layout.vcpuWait(vcpu);
    this.write(Layout.rcuwaitTask(w), 'release', { value: this.index + 1, deps: [] });
    for (let sleeps = 0; ; sleeps++) {
      this.step('set_current_state(TASK_INTERRUPTIBLE)');
      this.setState(TASK_INTERRUPTIBLE, true);
      this.step(`kvm_vcpu_check_block(${vcpu}): ${text}`);
      const c = this.evalCond(runnable);
      if (c.value) {
        this.noteStep('runnable: stops blocking');
        break;
      }
      this.noteStep('not runnable');
      const last = sleeps >= this.options.loopBound;
      this.step(`schedule(): ${vcpu} halts`);
      this.halt(label, pending);
      if (last) throw new LoopBoundExceeded();
    }
    this.step(`finish_rcuwait(${w})`);
    this.write(Layout.rcuwaitTask(w), 'release', { value: 0, deps: [] });
    this.setState(TASK_RUNNING, false);
  }

  /** schedule() of a halted vCPU: returns when woken (state TASK_RUNNING), else the path ends halted. */
  private halt(what: string, pending: ProgramExpr): void {
    this.fence('mb');
    const st = this.read(Layout.state(this.me), 'once');
    if (st.value === TASK_RUNNING) {
      this.noteStep('state is TASK_RUNNING: does not halt (or was kicked)');
      return;
    }
    this.noteStep(`halted (${stateName(st.value)})`);
    throw new PathStop({
      kind: 'halted',
      step: this.steps.length - 1,
      read: st.deps[0]!,
      stateLoc: Layout.state(this.me),
      what,
      pending,
      pendingText: exprText(pending),
    });
  }

  // ---- paravirt qspinlock ----

  private lockFree(lock: string): ProgramExpr {
    return { kind: 'binary', op: '==', left: { kind: 'read', loc: Layout.qspinVal(lock), order: 'once' }, right: { kind: 'const', value: 0 } };
  }

  /**
   * pv_wait(&loc, value) as KVM does it (kvm_wait()): with interrupts off, return at once
   * unless the word still holds the value (the re-check); else halt until pv_unhalted is set (a
   * kick that came first makes the halt return at once). Returns may be spurious. pending: the
   * work a vCPU halted for good here would have (halted_with_work).
   */
  private pvWait(loc: string, value: number, label: string, pending: ProgramExpr): void {
    this.step(label);
    this.irqOff++;
    const v = this.read(loc, 'once', (x) => (x === value ? 1 : 0));
    if (v.value !== value) {
      this.noteStep(`${loc} is not ${value}: returns at once`);
      this.irqOff--;
      return;
    }
    this.under(v.deps, () => {
      const flag = Layout.pvUnhalted(this.me);
      this.step('halt: set_current_state(TASK_INTERRUPTIBLE)');
      this.setState(TASK_INTERRUPTIBLE, true);
      this.step(`halt: check ${flag}`);
      const k = this.read(flag, 'once', (x) => (x ? 1 : 0));
      if (!k.value) {
        this.noteStep('not kicked yet');
        this.step(`schedule(): ${this.me} halts`);
        this.halt(label, pending);
      } else this.noteStep('already kicked: does not halt');
      this.step(`${label}: returns`);
      // Back into the guest (VM entry serialises): a full barrier before its next reads.
      this.fence('mb');
      this.write(flag, 'once', { value: 0, deps: [] });
      this.setState(TASK_RUNNING, false);
    });
    this.irqOff--;
  }

  /** pv_kick(cpu): the hypercall (a full barrier) sets the target's pv_unhalted, then kicks it (kvm_vcpu_kick()). */
  private pvKick(thread: number, deps: number[]): void {
    const task = this.program.threads[thread]!.name;
    this.under(deps, () => {
      this.step(`pv_kick(${task})`);
      // The hypercall serialises: the unlock's stores are visible before the kick is.
      this.fence('mb');
      this.write(Layout.pvUnhalted(task), 'once', { value: 1, deps: [] });
      this.fence('mb');
      this.tryToWakeUp(thread, true);
    });
  }

  /**
   * queued_spin_lock() with PV: the fast path cmpxchg_acquire(val, 0, _Q_LOCKED_VAL); else
   * straight to the queue (no pending bit under PV): xchg the tail, and as queue head
   * (pv_wait_head_or_lock()) try the lock byte, hash itself, xchg the byte to _Q_SLOW_VAL (got
   * the lock if it was free) and pv_wait(); then clear the tail if still its own.
   */
  private pvLock(lock: string, mark: PvMark, waitValue: number): void {
    const label = `pv_spin_lock(${lock})`;
    const val = Layout.qspinVal(lock);
    const tail = Layout.qspinTail(lock);
    const me = this.index + 1;
    this.step(label);
    const fast = this.rmw(
      val,
      'acquire',
      undefined,
      (v) => (v === 0 ? Q_LOCKED_VAL : undefined),
      () => 0,
    );
    if (fast.value === 0) {
      this.noteStep('trylock: the lock was free');
      this.held.push(lock);
      return;
    }
    this.noteStep('contended: queues');
    this.under(fast.deps, () => {
      this.step(`xchg_tail(${lock})`);
      const old = this.rmw(
        tail,
        'relaxed',
        undefined,
        () => me,
        (v) => (v !== 0 ? 1 : 0),
      );
      this.inTail.add(lock);
      if (old.value !== 0) this.noteStep('another vCPU is queued: not modelled (one queued vCPU)');
      let hashed = false;
      for (let sleeps = 0; ; sleeps++) {
        this.step(`pv_wait_head_or_lock(${lock}): trylock`);
        const t = this.rmw(
          val,
          'acquire',
          undefined,
          (v) => (v === 0 ? Q_LOCKED_VAL : undefined),
          () => 0,
        );
        if (t.value === 0) {
          this.noteStep('the lock byte was free: got the lock');
          break;
        }
        if (!hashed) {
          hashed = true;
          this.step(`pv_hash(${lock}, ${this.me})`);
          this.write(Layout.qspinHash(lock), 'once', { value: me, deps: [] });
          if (mark === 'xchg') {
            this.step(`xchg(${lock}.locked, _Q_SLOW_VAL)`);
            const s = this.rmw(
              val,
              'mb',
              undefined,
              () => Q_SLOW_VAL,
              (v) => (v === 0 ? 1 : 0),
            );
            if (s.value === 0) {
              this.noteStep('the lock was free: owns it now; back to _Q_LOCKED_VAL, unhash');
              this.under(s.deps, () => {
                this.write(val, 'once', { value: Q_LOCKED_VAL, deps: [] });
                this.write(Layout.qspinHash(lock), 'once', { value: 0, deps: [] });
              });
              break;
            }
          } else if (mark === 'cmpxchg') {
            // Marks only a held byte: on a free one it fails and pv_wait() returns at once.
            this.step(`cmpxchg(${lock}.locked, _Q_LOCKED_VAL, _Q_SLOW_VAL)`);
            const s = this.rmw(
              val,
              'mb',
              undefined,
              (v) => (v === Q_LOCKED_VAL ? Q_SLOW_VAL : undefined),
              (v) => (v === Q_LOCKED_VAL ? 1 : 0),
            );
            if (s.value !== Q_LOCKED_VAL) this.noteStep('the byte was not _Q_LOCKED_VAL: not marked');
          } else if (mark === 'store') {
            // A plain store: the unlock's cmpxchg may have cleared the byte just before it.
            this.step(`WRITE_ONCE(${lock}.locked, _Q_SLOW_VAL)`);
            this.write(val, 'once', { value: Q_SLOW_VAL, deps: [] });
          } else this.noteStep('does not mark the lock byte _Q_SLOW_VAL');
        }
        const last = sleeps >= this.options.loopBound;
        const byteName = waitValue === Q_SLOW_VAL ? '_Q_SLOW_VAL' : waitValue === Q_LOCKED_VAL ? '_Q_LOCKED_VAL' : String(waitValue);
        // The protocol's head is owed a kick while the lock is free; a head whose own mark
        // outlives every holder (a plain store over a cleared byte) is owed one as well.
        const protocol = mark === 'xchg' && waitValue === Q_SLOW_VAL;
        const pending: ProgramExpr = protocol
          ? this.lockFree(lock)
          : {
              kind: 'binary',
              op: '||',
              left: this.lockFree(lock),
              right: { kind: 'binary', op: '==', left: { kind: 'read', loc: val, order: 'once' }, right: { kind: 'const', value: Q_SLOW_VAL } },
            };
        this.pvWait(val, waitValue, `pv_wait(${lock}.locked, ${byteName})`, pending);
        if (last) throw new LoopBoundExceeded();
      }
      // The lock byte is ours from here on: leave the queue (cmpxchg the tail back to 0).
      this.held.push(lock);
      this.step(`${label}: clear the tail`);
      const c = this.rmw(
        tail,
        'relaxed',
        undefined,
        (v) => (v === me ? 0 : undefined),
        () => 0,
      );
      if (c.value === me) this.inTail.delete(lock);
      this.held.pop();
    });
    this.held.push(lock);
  }

  /**
   * __pv_queued_spin_unlock(): cmpxchg_release(locked, _Q_LOCKED_VAL, 0); if the byte was
   * _Q_SLOW_VAL: smp_rmb() (a failed cmpxchg orders nothing), unhash the head, store-release 0
   * and pv_kick() it. plain: the native unlock, smp_store_release(locked, 0), which never kicks.
   */
  private pvUnlock(lock: string, plain: boolean): void {
    const val = Layout.qspinVal(lock);
    const label = `${plain ? 'native_spin_unlock' : 'pv_spin_unlock'}(${lock})`;
    this.step(label);
    const release = () => {
      const i = this.held.lastIndexOf(lock);
      if (i >= 0) this.held.splice(i, 1);
    };
    if (plain) {
      this.write(val, 'release', { value: 0, deps: [] });
      release();
      return;
    }
    const old = this.rmw(
      val,
      'release',
      undefined,
      (v) => (v === Q_LOCKED_VAL ? 0 : undefined),
      () => 0,
    );
    if (old.value === Q_LOCKED_VAL) {
      release();
      return;
    }
    this.noteStep('the lock byte is _Q_SLOW_VAL: a vCPU may be halted');
    this.under(old.deps, () => {
      this.step(`__pv_queued_spin_unlock_slowpath(${lock})`);
      this.fence('rmb');
      const h = this.read(Layout.qspinHash(lock), 'once');
      this.write(Layout.qspinHash(lock), 'once', { value: 0, deps: [] });
      this.write(val, 'release', { value: 0, deps: [] });
      release();
      if (h.value > 0) this.pvKick(h.value - 1, h.deps);
      else this.noteStep('no hashed vCPU found');
    });
  }

  private lockLoc(name: string): string {
    const obj = this.program.objects.find((x) => x.name === name);
    return obj && (obj.kind === 'waitqueue' || obj.kind === 'swait' || obj.kind === 'eventfd' || obj.kind === 'work') ? Layout.queueLock(name) : name;
  }

  private threadIndex(task: string): number {
    const i = this.program.threads.findIndex((t) => t.name === task);
    if (i < 0) throw new Error(`no task named ${task}`);
    return i;
  }

  private describeList(value: number): string {
    const entries = decodeList(value, this.nThreads);
    return entries.map((e) => `${this.program.threads[e.thread]?.name ?? '?'}${e.func ? "'s wake function" : e.exclusive ? ' (exclusive)' : ''}`).join(', ');
  }

  private setState(v: number, barrier: boolean): void {
    this.write(Layout.state(this.me), 'once', { value: v, deps: [] });
    if (barrier) this.fence('mb');
  }

  /**
   * __schedule(): smp_mb__after_spinlock() under the runqueue lock, then the state: running
   * returns; otherwise the task sleeps. With a timeout the timer wakes it (the path goes on,
   * returning timedOut); without, the path ends asleep.
   */
  private schedule(timeout: boolean, what: string, until: ProgramExpr | undefined, untilText: string | undefined, queue?: string): boolean {
    // rq_lock(); smp_mb__after_spinlock(): a full barrier (the lock itself is not modelled).
    this.fence('mb');
    const st = this.read(Layout.state(this.me), 'once');
    if (st.value === TASK_RUNNING) {
      this.noteStep('state is TASK_RUNNING: does not sleep (or was woken)');
      return false;
    }
    if (timeout) {
      this.noteStep(`sleeps in ${stateName(st.value)} until the timeout expires`);
      this.write(Layout.state(this.me), 'once', { value: TASK_RUNNING, deps: [] });
      return true;
    }
    this.noteStep(`sleeps in ${stateName(st.value)}`);
    const end: PathEnd = { kind: 'asleep', step: this.steps.length - 1, read: st.deps[0]!, stateLoc: Layout.state(this.me), what };
    if (queue !== undefined) end.queue = queue;
    if (until) {
      end.until = until;
      end.untilText = untilText ?? exprText(until);
    }
    throw new PathStop(end);
  }

  /** Starts a step continuing the current op after a sub-step (same label, "(continued)"). */
  private continued(outer: string): void {
    this.step(`${outer.replace(/ \(continued\)$/, '')} (continued)`);
  }

  private currentLabel(): string {
    return this.steps[this.steps.length - 1]?.label ?? '';
  }

  /**
   * try_to_wake_up(p, TASK_NORMAL): returns whether it woke p. ownStep: show it as a step of
   * its own (inside wake_up() and friends), so the trace can order it against the sleeper.
   */
  private tryToWakeUp(thread: number, ownStep = false): boolean {
    const task = this.program.threads[thread]!.name;
    if (ownStep) this.step(`try_to_wake_up(${task})`);
    if (thread === this.index) {
      this.write(Layout.state(task), 'once', { value: TASK_RUNNING, deps: [] });
      return true;
    }
    // raw_spin_lock_irqsave(&p->pi_lock); smp_mb__after_spinlock(): a full barrier (the lock
    // itself is not modelled: concurrent wakers of one task only ever store TASK_RUNNING).
    this.fence('mb');
    const st = this.read(Layout.state(task), 'once');
    if (st.value === TASK_RUNNING) {
      this.noteStep(`${task} is TASK_RUNNING: nothing to wake`);
      return false;
    }
    this.under(st.deps, () => this.write(Layout.state(task), 'once', { value: TASK_RUNNING, deps: [] }));
    this.noteStep(`wakes ${task} (${stateName(st.value)} -> TASK_RUNNING)`);
    return true;
  }

  /** prepare_to_wait{,_exclusive,_event}() and prepare_to_swait_event(). Returns the signal outcome. */
  private prepare(q: string, exclusive: boolean, state: number, signalPending: boolean): void {
    const head = Layout.queueHead(q);
    this.irqOff++;
    this.lockAcquire(Layout.queueLock(q), '', false);
    const l = this.read(head, 'once');
    const entries = decodeList(l.value, this.nThreads);
    const own = entries.findIndex(mine(this.index));
    if (signalPending) {
      if (own >= 0) {
        entries.splice(own, 1);
        this.write(head, 'once', { value: encodeList(entries, this.nThreads), deps: l.deps });
        this.wroteList(q, entries);
      }
      this.noteStep('a signal is pending: dequeues and gives up');
    } else {
      if (own < 0) {
        const e = { thread: this.index, exclusive };
        if (exclusive) entries.push(e);
        else entries.unshift(e);
        this.write(head, 'once', { value: encodeList(entries, this.nThreads), deps: l.deps });
        this.wroteList(q, entries);
      }
      this.setState(state, true);
    }
    this.lockRelease(Layout.queueLock(q));
    this.irqOff--;
  }

  /** finish_wait(): state TASK_RUNNING, then dequeue under the lock if still queued. */
  private finish(q: string): void {
    const head = Layout.queueHead(q);
    this.setState(TASK_RUNNING, false);
    this.continued(this.currentLabel());
    // list_empty_careful(&wq_entry->entry): only whether the entry is queued matters.
    const l = this.read(head, 'once', (v) => (decodeList(v, this.nThreads).some(mine(this.index)) ? 1 : 0));
    if (!decodeList(l.value, this.nThreads).some(mine(this.index))) return;
    this.under(l.deps, () => {
      this.irqOff++;
      this.lockAcquire(Layout.queueLock(q), '', false);
      const l2 = this.read(head, 'once');
      const entries = decodeList(l2.value, this.nThreads).filter((e) => !mine(this.index)(e));
      this.write(head, 'once', { value: encodeList(entries, this.nThreads), deps: l2.deps });
      this.wroteList(q, entries);
      this.lockRelease(Layout.queueLock(q));
      this.irqOff--;
    });
  }

  /** The loop of wait_event*() and swait_event*(). */
  private waitLoop(label: string, q: string, cond: ProgramExpr, exclusive: boolean, exit: WaitExit, flavour: 'wait' | 'swait'): void {
    const state = exit === 'signal' ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
    const condText = exprText(cond);
    this.step(label);
    this.mightSleep(label.replace(/\(.*/, '()'));
    // The macros test the condition once before doing anything.
    const c0 = this.evalCond(cond);
    if (c0.value) {
      this.noteStep(`${condText} holds: returns at once`);
      return;
    }
    this.noteStep(`${condText} is false`);
    let timedOut = false;
    for (let sleeps = 0; ; sleeps++) {
      const signal = exit === 'signal' && this.choose(2) === 1;
      this.step(`${flavour === 'wait' ? 'prepare_to_wait_event' : 'prepare_to_swait_event'}(${q})`);
      this.prepare(q, exclusive, state, signal);
      this.step(`check ${condText}`);
      const c = this.evalCond(cond);
      if (c.value) {
        this.noteStep('holds: stops waiting');
        break;
      }
      if (signal) {
        this.noteStep(`false: returns -ERESTARTSYS without the condition`);
        return;
      }
      if (timedOut) {
        this.noteStep('false after the timeout: returns 0 without the condition');
        this.step(`${flavour === 'wait' ? 'finish_wait' : 'finish_swait'}(${q})`);
        this.finish(q);
        return;
      }
      this.noteStep('false');
      // Past the bound the task may still go to sleep (and stay asleep); only its return is cut.
      const last = sleeps >= this.options.loopBound;
      this.step(exit === 'timeout' ? 'schedule_timeout()' : 'schedule()');
      timedOut = this.schedule(exit === 'timeout', label, cond, condText, q);
      if (last) throw new LoopBoundExceeded();
    }
    this.step(`${flavour === 'wait' ? 'finish_wait' : 'finish_swait'}(${q})`);
    this.finish(q);
  }

  /** __wake_up_common() under the queue lock (taken here unless locked). */
  private wakeUp(q: string, nrExclusive: number, locked: boolean): void {
    const head = Layout.queueHead(q);
    if (!locked) {
      this.irqOff++;
      this.lockAcquire(Layout.queueLock(q), '', false);
    }
    const l = this.read(head, 'once');
    const entries = decodeList(l.value, this.nThreads);
    if (entries.length === 0) this.noteStep('the queue is empty: wakes nobody');
    const kept: typeof entries = [];
    let remaining = nrExclusive;
    let stopped = false;
    const outer = this.currentLabel();
    this.under(l.deps, () => {
      for (const e of entries) {
        if (stopped) {
          kept.push(e);
          continue;
        }
        if (e.func) {
          this.runWakeFunction(q, e.thread);
          kept.push(e);
          continue;
        }
        const woke = this.tryToWakeUp(e.thread, true);
        if (!woke) kept.push(e);
        if (woke && e.exclusive && --remaining === 0) stopped = true;
      }
      if (entries.length > 0 && (kept.length !== entries.length || !locked)) this.continued(outer);
      if (kept.length !== entries.length) this.write(head, 'once', { value: encodeList(kept, this.nThreads), deps: l.deps });
    });
    if (!locked) {
      this.lockRelease(Layout.queueLock(q));
      this.irqOff--;
    }
  }

  /**
   * A custom wake function registered by thread `owner` with add_wait_queue(), run by the waker
   * in its own context, with the queue lock held and interrupts off (__wake_up_common()).
   */
  private runWakeFunction(q: string, owner: string | number): void {
    const index = typeof owner === 'number' ? owner : this.threadIndex(owner);
    const reg = this.findWakeFunction(index, q);
    if (!reg) return;
    this.step(`${this.program.threads[index]!.name}'s wake function (${q})`);
    const outerCallback = this.inCallback;
    this.inCallback = q;
    try {
      this.block(reg.func);
    } finally {
      this.inCallback = outerCallback;
    }
  }

  private findWakeFunction(thread: number, q: string): Extract<Op, { op: 'add_wait_queue' }> | undefined {
    const find = (ops: Op[]): Extract<Op, { op: 'add_wait_queue' }> | undefined => {
      for (const o of ops) {
        if (o.op === 'add_wait_queue' && o.wq === q) return o;
        if (o.op === 'if') {
          const r = find(o.then) ?? find(o.else);
          if (r) return r;
        }
      }
      return undefined;
    };
    return find(this.program.threads[thread]!.ops);
  }

  /** swake_up_locked(): wake the first entry and dequeue it. */
  private swakeUpLocked(q: string): void {
    const head = Layout.queueHead(q);
    const l = this.read(head, 'once');
    const entries = decodeList(l.value, this.nThreads);
    if (entries.length === 0) {
      this.noteStep('the queue is empty: wakes nobody');
      return;
    }
    const outer = this.currentLabel();
    this.under(l.deps, () => {
      const first = entries.shift()!;
      this.tryToWakeUp(first.thread, true);
      this.continued(outer);
      this.write(head, 'once', { value: encodeList(entries, this.nThreads), deps: l.deps });
    });
  }

  /** swake_up_all() (drops the lock between wakeups) or swake_up_all_locked(). */
  private swakeUpAll(q: string, locked: boolean): void {
    const head = Layout.queueHead(q);
    const lock = Layout.queueLock(q);
    if (!locked) {
      this.irqOff++;
      this.lockAcquire(lock, '', false);
    }
    const l = this.read(head, 'once');
    const entries = decodeList(l.value, this.nThreads);
    if (entries.length === 0) this.noteStep('the queue is empty: wakes nobody');
    const outer = this.currentLabel();
    this.under(l.deps, () => {
      if (entries.length > 0) this.write(head, 'once', { value: 0, deps: l.deps });
      entries.forEach((e, i) => {
        this.tryToWakeUp(e.thread, true);
        if (!locked && i < entries.length - 1) {
          this.continued(outer);
          this.lockRelease(lock);
          this.lockAcquire(lock, '', false);
        }
      });
      if (entries.length > 0 && !locked) this.continued(outer);
    });
    if (!locked) {
      this.lockRelease(lock);
      this.irqOff--;
    }
  }

  private rcuwaitWait(label: string, w: string, cond: ProgramExpr, exit: WaitExit): void {
    const state = exit === 'signal' ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
    const condText = exprText(cond);
    this.step(label);
    this.mightSleep('rcuwait_wait_event()');
    // prepare_to_rcuwait(): publish current.
    this.write(Layout.rcuwaitTask(w), 'release', { value: this.index + 1, deps: [] });
    let timedOut = false;
    for (let sleeps = 0; ; sleeps++) {
      this.step(`set_current_state(${stateName(state)})`);
      this.setState(state, true);
      this.step(`check ${condText}`);
      const c = this.evalCond(cond);
      if (c.value) {
        this.noteStep('holds: stops waiting');
        break;
      }
      if (timedOut) {
        this.noteStep('false after the timeout: gives up');
        break;
      }
      if (exit === 'signal' && this.choose(2) === 1) {
        this.noteStep('false, and a signal is pending: returns -EINTR');
        break;
      }
      this.noteStep('false');
      // Past the bound the task may still go to sleep (and stay asleep); only its return is cut.
      const last = sleeps >= this.options.loopBound;
      this.step(exit === 'timeout' ? 'schedule_timeout()' : 'schedule()');
      timedOut = this.schedule(exit === 'timeout', label, cond, condText);
      if (last) throw new LoopBoundExceeded();
    }
    // finish_rcuwait().
    this.step(`finish_rcuwait(${w})`);
    this.write(Layout.rcuwaitTask(w), 'release', { value: 0, deps: [] });
    this.setState(TASK_RUNNING, false);
  }

  /** do_wait_for_common() as kernel/sched/completion.c has it. */
  private waitForCompletion(label: string, c: string, exit: WaitExit): void {
    const q = Layout.completionQueue(c);
    const lock = Layout.queueLock(q);
    const head = Layout.queueHead(q);
    const doneLoc = Layout.completionDone(c);
    const state = exit === 'signal' ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE;
    const until: ProgramExpr = { kind: 'binary', op: '!=', left: { kind: 'read', loc: doneLoc }, right: { kind: 'const', value: 0 } };
    this.step(label);
    this.mightSleep(label.replace(/\(.*/, '()'));
    this.irqOff++;
    this.lockAcquire(lock, '', false);
    let done = this.read(doneLoc, 'once');
    if (!done.value) {
      let timedOut = false;
      for (let sleeps = 0; ; sleeps++) {
        if (exit === 'signal' && this.choose(2) === 1) {
          this.step(`${label}: a signal is pending`);
          break;
        }
        this.step(`__prepare_to_swait(${q})`);
        const l = this.read(head, 'once');
        const entries = decodeList(l.value, this.nThreads);
        if (!entries.some(mine(this.index))) {
          entries.push({ thread: this.index, exclusive: true });
          this.write(head, 'once', { value: encodeList(entries, this.nThreads), deps: l.deps });
          this.wroteList(q, entries);
        }
        this.setState(state, false);
        this.lockRelease(lock);
        this.irqOff--;
        const last = sleeps >= this.options.loopBound;
        this.step(exit === 'timeout' ? 'schedule_timeout()' : 'schedule()');
        timedOut = this.schedule(exit === 'timeout', label, until, `${c}.done != 0`);
        if (last) throw new LoopBoundExceeded();
        this.step(`${label}: re-check ${c}.done`);
        this.irqOff++;
        this.lockAcquire(lock, '', false);
        done = this.read(doneLoc, 'once');
        if (done.value || timedOut) break;
      }
      this.step(`__finish_swait(${q})`);
      const l = this.read(head, 'once');
      const entries = decodeList(l.value, this.nThreads);
      if (entries.some(mine(this.index))) {
        const rest = entries.filter((e) => !mine(this.index)(e));
        this.write(head, 'once', { value: encodeList(rest, this.nThreads), deps: l.deps });
        this.wroteList(q, rest);
      }
      if (!done.value) {
        this.noteStep('returns without the completion');
        this.lockRelease(lock);
        this.irqOff--;
        return;
      }
    }
    if (done.value !== COMPLETION_ALL) this.write(doneLoc, 'once', { value: done.value - 1, deps: done.deps });
    this.lockRelease(lock);
    this.irqOff--;
  }

  private atomic(fn: string, loc: string, args: ProgramExpr[], reg: string | undefined): void {
    const parsed = rmwBase(fn)!;
    const { base, order } = parsed;
    this.step(`${reg ? `${reg} = ` : ''}${fn}(${atomicArgsText(base, loc, args)})`);
    const vals = args.map((a) => this.eval(a));
    const nonReturning = ['atomic_inc', 'atomic_dec', 'atomic_add', 'atomic_sub', 'set_bit', 'clear_bit'].includes(base);
    // A non-returning RMW is unordered, except its explicit _release form (clear_bit_unlock()).
    const effectiveOrder = nonReturning ? (order === 'release' ? 'release' : 'relaxed') : order;
    const readAnnot: Annotation | undefined = nonReturning ? 'noreturn' : undefined;
    const values = vals.map((v) => v.value);
    const old = this.rmw(loc, effectiveOrder, readAnnot, (o) => rmwEffect(base, o, values).next);
    const result: Tracked = { value: rmwEffect(base, old.value, values).result, deps: old.deps };
    if (reg) this.registers.set(reg, result);
  }
}

export function atomicArgsText(base: string, loc: string, args: ProgramExpr[]): string {
  const a = args.map((x) => exprText(x));
  if (base === 'xchg' || base === 'cmpxchg') return [loc, ...a].join(', ');
  return [...a, loc].join(', ');
}

/**
 * Every path of thread `index`, depth-first over the choices (stable order), identical paths
 * merged. dropped counts paths cut by the loop bound.
 */
export function lowerThreadPaths(
  program: Program,
  index: number,
  readValues: (loc: string) => Scalar[],
  options: LowerOptions,
  limit: number,
  dropped: { loopBound: number },
  tick: () => void = () => {},
): ExplorerPath[] {
  const paths: ExplorerPath[] = [];
  const seen = new Set<string>();
  // A prefix still to run: the first `length` choices of `base` (a run's own choices, never
  // changed once pushed, so shared by every alternative it leaves), then `alt`. A copy per
  // alternative made the pending prefixes of one long path quadratic in its length.
  const pending: Array<{ base: number[]; length: number; alt?: number }> = [{ base: [], length: 0 }];
  while (pending.length > 0) {
    tick();
    const next = pending.pop()!;
    const choices = next.base.slice(0, next.length);
    if (next.alt !== undefined) choices.push(next.alt);
    let k = 0;
    const choose: Chooser = (alternatives) => {
      if (k < choices.length) return choices[k++]!;
      for (let alt = alternatives - 1; alt >= 1; alt--) pending.push({ base: choices, length: choices.length, alt });
      choices.push(0);
      k++;
      return 0;
    };
    try {
      const p = new ThreadLowering(program, index, readValues, choose, { ...options, tick }).run();
      const key = pathKey(p);
      if (!seen.has(key)) {
        seen.add(key);
        paths.push(p);
      }
    } catch (e) {
      if (e instanceof LoopBoundExceeded) dropped.loopBound++;
      else if (!(e instanceof ImpossiblePath)) throw e;
    }
    if (paths.length > limit) throw new PathLimitExceeded(program.threads[index]!.name, limit);
  }
  return paths;
}

/** Identity of a path: its events, steps, ending, violations and registers. */
function pathKey(p: ExplorerPath): string {
  let k = '';
  for (const e of p.events)
    k += `${e.kind}${e.annot}${e.loc ?? ''}=${e.values ? e.values.join('|') : String(e.value)}/${e.addr.join(',')}/${e.data.join(',')}/${e.ctrl.join(',')}/${e.rmwRead ?? ''};`;
  k += '|';
  for (const s of p.steps) k += `${s.label}@${s.src ? `${s.src.file ?? ''}:${s.src.line}` : ''}#${s.events.length}${s.note ?? ''};`;
  k += `|${JSON.stringify(p.end)}|${JSON.stringify(p.violations)}|`;
  for (const [r, v] of p.registerValues) k += `${r}=${v},`;
  return k;
}

export class PathLimitExceeded extends Error {
  constructor(
    readonly thread: string,
    readonly limit: number,
  ) {
    super(`thread ${thread} has more than ${limit} paths`);
  }
}

export type { TaskState };

// ---------------------------------------------------------------------------------------------
// Symmetry between identical threads.

/**
 * Pairs [i, j] (i < j) of interchangeable threads: same context, same ops, and ops that name
 * no thread (a wake_up_process(waiter1) in both would not be symmetric). Swapping the two in
 * every path of every thread maps executions to executions with the same verdict, so the
 * paths of j are those of i renamed, and of two mirrored combinations one is enough.
 */
export function twinThreads(program: Program): Array<[number, number]> {
  const names = new Set(program.threads.map((t) => t.name));
  const namesAThread = (ops: Op[]): boolean => {
    let found = false;
    JSON.stringify(ops, (_k, v: unknown) => {
      if (typeof v === 'string' && (names.has(v) || [...names].some((n) => v.startsWith(`${n}->`)))) found = true;
      return v;
    });
    return found;
  };
  const out: Array<[number, number]> = [];
  const taken = new Set<number>();
  program.threads.forEach((a, i) => {
    if (taken.has(i) || namesAThread(a.ops)) return;
    const ja = JSON.stringify(a.ops);
    for (let j = i + 1; j < program.threads.length; j++) {
      const b = program.threads[j]!;
      if (taken.has(j) || b.context !== a.context || JSON.stringify(b.ops) !== ja) continue;
      out.push([i, j]);
      taken.add(j);
    }
  });
  return out;
}

/** A renaming of threads (a permutation of indices) applied to a path. */
export class ThreadRenaming {
  private readonly pattern: RegExp;
  private readonly byName = new Map<string, string>();
  private readonly lists = new Set<string>();
  private readonly taskPointers = new Set<string>();
  private readonly n: number;

  constructor(
    program: Program,
    readonly perm: number[],
  ) {
    this.n = program.threads.length;
    const names = program.threads.map((t) => t.name);
    names.forEach((name, i) => this.byName.set(name, names[perm[i]!]!));
    const esc = [...names].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(`(?<![A-Za-z0-9_])(${esc.join('|')})(?![A-Za-z0-9_])`, 'g');
    for (const o of program.objects) {
      if (o.kind === 'waitqueue' || o.kind === 'swait' || o.kind === 'eventfd' || o.kind === 'work') this.lists.add(Layout.queueHead(o.name));
      if (o.kind === 'vcpu') this.taskPointers.add(Layout.rcuwaitTask(Layout.vcpuWait(o.name)));
      if (o.kind === 'qspinlock') {
        this.taskPointers.add(Layout.qspinHash(o.name));
        this.taskPointers.add(Layout.qspinTail(o.name));
      }
      if (o.kind === 'completion') this.lists.add(Layout.queueHead(Layout.completionQueue(o.name)));
      if (o.kind === 'rcuwait') this.taskPointers.add(Layout.rcuwaitTask(o.name));
    }
  }

  text(s: string): string {
    return s.replace(this.pattern, (m) => this.byName.get(m) ?? m);
  }

  value(loc: string, v: number): number {
    if (this.lists.has(loc))
      return encodeList(
        decodeList(v, this.n).map((e) => ({ ...e, thread: this.perm[e.thread]! })),
        this.n,
      );
    if (this.taskPointers.has(loc) && v > 0) return this.perm[v - 1]! + 1;
    return v;
  }

  path(p: ExplorerPath): ExplorerPath {
    const events = p.events.map((e) => {
      const r: ThreadEvent = { ...e };
      if (e.loc !== undefined) {
        r.loc = this.text(e.loc);
        if (typeof e.value === 'number') r.value = this.value(e.loc, e.value);
        if (e.values) r.values = e.values.map((v) => this.value(e.loc!, v));
      }
      return r;
    });
    const steps = p.steps.map((s) => {
      const r: PathStep = { ...s, label: this.text(s.label) };
      if (s.note !== undefined) r.note = this.text(s.note);
      return r;
    });
    const end = JSON.parse(this.text(JSON.stringify(p.end))) as PathEnd;
    if (p.end.kind === 'asleep' && p.end.until) (end as typeof p.end).until = p.end.until;
    if (p.end.kind === 'halted') (end as typeof p.end).pending = p.end.pending;
    return {
      thread: this.perm[p.thread]!,
      events,
      registers: new Map(p.registers),
      registerValues: new Map(p.registerValues),
      steps,
      eventStep: p.eventStep,
      end,
      violations: p.violations.map((v) => ({ ...v, message: this.text(v.message) })),
    };
  }

  key(p: ExplorerPath): string {
    return pathKey(this.path(p));
  }
}

export { pathKey };
