/**
 * Per-thread semantics of C litmus code, as herd7 builds candidate executions: each thread is
 * run on its own with every read returning a guessed value (one path per combination of
 * guesses and per outcome of spin_trylock/spin_is_locked), producing the thread's events, its
 * dependencies and its final registers. Which writes the guesses come from is decided later,
 * when the threads are combined.
 *
 * The primitives follow tools/memory-model/linux-kernel.def: fully ordered RMWs are the
 * relaxed RMW between two smp_mb() fences; an RMW's acquire annotation applies to its read,
 * its release annotation to its write; a failed cmpxchg is a lone relaxed read.
 */
import type { Annotation, EventKind } from '../lkmm/execution';
import { Expr, LitmusError, Scalar, Stmt, ThreadAst } from './ast';
import { LitmusBudget, TooManyStates } from './budget';

export interface ThreadEvent {
  kind: EventKind;
  annot: Annotation;
  loc?: string;
  value?: Scalar;
  /** Indices (in this thread's event list) of the reads this event depends on. */
  addr: number[];
  data: number[];
  ctrl: number[];
  /** For the write half of an RMW: index of its read half. */
  rmwRead?: number;
  /** A failed conditional RMW's lone read (still an event of an RMW instruction). */
  failedRmw?: boolean;
  /** For a write: the read (index) whose value it stores unchanged (`*y = r` after `r = *x`). */
  copyOf?: number;
  /**
   * A read that may return any of these values (value is the first): the path is the same for
   * all of them, and the write it reads from fixes the value (explorer only).
   */
  values?: number[];
  line: number;
}

export interface ThreadPath {
  events: ThreadEvent[];
  registers: Map<string, Scalar>;
}

/** A value with the reads (event indices) it was computed from. */
interface Tracked {
  value: Scalar;
  deps: number[];
  /** Set when the value is a read's own value, unchanged: the read's index. */
  origin?: number;
}

/**
 * The value of a read in a cycle of plain copies (`r = *x; *y = r;` against `r = *y; *x = r;`,
 * each reading the other's write): herd7 leaves it a free symbol, equal to no constant of the
 * test, and reports the state with it (S8 and the like). Only copies carry it; a cycle through
 * any computation has no solution, and herd7 drops the candidate (see valueCycleAllowed in run.ts).
 */
export const UNDETERMINED = -9_007_199_254_740_000;

/** Chooses among n alternatives; the caller enumerates every sequence of choices. */
type Chooser = (alternatives: number) => number;

export function sameScalar(a: Scalar, b: Scalar): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.address === b.address;
}

export function scalarKey(v: Scalar): string {
  return typeof v === 'number' ? String(v) : `&${v.address}`;
}

export function showScalar(v: Scalar): string {
  if (v === UNDETERMINED) return '?';
  return typeof v === 'number' ? String(v) : v.address;
}

