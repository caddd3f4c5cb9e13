/**
 * The `.wake` text form of a Program: kernel-looking calls, one op after another, each
 * optionally tagged with the C line it stands for (`@ file.c:42`). parseProgram and
 * printProgram are inverse: parseProgram(printProgram(p)) equals p for every valid p in
 * normal form (what parseProgram produces).
 *
 *   program waitqueue_active_no_barrier
 *   int done = 0
 *   waitqueue wq
 *   thread waker (process) {
 *     WRITE_ONCE(done, 1)            @ drivers/foo.c:42
 *     r0 = waitqueue_active(wq)      @ drivers/foo.c:43
 *     if (r0) { wake_up(wq) }
 *   }
 *   thread waiter (process) {
 *     wait_event(wq, READ_ONCE(done))  @ drivers/foo.c:70
 *   }
 *
 * In expressions a declared location stands for a plain read of it, READ_ONCE(x) and
 * smp_load_acquire(x) for marked reads, any other name for a register. `check lost_wakeup,
 * deadlock` restricts the properties checked.
 */
import {
  BinaryOp,
  OBJECT_KINDS,
  ObjectKind,
  Op,
  PROPERTY_KINDS,
  Program,
  ProgramError,
  ProgramExpr,
  PropertyKind,
  PvMark,
  SourceTag,
  TaskState,
  WaitExit,
  objectLocations,
} from './ir';
import { MAX_NESTING, nestingMessage, rmwArity, rmwBase, validateProgram } from './validate';

type Tok =
  | { t: 'id'; v: string; line: number }
  | { t: 'num'; v: number; line: number }
  | { t: 'str'; v: string; line: number }
  | { t: 'punct'; v: string; line: number }
  | { t: 'tag'; v: string; line: number }
  | { t: 'eof'; v: ''; line: number };

const PUNCT = ['&&', '||', '==', '!=', '<=', '>=', '(', ')', '{', '}', ',', ';', '=', '<', '>', '+', '-', '!', '&', '|'];

function lex(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new ProgramError('', 'unterminated comment', line);
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '@') {
      let j = i + 1;
      while (j < text.length && text[j] !== '\n') j++;
      out.push({ t: 'tag', v: text.slice(i + 1, j).trim(), line });
      i = j;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i, i + 200));
    if (id) {
      out.push({ t: 'id', v: id[0], line });
      i += id[0].length;
      continue;
    }
    const num = /^\d+/.exec(text.slice(i, i + 40));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), line });
      i += num[0].length;
      continue;
    }
    if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(text.slice(i));
      if (!m) throw new ProgramError('', 'unterminated string', line);
      out.push({ t: 'str', v: JSON.parse(m[0]) as string, line });
      i += m[0].length;
      continue;
    }
    const p = PUNCT.find((q) => text.startsWith(q, i));
    if (!p) throw new ProgramError('', `unexpected character '${c}'`, line);
    out.push({ t: 'punct', v: p, line });
    i += p.length;
  }
  out.push({ t: 'eof', v: '', line });
  return out;
}

const STATES: Record<string, TaskState | 'running'> = {
  TASK_INTERRUPTIBLE: 'interruptible',
  TASK_UNINTERRUPTIBLE: 'uninterruptible',
  TASK_RUNNING: 'running',
};

const FENCES: Record<string, Extract<Op, { op: 'fence' }>['kind']> = {
  smp_mb: 'mb',
  smp_wmb: 'wmb',
  smp_rmb: 'rmb',
  smp_mb__before_atomic: 'before_atomic',
  smp_mb__after_atomic: 'after_atomic',
  smp_mb__after_spinlock: 'after_spinlock',
};

const EXIT_SUFFIX: Record<string, WaitExit> = { '': 'none', _interruptible: 'signal', _timeout: 'timeout' };

// C's precedences: || < && < | < & < == != < relational < + -.
const PRECEDENCE: Record<string, number> = { '||': 1, '&&': 2, '|': 3, '&': 4, '==': 5, '!=': 5, '<': 6, '>': 6, '<=': 6, '>=': 6, '+': 7, '-': 7 };

