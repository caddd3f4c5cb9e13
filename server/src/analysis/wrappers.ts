/**
 * What the kernel's wait/wake, barrier, atomic and locking macros mean, as data. The facts pass
 * classifies every call by these tables, and the extraction turns them into runtime ops by what
 * the tables say, not by name. The rules name, in their own folders, the functions their
 * pattern is about (pv_wait(), kvm_vcpu_kick(), the replacements their fixes write) and declare
 * the calls they need kept in their `needs` (factsPolicy.ts); sanitize.ts keeps its own list of
 * annotations and iterator macros (what the parser must not see).
 * Semantics follow include/linux/wait.h, swait.h, rcuwait.h, completion.h, atomic_t.txt and
 * memory-barriers.txt of the kernel tree (see ../shared/DOMAIN.md).
 */

export type QueueKind = 'waitqueue' | 'swait' | 'rcuwait' | 'completion' | 'task' | 'var';

/** How a waiter can come back without its condition being true. */
export type WaitExit = 'signal' | 'fatal-signal' | 'timeout';

export interface WaitMacro {
  queue: QueueKind;
  exclusive: boolean;
  exits: WaitExit[];
  /** Index of the condition argument, if the macro has one (wait_event(wq, cond)). */
  conditionArg?: number;
  /** prepare_to_wait-style: the caller runs the loop itself; the state is an argument. */
  manual?: boolean;
  /** Sleeps with the queue lock held (wait_event_lock_irq family). */
  locked?: boolean;
}

export interface WakeMacro {
  queue: QueueKind;
  /** How many exclusive waiters it wakes: 1, all, or an argument (wake_up_nr). */
  nr: 1 | 'all' | 'arg';
  /** Caller must hold the queue lock (wake_up_locked, swake_up_locked). */
  locked: boolean;
  /** swake_up_all and friends may not be called with IRQs disabled. */
  needsIrqsOn: boolean;
}

export interface ActiveMacro {
  queue: QueueKind;
  /** wq_has_sleeper/swq_has_sleeper carry their own smp_mb(); the bare checks do not. */
  fullBarrier: boolean;
  queueArg: number;
  /** The check inside another primitive (wake_up_bit()): no name of its own to replace. */
  implicit?: boolean;
}

const WAIT_QUEUE_EXITS: Array<[string, WaitExit[]]> = [
  ['', []],
  ['_interruptible', ['signal']],
  ['_killable', ['fatal-signal']],
  ['_timeout', ['timeout']],
  ['_interruptible_timeout', ['signal', 'timeout']],
  ['_killable_timeout', ['fatal-signal', 'timeout']],
  ['_hrtimeout', ['timeout']],
  ['_interruptible_hrtimeout', ['signal', 'timeout']],
  ['_freezable', ['signal']],
  ['_freezable_timeout', ['signal', 'timeout']],
  ['_idle', []],
  ['_idle_timeout', ['timeout']],
  ['_state', ['signal']],
];