function union(...lists: number[][]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

function asNumber(v: Tracked, line: number, what: string): number {
  if (typeof v.value !== 'number') {
    // Addresses are compared (p == &x) but arithmetic on them is outside the model.
    throw new LitmusError(line, `${what} needs an integer, got the address of ${v.value.address}`);
  }
  return v.value;
}

function truthy(v: Scalar): boolean {
  return typeof v === 'number' ? v !== 0 : true;
}

type RmwOrder = 'mb' | 'once' | 'acquire' | 'release';

/** Spelling of the atomic families: name suffix -> ordering. */
function orderingOf(name: string, base: string): RmwOrder | undefined {
  if (name === base) return 'mb';
  if (name === `${base}_relaxed`) return 'once';
  if (name === `${base}_acquire`) return 'acquire';
  if (name === `${base}_release`) return 'release';
  return undefined;
}

const FENCES: Record<string, Annotation> = {
  smp_mb: 'mb',
  smp_rmb: 'rmb',
  smp_wmb: 'wmb',
  smp_mb__before_atomic: 'before-atomic',
  smp_mb__after_atomic: 'after-atomic',
  smp_mb__after_spinlock: 'after-spinlock',
  smp_mb__after_unlock_lock: 'after-unlock-lock',
  smp_mb__after_srcu_read_unlock: 'after-srcu-read-unlock',
  barrier: 'barrier',
  rcu_read_lock: 'rcu-lock',
  rcu_read_unlock: 'rcu-unlock',
  synchronize_rcu: 'sync-rcu',
  synchronize_rcu_expedited: 'sync-rcu',
};

/**
 * Raised when a path dereferences an integer. Such a path comes from a guessed read value that
 * no execution can justify (or from a test with undefined behaviour); herd7 produces no
 * execution for it either, so the path is dropped.
 */
class NonPointerDereference extends Error {}

/** The address of a location plus a nonzero offset (see binary()): x+128. */
const OFFSET_ADDRESS = /[+-]\d+$/;

/** herd7's default -unroll: how many times a while loop body may run. */
export const LOOP_UNROLL = 2;

/** Raised when a path needs more loop iterations than LOOP_UNROLL. */
class LoopBoundExceeded extends Error {}

class ThreadRun {
  readonly events: ThreadEvent[] = [];
  readonly registers = new Map<string, Tracked>();
  /** Reads that the conditions of the enclosing if statements depend on. */
  private ctrlDeps: number[] = [];

  constructor(
    private readonly thread: ThreadAst,
    private readonly initialRegisters: Map<string, Scalar>,
    private readonly readValues: (loc: string) => Scalar[],
    private readonly choose: Chooser,
    private readonly budget: LitmusBudget,
  ) {
    for (const [name, value] of initialRegisters) this.registers.set(name, { value, deps: [] });
  }

  run(): ThreadPath {
    this.block(this.thread.body);
    const registers = new Map<string, Scalar>();
    for (const [name, t] of this.registers) registers.set(name, t.value);
    return { events: this.events, registers };
  }

  private emit(e: Omit<ThreadEvent, 'ctrl'>): number {
    this.events.push({ ...e, ctrl: this.ctrlDeps });
    return this.events.length - 1;
  }

  private block(stmts: Stmt[]): void {
    for (const s of stmts) this.statement(s);
  }

  private statement(s: Stmt): void {
    this.budget.tick();
    switch (s.kind) {
      case 'declare':
        this.registers.set(s.name, s.init ? this.eval(s.init) : { value: 0, deps: [] });
        return;
      case 'expr':
        this.eval(s.expr);
        return;
      case 'block':
        this.block(s.body);
        return;
      case 'if': {
        const test = this.eval(s.test);
        // As in herd7's C semantics, the control dependency reaches the events of the taken
        // branch only, not the statements after the if.
        const outer = this.ctrlDeps;
        this.ctrlDeps = union(outer, test.deps);
        this.block(truthy(test.value) ? s.then : s.otherwise);
        this.ctrlDeps = outer;
        return;
      }
      case 'while': {
        // herd7 unrolls loops a bounded number of times; a path that would need one more
        // iteration is abandoned (herd7 marks it too far and keeps no execution for it).
        const outer = this.ctrlDeps;
        for (let iteration = 0; ; iteration++) {
          const test = this.eval(s.test);
          this.ctrlDeps = union(this.ctrlDeps, test.deps);
          if (!truthy(test.value)) break;
          if (iteration >= LOOP_UNROLL) throw new LoopBoundExceeded();
          this.block(s.body);
        }
        this.ctrlDeps = outer;
        return;
      }
    }
  }

  /** The shared location a pointer-valued expression designates. */
  private location(pointer: Expr): { loc: string; deps: number[] } {
    if (pointer.kind === 'name' && !this.registers.has(pointer.name) && !this.thread.params.includes(pointer.name)) {
      // Not a register holding 0 here: a pointer nobody declared is a mistake in the test.
      throw new LitmusError(pointer.line, `unknown name '${pointer.name}' in P${this.thread.index}`);
    }
    const p = this.eval(pointer);
    if (typeof p.value === 'number') throw new NonPointerDereference();
    return { loc: p.value.address, deps: p.deps };
  }

  /** The location of an lvalue argument such as *x in READ_ONCE(*x). */
  private lvalueLocation(e: Expr | undefined, line: number, callee: string): { loc: string; deps: number[] } {
    if (!e) throw new LitmusError(line, `${callee} needs an argument`);
    if (e.kind !== 'deref') throw new LitmusError(e.line, `${callee} takes an lvalue such as *x`);
    return this.location(e.target);
  }

  private read(loc: string, annot: Annotation, addrDeps: number[], line: number, kind: EventKind = 'R'): Tracked {
    if (OFFSET_ADDRESS.test(loc)) throw new NonPointerDereference();
    const options = this.valuesAt(loc);
    const value = options[this.choose(options.length)]!;
    const id = this.emit({ kind, annot, loc, value, addr: addrDeps, data: [], line });
    return { value, deps: [id], origin: id };
  }

  /** What a read of loc may return: the values others write, and this path's own earlier writes. */
  private valuesAt(loc: string): Scalar[] {
    const options = this.readValues(loc);
    for (const e of this.events) {
      if (e.loc !== loc || e.value === undefined || (e.kind !== 'W' && e.kind !== 'LKW' && e.kind !== 'UL')) continue;
      const v = e.value;
      if (!options.some((o) => sameScalar(o, v))) options.push(v);
    }
    return options;
  }

  private write(loc: string, annot: Annotation, v: Tracked, addrDeps: number[], line: number, rmwRead?: number): void {
    const e: Omit<ThreadEvent, 'ctrl'> = { kind: 'W', annot, loc, value: v.value, addr: addrDeps, data: v.deps, line };
    if (rmwRead !== undefined) e.rmwRead = rmwRead;
    if (v.origin !== undefined) e.copyOf = v.origin;
    this.emit(e);
  }

  private fence(annot: Annotation, line: number): void {
    this.emit({ kind: 'F', annot, addr: [], data: [], line });
  }

  private eval(e: Expr): Tracked {
    switch (e.kind) {
      case 'num':
        return { value: e.value, deps: [] };
      case 'name': {
        const r = this.registers.get(e.name);
        if (r) return r;
        if (this.thread.params.includes(e.name)) return { value: { address: e.name }, deps: [] };
        // A register declared by use and read before any assignment holds 0, as in herd7.
        return { value: 0, deps: [] };
      }
      case 'addressOf':
        return { value: { address: e.name }, deps: [] };
      case 'deref': {
        // A plain C read.
        const { loc, deps } = this.location(e.target);
        return this.read(loc, 'plain', deps, e.line);
      }
      case 'unary': {
        const v = this.eval(e.operand);
        if (e.op === '!') return { value: truthy(v.value) ? 0 : 1, deps: v.deps };
        const x = asNumber(v, e.line, e.op);
        return { value: e.op === '-' ? -x : ~x, deps: v.deps };
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right, e.line);
      case 'conditional': {
        const test = this.eval(e.test);
        const chosen = this.eval(truthy(test.value) ? e.then : e.otherwise);
        return { value: chosen.value, deps: union(test.deps, chosen.deps) };
      }
      case 'assign': {
        const v = this.eval(e.value);
        if (e.target.kind === 'name') {
          if (!this.registers.has(e.target.name)) {
            if (this.thread.params.includes(e.target.name)) {
              throw new LitmusError(e.line, `cannot assign to the pointer parameter '${e.target.name}'`);
            }
          }
          this.registers.set(e.target.name, v);
          return v;
        }
        if (e.target.kind === 'deref') {
          const { loc, deps } = this.location(e.target.target);
          this.write(loc, 'plain', v, deps, e.line);
          return v;
        }
        throw new LitmusError(e.line, 'bad assignment target');
      }
      case 'call':
        return this.call(e.callee, e.args, e.line);
    }
  }

  private binary(op: string, l: Expr, r: Expr, line: number): Tracked {
    const a = this.eval(l);
    const b = this.eval(r);
    const deps = union(a.deps, b.deps);
    if (op === '==' || op === '!=') {
      const same = sameScalar(a.value, b.value);
      return { value: (op === '==') === same ? 1 : 0, deps };
    }
    if (op === '&&') return { value: truthy(a.value) && truthy(b.value) ? 1 : 0, deps };
    if (op === '||') return { value: truthy(a.value) || truthy(b.value) ? 1 : 0, deps };
    // An address plus an offset: diy7 writes address dependencies as *(x + (r & 128)), whose
    // offset is 0 for the values of a real execution. Another offset is a cell outside every
    // location, as in herd7: a write there is kept, a read has no write to read (no initial
    // value either), so herd7 builds no execution with it and the path is dropped (read()).
    if ((op === '+' || op === '-') && typeof a.value !== 'number' && typeof b.value === 'number') {
      const offset = op === '+' ? b.value : -b.value;
      return { value: offset === 0 ? a.value : { address: `${a.value.address}${offset > 0 ? '+' : ''}${offset}` }, deps };
    }
    if (op === '+' && typeof a.value === 'number' && typeof b.value !== 'number') {
      return { value: a.value === 0 ? b.value : { address: `${b.value.address}+${a.value}` }, deps };
    }
    const x = asNumber(a, line, op);
    const y = asNumber(b, line, op);
    const value = ((): number => {
      switch (op) {
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          if (y === 0) throw new LitmusError(line, 'division by zero');
          return Math.trunc(x / y);
        case '%':
          if (y === 0) throw new LitmusError(line, 'division by zero');
          return x % y;
        case '&':
          return x & y;
        case '|':
          return x | y;
        case '^':
          return x ^ y;
        case '<<':
          return x << y;
        case '>>':
          return x >> y;
        case '<':
          return x < y ? 1 : 0;
        case '>':
          return x > y ? 1 : 0;
        case '<=':
          return x <= y ? 1 : 0;
        case '>=':
          return x >= y ? 1 : 0;
        default:
          throw new LitmusError(line, `unsupported operator '${op}'`);
      }
    })();
    return { value, deps };
  }

  private arg(args: Expr[], i: number, callee: string, line: number): Expr {
    const a = args[i];
    if (!a) throw new LitmusError(line, `${callee} needs ${i + 1} argument(s)`);
    return a;
  }

  /**
   * An atomic read-modify-write at loc. compute returns the value to write, or undefined when
   * the operation fails (cmpxchg mismatch), in which case there is only a relaxed read.
   */
  private rmw(
    loc: string,
    addrDeps: number[],
    order: RmwOrder,
    readAnnot: Annotation | undefined,
    compute: (old: Tracked) => Tracked | undefined,
    line: number,
  ): Tracked {
    if (OFFSET_ADDRESS.test(loc)) throw new NonPointerDereference();
    // The read value decides success, so guess it before emitting any fence.
    const options = this.valuesAt(loc);
    const old = options[this.choose(options.length)]!;
    const probe: Tracked = { value: old, deps: [] };
    const succeeds = compute(probe) !== undefined;
    if (!succeeds) {
      const id = this.emit({ kind: 'R', annot: 'once', loc, value: old, addr: addrDeps, data: [], failedRmw: true, line });
      return { value: old, deps: [id], origin: id };
    }
    if (order === 'mb') this.fence('mb', line);
    const rAnnot: Annotation = readAnnot ?? (order === 'acquire' ? 'acquire' : 'once');
    const rid = this.emit({ kind: 'R', annot: rAnnot, loc, value: old, addr: addrDeps, data: [], line });
    const oldTracked: Tracked = { value: old, deps: [rid], origin: rid };
    const written = compute(oldTracked)!;
    this.write(loc, order === 'release' ? 'release' : 'once', written, addrDeps, line, rid);
    if (order === 'mb') this.fence('mb', line);
    return oldTracked;
  }

  private call(callee: string, args: Expr[], line: number): Tracked {
    const none: Tracked = { value: 0, deps: [] };
    const fenceAnnot = FENCES[callee];
    if (fenceAnnot) {
      this.fence(fenceAnnot, line);
      return none;
    }
    switch (callee) {
      case 'READ_ONCE':
      case 'rcu_dereference': {
        const { loc, deps } = this.lvalueLocation(args[0], line, callee);
        return this.read(loc, 'once', deps, line);
      }
      case 'WRITE_ONCE':
      case 'rcu_assign_pointer':
      case 'smp_store_mb': {
        const { loc, deps } = this.lvalueLocation(args[0], line, callee);
        const v = this.eval(this.arg(args, 1, callee, line));
        this.write(loc, callee === 'rcu_assign_pointer' ? 'release' : 'once', v, deps, line);
        if (callee === 'smp_store_mb') this.fence('mb', line);
        return none;
      }
      case 'smp_load_acquire':
      case 'atomic_read_acquire': {
        const { loc, deps } = this.location(this.arg(args, 0, callee, line));
        return this.read(loc, 'acquire', deps, line);
      }
      case 'smp_store_release':
      case 'atomic_set_release': {
        const { loc, deps } = this.location(this.arg(args, 0, callee, line));
        this.write(loc, 'release', this.eval(this.arg(args, 1, callee, line)), deps, line);
        return none;
      }
      case 'atomic_read': {
        const { loc, deps } = this.location(this.arg(args, 0, callee, line));
        return this.read(loc, 'once', deps, line);
      }
      case 'atomic_set': {
        const { loc, deps } = this.location(this.arg(args, 0, callee, line));
        this.write(loc, 'once', this.eval(this.arg(args, 1, callee, line)), deps, line);
        return none;
      }
      case 'spin_lock': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        this.lockAcquire(loc, line);
        return none;
      }
      case 'spin_unlock': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        this.emit({ kind: 'UL', annot: 'release', loc, value: 0, addr: [], data: [], line });
        return none;
      }
      case 'spin_trylock': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        if (this.choose(2) === 0) {
          const rid = this.lockAcquire(loc, line);
          return { value: 1, deps: [rid] };
        }
        const id = this.emit({ kind: 'LF', annot: 'once', loc, value: 1, addr: [], data: [], line });
        return { value: 0, deps: [id] };
      }
      case 'spin_is_locked': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        const locked = this.choose(2) === 0;
        const id = this.emit({ kind: locked ? 'RL' : 'RU', annot: 'once', loc, value: locked ? 1 : 0, addr: [], data: [], line });
        return { value: locked ? 1 : 0, deps: [id] };
      }
      case 'srcu_read_lock': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        // The returned index only pairs each unlock with its lock (srcu-bad-nesting); like
        // herd7 we give every srcu_read_lock() its own value, far from any test constant.
        const index = -(1_000_000_000 + this.thread.index * 100_000 + this.events.length);
        this.emit({ kind: 'SRCU', annot: 'srcu-lock', loc, value: index, addr: [], data: [], line });
        return { value: index, deps: [] };
      }
      case 'srcu_read_unlock': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        const idx = this.eval(this.arg(args, 1, callee, line));
        this.emit({ kind: 'SRCU', annot: 'srcu-unlock', loc, value: idx.value, addr: [], data: [], line });
        return none;
      }
      case 'synchronize_srcu':
      case 'synchronize_srcu_expedited': {
        const { loc } = this.location(this.arg(args, 0, callee, line));
        this.emit({ kind: 'SRCU', annot: 'sync-srcu', loc, addr: [], data: [], line });
        return none;
      }
    }
    return this.atomicCall(callee, args, line);
  }

  /** spin_lock(): LKR (acquire, reads the unlocked state) then LKW (sets locked). Returns LKR. */
  private lockAcquire(loc: string, line: number): number {
    const rid = this.emit({ kind: 'LKR', annot: 'acquire', loc, value: 0, addr: [], data: [], line });
    this.emit({ kind: 'LKW', annot: 'once', loc, value: 1, addr: [], data: [], rmwRead: rid, line });
    return rid;
  }

  private atomicCall(callee: string, args: Expr[], line: number): Tracked {
    const arith =
      (op: '+' | '-', amount: Tracked) =>
      (old: Tracked): Tracked => {
        const a = asNumber(old, line, callee);
        const b = asNumber(amount, line, callee);
        return { value: op === '+' ? a + b : a - b, deps: union(old.deps, amount.deps) };
      };
    const one: Tracked = { value: 1, deps: [] };
    // Non-returning atomics: relaxed, and their read is 'noreturn' (not ordered by smp_rmb).
    const voidOps: Record<string, ['+' | '-', boolean]> = {
      atomic_add: ['+', true],
      atomic_sub: ['-', true],
      atomic_inc: ['+', false],
      atomic_dec: ['-', false],
    };
    const voidOp = voidOps[callee];
    if (voidOp) {
      const [op, hasAmount] = voidOp;
      const amount = hasAmount ? this.eval(this.arg(args, 0, callee, line)) : one;
      const { loc, deps } = this.location(this.arg(args, hasAmount ? 1 : 0, callee, line));
      this.rmw(loc, deps, 'once', 'noreturn', arith(op, amount), line);
      return { value: 0, deps: [] };
    }
    for (const [base, op, hasAmount, returnsNew] of [
      ['atomic_add_return', '+', true, true],
      ['atomic_sub_return', '-', true, true],
      ['atomic_inc_return', '+', false, true],
      ['atomic_dec_return', '-', false, true],
      ['atomic_fetch_add', '+', true, false],
      ['atomic_fetch_sub', '-', true, false],
      ['atomic_fetch_inc', '+', false, false],
      ['atomic_fetch_dec', '-', false, false],
    ] as Array<[string, '+' | '-', boolean, boolean]>) {
      const order = orderingOf(callee, base);
      if (!order) continue;
      const amount = hasAmount ? this.eval(this.arg(args, 0, callee, line)) : one;
      const { loc, deps } = this.location(this.arg(args, hasAmount ? 1 : 0, callee, line));
      const f = arith(op, amount);
      const old = this.rmw(loc, deps, order, undefined, f, line);
      return returnsNew ? f(old) : old;
    }
    for (const base of ['xchg', 'atomic_xchg']) {
      const order = orderingOf(callee, base);
      if (!order) continue;
      const { loc, deps } = this.location(this.arg(args, 0, callee, line));
      const v = this.eval(this.arg(args, 1, callee, line));
      return this.rmw(loc, deps, order, undefined, () => v, line);
    }
    for (const base of ['cmpxchg', 'atomic_cmpxchg']) {
      const order = orderingOf(callee, base);
      if (!order) continue;
      const { loc, deps } = this.location(this.arg(args, 0, callee, line));
      const expected = this.eval(this.arg(args, 1, callee, line));
      const v = this.eval(this.arg(args, 2, callee, line));
      return this.rmw(loc, deps, order, undefined, (old) => (sameScalar(old.value, expected.value) ? v : undefined), line);
    }
    const tests: Record<string, [op: '+' | '-', hasAmount: boolean, test: (x: number) => boolean]> = {
      atomic_sub_and_test: ['-', true, (x) => x === 0],
      atomic_dec_and_test: ['-', false, (x) => x === 0],
      atomic_inc_and_test: ['+', false, (x) => x === 0],
      atomic_add_negative: ['+', true, (x) => x < 0],
    };
    const t = tests[callee];
    if (t) {
      const [op, hasAmount, test] = t;
      const amount = hasAmount ? this.eval(this.arg(args, 0, callee, line)) : one;
      const { loc, deps } = this.location(this.arg(args, hasAmount ? 1 : 0, callee, line));
      const f = arith(op, amount);
      const result = f(this.rmw(loc, deps, 'mb', undefined, f, line));
      return { value: test(asNumber(result, line, callee)) ? 1 : 0, deps: result.deps };
    }
    if (callee === 'atomic_add_unless') {
      // Adds unless the value equals u; fully ordered when it adds, unordered when it does not.
      const { loc, deps } = this.location(this.arg(args, 0, callee, line));
      const amount = this.eval(this.arg(args, 1, callee, line));
      const unless = this.eval(this.arg(args, 2, callee, line));
      const add = arith('+', amount);
      const old = this.rmw(loc, deps, 'mb', undefined, (o) => (sameScalar(o.value, unless.value) ? undefined : add(o)), line);
      return { value: sameScalar(old.value, unless.value) ? 0 : 1, deps: union(old.deps, unless.deps) };
    }
    throw new LitmusError(line, `unknown function '${callee}'`);
  }
}

