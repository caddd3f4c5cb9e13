/**
 * The program IR the explorer runs: a few threads of kernel wait/wake code over shared
 * locations and kernel objects. It is plain JSON (no classes, no functions), so the C analysis
 * can produce it, the CLI can read it from a file and the `.wake` text form prints it.
 *
 * Every op may carry `src`, the line of C it stands for; trace steps point back to it.
 */

export interface SourceTag {
  file?: string;
  line: number;
  column?: number;
  text?: string;
}

/** Integer expressions. Registers are thread-local; `read` is a READ_ONCE()-style load. */
export type ProgramExpr =
  | { kind: 'const'; value: number }
  | { kind: 'reg'; name: string }
  | { kind: 'read'; loc: string; order?: LoadOrder }
  | { kind: 'not'; operand: ProgramExpr }
  | { kind: 'binary'; op: BinaryOp; left: ProgramExpr; right: ProgramExpr }
  /**
   * C's statement expression `({ reg = value; body; })`: `value` is evaluated once, into the
   * thread's register `reg`, then `body`, which may read `reg` (a condition that loads a state
   * once and compares it twice: `({ s = smp_load_acquire(&c->state); s == A || s == B; })`).
   */
  | { kind: 'let'; reg: string; value: ProgramExpr; body: ProgramExpr };

/** Every kind of ProgramExpr: what tells an expression from another object inside an op. */
export const EXPR_KINDS: ReadonlySet<string> = new Set<ProgramExpr['kind']>(['const', 'reg', 'read', 'not', 'binary', 'let']);

/** Is this value (found inside an op) a ProgramExpr? */
export function isProgramExpr(v: unknown): v is ProgramExpr {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && EXPR_KINDS.has((v as { kind?: unknown }).kind as string);
}