class Parser {
  private k = 0;
  /** Blocks, parentheses and `!`s open at the token at hand: bounded, so deep text cannot exhaust the stack. */
  private depth = 0;
  private readonly locations = new Set<string>();
  private readonly lines = new Map<object, number>();

  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.k + o, this.toks.length - 1)]!;
  }
  private next(): Tok {
    return this.toks[this.k++]!;
  }
  private fail(msg: string, tok: Tok = this.peek()): never {
    throw new ProgramError('', msg, tok.line);
  }
  /** Parses one nesting level deeper; past MAX_NESTING, a one-line error at the token that opens it. */
  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_NESTING) this.fail(nestingMessage());
    try {
      return f();
    } finally {
      this.depth--;
    }
  }
  private isPunct(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === 'punct' && t.v === v;
  }
  /** An optional trailing `KEYWORD (expr)` (`pending (...)`, `until (...)`). */
  private clause(keyword: string): ProgramExpr | undefined {
    if (!this.isId(keyword)) return undefined;
    this.k++;
    this.punct('(');
    const e = this.expr();
    this.punct(')');
    return e;
  }

  private isId(v?: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === 'id' && (v === undefined || t.v === v);
  }
  private punct(v: string): void {
    if (!this.isPunct(v)) this.fail(`expected '${v}', found '${this.peek().v || 'end of file'}'`);
    this.k++;
  }
  private ident(what = 'a name'): string {
    const t = this.peek();
    if (t.t !== 'id') this.fail(`expected ${what}, found '${t.v || 'end of file'}'`);
    this.k++;
    return t.v;
  }
  /** A lock-byte value: a number, _Q_LOCKED_VAL (1) or _Q_SLOW_VAL (3). */
  private pvValue(): number {
    const t = this.peek();
    if (t.t === 'id' && t.v in PV_VALUE_NAME) {
      this.k++;
      return PV_VALUE_NAME[t.v]!;
    }
    return this.int();
  }
  private int(): number {
    const neg = this.isPunct('-');
    if (neg) this.k++;
    const t = this.peek();
    if (t.t !== 'num') this.fail(`expected a number, found '${t.v}'`);
    this.k++;
    return neg ? -t.v : t.v;
  }

  program(): { program: Program; lines: Map<object, number> } {
    if (!this.isId('program')) this.fail("a .wake file starts with 'program NAME'");
    this.k++;
    const name = this.ident('the program name');
    const program: Program = { name, locations: {}, objects: [], threads: [] };
    for (;;) {
      if (this.isId('int')) {
        this.k++;
        const n = this.ident('a location name');
        let v = 0;
        if (this.isPunct('=')) {
          this.k++;
          v = this.int();
        }
        program.locations[n] = v;
        this.locations.add(n);
      } else if (this.peek().t === 'id' && (OBJECT_KINDS as readonly string[]).includes(String(this.peek().v))) {
        const kind = this.next().v as ObjectKind;
        const oname = this.ident(`the ${kind}'s name`);
        program.objects.push({ kind, name: oname });
        for (const l of objectLocations(kind, oname)) this.locations.add(l);
      } else if (this.isId('check')) {
        this.k++;
        const check: PropertyKind[] = [];
        do {
          if (this.isPunct(',')) this.k++;
          const t = this.peek();
          const p = this.ident('a property').replace(/_/g, '-');
          if (!(PROPERTY_KINDS as readonly string[]).includes(p))
            this.fail(`unknown property '${String(t.v)}' (${PROPERTY_KINDS.map((x) => x.replace(/-/g, '_')).join(', ')})`, t);
          check.push(p as PropertyKind);
        } while (this.isPunct(','));
        program.property = { check };
      } else break;
    }
    while (this.isId('thread')) {
      this.k++;
      const tname = this.ident('the thread name');
      let context: Program['threads'][number]['context'] = 'process';
      if (this.isPunct('(')) {
        this.k++;
        const c = this.peek();
        const ctx = this.ident('process, hardirq or softirq');
        if (ctx !== 'process' && ctx !== 'hardirq' && ctx !== 'softirq') this.fail(`unknown context '${ctx}'`, c);
        context = ctx;
        this.punct(')');
      }
      program.threads.push({ name: tname, context, ops: this.block() });
    }
    if (this.peek().t !== 'eof') this.fail(`expected 'thread', found '${this.peek().v}'`);
    return { program, lines: this.lines };
  }

  private block(): Op[] {
    return this.nested(() => this.blockBody());
  }

  private blockBody(): Op[] {
    this.punct('{');
    const ops: Op[] = [];
    while (!this.isPunct('}')) {
      if (this.peek().t === 'eof') this.fail("missing '}'");
      if (this.isPunct(';')) {
        this.k++;
        continue;
      }
      ops.push(this.op());
    }
    this.k++;
    return ops;
  }

  private op(): Op {
    const start = this.peek();
    const o = this.opBody();
    this.lines.set(o, start.line);
    if (this.peek().t === 'tag') o.src = parseTag(this.next() as Tok & { t: 'tag' });
    return o;
  }

  private call(): { name: string; tok: Tok } {
    const tok = this.peek();
    const name = this.ident();
    this.punct('(');
    return { name, tok };
  }

  private comma(): void {
    this.punct(',');
  }

  private state(): TaskState | 'running' {
    const t = this.peek();
    const s = STATES[this.ident('a task state')];
    if (!s) this.fail(`expected TASK_RUNNING, TASK_INTERRUPTIBLE or TASK_UNINTERRUPTIBLE, found '${t.v}'`, t);
    return s;
  }

  private opBody(): Op {
    if (this.isId('if') && this.isPunct('(', 1)) {
      this.k += 2;
      const cond = this.expr();
      this.punct(')');
      const then = this.block();
      let otherwise: Op[] = [];
      if (this.isId('else')) {
        this.k++;
        otherwise = this.isId('if') ? this.nested(() => [this.op()]) : this.block();
      }
      return { op: 'if', cond, then, else: otherwise };
    }
    // reg = ...  or  loc = ...
    if (this.isId() && this.isPunct('=', 1)) {
      const target = this.ident();
      this.k++;
      if (this.locations.has(target)) return { op: 'store', loc: target, value: this.expr(), order: 'plain' };
      return this.assignment(target);
    }
    const { name, tok } = this.call();
    const o = this.callOp(name, tok, undefined);
    return o;
  }

  private assignment(reg: string): Op {
    const t = this.peek();
    if (t.t === 'id' && this.isPunct('(', 1)) {
      const name = t.v;
      const isLoadCall = name === 'READ_ONCE' || name === 'smp_load_acquire';
      if (isLoadCall && this.peek(2).t === 'id' && this.isPunct(')', 3) && !this.continuesExpr(4)) {
        const loc = this.location(this.peek(2));
        this.k += 4;
        return { op: 'load', loc, reg, order: name === 'READ_ONCE' ? 'once' : 'acquire' };
      }
      if (rmwBase(name) || ['waitqueue_active', 'wq_has_sleeper', 'swait_active', 'swq_has_sleeper', 'kvm_check_request'].includes(name)) {
        this.k += 2;
        return this.callOp(name, t, reg);
      }
    }
    if (t.t === 'id' && this.locations.has(t.v) && !this.continuesExpr(1)) {
      this.k++;
      return { op: 'load', loc: t.v, reg, order: 'plain' };
    }
    return { op: 'assign', reg, value: this.expr() };
  }

  private continuesExpr(o: number): boolean {
    const t = this.peek(o);
    return t.t === 'punct' && t.v in PRECEDENCE;
  }

  private location(t: Tok): string {
    if (t.t !== 'id' || !this.locations.has(t.v)) this.fail(`'${t.v}' is not a declared location (int ${t.v} = 0)`, t);
    return t.v;
  }

  private callOp(name: string, tok: Tok, reg: string | undefined): Op {
    const end = () => this.punct(')');
    const obj = () => this.ident('an object name');
    const fence = FENCES[name];
    if (fence) {
      end();
      return { op: 'fence', kind: fence };
    }
    const rmw = rmwBase(name);
    if (rmw) {
      const arity = rmwArity(rmw.base);
      const locFirst = rmw.base === 'xchg' || rmw.base === 'cmpxchg';
      const args: ProgramExpr[] = [];
      let loc: string;
      if (locFirst) {
        loc = this.location(this.next());
        for (let i = 0; i < arity; i++) {
          this.comma();
          args.push(this.expr());
        }
      } else {
        for (let i = 0; i < arity; i++) {
          args.push(this.expr());
          this.comma();
        }
        loc = this.location(this.next());
      }
      end();
      const o: Op = { op: 'rmw', fn: name, loc, args };
      if (reg !== undefined) o.reg = reg;
      return o;
    }
    if (reg !== undefined) {
      if (['waitqueue_active', 'wq_has_sleeper', 'swait_active', 'swq_has_sleeper'].includes(name)) {
        const wq = obj();
        end();
        return { op: name as 'waitqueue_active', wq, reg };
      }
      if (name === 'kvm_check_request') {
        const req = this.int();
        this.comma();
        const vcpu = obj();
        end();
        return { op: 'kvm_check_request', vcpu, req, reg };
      }
      this.fail(`${name}() returns nothing to assign`, tok);
    }
    let m: RegExpExecArray | null;
    switch (name) {
      case 'kvm_vcpu_block': {
        const vcpu = obj();
        this.comma();
        const runnable = this.expr();
        end();
        const o: Op = { op: 'kvm_vcpu_block', vcpu, runnable };
        const pending = this.clause('pending');
        if (pending) o.pending = pending;
        return o;
      }
      case 'kvm_vcpu_kick':
      case 'kvm_vcpu_wake_up': {
        const vcpu = obj();
        end();
        return { op: name, vcpu };
      }
      case 'kvm_make_request':
      case 'kvm_make_request_and_kick':
      case 'kvm_make_all_cpus_request': {
        const req = this.int();
        let noWakeup = false;
        if (this.isPunct('|')) {
          this.k++;
          const t = this.peek();
          if (this.ident('KVM_REQUEST_NO_WAKEUP') !== 'KVM_REQUEST_NO_WAKEUP') this.fail('expected KVM_REQUEST_NO_WAKEUP', t);
          if (name !== 'kvm_make_all_cpus_request') this.fail('KVM_REQUEST_NO_WAKEUP only means something to kvm_make_all_cpus_request()', t);
          noWakeup = true;
        }
        this.comma();
        const vcpu = obj();
        end();
        const o: Op = { op: 'kvm_make_request', vcpu, req };
        if (name === 'kvm_make_request_and_kick') o.wake = 'kick';
        if (name === 'kvm_make_all_cpus_request') o.wake = 'all_cpus';
        if (noWakeup) o.noWakeup = true;
        return o;
      }
      case 'eventfd_signal': {
        const ctx = obj();
        end();
        return { op: 'eventfd_signal', ctx };
      }
      case 'schedule_work': {
        const work = obj();
        end();
        return { op: 'schedule_work', work };
      }
      case 'worker': {
        const work = obj();
        end();
        return { op: 'worker', work, body: this.block() };
      }
      case 'pv_spin_lock':
      case 'pv_spin_unlock':
      case 'native_spin_unlock': {
        const lock = obj();
        end();
        if (name === 'pv_spin_lock') {
          const o: Op = { op: 'pv_spin_lock', lock };
          if (this.isId('mark')) {
            this.k++;
            const t = this.peek();
            const m = Object.entries(PV_MARK_NAME).find(([, n]) => n === t.v)?.[0] as PvMark | undefined;
            if (t.t !== 'id' || !m) this.fail(`expected a mark (${Object.values(PV_MARK_NAME).join(', ')}), found '${t.v}'`, t);
            this.k++;
            if (m !== 'xchg') o.mark = m;
          }
          if (this.isId('waits')) {
            this.k++;
            o.waitValue = this.pvValue();
          }
          return o;
        }
        const o: Op = { op: 'pv_spin_unlock', lock };
        if (name === 'native_spin_unlock') o.plain = true;
        return o;
      }
      case 'pv_wait': {
        const loc = this.location(this.next());
        this.comma();
        const value = this.pvValue();
        end();
        const o: Op = { op: 'pv_wait', loc, value };
        const pending = this.clause('pending');
        if (pending) o.pending = pending;
        return o;
      }
      case 'pv_kick': {
        const task = this.ident('a vCPU (thread) name');
        end();
        return { op: 'pv_kick', task };
      }
      case 'WRITE_ONCE':
      case 'smp_store_release':
      case 'smp_store_mb': {
        const loc = this.location(this.next());
        this.comma();
        const value = this.expr();
        end();
        return { op: 'store', loc, value, order: name === 'WRITE_ONCE' ? 'once' : name === 'smp_store_release' ? 'release' : 'mb' };
      }
      case 'local_irq_disable':
      case 'local_irq_enable':
        end();
        return { op: name === 'local_irq_disable' ? 'irq_disable' : 'irq_enable' };
      case 'may_sleep': {
        const what = this.ident('what may sleep');
        end();
        return { op: 'sleep_call', what };
      }
      case 'assert':
      case 'assert_exclusive': {
        const cond = this.expr();
        const o: Op = { op: 'assert', cond };
        if (name === 'assert_exclusive') o.property = 'mutual-exclusion';
        if (this.isPunct(',')) {
          this.k++;
          const s = this.next();
          if (s.t !== 'str') this.fail('expected a message string', s);
          o.message = s.v;
        }
        end();
        return o;
      }
      case 'set_current_state':
      case '__set_current_state': {
        const state = this.state();
        end();
        return { op: 'set_current_state', state, barrier: name === 'set_current_state' };
      }
      case 'schedule':
      case 'schedule_timeout': {
        end();
        const o: Op = { op: 'schedule' };
        if (name === 'schedule_timeout') o.timeout = true;
        const until = this.clause('until');
        if (until) o.until = until;
        return o;
      }
      case 'wake_up_process': {
        const task = this.ident('a task (thread) name');
        end();
        return { op: 'wake_up_process', task };
      }
      case 'prepare_to_wait':
      case 'prepare_to_wait_exclusive': {
        const wq = obj();
        const o: Op = { op: 'prepare_to_wait', wq, exclusive: name === 'prepare_to_wait_exclusive' };
        if (this.isPunct(',')) {
          this.k++;
          const t = this.peek();
          const s = this.state();
          if (s === 'running') this.fail('prepare_to_wait() needs a sleeping state', t);
          o.state = s;
        }
        end();
        return o;
      }
      case 'finish_wait':
      case 'swake_up_one':
      case 'swake_up_locked':
      case 'swake_up_all':
      case 'rcuwait_wake_up':
      case 'complete':
      case 'complete_all': {
        const n = obj();
        end();
        if (name === 'finish_wait') return { op: 'finish_wait', wq: n };
        if (name === 'rcuwait_wake_up') return { op: 'rcuwait_wake_up', w: n };
        if (name === 'complete' || name === 'complete_all') return { op: name, c: n };
        return { op: name, wq: n };
      }
      case 'wake_up':
      case 'wake_up_all':
      case 'wake_up_nr':
      case 'wake_up_locked':
      case 'wake_up_all_locked':
      case 'wake_up_nr_locked': {
        const wq = obj();
        let nr: number | 'all' = name.startsWith('wake_up_all') ? 'all' : 1;
        if (name.startsWith('wake_up_nr')) {
          this.comma();
          const t = this.peek();
          nr = this.int();
          if (nr < 1) this.fail('wake_up_nr() needs a count of at least 1', t);
        }
        end();
        const o: Op = { op: 'wake_up', wq, nr };
        if (name.endsWith('_locked')) o.locked = true;
        return o;
      }
      case 'spin_lock':
      case 'spin_lock_irq':
      case 'spin_lock_irqsave':
      case 'raw_spin_lock':
      case 'raw_spin_lock_irq':
      case 'raw_spin_lock_irqsave':
      case 'spin_unlock':
      case 'spin_unlock_irq':
      case 'spin_unlock_irqrestore':
      case 'raw_spin_unlock':
      case 'raw_spin_unlock_irq':
      case 'raw_spin_unlock_irqrestore': {
        const lock = obj();
        end();
        const unlock = name.includes('unlock');
        const o: Extract<Op, { op: 'lock' | 'unlock' }> = { op: unlock ? 'unlock' : 'lock', lock };
        if (name.endsWith('_irq')) o.irq = 'irq';
        else if (name.endsWith('_irqsave') || name.endsWith('_irqrestore')) o.irq = 'irqsave';
        return o;
      }
      case 'add_wait_queue': {
        const wq = obj();
        end();
        return { op: 'add_wait_queue', wq, func: this.block() };
      }
      case 'wait_for_completion':
      case 'wait_for_completion_interruptible':
      case 'wait_for_completion_timeout': {
        const c = obj();
        end();
        return { op: 'wait_for_completion', c, exit: EXIT_SUFFIX[name.slice('wait_for_completion'.length)]! };
      }
    }
    if ((m = /^wait_event(|_interruptible|_timeout)(_exclusive)?$/.exec(name))) {
      const wq = obj();
      this.comma();
      const cond = this.expr();
      end();
      return { op: 'wait_event', wq, cond, exclusive: m[2] !== undefined, exit: EXIT_SUFFIX[m[1]!]! };
    }
    if ((m = /^swait_event(|_interruptible|_timeout)_exclusive$/.exec(name))) {
      const wq = obj();
      this.comma();
      const cond = this.expr();
      end();
      return { op: 'swait_event', wq, cond, exit: EXIT_SUFFIX[m[1]!]! };
    }
    if ((m = /^rcuwait_wait_event(_timeout)?$/.exec(name))) {
      const w = obj();
      this.comma();
      const cond = this.expr();
      this.comma();
      const t = this.peek();
      const st = this.state();
      if (st === 'running') this.fail('rcuwait_wait_event() needs a sleeping state', t);
      end();
      if (m[1] && st === 'interruptible') this.fail('rcuwait_wait_event_timeout() is written with TASK_UNINTERRUPTIBLE here', t);
      return { op: 'rcuwait_wait_event', w, cond, exit: m[1] ? 'timeout' : st === 'interruptible' ? 'signal' : 'none' };
    }
    this.fail(`unknown operation '${name}'`, tok);
  }

  expr(minPrec = 1): ProgramExpr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'punct' || !(t.v in PRECEDENCE)) return left;
      const prec = PRECEDENCE[t.v]!;
      if (prec < minPrec) return left;
      this.k++;
      const right = this.expr(prec + 1);
      left = { kind: 'binary', op: t.v as BinaryOp, left, right };
    }
  }

  private unary(): ProgramExpr {
    if (this.isPunct('!')) {
      this.k++;
      return { kind: 'not', operand: this.nested(() => this.unary()) };
    }
    if (this.isPunct('-') && this.peek(1).t === 'num') return { kind: 'const', value: this.int() };
    const t = this.peek();
    if (t.t === 'num') {
      this.k++;
      return { kind: 'const', value: t.v };
    }
    if (this.isPunct('(') && this.isPunct('{', 1)) return this.nested(() => this.statementExpression());
    if (this.isPunct('(')) {
      this.k++;
      const e = this.nested(() => this.expr());
      this.punct(')');
      return e;
    }
    return this.primary();
  }

  /** `({ reg = value; body; })` */
  private statementExpression(): ProgramExpr {
    this.k += 2;
    const regToken = this.next();
    if (regToken.t !== 'id' || this.locations.has(regToken.v)) this.fail(`expected a register to assign in ({ ... }), found '${regToken.v}'`, regToken);
    this.punct('=');
    const value = this.expr();
    this.punct(';');
    const body = this.expr();
    this.punct(';');
    this.punct('}');
    this.punct(')');
    return { kind: 'let', reg: regToken.v, value, body };
  }

  private primary(): ProgramExpr {
    const t = this.peek();
    if (t.t === 'id') {
      if ((t.v === 'READ_ONCE' || t.v === 'smp_load_acquire') && this.isPunct('(', 1)) {
        this.k += 2;
        const loc = this.location(this.next());
        this.punct(')');
        return { kind: 'read', loc, order: t.v === 'READ_ONCE' ? 'once' : 'acquire' };
      }
      this.k++;
      if (this.locations.has(t.v)) return { kind: 'read', loc: t.v, order: 'plain' };
      return { kind: 'reg', name: t.v };
    }
    this.fail(`expected an expression, found '${t.v || 'end of file'}'`);
  }
}

