/**
 * validateProgram: checks that a JSON value is a well-formed Program (shapes, and that every
 * name an op uses is declared with the right kind) and returns it typed. Errors name the JSON
 * path of the offending value.
 */
import {
  BINARY_OPS,
  ProgramExpr,
  RmwBase,
  OBJECT_KINDS,
  ObjectKind,
  Op,
  PROPERTY_KINDS,
  PV_MARKS,
  Program,
  ProgramError,
  RMW_BASES,
  objectLocations,
} from './ir';

/**
 * How deep a program may nest, blocks and expressions together (an `if` inside an `if`, a
 * parenthesis, a `!`, an operand of an operator chain). Kernel code and the programs extracted
 * from it stay far below; the bound keeps every recursive walk of a program (validation,
 * lowering, printing) far from the stack's end, so hostile input gets a one-line error instead
 * of "Maximum call stack size exceeded".
 */
export const MAX_NESTING = 200;

export function nestingMessage(): string {
  return `nested deeper than ${MAX_NESTING} levels (blocks and expressions); not explored`;
}

type Json = unknown;

function isObj(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function str(v: Json, path: string): string {
  if (typeof v !== 'string' || !NAME.test(v)) throw new ProgramError(path, `expected a name, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(v: Json, options: readonly T[], path: string): T {
  if (typeof v !== 'string' || !options.includes(v as T)) {
    throw new ProgramError(path, `expected one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function bool(v: Json, path: string): boolean {
  if (typeof v !== 'boolean') throw new ProgramError(path, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function int(v: Json, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ProgramError(path, `expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** The RMW base name of fn (without its ordering suffix), or undefined. */
export function rmwBase(fn: string): { base: RmwBase; order: 'mb' | 'relaxed' | 'acquire' | 'release' } | undefined {
  const isBase = (name: string): name is RmwBase => (RMW_BASES as readonly string[]).includes(name);
  for (const order of ['relaxed', 'acquire', 'release'] as const) {
    if (fn.endsWith(`_${order}`)) {
      const base = fn.slice(0, -order.length - 1);
      if (isBase(base)) return { base, order };
    }
  }
  if (isBase(fn)) return { base: fn, order: 'mb' };
  return undefined;
}

/** Number of value arguments each RMW base takes (besides the location). */
export function rmwArity(base: string): number {
  if (base === 'cmpxchg') return 2;
  if (['atomic_add', 'atomic_sub', 'atomic_add_return', 'atomic_sub_return', 'atomic_fetch_add', 'atomic_fetch_sub', 'xchg'].includes(base)) return 1;
  if (['test_and_set_bit', 'test_and_clear_bit', 'set_bit', 'clear_bit'].includes(base)) return 1; // the bit number
  return 0;
}

export function validateProgram(json: Json): Program {
  if (!isObj(json)) throw new ProgramError('', 'a program is a JSON object');
  const name = str(json.name, 'name');
  const locations: Record<string, number> = {};
  if (!isObj(json.locations)) throw new ProgramError('locations', 'expected an object of name: initial value');
  for (const [k, v] of Object.entries(json.locations)) locations[str(k, `locations.${k}`)] = int(v, `locations.${k}`);
  if (!Array.isArray(json.objects)) throw new ProgramError('objects', 'expected an array');
  const kinds = new Map<string, ObjectKind>();
  const objects = json.objects.map((o, i) => {
    const p = `objects[${i}]`;
    if (!isObj(o)) throw new ProgramError(p, 'expected {kind, name}');
    const kind = oneOf(o.kind, OBJECT_KINDS, `${p}.kind`);
    const n = str(o.name, `${p}.name`);
    if (kinds.has(n) || n in locations) throw new ProgramError(`${p}.name`, `'${n}' is declared twice`);
    kinds.set(n, kind);
    return { kind, name: n };
  });
  if (!Array.isArray(json.threads) || json.threads.length === 0) throw new ProgramError('threads', 'expected a non-empty array');
  const threadNames = new Set<string>();
  for (const [i, t] of json.threads.entries()) {
    if (isObj(t) && typeof t.name === 'string') {
      if (threadNames.has(t.name)) throw new ProgramError(`threads[${i}].name`, `thread '${t.name}' is declared twice`);
      threadNames.add(t.name);
    }
  }
  const object = (v: Json, kind: ObjectKind | ObjectKind[], path: string): string => {
    const n = str(v, path);
    const wanted = Array.isArray(kind) ? kind : [kind];
    const k = kinds.get(n);
    if (k === undefined || !wanted.includes(k)) throw new ProgramError(path, `'${n}' is not a declared ${wanted.join(' or ')}`);
    return n;
  };
  const derived = new Set(objects.flatMap((o) => objectLocations(o.kind, o.name)));
  const location = (v: Json, path: string): string => {
    const n = str(v, path);
    if (!(n in locations) && !derived.has(n)) throw new ProgramError(path, `'${n}' is not a declared location`);
    return n;
  };
  // Blocks and expressions entered on the way to what is validated now.
  let depth = 0;
  const nested = <T>(path: string, f: () => T): T => {
    if (++depth > MAX_NESTING) throw new ProgramError(path, nestingMessage());
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const expr = (e: Json, path: string): ProgramExpr => nested(path, () => exprAt(e, path));
  const exprAt = (e: Json, path: string): ProgramExpr => {
    if (!isObj(e)) throw new ProgramError(path, 'expected an expression object');
    switch (e.kind) {
      case 'const':
        return { kind: 'const', value: int(e.value, `${path}.value`) };
      case 'reg':
        return { kind: 'reg', name: str(e.name, `${path}.name`) };
      case 'read': {
        const r: ProgramExpr = { kind: 'read', loc: location(e.loc, `${path}.loc`) };
        if (e.order !== undefined) r.order = oneOf(e.order, ['plain', 'once', 'acquire'] as const, `${path}.order`);
        return r;
      }
      case 'not':
        return { kind: 'not', operand: expr(e.operand, `${path}.operand`) };
      case 'binary':
        return {
          kind: 'binary',
          op: oneOf(e.op, BINARY_OPS, `${path}.op`),
          left: expr(e.left, `${path}.left`),
          right: expr(e.right, `${path}.right`),
        };
      case 'let':
        return { kind: 'let', reg: str(e.reg, `${path}.reg`), value: expr(e.value, `${path}.value`), body: expr(e.body, `${path}.body`) };
      default:
        throw new ProgramError(`${path}.kind`, `unknown expression kind ${JSON.stringify(e.kind)}`);
    }
  };
  const exit = (v: Json, path: string) => oneOf(v, ['none', 'signal', 'timeout'] as const, path);
  const ops = (list: Json, path: string): Op[] => {
    if (!Array.isArray(list)) throw new ProgramError(path, 'expected an array of ops');
    return nested(path, () => list.map((o, i) => op(o, `${path}[${i}]`)));
  };
  const op = (o: Json, p: string): Op => {
    if (!isObj(o)) throw new ProgramError(p, 'expected an op object');
    const r = ((): Op => {
      switch (o.op) {
        case 'load':
          return {
            op: 'load',
            loc: location(o.loc, `${p}.loc`),
            reg: str(o.reg, `${p}.reg`),
            order: oneOf(o.order, ['plain', 'once', 'acquire'] as const, `${p}.order`),
          };
        case 'store':
          return {
            op: 'store',
            loc: location(o.loc, `${p}.loc`),
            value: expr(o.value, `${p}.value`),
            order: oneOf(o.order, ['plain', 'once', 'release', 'mb'] as const, `${p}.order`),
          };
        case 'fence':
          return { op: 'fence', kind: oneOf(o.kind, ['mb', 'wmb', 'rmb', 'before_atomic', 'after_atomic', 'after_spinlock'] as const, `${p}.kind`) };
        case 'rmw': {
          if (typeof o.fn !== 'string' || !rmwBase(o.fn)) throw new ProgramError(`${p}.fn`, `unknown atomic ${JSON.stringify(o.fn)}`);
          if (!Array.isArray(o.args)) throw new ProgramError(`${p}.args`, 'expected an array');
          const arity = rmwArity(rmwBase(o.fn)!.base);
          if (o.args.length !== arity) throw new ProgramError(`${p}.args`, `${o.fn} takes ${arity} value argument(s)`);
          const r: Op = { op: 'rmw', fn: o.fn, loc: location(o.loc, `${p}.loc`), args: o.args.map((a, i) => expr(a, `${p}.args[${i}]`)) };
          if (o.reg !== undefined) r.reg = str(o.reg, `${p}.reg`);
          return r;
        }
        case 'assign':
          return { op: 'assign', reg: str(o.reg, `${p}.reg`), value: expr(o.value, `${p}.value`) };
        case 'lock':
        case 'unlock': {
          const r: Op & { irq?: string } = { op: o.op, lock: object(o.lock, ['spinlock', 'waitqueue', 'swait'], `${p}.lock`) };
          if (o.irq !== undefined) r.irq = oneOf(o.irq, ['none', 'irq', 'irqsave'] as const, `${p}.irq`);
          return r as Op;
        }
        case 'irq_disable':
        case 'irq_enable':
          return { op: o.op };
        case 'if':
          return { op: 'if', cond: expr(o.cond, `${p}.cond`), then: ops(o.then, `${p}.then`), else: ops(o.else ?? [], `${p}.else`) };
        case 'sleep_call':
          return { op: 'sleep_call', what: str(o.what, `${p}.what`) };
        case 'assert': {
          const r: Op = { op: 'assert', cond: expr(o.cond, `${p}.cond`) };
          if (o.property !== undefined) r.property = oneOf(o.property, ['assertion', 'mutual-exclusion'] as const, `${p}.property`);
          if (o.message !== undefined) {
            if (typeof o.message !== 'string') throw new ProgramError(`${p}.message`, 'expected a string');
            r.message = o.message;
          }
          return r;
        }
        case 'set_current_state':
          return {
            op: 'set_current_state',
            state: oneOf(o.state, ['interruptible', 'uninterruptible', 'running'] as const, `${p}.state`),
            barrier: bool(o.barrier, `${p}.barrier`),
          };
        case 'schedule': {
          const r: Op = { op: 'schedule' };
          if (o.timeout !== undefined) r.timeout = bool(o.timeout, `${p}.timeout`);
          if (o.until !== undefined) r.until = expr(o.until, `${p}.until`);
          return r;
        }
        case 'wake_up_process': {
          const task = str(o.task, `${p}.task`);
          if (!threadNames.has(task)) throw new ProgramError(`${p}.task`, `'${task}' is not a thread (each thread is a task)`);
          return { op: 'wake_up_process', task };
        }
        case 'prepare_to_wait': {
          const r: Op = { op: 'prepare_to_wait', wq: object(o.wq, 'waitqueue', `${p}.wq`), exclusive: bool(o.exclusive, `${p}.exclusive`) };
          if (o.state !== undefined) r.state = oneOf(o.state, ['interruptible', 'uninterruptible'] as const, `${p}.state`);
          return r;
        }
        case 'finish_wait':
          return { op: 'finish_wait', wq: object(o.wq, 'waitqueue', `${p}.wq`) };
        case 'add_wait_queue':
          return { op: 'add_wait_queue', wq: object(o.wq, ['waitqueue', 'eventfd'], `${p}.wq`), func: ops(o.func, `${p}.func`) };
        case 'wait_event':
          return {
            op: 'wait_event',
            wq: object(o.wq, 'waitqueue', `${p}.wq`),
            cond: expr(o.cond, `${p}.cond`),
            exclusive: bool(o.exclusive, `${p}.exclusive`),
            exit: exit(o.exit, `${p}.exit`),
          };
        case 'wake_up': {
          const nr = o.nr === 'all' ? 'all' : int(o.nr, `${p}.nr`);
          if (nr !== 'all' && nr < 1) throw new ProgramError(`${p}.nr`, 'nr must be at least 1 or "all"');
          const r: Op = { op: 'wake_up', wq: object(o.wq, 'waitqueue', `${p}.wq`), nr };
          if (o.locked !== undefined) r.locked = bool(o.locked, `${p}.locked`);
          return r;
        }
        case 'waitqueue_active':
        case 'wq_has_sleeper':
          return { op: o.op, wq: object(o.wq, 'waitqueue', `${p}.wq`), reg: str(o.reg, `${p}.reg`) };
        case 'swait_event':
          return { op: 'swait_event', wq: object(o.wq, 'swait', `${p}.wq`), cond: expr(o.cond, `${p}.cond`), exit: exit(o.exit, `${p}.exit`) };
        case 'swake_up_one':
        case 'swake_up_locked':
        case 'swake_up_all':
          return { op: o.op, wq: object(o.wq, 'swait', `${p}.wq`) };
        case 'swait_active':
        case 'swq_has_sleeper':
          return { op: o.op, wq: object(o.wq, 'swait', `${p}.wq`), reg: str(o.reg, `${p}.reg`) };
        case 'rcuwait_wait_event':
          return { op: 'rcuwait_wait_event', w: object(o.w, 'rcuwait', `${p}.w`), cond: expr(o.cond, `${p}.cond`), exit: exit(o.exit, `${p}.exit`) };
        case 'rcuwait_wake_up':
          return { op: 'rcuwait_wake_up', w: object(o.w, 'rcuwait', `${p}.w`) };
        case 'wait_for_completion':
          return { op: 'wait_for_completion', c: object(o.c, 'completion', `${p}.c`), exit: exit(o.exit, `${p}.exit`) };
        case 'complete':
        case 'complete_all':
          return { op: o.op, c: object(o.c, 'completion', `${p}.c`) };
        case 'kvm_vcpu_block': {
          const r: Op = { op: 'kvm_vcpu_block', vcpu: object(o.vcpu, 'vcpu', `${p}.vcpu`), runnable: expr(o.runnable, `${p}.runnable`) };
          if (o.pending !== undefined) r.pending = expr(o.pending, `${p}.pending`);
          return r;
        }
        case 'kvm_vcpu_kick':
        case 'kvm_vcpu_wake_up':
          return { op: o.op, vcpu: object(o.vcpu, 'vcpu', `${p}.vcpu`) };
        case 'kvm_make_request': {
          const req = int(o.req, `${p}.req`);
          if (req < 0 || req > 30) throw new ProgramError(`${p}.req`, 'a request is a bit number from 0 to 30');
          const r: Op = { op: 'kvm_make_request', vcpu: object(o.vcpu, 'vcpu', `${p}.vcpu`), req };
          if (o.wake !== undefined) r.wake = oneOf(o.wake, ['kick', 'all_cpus'] as const, `${p}.wake`);
          if (o.noWakeup !== undefined) {
            r.noWakeup = bool(o.noWakeup, `${p}.noWakeup`);
            if (r.noWakeup && r.wake !== 'all_cpus')
              throw new ProgramError(`${p}.noWakeup`, 'KVM_REQUEST_NO_WAKEUP only means something to kvm_make_all_cpus_request()');
          }
          return r;
        }
        case 'kvm_check_request': {
          const req = int(o.req, `${p}.req`);
          if (req < 0 || req > 30) throw new ProgramError(`${p}.req`, 'a request is a bit number from 0 to 30');
          return { op: 'kvm_check_request', vcpu: object(o.vcpu, 'vcpu', `${p}.vcpu`), req, reg: str(o.reg, `${p}.reg`) };
        }
        case 'eventfd_signal':
          return { op: 'eventfd_signal', ctx: object(o.ctx, 'eventfd', `${p}.ctx`) };
        case 'schedule_work':
          return { op: 'schedule_work', work: object(o.work, 'work', `${p}.work`) };
        case 'worker':
          return { op: 'worker', work: object(o.work, 'work', `${p}.work`), body: ops(o.body, `${p}.body`) };
        case 'pv_spin_lock': {
          const r: Op = { op: 'pv_spin_lock', lock: object(o.lock, 'qspinlock', `${p}.lock`) };
          if (o.mark !== undefined) r.mark = oneOf(o.mark, PV_MARKS, `${p}.mark`);
          if (o.waitValue !== undefined) r.waitValue = int(o.waitValue, `${p}.waitValue`);
          return r;
        }
        case 'pv_wait': {
          const r: Op = { op: 'pv_wait', loc: location(o.loc, `${p}.loc`), value: int(o.value, `${p}.value`) };
          if (o.pending !== undefined) r.pending = expr(o.pending, `${p}.pending`);
          return r;
        }
        case 'pv_kick': {
          const task = str(o.task, `${p}.task`);
          if (!threadNames.has(task)) throw new ProgramError(`${p}.task`, `'${task}' is not a thread (pv_kick() names a vCPU's thread)`);
          return { op: 'pv_kick', task };
        }
        case 'pv_spin_unlock': {
          const r: Op = { op: 'pv_spin_unlock', lock: object(o.lock, 'qspinlock', `${p}.lock`) };
          if (o.plain !== undefined) r.plain = bool(o.plain, `${p}.plain`);
          return r;
        }
        default:
          throw new ProgramError(`${p}.op`, `unknown op ${JSON.stringify(o.op)}`);
      }
    })();
    if (o.src !== undefined) {
      const s = o.src;
      if (!isObj(s)) throw new ProgramError(`${p}.src`, 'expected {file?, line, column?, text?}');
      const src: NonNullable<Op['src']> = { line: int(s.line, `${p}.src.line`) };
      if (s.file !== undefined) {
        if (typeof s.file !== 'string') throw new ProgramError(`${p}.src.file`, 'expected a string');
        src.file = s.file;
      }
      if (s.column !== undefined) src.column = int(s.column, `${p}.src.column`);
      if (s.text !== undefined) {
        if (typeof s.text !== 'string') throw new ProgramError(`${p}.src.text`, 'expected a string');
        src.text = s.text;
      }
      r.src = src;
    }
    return r;
  };
  const threads = json.threads.map((t, i) => {
    const p = `threads[${i}]`;
    if (!isObj(t)) throw new ProgramError(p, 'expected {name, context, ops}');
    return {
      name: str(t.name, `${p}.name`),
      context: oneOf(t.context ?? 'process', ['process', 'hardirq', 'softirq'] as const, `${p}.context`),
      ops: ops(t.ops, `${p}.ops`),
    };
  });
  const program: Program = { name, locations, objects, threads };
  // A register named like a location would read as the location in the text form.
  const checkRegs = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => checkRegs(n, `${path}[${i}]`));
    if (!isObj(node)) return;
    for (const key of ['reg', 'name'] as const) {
      const v = node[key];
      if (typeof v === 'string' && v in locations && (key === 'reg' || node.kind === 'reg')) {
        throw new ProgramError(`${path}.${key}`, `register '${v}' has the name of a location`);
      }
    }
    for (const [k, v] of Object.entries(node)) if (typeof v === 'object' && v !== null) checkRegs(v, `${path}.${k}`);
  };
  threads.forEach((t, i) => checkRegs(t.ops, `threads[${i}].ops`));
  // The model of a paravirt qspinlock has one queue head: at most two threads take one.
  const usesOf = new Map<string, Set<string>>();
  const scan = (list: Op[], t: string): void => {
    for (const x of list) {
      if (x.op === 'pv_spin_lock') {
        let s = usesOf.get(x.lock);
        if (!s) usesOf.set(x.lock, (s = new Set()));
        s.add(t);
      }
      if (x.op === 'if') (scan(x.then, t), scan(x.else, t));
      if (x.op === 'add_wait_queue') scan(x.func, t);
      if (x.op === 'worker') scan(x.body, t);
    }
  };
  threads.forEach((t) => scan(t.ops, t.name));
  for (const [lock, users] of usesOf)
    if (users.size > 2)
      throw new ProgramError('threads', `qspinlock '${lock}' is taken by ${users.size} threads; the model has one holder and one queued vCPU`);
  if (json.property !== undefined) {
    if (!isObj(json.property)) throw new ProgramError('property', 'expected {check?: [...]}');
    const check = json.property.check;
    if (check !== undefined) {
      if (!Array.isArray(check)) throw new ProgramError('property.check', 'expected an array');
      program.property = { check: check.map((c, i) => oneOf(c, PROPERTY_KINDS, `property.check[${i}]`)) };
    } else program.property = {};
  }
  return program;
}