export const BINARY_OPS = ['&&', '||', '==', '!=', '<', '>', '<=', '>=', '+', '-', '&', '|'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export type LoadOrder = 'plain' | 'once' | 'acquire';
export type StoreOrder = 'plain' | 'once' | 'release' | 'mb';
export type FenceKind = 'mb' | 'wmb' | 'rmb' | 'before_atomic' | 'after_atomic' | 'after_spinlock';
export type IrqMode = 'none' | 'irq' | 'irqsave';
export type TaskState = 'interruptible' | 'uninterruptible';
/** How a wait may end without its condition: never, on a signal, or on a timeout. */
export type WaitExit = 'none' | 'signal' | 'timeout';
export type ThreadContext = 'process' | 'hardirq' | 'softirq';

/** Read-modify-write atomics; each base name also exists with _relaxed, _acquire and _release. */
export const RMW_BASES = [
  'atomic_inc',
  'atomic_dec',
  'atomic_add',
  'atomic_sub',
  'atomic_inc_return',
  'atomic_dec_return',
  'atomic_add_return',
  'atomic_sub_return',
  'atomic_fetch_add',
  'atomic_fetch_sub',
  'atomic_fetch_inc',
  'atomic_fetch_dec',
  'atomic_dec_and_test',
  'atomic_inc_and_test',
  'xchg',
  'cmpxchg',
  'test_and_set_bit',
  'test_and_clear_bit',
  'set_bit',
  'clear_bit',
] as const;
export type RmwBase = (typeof RMW_BASES)[number];

interface OpBase {
  src?: SourceTag;
}

export type Op = OpBase &
  (
    | { op: 'load'; loc: string; reg: string; order: LoadOrder }
    | { op: 'store'; loc: string; value: ProgramExpr; order: StoreOrder }
    | { op: 'fence'; kind: FenceKind }
    /** fn: an RMW_BASES name, optionally suffixed _relaxed/_acquire/_release. */
    | { op: 'rmw'; fn: string; loc: string; args: ProgramExpr[]; reg?: string }
    | { op: 'assign'; reg: string; value: ProgramExpr }
    /** lock: a spinlock, or a waitqueue/swait object meaning its internal queue lock. */
    | { op: 'lock'; lock: string; irq?: IrqMode }
    | { op: 'unlock'; lock: string; irq?: IrqMode }
    | { op: 'irq_disable' }
    | { op: 'irq_enable' }
    | { op: 'if'; cond: ProgramExpr; then: Op[]; else: Op[] }
    /** Something that may sleep: mutex_lock, msleep, a GFP_KERNEL allocation... */
    | { op: 'sleep_call'; what: string }
    | { op: 'assert'; cond: ProgramExpr; property?: 'assertion' | 'mutual-exclusion'; message?: string }
    // Tasks.
    | { op: 'set_current_state'; state: TaskState | 'running'; barrier: boolean }
    /** until: the condition the sleeper waits for (used to judge a task asleep at the end). */
    | { op: 'schedule'; timeout?: boolean; until?: ProgramExpr }
    | { op: 'wake_up_process'; task: string }
    // Wait queues (wait.h).
    | { op: 'prepare_to_wait'; wq: string; exclusive: boolean; state?: TaskState }
    | { op: 'finish_wait'; wq: string }
    /**
     * add_wait_queue() of an entry with a custom wake function (init_waitqueue_func_entry): func
     * runs in the waker's context, under the queue lock with interrupts off, at every wake_up().
     */
    | { op: 'add_wait_queue'; wq: string; func: Op[] }
    | { op: 'wait_event'; wq: string; cond: ProgramExpr; exclusive: boolean; exit: WaitExit }
    | { op: 'wake_up'; wq: string; nr: number | 'all'; locked?: boolean }
    | { op: 'waitqueue_active'; wq: string; reg: string }
    | { op: 'wq_has_sleeper'; wq: string; reg: string }
    // Simple wait queues (swait.h).
    | { op: 'swait_event'; wq: string; cond: ProgramExpr; exit: WaitExit }
    | { op: 'swake_up_one'; wq: string }
    | { op: 'swake_up_locked'; wq: string }
    | { op: 'swake_up_all'; wq: string }
    | { op: 'swait_active'; wq: string; reg: string }
    | { op: 'swq_has_sleeper'; wq: string; reg: string }
    // rcuwait.
    | { op: 'rcuwait_wait_event'; w: string; cond: ProgramExpr; exit: WaitExit }
    | { op: 'rcuwait_wake_up'; w: string }
    // Completions.
    | { op: 'wait_for_completion'; c: string; exit: WaitExit }
    | { op: 'complete'; c: string }
    | { op: 'complete_all'; c: string }
    // vCPUs (virt/kvm/kvm_main.c). The thread that calls kvm_vcpu_block() is the vCPU's task.
    /**
     * kvm_vcpu_block(): halts until runnable (kvm_vcpu_check_block(): the arch's runnable
     * predicate, as the program writes it) holds. pending: the work the vCPU has to do, for the
     * property "halted with work pending" (runnable when absent).
     */
    | { op: 'kvm_vcpu_block'; vcpu: string; runnable: ProgramExpr; pending?: ProgramExpr }
    | { op: 'kvm_vcpu_kick'; vcpu: string }
    | { op: 'kvm_vcpu_wake_up'; vcpu: string }
    /**
     * kvm_make_request(): smp_wmb() then set_bit(req, vcpu->requests). wake 'kick':
     * kvm_make_request_and_kick(); 'all_cpus': kvm_make_all_cpus_request(), which wakes a halted
     * vCPU unless the request carries KVM_REQUEST_NO_WAKEUP (noWakeup).
     */
    | { op: 'kvm_make_request'; vcpu: string; req: number; wake?: 'kick' | 'all_cpus'; noWakeup?: boolean }
    /** kvm_check_request(): test the bit; if set, clear it and smp_mb__after_atomic(); reg = whether it was set. */
    | { op: 'kvm_check_request'; vcpu: string; req: number; reg: string }
    // eventfd (fs/eventfd.c) and work items.
    /** eventfd_signal(): under the context's queue lock with interrupts off, count += 1 and wake every entry (wake functions run there). */
    | { op: 'eventfd_signal'; ctx: string }
    /** schedule_work(): test_and_set_bit(PENDING); if it was clear, wake the worker. */
    | { op: 'schedule_work'; work: string }
    /** A kworker (this thread, process context): sleeps until the work is pending, clears PENDING, smp_mb(), runs body. */
    | { op: 'worker'; work: string; body: Op[] }
    // Paravirt queued spinlocks (kernel/locking/qspinlock_paravirt.h), for two vCPUs.
    /**
     * The slow path goes straight to the queue (no pending bit under PV); the queue head spins
     * once, hashes itself, marks the byte _Q_SLOW_VAL and pv_wait()s. mark: how the head marks
     * it: 'xchg' (absent: the protocol's xchg(locked, _Q_SLOW_VAL), owning the lock when the
     * byte was free), 'cmpxchg' (cmpxchg(locked, _Q_LOCKED_VAL, _Q_SLOW_VAL): no mark on a free
     * byte), 'store' (WRITE_ONCE(locked, _Q_SLOW_VAL): may overwrite a byte the unlock just
     * cleared) or 'none' (no mark). waitValue: the value the head's pv_wait(&lock->locked, v)
     * re-checks (absent: _Q_SLOW_VAL = 3; _Q_LOCKED_VAL = 1).
     */
    | { op: 'pv_spin_lock'; lock: string; mark?: PvMark; waitValue?: number }
    /** Atomic unlock: cmpxchg_release(locked, _Q_LOCKED_VAL, 0), else unhash, store-release 0 and pv_kick() the head. plain: the native smp_store_release(locked, 0) only. */
    | { op: 'pv_spin_unlock'; lock: string; plain?: boolean }
    /**
     * pv_wait(&loc, value) on any word (a queued vCPU's node state, a lock byte): with
     * interrupts off, return at once unless loc still holds value (the re-check), else halt
     * until pv_kick()ed (a kick that came first is not lost). pending: the work the halted vCPU
     * has (for halted_with_work), loc != value when absent.
     */
    | { op: 'pv_wait'; loc: string; value: number; pending?: ProgramExpr }
    /** pv_kick(cpu) of a thread: a serialising hypercall that sets its pv_unhalted and wakes it. */
    | { op: 'pv_kick'; task: string }
  );

/** How a PV queue head marks the lock byte _Q_SLOW_VAL before pv_wait() (see pv_spin_lock). */
export type PvMark = 'xchg' | 'cmpxchg' | 'store' | 'none';
export const PV_MARKS: readonly PvMark[] = ['xchg', 'cmpxchg', 'store', 'none'];

export type OpName = Op['op'];

export type ObjectKind = 'task' | 'waitqueue' | 'swait' | 'rcuwait' | 'completion' | 'spinlock' | 'vcpu' | 'eventfd' | 'work' | 'qspinlock';
export const OBJECT_KINDS: readonly ObjectKind[] = ['task', 'waitqueue', 'swait', 'rcuwait', 'completion', 'spinlock', 'vcpu', 'eventfd', 'work', 'qspinlock'];

/**
 * Locations of an object that programs may read in expressions (a vCPU's request bits, an
 * eventfd's count, a work item's PENDING bit, a qspinlock's locked byte and tail).
 */
export function objectLocations(kind: ObjectKind, name: string): string[] {
  switch (kind) {
    case 'vcpu':
      return [`${name}.requests`];
    case 'eventfd':
      return [`${name}.count`];
    case 'work':
      return [`${name}.pending`];
    case 'qspinlock':
      return [`${name}.locked`, `${name}.tail`];
    default:
      return [];
  }
}

export interface ProgramObject {
  kind: ObjectKind;
  name: string;
}

export interface Thread {
  name: string;
  context: ThreadContext;
  ops: Op[];
}

export type PropertyKind = 'lost-wakeup' | 'sleep-in-atomic' | 'mutual-exclusion' | 'deadlock' | 'assertion' | 'halted-with-work';
export const PROPERTY_KINDS: readonly PropertyKind[] = ['lost-wakeup', 'sleep-in-atomic', 'mutual-exclusion', 'deadlock', 'assertion', 'halted-with-work'];

export interface PropertySpec {
  /** The properties to check; all of them when absent. */
  check?: PropertyKind[];
}

export interface Program {
  name: string;
  /** Shared integer locations with their initial values. */
  locations: Record<string, number>;
  objects: ProgramObject[];
  threads: Thread[];
  property?: PropertySpec;
}

export class ProgramError extends Error {
  /** JSON path of the offending value, e.g. "threads[1].ops[2].wq". */
  readonly path: string;
  /** Source line, when the error comes from the text form. */
  readonly line?: number;
  constructor(path: string, message: string, line?: number) {
    super(line !== undefined ? `line ${line}: ${message}` : path ? `${path}: ${message}` : message);
    this.name = 'ProgramError';
    this.path = path;
    if (line !== undefined) this.line = line;
  }
}