function parseTag(t: { v: string; line: number }): SourceTag {
  const m = /^(?:(.*?):)?(\d+)(?::(\d+))?\s*("(?:[^"\\]|\\.)*")?$/.exec(t.v);
  if (!m) throw new ProgramError('', `bad source tag '@ ${t.v}' (expected @ file.c:LINE[:COLUMN] ["text"])`, t.line);
  const src: SourceTag = { line: Number(m[2]) };
  if (m[1] !== undefined && m[1] !== '') src.file = m[1];
  if (m[3] !== undefined) src.column = Number(m[3]);
  if (m[4] !== undefined) src.text = JSON.parse(m[4]) as string;
  return src;
}

/** Parses and validates a `.wake` program. Errors are ProgramErrors with a line. */
export function parseProgram(text: string): Program {
  const { program, lines } = new Parser(lex(text)).program();
  try {
    return validateProgram(program);
  } catch (e) {
    if (!(e instanceof ProgramError)) throw e;
    // Map the JSON path back to the op it names.
    let node: unknown = program;
    let line: number | undefined;
    for (const seg of e.path.match(/[A-Za-z_]+|\d+/g) ?? []) {
      if (node === null || typeof node !== 'object') break;
      node = (node as Record<string, unknown>)[seg];
      if (node && typeof node === 'object' && lines.has(node)) line = lines.get(node);
    }
    const message = e.message.replace(/^[^:]*: /, '');
    throw new ProgramError(e.path, message, line ?? 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Printing.

/** An expression as C reads it (registers by name, marked reads as READ_ONCE/smp_load_acquire). */
export function exprString(e: ProgramExpr, top = true): string {
  switch (e.kind) {
    case 'const':
      return String(e.value);
    case 'reg':
      return e.name;
    case 'read':
      return e.order === 'plain' ? e.loc : e.order === 'acquire' ? `smp_load_acquire(${e.loc})` : `READ_ONCE(${e.loc})`;
    case 'not':
      return `!${exprString(e.operand, false)}`;
    case 'binary': {
      const s = `${exprString(e.left, false)} ${e.op} ${exprString(e.right, false)}`;
      return top ? s : `(${s})`;
    }
    case 'let':
      return `({ ${e.reg} = ${exprString(e.value)}; ${exprString(e.body)}; })`;
  }
}

function tagString(src: SourceTag | undefined): string {
  if (!src) return '';
  // Without a file, a column needs the leading ':' (else "1:2" would read as file 1, line 2).
  let s = `${src.file !== undefined ? `${src.file}:` : src.column !== undefined ? ':' : ''}${src.line}`;
  if (src.column !== undefined) s += `:${src.column}`;
  if (src.text !== undefined) s += ` ${JSON.stringify(src.text)}`;
  return `  @ ${s}`;
}

/** The text names of a PV queue head's marks (pv_spin_lock(L) mark NAME). */
const PV_MARK_NAME: Record<PvMark, string> = { xchg: 'xchg', cmpxchg: 'cmpxchg', store: 'WRITE_ONCE', none: 'none' };
const PV_VALUE_NAME: Record<string, number> = { _Q_LOCKED_VAL: 1, _Q_SLOW_VAL: 3 };
function pvValueText(v: number): string {
  return Object.entries(PV_VALUE_NAME).find(([, n]) => n === v)?.[0] ?? String(v);
}

const STATE_NAME = { interruptible: 'TASK_INTERRUPTIBLE', uninterruptible: 'TASK_UNINTERRUPTIBLE', running: 'TASK_RUNNING' } as const;
const EXIT_NAME: Record<WaitExit, string> = { none: '', signal: '_interruptible', timeout: '_timeout' };

function opLines(o: Op, indent: string): string[] {
  const e = (x: ProgramExpr) => exprString(x);
  const tag = tagString(o.src);
  const one = (s: string) => [`${indent}${s}${tag}`];
  switch (o.op) {
    case 'load':
      return one(o.order === 'plain' ? `${o.reg} = ${o.loc}` : o.order === 'once' ? `${o.reg} = READ_ONCE(${o.loc})` : `${o.reg} = smp_load_acquire(${o.loc})`);
    case 'store':
      return one(
        o.order === 'plain'
          ? `${o.loc} = ${e(o.value)}`
          : `${o.order === 'once' ? 'WRITE_ONCE' : o.order === 'release' ? 'smp_store_release' : 'smp_store_mb'}(${o.loc}, ${e(o.value)})`,
      );
    case 'fence':
      return one(Object.entries(FENCES).find(([, k]) => k === o.kind)![0] + '()');
    case 'rmw': {
      const b = rmwBase(o.fn)!.base;
      const a = o.args.map(e);
      const args = b === 'xchg' || b === 'cmpxchg' ? [o.loc, ...a] : [...a, o.loc];
      return one(`${o.reg !== undefined ? `${o.reg} = ` : ''}${o.fn}(${args.join(', ')})`);
    }
    case 'assign': {
      const v = e(o.value);
      return one(`${o.reg} = ${o.value.kind === 'read' ? `(${v})` : v}`);
    }
    case 'lock':
      return one(`spin_lock${o.irq === 'irq' ? '_irq' : o.irq === 'irqsave' ? '_irqsave' : ''}(${o.lock})`);
    case 'unlock':
      return one(`spin_unlock${o.irq === 'irq' ? '_irq' : o.irq === 'irqsave' ? '_irqrestore' : ''}(${o.lock})`);
    case 'irq_disable':
      return one('local_irq_disable()');
    case 'irq_enable':
      return one('local_irq_enable()');
    case 'if': {
      const out = [`${indent}if (${e(o.cond)}) {`, ...o.then.flatMap((x) => opLines(x, `${indent}  `))];
      if (o.else.length > 0) out.push(`${indent}} else {`, ...o.else.flatMap((x) => opLines(x, `${indent}  `)));
      out.push(`${indent}}${tag}`);
      return out;
    }
    case 'sleep_call':
      return one(`may_sleep(${o.what})`);
    case 'assert':
      return one(
        `${o.property === 'mutual-exclusion' ? 'assert_exclusive' : 'assert'}(${e(o.cond)}${o.message !== undefined ? `, ${JSON.stringify(o.message)}` : ''})`,
      );
    case 'set_current_state':
      return one(`${o.barrier ? '' : '__'}set_current_state(${STATE_NAME[o.state]})`);
    case 'schedule':
      return one(`${o.timeout ? 'schedule_timeout' : 'schedule'}()${o.until ? ` until (${e(o.until)})` : ''}`);
    case 'wake_up_process':
      return one(`wake_up_process(${o.task})`);
    case 'prepare_to_wait':
      return one(`prepare_to_wait${o.exclusive ? '_exclusive' : ''}(${o.wq}${o.state ? `, ${STATE_NAME[o.state]}` : ''})`);
    case 'finish_wait':
      return one(`finish_wait(${o.wq})`);
    case 'add_wait_queue':
      return [`${indent}add_wait_queue(${o.wq}) {`, ...o.func.flatMap((x) => opLines(x, `${indent}  `)), `${indent}}${tag}`];
    case 'wait_event':
      return one(`wait_event${EXIT_NAME[o.exit]}${o.exclusive ? '_exclusive' : ''}(${o.wq}, ${e(o.cond)})`);
    case 'wake_up': {
      const base = o.nr === 'all' ? 'wake_up_all' : o.nr === 1 ? 'wake_up' : 'wake_up_nr';
      return one(`${base}${o.locked ? '_locked' : ''}(${o.wq}${base === 'wake_up_nr' ? `, ${o.nr}` : ''})`);
    }
    case 'waitqueue_active':
    case 'wq_has_sleeper':
    case 'swait_active':
    case 'swq_has_sleeper':
      return one(`${o.reg} = ${o.op}(${o.wq})`);
    case 'swait_event':
      return one(`swait_event${EXIT_NAME[o.exit]}_exclusive(${o.wq}, ${e(o.cond)})`);
    case 'swake_up_one':
    case 'swake_up_locked':
    case 'swake_up_all':
      return one(`${o.op}(${o.wq})`);
    case 'rcuwait_wait_event':
      return one(
        `rcuwait_wait_event${o.exit === 'timeout' ? '_timeout' : ''}(${o.w}, ${e(o.cond)}, ${o.exit === 'signal' ? 'TASK_INTERRUPTIBLE' : 'TASK_UNINTERRUPTIBLE'})`,
      );
    case 'rcuwait_wake_up':
      return one(`rcuwait_wake_up(${o.w})`);
    case 'wait_for_completion':
      return one(`wait_for_completion${EXIT_NAME[o.exit]}(${o.c})`);
    case 'complete':
    case 'complete_all':
      return one(`${o.op}(${o.c})`);
    case 'kvm_vcpu_block':
      return one(`kvm_vcpu_block(${o.vcpu}, ${e(o.runnable)})${o.pending ? ` pending (${e(o.pending)})` : ''}`);
    case 'kvm_vcpu_kick':
    case 'kvm_vcpu_wake_up':
      return one(`${o.op}(${o.vcpu})`);
    case 'kvm_make_request': {
      const fn = o.wake === 'kick' ? 'kvm_make_request_and_kick' : o.wake === 'all_cpus' ? 'kvm_make_all_cpus_request' : 'kvm_make_request';
      return one(`${fn}(${o.req}${o.noWakeup ? ' | KVM_REQUEST_NO_WAKEUP' : ''}, ${o.vcpu})`);
    }
    case 'kvm_check_request':
      return one(`${o.reg} = kvm_check_request(${o.req}, ${o.vcpu})`);
    case 'eventfd_signal':
      return one(`eventfd_signal(${o.ctx})`);
    case 'schedule_work':
      return one(`schedule_work(${o.work})`);
    case 'worker':
      return [`${indent}worker(${o.work}) {`, ...o.body.flatMap((x) => opLines(x, `${indent}  `)), `${indent}}${tag}`];
    case 'pv_spin_lock':
      return one(
        `pv_spin_lock(${o.lock})${o.mark && o.mark !== 'xchg' ? ` mark ${PV_MARK_NAME[o.mark]}` : ''}${o.waitValue !== undefined ? ` waits ${pvValueText(o.waitValue)}` : ''}`,
      );
    case 'pv_wait':
      return one(`pv_wait(${o.loc}, ${pvValueText(o.value)})${o.pending ? ` pending (${e(o.pending)})` : ''}`);
    case 'pv_kick':
      return one(`pv_kick(${o.task})`);
    case 'pv_spin_unlock':
      return one(`${o.plain ? 'native_spin_unlock' : 'pv_spin_unlock'}(${o.lock})`);
  }
}

export function printProgram(p: Program): string {
  const out = [`program ${p.name}`];
  for (const [k, v] of Object.entries(p.locations)) out.push(`int ${k} = ${v}`);
  for (const o of p.objects) out.push(`${o.kind} ${o.name}`);
  if (p.property?.check) out.push(`check ${p.property.check.map((c) => c.replace(/-/g, '_')).join(', ')}`);
  for (const t of p.threads) {
    out.push('', `thread ${t.name} (${t.context}) {`);
    for (const o of t.ops) out.push(...opLines(o, '  '));
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}