function buildWaitTable(): Map<string, WaitMacro> {
  const t = new Map<string, WaitMacro>();
  for (const [suffix, exits] of WAIT_QUEUE_EXITS) {
    t.set(`wait_event${suffix}`, { queue: 'waitqueue', exclusive: false, exits, conditionArg: 1 });
    t.set(`wait_event${suffix}_exclusive`, { queue: 'waitqueue', exclusive: true, exits, conditionArg: 1 });
    t.set(`io_wait_event${suffix}`, { queue: 'waitqueue', exclusive: false, exits, conditionArg: 1 });
    // swait queues are exclusive-only (swake_up_one wakes exactly one).
    t.set(`swait_event${suffix}_exclusive`, { queue: 'swait', exclusive: true, exits, conditionArg: 1 });
    t.set(`swait_event${suffix}`, { queue: 'swait', exclusive: true, exits, conditionArg: 1 });
    t.set(`rcuwait_wait_event${suffix}`, { queue: 'rcuwait', exclusive: true, exits, conditionArg: 1 });
  }
  for (const [suffix, exits] of [
    ['', []],
    ['_interruptible', ['signal']],
    ['_killable', ['fatal-signal']],
  ] as Array<[string, WaitExit[]]>) {
    t.set(`wait_event${suffix}_lock_irq`, { queue: 'waitqueue', exclusive: false, exits, conditionArg: 1, locked: true });
    t.set(`wait_event${suffix}_locked`, { queue: 'waitqueue', exclusive: false, exits, conditionArg: 1, locked: true });
    t.set(`wait_event${suffix}_exclusive_locked`, { queue: 'waitqueue', exclusive: true, exits, conditionArg: 1, locked: true });
  }
  t.set('wait_event_interruptible_lock_irq_timeout', { queue: 'waitqueue', exclusive: false, exits: ['signal', 'timeout'], conditionArg: 1, locked: true });
  t.set('wait_event_lock_irq_timeout', { queue: 'waitqueue', exclusive: false, exits: ['timeout'], conditionArg: 1, locked: true });
  // The _cmd forms run cmd1 before and cmd2 after each sleep (typically dropping and retaking a lock).
  t.set('wait_event_lock_irq_cmd', { queue: 'waitqueue', exclusive: false, exits: [], conditionArg: 1, locked: true });
  t.set('wait_event_interruptible_lock_irq_cmd', { queue: 'waitqueue', exclusive: false, exits: ['signal'], conditionArg: 1, locked: true });
  t.set('wait_event_cmd', { queue: 'waitqueue', exclusive: false, exits: [], conditionArg: 1 });
  t.set('wait_event_exclusive_cmd', { queue: 'waitqueue', exclusive: true, exits: [], conditionArg: 1 });
  // Called with wq.lock held (spin_lock_irq): the _locked_irq spellings.
  t.set('wait_event_interruptible_locked_irq', { queue: 'waitqueue', exclusive: false, exits: ['signal'], conditionArg: 1, locked: true });
  t.set('wait_event_interruptible_exclusive_locked_irq', { queue: 'waitqueue', exclusive: true, exits: ['signal'], conditionArg: 1, locked: true });
  t.set('wait_event_idle_exclusive_timeout', { queue: 'waitqueue', exclusive: true, exits: ['timeout'], conditionArg: 1 });
  // The double-underscore inner macros (no fast-path check of the condition) are called
  // directly by some drivers; same queue, condition and exits as the outer ones.
  for (const [name, m] of [...t]) {
    if (name.startsWith('wait_event') && m.queue === 'waitqueue' && !t.has(`__${name}`)) t.set(`__${name}`, m);
  }
  t.set('rcuwait_wait_event', { queue: 'rcuwait', exclusive: true, exits: [], conditionArg: 1 });
  t.set('rcuwait_wait_event_timeout', { queue: 'rcuwait', exclusive: true, exits: ['timeout'], conditionArg: 1 });
  // Manual loops: the caller sets the state through the macro's argument.
  t.set('prepare_to_wait', { queue: 'waitqueue', exclusive: false, exits: [], manual: true });
  t.set('prepare_to_wait_exclusive', { queue: 'waitqueue', exclusive: true, exits: [], manual: true });
  t.set('prepare_to_wait_event', { queue: 'waitqueue', exclusive: false, exits: [], manual: true });
  t.set('prepare_to_swait_exclusive', { queue: 'swait', exclusive: true, exits: [], manual: true });
  // Before 4.19 the same call was prepare_to_swait() (every swait sleeper is exclusive); the
  // name was not reused after the rename.
  t.set('prepare_to_swait', { queue: 'swait', exclusive: true, exits: [], manual: true });
  t.set('prepare_to_swait_event', { queue: 'swait', exclusive: true, exits: [], manual: true });
  t.set('prepare_to_rcuwait', { queue: 'rcuwait', exclusive: true, exits: [], manual: true });
  t.set('add_wait_queue', { queue: 'waitqueue', exclusive: false, exits: [], manual: true });
  t.set('add_wait_queue_exclusive', { queue: 'waitqueue', exclusive: true, exits: [], manual: true });
  // The same, for a caller that already holds wq.lock.
  t.set('__add_wait_queue', { queue: 'waitqueue', exclusive: false, exits: [], manual: true });
  t.set('__add_wait_queue_exclusive', { queue: 'waitqueue', exclusive: true, exits: [], manual: true });
  t.set('__add_wait_queue_entry_tail', { queue: 'waitqueue', exclusive: false, exits: [], manual: true });
  // Completions: the count is consumed by the waiter (done--), so one complete() = one waiter.
  for (const [suffix, exits] of [
    ['', []],
    ['_interruptible', ['signal']],
    ['_killable', ['fatal-signal']],
    ['_timeout', ['timeout']],
    ['_interruptible_timeout', ['signal', 'timeout']],
    ['_killable_timeout', ['fatal-signal', 'timeout']],
    ['_io', []],
    ['_io_timeout', ['timeout']],
  ] as Array<[string, WaitExit[]]>) {
    t.set(`wait_for_completion${suffix}`, { queue: 'completion', exclusive: true, exits });
  }
  return t;
}

export const WAIT_MACROS = buildWaitTable();