/**
 * Every path of one thread, given the values each location may hold. Paths are enumerated by
 * replaying the thread with a growing prefix of choices (depth-first), so the order is stable.
 */
export function threadPaths(
  thread: ThreadAst,
  initialRegisters: Map<string, Scalar>,
  readValues: (loc: string) => Scalar[],
  budget: LitmusBudget,
  dropped: { loopBound: number } = { loopBound: 0 },
): ThreadPath[] {
  const limit = budget.limits.maxCandidates;
  const paths: ThreadPath[] = [];
  const pending: number[][] = [[]];
  while (pending.length > 0) {
    budget.tick();
    const prefix = pending.pop()!;
    budget.release(prefix.length);
    const choices = [...prefix];
    let k = 0;
    const choose: Chooser = (alternatives) => {
      budget.tick();
      if (alternatives <= 0) throw new LitmusError(thread.line, 'a read has no possible value');
      if (k < choices.length) return choices[k++]!;
      // Pending prefixes are held too: a thread with many reads has very many of them.
      for (let alt = alternatives - 1; alt >= 1; alt--) {
        budget.hold(choices.length + 1);
        pending.push([...choices, alt]);
      }
      choices.push(0);
      k++;
      return 0;
    };
    try {
      const path = new ThreadRun(thread, initialRegisters, readValues, choose, budget).run();
      budget.hold(path.events.length + 1);
      paths.push(path);
    } catch (e) {
      if (e instanceof LoopBoundExceeded) dropped.loopBound++;
      else if (!(e instanceof NonPointerDereference)) throw e;
    }
    if (paths.length > limit) throw new TooManyStates(`P${thread.index} has more than ${limit} paths`);
  }
  return paths;
}
