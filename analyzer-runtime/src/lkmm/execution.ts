/**
 * A candidate execution as the Linux-kernel memory model (tools/memory-model/linux-kernel.bell
 * and .cat) sees it: events, program order, reads-from, coherence and the dependency relations.
 *
 * This is the contract between the two halves of the runtime: the litmus front end enumerates
 * executions of this shape, and the operational explorer converts every trace it reports into
 * one, so that LKMM itself (checkExecution in ./model) decides whether the trace is allowed.
 * A trace LKMM forbids would be a false alarm, so it is never shown.
 */

/** Event kinds of linux-kernel.bell and lock.cat. */
export type EventKind =
  | 'R' // read (also the read half of an RMW)
  | 'W' // write (also the write half of an RMW); thread -1 marks an initial write
  | 'F' // fence: smp_mb, smp_wmb, smp_rmb, barrier, rcu_read_lock/unlock, synchronize_rcu, smp_mb__*
  | 'LKR' // spin_lock: the read half of the lock acquisition
  | 'LKW' // spin_lock: the write half of the lock acquisition
  | 'UL' // spin_unlock
  | 'LF' // failed spin_trylock
  | 'RL' // spin_is_locked() returning true
  | 'RU' // spin_is_locked() returning false
  | 'SRCU'; // srcu_read_lock / srcu_read_unlock / synchronize_srcu (annot says which)

/** Annotations (the bell file's tags). 'plain' marks an unannotated C access. */
export type Annotation =
  | 'plain'
  | 'once'
  | 'acquire'
  | 'release'
  | 'noreturn'
  | 'mb'
  | 'wmb'
  | 'rmb'
  | 'barrier'
  | 'rcu-lock'
  | 'rcu-unlock'
  | 'sync-rcu'
  | 'before-atomic'
  | 'after-atomic'
  | 'after-spinlock'
  | 'after-unlock-lock'
  | 'after-srcu-read-unlock'
  | 'srcu-lock'
  | 'srcu-unlock'
  | 'sync-srcu';

export interface ExecEvent {
  /** Unique, dense: events[i].id === i. */
  id: number;
  /** Thread index; -1 for initial writes. */
  thread: number;
  /** Position in the thread's program order (0-based); initial writes use 0. */
  poIndex: number;
  kind: EventKind;
  annot: Annotation;
  /** Location name for memory, lock and SRCU events. */
  loc?: string;
  /** Value read or written. */
  value?: number;
  /**
   * The lone read of a failed cmpxchg(): relaxed and unpaired, but herd7 still counts it among
   * the events of RMW instructions (the bell's RMW set, which smp_mb__{before,after}_atomic()
   * look for).
   */
  failedRmw?: boolean;
}

/**
 * Conventions checkExecution relies on (the litmus front end produces them; other producers
 * must too):
 * - Every location has one initial write (kind 'W', thread -1), first in its co list.
 * - Within a thread, poIndex increases along program order; fences are events too.
 * - Fully ordered RMWs (xchg(), cmpxchg() that succeeds, atomic_*_return(), ...) are the
 *   relaxed RMW between two 'mb' fences, as herd7 builds them; an acquire RMW tags its read
 *   'acquire', a release RMW its write 'release'; non-returning atomics (atomic_inc()) tag their
 *   read 'noreturn'. A failed cmpxchg() is a lone 'once' read with no fences.
 * - Locks as lock.cat generates them: spin_lock() is LKR (reads the value that unlocked, from
 *   the initial write or a UL) then LKW, paired in rmw; spin_unlock() is UL. Both LKW and UL
 *   are in the lock's co list, each UL right after its LKW. A failed spin_trylock() is LF and
 *   spin_is_locked() is RL/RU: LF and RL read an LKW, RU the initial write or a UL.
 * - srcu_read_unlock()'s value is the index its srcu_read_lock() returned (else the
 *   srcu-bad-nesting flag is raised).
 */
export interface Execution {
  events: ExecEvent[];
  /** Reads-from: [write id, read id]. Every R (and LKR, LF, RL, RU) has exactly one entry. */
  rf: Array<[number, number]>;
  /** Coherence: per location, the total order of its write ids (initial write first). */
  co: Record<string, number[]>;
  /** Read and write halves of each successful RMW (including LKR -> LKW). */
  rmw: Array<[number, number]>;
  /** Dependencies, [from read, to event]. */
  addr: Array<[number, number]>;
  data: Array<[number, number]>;
  ctrl: Array<[number, number]>;
}

export interface ModelVerdict {
  /** True when every axiom of linux-kernel.cat (and lock.cat) holds. */
  allowed: boolean;
  /** Names of the violated axioms, as the .cat file names them (e.g. "happens-before"). */
  violated: string[];
  /** Flags raised (e.g. "data-race", "unbalanced-rcu-locking"); flags do not forbid. */
  flags: string[];
}