export const WAKE_MACROS = new Map<string, WakeMacro>([
  ['wake_up', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_interruptible', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_poll', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_interruptible_poll', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_interruptible_sync', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_interruptible_sync_poll', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_sync', { queue: 'waitqueue', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_all', { queue: 'waitqueue', nr: 'all', locked: false, needsIrqsOn: false }],
  ['wake_up_interruptible_all', { queue: 'waitqueue', nr: 'all', locked: false, needsIrqsOn: false }],
  ['wake_up_nr', { queue: 'waitqueue', nr: 'arg', locked: false, needsIrqsOn: false }],
  ['wake_up_interruptible_nr', { queue: 'waitqueue', nr: 'arg', locked: false, needsIrqsOn: false }],
  ['wake_up_locked', { queue: 'waitqueue', nr: 1, locked: true, needsIrqsOn: false }],
  ['wake_up_all_locked', { queue: 'waitqueue', nr: 'all', locked: true, needsIrqsOn: false }],
  ['wake_up_locked_poll', { queue: 'waitqueue', nr: 1, locked: true, needsIrqsOn: false }],
  ['swake_up', { queue: 'swait', nr: 1, locked: false, needsIrqsOn: false }],
  ['swake_up_one', { queue: 'swait', nr: 1, locked: false, needsIrqsOn: false }],
  ['swake_up_locked', { queue: 'swait', nr: 1, locked: true, needsIrqsOn: false }],
  ['swake_up_all', { queue: 'swait', nr: 'all', locked: false, needsIrqsOn: true }],
  ['swake_up_all_locked', { queue: 'swait', nr: 'all', locked: true, needsIrqsOn: false }],
  ['rcuwait_wake_up', { queue: 'rcuwait', nr: 1, locked: false, needsIrqsOn: false }],
  ['complete', { queue: 'completion', nr: 1, locked: false, needsIrqsOn: false }],
  ['complete_all', { queue: 'completion', nr: 'all', locked: false, needsIrqsOn: false }],
  ['wake_up_process', { queue: 'task', nr: 1, locked: false, needsIrqsOn: false }],
  ['wake_up_state', { queue: 'task', nr: 1, locked: false, needsIrqsOn: false }],
]);

export const ACTIVE_MACROS = new Map<string, ActiveMacro>([
  ['waitqueue_active', { queue: 'waitqueue', fullBarrier: false, queueArg: 0 }],
  ['swait_active', { queue: 'swait', fullBarrier: false, queueArg: 0 }],
  ['wq_has_sleeper', { queue: 'waitqueue', fullBarrier: true, queueArg: 0 }],
  ['swq_has_sleeper', { queue: 'swait', fullBarrier: true, queueArg: 0 }],
  ['rcuwait_active', { queue: 'rcuwait', fullBarrier: false, queueArg: 0 }],
]);

/**
 * Bit waits: `wait_on_bit*(word, bit, mode...)` sleeps on the hashed queue of (word, bit)
 * until the bit is clear (wait_on_bit_lock then takes it, queued exclusive);
 * `wake_up_bit(word, bit)` checks that queue with waitqueue_active() and wakes it, so the bit's
 * store needs a full barrier (smp_mb__after_atomic()) before it, as for any lockless check.
 */
export const BIT_WAITS = new Map<string, { exclusive: boolean; exits: WaitExit[] }>([
  ['wait_on_bit', { exclusive: false, exits: [] }],
  ['wait_on_bit_io', { exclusive: false, exits: [] }],
  ['wait_on_bit_timeout', { exclusive: false, exits: ['timeout'] }],
  ['wait_on_bit_action', { exclusive: false, exits: [] }],
  ['wait_on_bit_lock', { exclusive: true, exits: [] }],
  ['wait_on_bit_lock_io', { exclusive: true, exits: [] }],
  ['wait_on_bit_lock_action', { exclusive: true, exits: [] }],
]);
export const BIT_WAKE = 'wake_up_bit';
/**
 * Variable waits: `wait_var_event*(var, cond)` sleeps on the hashed queue of the address `var`
 * until `cond`; `wake_up_var(var)` checks that queue with waitqueue_active() and wakes it.
 */
export const VAR_WAITS = new Map<string, { exits: WaitExit[] }>([
  ['wait_var_event', { exits: [] }],
  ['wait_var_event_killable', { exits: ['fatal-signal'] }],
  ['wait_var_event_interruptible', { exits: ['signal'] }],
  ['wait_var_event_timeout', { exits: ['timeout'] }],
  ['wait_var_event_killable_timeout', { exits: ['fatal-signal', 'timeout'] }],
]);
export const VAR_WAKE = 'wake_up_var';
/** The pseudo-field naming the hashed wait queue of a variable's address (wait_var_event(), wake_up_var()). */
export const VAR_QUEUE_FIELD = 'var_waitqueue';
/** The pseudo-field naming the hashed wait queue of one bit of a word (bit waits, wake_up_bit()). */
export const BIT_QUEUE_FIELD = 'bit_waitqueue';
/** A bit argument that names one fixed bit (a constant or macro): its own location then. */
export const FIXED_BIT = /^(?:[A-Z_][A-Z0-9_]*|\d+)$/;

/**
 * Log calls that always reach printk's record store: printk(), pr_err() and the other levels
 * down to pr_info(), dev_*()/netdev_*()/fs_*() likewise, and a wrapper named for a warning
 * level (`*_warn`, `*_crit`: `*_err` and `*_info` are too often other functions' names); only
 * when the workspace does not define the name. Every one ends in __wake_up_klogd(), whose wq_has_sleeper() runs smp_mb()
 * (and the ring buffer reserves with a fully ordered cmpxchg): a full barrier, unless printk is
 * suppressed after a panic or not set up in early boot. Debug, _once and _ratelimited forms
 * may print nothing and are not.
 */
export const LOG_CALLS = /^(?:v?printk|(?:pr|dev|netdev|fs)_(?:emerg|alert|crit|err|warn|warning|notice|info)|\w+_(?:warn|warning|crit|alert|emerg))$/;

/** Barriers: `full` orders an earlier store before a later load (the one that matters here). */
export const BARRIERS = new Map<string, 'full' | 'write' | 'read' | 'after-atomic' | 'before-atomic' | 'compiler' | 'after-spinlock'>([
  ['smp_mb', 'full'],
  ['mb', 'full'],
  ['smp_mb__after_atomic', 'after-atomic'],
  ['smp_mb__before_atomic', 'before-atomic'],
  ['smp_mb__after_spinlock', 'after-spinlock'],
  ['smp_mb__after_unlock_lock', 'full'],
  ['smp_wmb', 'write'],
  ['wmb', 'write'],
  ['smp_rmb', 'read'],
  ['rmb', 'read'],
  ['barrier', 'compiler'],
  ['synchronize_rcu', 'full'],
]);

/** Store-like primitives: name -> index of the location argument, and whether it implies smp_mb. */
/** constValue: what the store writes when it has no value argument (set_bit 1, clear_bit 0); bitArg: a bitop's bit (a fixed bit is its own location). */
/**
 * atomic: a non-returning atomic bitop (what smp_mb__after_atomic() completes into a full
 * barrier); rmw: the runtime's RMW that models it (change_bit has none: a store of 1).
 */
export const STORE_MACROS = new Map<
  string,
  { locArg: number; valueArg?: number; bitArg?: number; constValue?: string; fullBarrierAfter: boolean; release?: boolean; atomic?: boolean; rmw?: string }
>([
  ['WRITE_ONCE', { locArg: 0, valueArg: 1, fullBarrierAfter: false }],
  ['smp_store_release', { locArg: 0, valueArg: 1, fullBarrierAfter: false, release: true }],
  ['smp_store_mb', { locArg: 0, valueArg: 1, fullBarrierAfter: true }],
  ['atomic_set', { locArg: 0, valueArg: 1, fullBarrierAfter: false }],
  ['atomic64_set', { locArg: 0, valueArg: 1, fullBarrierAfter: false }],
  ['atomic_long_set', { locArg: 0, valueArg: 1, fullBarrierAfter: false }],
  ['atomic_set_release', { locArg: 0, valueArg: 1, fullBarrierAfter: false, release: true }],
  ['set_bit', { locArg: 1, bitArg: 0, constValue: '1', fullBarrierAfter: false, atomic: true, rmw: 'set_bit' }],
  ['clear_bit', { locArg: 1, bitArg: 0, constValue: '0', fullBarrierAfter: false, atomic: true, rmw: 'clear_bit' }],
  ['__set_bit', { locArg: 1, bitArg: 0, constValue: '1', fullBarrierAfter: false }],
  ['__clear_bit', { locArg: 1, bitArg: 0, constValue: '0', fullBarrierAfter: false }],
  ['change_bit', { locArg: 1, bitArg: 0, constValue: '1', fullBarrierAfter: false, atomic: true }],
  ['clear_bit_unlock', { locArg: 1, bitArg: 0, constValue: '0', fullBarrierAfter: false, release: true, atomic: true, rmw: 'clear_bit_release' }],
  // A list is modelled by whether it is empty: adding an entry makes list_empty() false.
  ['list_add', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_add_tail', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['llist_add', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_move', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_move_tail', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_splice', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_splice_tail', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_splice_init', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['list_splice_tail_init', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  ['hlist_add_head', { locArg: 1, constValue: '1', fullBarrierAfter: false }],
  // Taking a node off its hash list: hlist_unhashed() of that node is true afterwards.
  ['hlist_del_init', { locArg: 0, constValue: '0', fullBarrierAfter: false }],
]);

const ATOMIC_FAMILIES = ['atomic', 'atomic64', 'atomic_long'];
const NON_RETURNING_OPS = ['inc', 'dec', 'add', 'sub', 'and', 'or', 'xor', 'andnot'];
const RETURNING_SUFFIXES = ['_return', '_and_test', '_if_positive', '_unless'];

export type AtomicOrdering = 'full' | 'relaxed' | 'acquire' | 'release';

/**
 * Classifies an atomic RMW call: value-returning ones without an ordering suffix are fully
 * ordered (a full barrier on each side, atomic_t.txt); non-returning ones order nothing.
 */
export function classifyAtomic(name: string): { returning: boolean; ordering: AtomicOrdering; locArg: number } | undefined {
  let base = name;
  let ordering: AtomicOrdering = 'full';
  for (const [suffix, o] of [
    ['_relaxed', 'relaxed'],
    ['_acquire', 'acquire'],
    ['_release', 'release'],
  ] as const) {
    if (base.endsWith(suffix)) {
      base = base.slice(0, -suffix.length);
      ordering = o;
    }
  }
  if (['xchg', 'cmpxchg', 'try_cmpxchg', 'cmpxchg64', 'xchg64'].includes(base)) return { returning: true, ordering, locArg: 0 };
  for (const bit of ['test_and_set_bit', 'test_and_clear_bit', 'test_and_change_bit']) {
    if (base === bit) return { returning: true, ordering, locArg: 1 };
  }
  if (base === 'test_and_set_bit_lock') return { returning: true, ordering: 'acquire', locArg: 1 };
  for (const family of ATOMIC_FAMILIES) {
    if (!base.startsWith(family + '_')) continue;
    const op = base.slice(family.length + 1);
    // The atomic_t is the first argument for inc/dec/xchg/cmpxchg/_unless forms, else the last.
    const locArg = /^(?:fetch_)?(?:inc|dec)|unless|^x?chg$|^(?:try_)?cmpxchg$/.test(op) ? 0 : 1;
    if (NON_RETURNING_OPS.includes(op)) return { returning: false, ordering: ordering === 'full' ? 'relaxed' : ordering, locArg };
    if (
      op.startsWith('fetch_') ||
      RETURNING_SUFFIXES.some((s) => op.endsWith(s)) ||
      op === 'inc_not_zero' ||
      op === 'xchg' ||
      op === 'cmpxchg' ||
      op === 'try_cmpxchg'
    ) {
      return { returning: true, ordering, locArg };
    }
  }
  return undefined;
}

export interface LockMacro {
  action: 'lock' | 'unlock';
  irq: 'none' | 'irq' | 'irqsave' | 'bh';
  raw: boolean;
  /** A sleeping lock (mutex, semaphore): sleeping in atomic context if taken there. */
  sleeps: boolean;
}

function buildLockTable(): Map<string, LockMacro> {
  const t = new Map<string, LockMacro>();
  for (const raw of [false, true]) {
    const p = raw ? 'raw_spin' : 'spin';
    t.set(`${p}_lock`, { action: 'lock', irq: 'none', raw, sleeps: false });
    t.set(`${p}_lock_irq`, { action: 'lock', irq: 'irq', raw, sleeps: false });
    t.set(`${p}_lock_irqsave`, { action: 'lock', irq: 'irqsave', raw, sleeps: false });
    t.set(`${p}_lock_bh`, { action: 'lock', irq: 'bh', raw, sleeps: false });
    t.set(`${p}_unlock`, { action: 'unlock', irq: 'none', raw, sleeps: false });
    t.set(`${p}_unlock_irq`, { action: 'unlock', irq: 'irq', raw, sleeps: false });
    t.set(`${p}_unlock_irqrestore`, { action: 'unlock', irq: 'irqsave', raw, sleeps: false });
    t.set(`${p}_unlock_bh`, { action: 'unlock', irq: 'bh', raw, sleeps: false });
  }
  for (const kind of ['read', 'write']) {
    t.set(`${kind}_lock`, { action: 'lock', irq: 'none', raw: false, sleeps: false });
    t.set(`${kind}_lock_irqsave`, { action: 'lock', irq: 'irqsave', raw: false, sleeps: false });
    t.set(`${kind}_lock_irq`, { action: 'lock', irq: 'irq', raw: false, sleeps: false });
    t.set(`${kind}_unlock`, { action: 'unlock', irq: 'none', raw: false, sleeps: false });
    t.set(`${kind}_unlock_irqrestore`, { action: 'unlock', irq: 'irqsave', raw: false, sleeps: false });
    t.set(`${kind}_unlock_irq`, { action: 'unlock', irq: 'irq', raw: false, sleeps: false });
  }
  t.set('mutex_lock', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('mutex_lock_interruptible', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('mutex_lock_killable', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('mutex_unlock', { action: 'unlock', irq: 'none', raw: false, sleeps: false });
  t.set('down', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('down_interruptible', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('up', { action: 'unlock', irq: 'none', raw: false, sleeps: false });
  t.set('down_read', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('down_write', { action: 'lock', irq: 'none', raw: false, sleeps: true });
  t.set('up_read', { action: 'unlock', irq: 'none', raw: false, sleeps: false });
  t.set('up_write', { action: 'unlock', irq: 'none', raw: false, sleeps: false });
  return t;
}

export const LOCK_MACROS = buildLockTable();

/**
 * The lock classes of scope-based locking (linux/cleanup.h, 6.5+: `guard(spinlock_irqsave)(&l)`
 * holds until the end of its block, `scoped_guard(mutex, &m) { ... }` for the block): each
 * class's acquire and release, by the names of LOCK_MACROS / IRQ_MACROS (the DEFINE_GUARD and
 * DEFINE_LOCK_GUARD_* definitions of the kernel's own lock headers).
 */
export const GUARD_CLASSES = new Map<string, { acquire: string; release: string }>([
  ['spinlock', { acquire: 'spin_lock', release: 'spin_unlock' }],
  ['spinlock_irq', { acquire: 'spin_lock_irq', release: 'spin_unlock_irq' }],
  ['spinlock_irqsave', { acquire: 'spin_lock_irqsave', release: 'spin_unlock_irqrestore' }],
  ['spinlock_bh', { acquire: 'spin_lock_bh', release: 'spin_unlock_bh' }],
  ['raw_spinlock', { acquire: 'raw_spin_lock', release: 'raw_spin_unlock' }],
  ['raw_spinlock_irq', { acquire: 'raw_spin_lock_irq', release: 'raw_spin_unlock_irq' }],
  ['raw_spinlock_irqsave', { acquire: 'raw_spin_lock_irqsave', release: 'raw_spin_unlock_irqrestore' }],
  ['read_lock', { acquire: 'read_lock', release: 'read_unlock' }],
  ['read_lock_irq', { acquire: 'read_lock_irq', release: 'read_unlock_irq' }],
  ['read_lock_irqsave', { acquire: 'read_lock_irqsave', release: 'read_unlock_irqrestore' }],
  ['write_lock', { acquire: 'write_lock', release: 'write_unlock' }],
  ['write_lock_irq', { acquire: 'write_lock_irq', release: 'write_unlock_irq' }],
  ['write_lock_irqsave', { acquire: 'write_lock_irqsave', release: 'write_unlock_irqrestore' }],
  ['mutex', { acquire: 'mutex_lock', release: 'mutex_unlock' }],
  ['rwsem_read', { acquire: 'down_read', release: 'up_read' }],
  ['rwsem_write', { acquire: 'down_write', release: 'up_write' }],
  ['irq', { acquire: 'local_irq_disable', release: 'local_irq_enable' }],
  ['irqsave', { acquire: 'local_irq_save', release: 'local_irq_restore' }],
]);

export const IRQ_MACROS = new Map<string, 'off' | 'on'>([
  ['local_irq_disable', 'off'],
  ['local_irq_save', 'off'],
  ['local_irq_enable', 'on'],
  ['local_irq_restore', 'on'],
]);

/**
 * Calls that may sleep (beyond sleeping locks and the wait macros), with why where the call's
 * name does not say it. A call can also be a barrier (synchronize_rcu(): a grace period orders
 * like smp_mb(), and waiting for it sleeps): the facts record both.
 */
export const SLEEP_REASONS = new Map<string, string>([
  ['synchronize_rcu', 'waits for a grace period'],
  ['synchronize_srcu', 'waits for a grace period'],
]);

export const SLEEPING_CALLS = new Set([
  'schedule',
  'schedule_timeout',
  'schedule_timeout_interruptible',
  'schedule_timeout_uninterruptible',
  'schedule_timeout_killable',
  'schedule_hrtimeout',
  'io_schedule',
  'msleep',
  'msleep_interruptible',
  'ssleep',
  'usleep_range',
  'might_sleep',
  'cond_resched',
  'synchronize_rcu',
  'synchronize_srcu',
  'flush_work',
  'flush_workqueue',
  'cancel_work_sync',
  'cancel_delayed_work_sync',
  'kthread_stop',
  'vfree',
  'copy_from_user',
  'copy_to_user',
  'get_user',
  'put_user',
]);

/** Allocation calls whose flags argument decides whether they sleep (GFP_KERNEL does). */
export const ALLOC_CALLS = new Map<string, number>([
  ['kmalloc', 1],
  ['kzalloc', 1],
  ['kcalloc', 2],
  ['kmalloc_array', 2],
  ['kmem_cache_alloc', 1],
  ['kmem_cache_zalloc', 1],
  ['alloc_pages', 0],
  ['__get_free_page', 0],
  ['__get_free_pages', 0],
  ['kvmalloc', 1],
  ['kvzalloc', 1],
  ['krealloc', 2],
  ['kstrdup', 1],
  ['kmemdup', 2],
  ['vmalloc', -1],
]);

export const STATE_SETTERS = new Map<string, { barrier: boolean }>([
  ['set_current_state', { barrier: true }],
  ['__set_current_state', { barrier: false }],
  ['set_special_state', { barrier: true }],
]);

export const SCHEDULE_CALLS = new Set([
  'schedule',
  'schedule_timeout',
  'schedule_timeout_interruptible',
  'schedule_timeout_uninterruptible',
  'schedule_timeout_killable',
  'schedule_timeout_idle',
  'io_schedule',
  'io_schedule_timeout',
  'freezable_schedule',
  'schedule_hrtimeout',
  'schedule_hrtimeout_range',
  'schedule_preempt_disabled',
]);

/** Functions that register a callback: name -> (argument index of the callback, its context). */
/** `threadArg`: a threaded IRQ's thread function, run in process context. */
export const CALLBACK_REGISTRARS = new Map<
  string,
  { arg: number; context: 'hardirq' | 'wake-callback' | 'kthread' | 'process' | 'softirq'; threadArg?: number }
>([
  ['request_irq', { arg: 1, context: 'hardirq' }],
  ['devm_request_irq', { arg: 2, context: 'hardirq' }],
  ['request_threaded_irq', { arg: 1, context: 'hardirq', threadArg: 2 }],
  ['devm_request_threaded_irq', { arg: 2, context: 'hardirq', threadArg: 3 }],
  ['request_percpu_irq', { arg: 1, context: 'hardirq' }],
  ['init_waitqueue_func_entry', { arg: 1, context: 'wake-callback' }],
  ['kthread_run', { arg: 0, context: 'kthread' }],
  ['kthread_create', { arg: 0, context: 'kthread' }],
  ['kthread_create_on_node', { arg: 0, context: 'kthread' }],
  ['kthread_run_on_cpu', { arg: 0, context: 'kthread' }],
  ['INIT_WORK', { arg: 1, context: 'process' }],
  ['INIT_DELAYED_WORK', { arg: 1, context: 'process' }],
  ['timer_setup', { arg: 1, context: 'softirq' }],
  ['tasklet_init', { arg: 1, context: 'softirq' }],
  ['tasklet_setup', { arg: 1, context: 'softirq' }],
]);

/**
 * A function whose text names none of these holds nothing a rule is about by itself (it may
 * still matter as a helper or caller of one that does: see facts.ts relevantFunctions()).
 * Built from the tables above, so a primitive added to a table is never missed here.
 */
const RELEVANT_WORDS = [
  ...WAIT_MACROS.keys(),
  ...WAKE_MACROS.keys(),
  ...ACTIVE_MACROS.keys(),
  ...STATE_SETTERS.keys(),
  ...SCHEDULE_CALLS,
  ...BIT_WAITS.keys(),
  BIT_WAKE,
  ...VAR_WAITS.keys(),
  VAR_WAKE,
  'kvm_vcpu_kick',
  'kvm_vcpu_wake_up',
  'kvm_make_request',
  'kvm_arch_vcpu_runnable',
  'kvm_vcpu_check_block',
  'pv_wait',
  'pv_kick',
  'qspinlock',
  'wait_queue_entry',
  'wait_queue_entry_t',
  'wait_queue_t',
];
export const RELEVANT_NAMES = wordsPattern(RELEVANT_WORDS);

/**
 * Functions that only set things up: they register callbacks (their contexts) and initialise
 * queues (identities for the task-pointer conversion). Walked, but what they call is not.
 */
export const SETUP_NAMES = wordsPattern([
  ...CALLBACK_REGISTRARS.keys(),
  'rcuwait_init',
  'init_waitqueue_head',
  'init_swait_queue_head',
  'init_completion',
  'reinit_completion',
]);

function wordsPattern(words: string[], extra: string[] = []): RegExp {
  return new RegExp(`\\b(?:${[...[...new Set(words)].sort((a, b) => b.length - a.length), ...extra].join('|')})\\b`);
}

/**
 * Cheap prefilter: a file that names none of these holds no finding and nothing a finding in
 * another file needs (a queue's struct or initialisation, a wake-callback or kthread
 * registration). Whole identifiers only: a comment saying "completed" or "scheduled" does not
 * make a 1.5 MB register header worth parsing.
 *
 * Completions are left out: a completion counts its wakeups (every complete() is consumed by
 * one waiter's done--, and a waiter that times out leaves the count to the next), so no rule
 * finds a lost wakeup in one, and a file whose only primitives are completions holds nothing
 * else a rule reads. They are half the kernel files that name a primitive (6.1: 3,639 of
 * 7,162); the files parsed for other reasons still model them. Measured on the whole 6.1 tree:
 * the same findings and unknowns with and without those files.
 */
export const PREFILTER = wordsPattern([
  ...RELEVANT_WORDS.filter((w) => WAIT_MACROS.get(w)?.queue !== 'completion' && WAKE_MACROS.get(w)?.queue !== 'completion'),
  'init_waitqueue_func_entry',
  'kthread_run',
  'kthread_create',
  'kthread_create_on_node',
  'kthread_run_on_cpu',
  'wait_queue_head',
  'wait_queue_head_t',
  'swait_queue_head',
  'rcuwait',
  'rcuwait_init',
  'init_waitqueue_head',
  'init_swait_queue_head',
  'DECLARE_WAIT_QUEUE_HEAD',
  'DECLARE_WAIT_QUEUE_HEAD_ONSTACK',
  'DECLARE_SWAIT_QUEUE_HEAD',
  'DECLARE_SWAIT_QUEUE_HEAD_ONSTACK',
  'DEFINE_WAIT',
  'DEFINE_WAIT_FUNC',
  'DECLARE_WAITQUEUE',
  'DECLARE_SWAITQUEUE',
  'add_wait_queue',
  'add_wait_queue_exclusive',
  'wait_woken',
  'woken_wake_function',
  'prepare_to_wait',
  'prepare_to_wait_exclusive',
  'prepare_to_wait_event',
  'finish_wait',
]);

/**
 * Calls a wait condition may make that the condition model (extract.ts) reads by itself, by
 * how it reads them; any other call must be a helper of the workspace it can inline.
 */
export const CONDITION_CALLS = {
  /** A read of shared state (`READ_ONCE(x)`). */
  onceReads: new Set(['READ_ONCE', 'atomic_read', 'atomic64_read', 'atomic_long_read', 'data_race']),
  acquireReads: new Set(['smp_load_acquire', 'atomic_read_acquire']),
  bitTests: new Set(['test_bit']),
  /** `bitmap_empty(map, n)`: the map is one word (the bit set_bit/clear_bit change), zero when empty. */
  bitmapEmptyTests: new Set(['bitmap_empty']),
  /** A list is one location: non-zero once an entry was added. */
  /** Also a hash node's own state: hlist_unhashed(&n->link) is "n->link == 0", hlist_del_init() stores 0. */
  listEmptyTests: new Set(['list_empty', 'llist_empty', 'list_empty_careful', 'hlist_unhashed']),
  /** Bits of vcpu->requests, one location (any request pending). */
  requestTests: new Set(['kvm_request_pending', 'kvm_test_request', 'kvm_check_request']),
  /** Nobody stops or signals the thread in an extracted program: false there. */
  falseInModel: new Set(['kthread_should_stop', 'signal_pending', 'fatal_signal_pending', 'freezing']),
  /** Branch hints: the condition inside. */
  hints: new Set(['likely', 'unlikely']),
};

/** Every call of CONDITION_CALLS. */
export const MODELLED_CONDITION_CALLS = new Set(Object.values(CONDITION_CALLS).flatMap((set) => [...set]));

/**
 * Emptiness tests of lists and queues in a sleeper's condition: with a LIST_REMOVAL after the
 * wait, the sleeper consumes what it waited for. Wider than CONDITION_CALLS.listEmptyTests (what
 * the condition model reads as a list location): skb queues and kfifos are recognised as
 * consumed, not modelled.
 */
export const QUEUE_EMPTY_TEST = /\b(?:list_empty|list_empty_careful|llist_empty|skb_queue_empty|kfifo_is_empty)\s*\(/;

/** Calls that take an entry off a list or queue: a sleeper that waited for a non-empty list consumes with them. */
export const LIST_REMOVAL =
  /^(?:list_del\w*|list_move\w*|list_first_entry\w*|list_last_entry\w*|llist_del_\w+|list_splice\w*_init|__skb_dequeue\w*|skb_dequeue\w*|kfifo_out\w*|kfifo_get)$/;

/**
 * Is `lockText` the wait queue `queueText`'s own spinlock (`&q->lock`, `q.lock`, and the
 * `q.lock.rlock` spin_lock_irqsave() on a raw lock of a spinlock_t spells)?
 */
export function isQueueLock(lockText: string, queueText: string): boolean {
  const l = lockText.replace(/^&/, '');
  const q = queueText.replace(/^&/, '');
  return l === `${q}.lock` || l === `${q}->lock` || l === `${q}.lock.rlock`;
}

/**
 * Reads a local may take a snapshot of shared state with (`seq = READ_ONCE(d->seq)`), and their
 * ordering. Narrower than CONDITION_CALLS.onceReads: data_race() marks a racy read the code
 * does not rely on, so a local it fills is not a snapshot a condition compares with.
 */
export const SNAPSHOT_READS = new Map<string, 'once' | 'acquire'>([
  ['READ_ONCE', 'once'],
  ['atomic_read', 'once'],
  ['atomic64_read', 'once'],
  ['atomic_long_read', 'once'],
  ['smp_load_acquire', 'acquire'],
  ['atomic_read_acquire', 'acquire'],
]);

/** A request to a vCPU: `kvm_make_request(REQ, vcpu)` sets a bit of `vcpu->requests` (`vcpuArg`, `field`). */
export const VCPU_REQUESTS = new Map<string, { vcpuArg: number; field: string }>([['kvm_make_request', { vcpuArg: 1, field: 'requests' }]]);

/** Text of a statement that wakes someone: what a lockless check guards when its if holds one. */
export const WAKES_IN_TEXT = /\b(?:s?wake_up\w*|wake_up_process|complete\w*)\s*\(/;
/** The same, the wait-queue wakeups only: a check whose dropping keeps the wakeup (the unconditional-wake fix). */
export const QUEUE_WAKES_IN_TEXT = /\b(?:s?wake_up\w*)\s*\(/;

/** Branch hints a condition may be wrapped in (`if (unlikely(waitqueue_active(q)))`). */
export const BRANCH_HINT = /^(?:un)?likely$/;

/** What a function's signature alone says of its context (the facts' signatureContext). */
export const SIGNATURE_CONTEXTS = {
  /** Return types of hard-IRQ handlers and hrtimer callbacks. */
  hardirqReturn: /^irqreturn_t$|hrtimer_restart/,
  /** First parameter of a wait-queue wake function (mode, sync and key follow). */
  wakeCallbackEntry: /^(?:wait_queue_entry_t|struct wait_queue_entry|wait_queue_t)$/,
  wakeCallbackParams: 4,
};

/** Allocation flags that let the allocator sleep to reclaim memory. */
export const SLEEPING_GFP = /GFP_KERNEL|GFP_USER|GFP_NOFS|GFP_NOIO|GFP_HIGHUSER/;

/** Macros that declare a local object (`DECLARE_SWAITQUEUE(wait);`, `DEFINE_WAIT(w);`): the parser reads them as a type. */
export const DECLARING_MACRO = /^DECLARE_|^DEFINE_/;

/** The atomic bitops that take (bit, word) and name one bit of the word (`test_and_set_bit_lock(b, w)`). */
export const BIT_ATOMIC = /_bit(?:_lock)?$/;

/**
 * The exits a task state adds to a wait that takes it as an argument: `TASK_INTERRUPTIBLE` a
 * signal, `TASK_KILLABLE` a fatal one.
 */
export function exitsOfTaskState(exits: readonly WaitExit[], state: string | undefined): WaitExit[] {
  const out = [...exits];
  if (state && /(?<!UN)INTERRUPTIBLE/.test(state) && !out.includes('signal')) out.push('signal');
  if (state && /KILLABLE/.test(state) && !out.includes('fatal-signal')) out.push('fatal-signal');
  return out;
}
