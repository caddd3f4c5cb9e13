/**
 * Extraction: a candidate becomes a runtime program (analyzer-runtime's IR) with the real
 * condition variables, the stores, barriers, atomics and locks between them, and the waiters
 * the index knows, each op tagged with its C line. Whatever cannot be translated faithfully (a
 * condition that calls an unknown function, a waiter the index does not know) makes the
 * extraction fail with a reason: the verdict is then `unknown`, never a guess.
 *
 * One modelling choice is stated here because it is not in the C: a store whose value is not
 * a constant (`req->status = err`) is modelled as storing 1, i.e. as the store that makes the
 * waiters' condition true, which is what a waker means by it.
 */
import type { Op, Program, ProgramExpr, ProgramObject, SourceTag, Thread, WaitExit as RtWaitExit } from '../../../analyzer-runtime/src';
import { evalFinal, isProgramExpr, MAX_NESTING, RMW_BASES, rmwBase, rmwEffect } from '../../../analyzer-runtime/src';
import { bitOf, cInteger, onOnePath } from './facts';
import type { Condition, FactEvent, FunctionFacts, Span } from './facts';
import type { Site, WorkspaceIndex } from './index';
import { CONDITION_CALLS, FIXED_BIT, isQueueLock, STORE_MACROS } from './wrappers';
import type { PlanNotes } from './plan';

type E<K extends FactEvent['kind']> = Extract<FactEvent, { kind: K }>;

export class ExtractionError extends Error {}

/** Location names the runtime accepts, derived from queue/variable identities. */
export function locName(identity: string): string {
  // File-scoped identities carry the file's path: its base name is enough to read a trace.
  const bare = identity
    .replace(/^struct /, '')
    .replace(/^global /, '')
    .replace(/^[^:]*\//, '');
  return bare
    .replace(/\[\]/g, '_arr')
    .replace(/->/g, '.')
    .replace(/[^A-Za-z0-9_.]/g, '_')
    .replace(/^([^A-Za-z_])/, '_$1');
}

export function srcOf(file: string, span: Span, text?: string): SourceTag {
  return { file, line: span.line, column: span.column, ...(text ? { text } : {}) };
}

/** Per-program state: locations, objects, and how C names map to them. */
export class ProgramBuilder {
  readonly locations: Record<string, number> = {};
  private readonly objects = new Map<string, ProgramObject>();
  readonly threads: Thread[] = [];
  /** Loads of snapshots the last translated condition needs, to run before its wait. */
  snapshots: Op[] = [];

  constructor(readonly index: WorkspaceIndex) {}

  /** What the program takes for granted about code it does not model (named in the finding). */
  readonly assumptions: string[] = [];
  readonly omissions: string[] = [];

  assume(what: string): void {
    if (!this.assumptions.includes(what)) this.assumptions.push(what);
  }

  /** Something the program leaves out that could forbid the violation it finds (PlanNotes.leftOut). */
  leaveOut(what: string): void {
    if (!this.omissions.includes(what)) this.omissions.push(what);
  }

  /** The plan's notes of what the programs built here assume (the finding names them). */
  notes(): PlanNotes {
    return { ...(this.assumptions.length ? { assumptions: [...this.assumptions] } : {}), ...(this.omissions.length ? { leftOut: [...this.omissions] } : {}) };
  }

  /** The snapshot loads collected since the last call (they belong to one sleeper). */
  takeSnapshots(): Op[] {
    const s = this.snapshots;
    this.snapshots = [];
    return s;
  }

  object(kind: ProgramObject['kind'], name: string): string {
    if (!this.objects.has(name)) this.objects.set(name, { kind, name });
    return name;
  }

  location(identity: string): string {
    const name = locName(identity);
    if (!(name in this.locations)) this.locations[name] = 0;
    return name;
  }

  /**
   * `waitFor`: the conditions the sleepers wait for. The program starts in a state where they
   * are all false (the sleepers have to sleep), the first such 0/1 assignment of the
   * locations they read; the waker's stores are what can make them true. Without such a state
   * there is nothing to lose and the extraction fails.
   */
  build(name: string, check?: Program['property'], waitFor: ProgramExpr[] = []): Program {
    for (const t of this.threads) this.object('task', t.name);
    // Locations named by modelled calls (vcpu->requests) exist from 0 like the others.
    const visit = (e: ProgramExpr) => {
      if (e.kind === 'read' && !(e.loc in this.locations) && ![...this.objects.keys()].some((o) => e.loc.startsWith(`${o}.`))) this.locations[e.loc] = 0;
      if (e.kind === 'not') visit(e.operand);
      if (e.kind === 'binary') {
        visit(e.left);
        visit(e.right);
      }
      if (e.kind === 'let') {
        visit(e.value);
        visit(e.body);
      }
    };
    waitFor.forEach(visit);
    if (waitFor.length) {
      const locs = Object.keys(this.locations).slice(0, 6);
      // 0 and 1, then the constants the conditions compare with (`cl->state == MEI_FILE_CONNECTED`
      // is false for 0 and 1 alike when the constant is 2; its negation needs the 2).
      const values = [0, 1];
      const constants = (e: ProgramExpr) => {
        if (e.kind === 'not') constants(e.operand);
        if (e.kind === 'let') {
          constants(e.value);
          constants(e.body);
        }
        if (e.kind === 'binary') {
          for (const side of [e.left, e.right])
            if (side.kind === 'const' && !values.includes(side.value) && values.length < 4 && ['==', '!=', '<', '>', '<=', '>='].includes(e.op))
              values.push(side.value);
          constants(e.left);
          constants(e.right);
        }
      };
      waitFor.forEach(constants);
      // Of the states where every sleeper has to wait, the first one where the wakers' own
      // stores, run one after the other, make every condition true: the wakeup then matters.
      // Without one, the first state where they wait.
      let fallback: Map<string, number> | undefined;
      let chosen: Map<string, number> | undefined;
      const total = values.length ** locs.length;
      for (let n = 0; n < total && !chosen; n++) {
        let rest = n;
        const env = new Map(
          locs.map((l) => {
            const v = values[rest % values.length];
            rest = Math.floor(rest / values.length);
            return [l, v] as [string, number];
          }),
        );
        if (!waitFor.every((c) => evalFinal(c, env) === 0)) continue;
        fallback ??= env;
        const after = wakersEffect(this.threads, env);
        if (waitFor.every((c) => evalFinal(c, after) !== 0)) chosen = env;
      }
      const env = chosen ?? fallback;
      if (!env) throw new ExtractionError('no initial state makes the sleepers wait (their condition is always true)');
      for (const [l, v] of env) this.locations[l] = v;
    }
    // A location no thread writes keeps its initial value: the conditions read it as that
    // constant (each read of a location is a choice the search makes; this one has one answer).
    const written = writtenLocations(this.threads);
    const fold = (e: ProgramExpr): ProgramExpr => simplify(e, (loc) => (written.has(loc) || !(loc in this.locations) ? undefined : this.locations[loc]));
    const threads = this.threads.map((t) => ({ ...t, ops: t.ops.map((op) => mapOpExprs(op, fold)) }));
    return { name, locations: this.locations, objects: [...this.objects.values()], threads, ...(check ? { property: check } : {}) };
  }
}

/** Every location an op writes (stores, atomics, anything naming a `loc` but a plain load), nested ops included. */
function writtenLocations(threads: Thread[]): Set<string> {
  const out = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const op = value as Record<string, unknown>;
    if (typeof op.op === 'string' && typeof op.loc === 'string' && op.op !== 'load') out.add(op.loc);
    for (const v of Object.values(op)) if (typeof v === 'object') visit(v);
  };
  threads.forEach((t) => visit(t.ops));
  return out;
}

/** The op with every expression it holds (conditions, values, arguments) passed through `f`. */
function mapOpExprs(op: Op, f: (e: ProgramExpr) => ProgramExpr): Op {
  const mapValue = (v: unknown): unknown => {
    if (isProgramExpr(v)) return f(v);
    if (Array.isArray(v)) return v.map(mapValue);
    if (typeof v === 'object' && v !== null && typeof (v as { op?: unknown }).op === 'string') return mapOpExprs(v as Op, f);
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op)) out[k] = mapValue(v);
  return out as unknown as Op;
}

/**
 * Constant reads folded (`value(loc)` defined), constant operators evaluated, and an operand
 * of && / || that repeats the other dropped (`ring_empty(&c->send) && ring_empty(&c->recv)`
 * reads the same locations twice once both rings are one struct's fields).
 */
export function simplify(e: ProgramExpr, value: (loc: string) => number | undefined): ProgramExpr {
  switch (e.kind) {
    case 'read': {
      const v = value(e.loc);
      return v === undefined ? e : { kind: 'const', value: v };
    }
    case 'not': {
      const operand = simplify(e.operand, value);
      return operand.kind === 'const' ? { kind: 'const', value: operand.value ? 0 : 1 } : { kind: 'not', operand };
    }
    case 'binary': {
      const left = simplify(e.left, value);
      const right = simplify(e.right, value);
      if (left.kind === 'const' && right.kind === 'const') return { kind: 'const', value: evalFinal({ ...e, left, right }, new Map()) };
      if ((e.op === '&&' || e.op === '||') && JSON.stringify(left) === JSON.stringify(right)) return left;
      return { kind: 'binary', op: e.op, left, right };
    }
    case 'let':
      return { kind: 'let', reg: e.reg, value: simplify(e.value, value), body: simplify(e.body, value) };
    default:
      return e;
  }
}

/** Locations after the wakers' top-level stores and atomics, run in order from `env`. */
function wakersEffect(threads: Thread[], env: Map<string, number>): Map<string, number> {
  const out = new Map(env);
  const valueOf = (e: ProgramExpr | undefined) => (e ? evalFinal(e, out) : 1);
  for (const t of threads) {
    if (!/^waker/.test(t.name)) continue;
    for (const op of t.ops) {
      if (op.op === 'store') out.set(op.loc, valueOf(op.value));
      else if (op.op === 'rmw') {
        const base = rmwBase(op.fn)?.base;
        const next = base
          ? rmwEffect(
              base,
              out.get(op.loc) ?? 0,
              op.args.map((a) => evalFinal(a, out)),
            ).next
          : undefined;
        if (next !== undefined) out.set(op.loc, next);
      }
    }
  }
  return out;
}

// --- conditions ----------------------------------------------------------------------------

const TOKEN = /\s*(->|&&|\|\||==|!=|<=|>=|[!()<>+\-&|.,]|[A-Za-z_][A-Za-z0-9_]*|0[xX][0-9a-fA-F]+|\d+[uUlL]*)/y;

/** `({ local = value; test; })`, or the same without its parentheses (a condition's text may lose them). */
const STATEMENT_EXPRESSION = /^\s*\(?\s*\{\s*([A-Za-z_]\w*)\s*=\s*([^;{}]+);\s*([^;{}]+);\s*\}\s*\)?\s*$/;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  // Only white space left: done (a sticky test at `at`, not a copy of the rest per token).
  const REST_IS_SPACE = /\s*$/y;
  while (at < text.length) {
    REST_IS_SPACE.lastIndex = at;
    if (REST_IS_SPACE.test(text)) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new ExtractionError(`cannot model the condition \`${text}\` (at \`${text.slice(at, at + 12)}\`)`);
    out.push(m[1]);
    at = TOKEN.lastIndex;
  }
  return out;
}

/**
 * Resolves the C name chain of a condition to a location (via the condition's recorded reads),
 * or to an expression (a register holding a local's snapshot of shared state).
 */
type Resolver = (chainText: string) => string | ProgramExpr | undefined;
/**
 * A helper called in a condition, as the expression it returns (or why it cannot be inlined).
 * `args` translate the call's arguments in the caller's context, on demand (a scalar parameter
 * of the helper stands for its argument: `pipe_full(head, tail, max)`).
 */
type Inliner = (fn: string, args: Array<() => ProgramExpr>) => ProgramExpr | string | undefined;
/** A numeric macro's value, or undefined. */
type MacroLookup = (name: string) => number | undefined;

export function translateCondition(text: string, resolve: Resolver, inline: Inliner = () => undefined, macro: MacroLookup = () => undefined): ProgramExpr {
  // A statement expression that loads into a local once and tests it (`({ state =
  // smp_load_acquire(&cell->state); state == A || state == B; })`): the local is a register
  // of the sleeper, assigned once per evaluation; reading the location twice instead would let
  // the two tests see two different values.
  const statement = STATEMENT_EXPRESSION.exec(text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' '));
  if (statement) {
    const [, local, valueText, bodyText] = statement;
    const value = translateCondition(valueText, resolve, inline, macro);
    const register: ProgramExpr = { kind: 'reg', name: local };
    const body = translateCondition(bodyText, (chainText) => (normaliseChain(chainText) === local ? register : resolve(chainText)), inline, macro);
    return { kind: 'let', reg: local, value, body };
  }
  const tokens = tokenize(text);
  let i = 0;
  // Parentheses, casts and `!`s open at the token at hand: bounded like the runtime's programs
  // (MAX_NESTING), so a hostile condition costs its candidate (unknown), not the stack.
  let depth = 0;
  const tooDeep = () => new ExtractionError(`the condition nests deeper than ${MAX_NESTING} levels; not modelled`);
  const nested = (f: () => ProgramExpr): ProgramExpr => {
    if (++depth > MAX_NESTING) throw tooDeep();
    try {
      return f();
    } finally {
      depth--;
    }
  };
  const peek = () => tokens[i];
  const take = (t?: string) => {
    const v = tokens[i];
    if (t !== undefined && v !== t) throw new ExtractionError(`cannot model the condition \`${text}\`: expected \`${t}\``);
    i++;
    return v;
  };
  const binary = (ops: string[], next: () => ProgramExpr) => (): ProgramExpr => {
    let left = next();
    while (ops.includes(peek())) {
      const op = take() as '&&';
      left = { kind: 'binary', op, left, right: next() };
    }
    return left;
  };
  const chain = (): string => {
    let s = '';
    if (peek() === '&') take();
    s += take();
    while (peek() === '->' || peek() === '.') {
      s += take();
      s += take();
    }
    return s;
  };
  /** A read of the chain at hand; `suffix` names a part of it of its own (`#BIT`, a fixed bit). */
  const read = (order: 'once' | 'acquire' | 'plain', suffix = ''): ProgramExpr => {
    const c = chain();
    const loc = resolve(`${c}${suffix}`);
    if (!loc) throw new ExtractionError(`the condition reads \`${c}\`, which is not shared state the index knows`);
    return typeof loc === 'string' ? { kind: 'read', loc, order } : loc;
  };
  /** Skips what is left of a call's arguments, nested parentheses included, up to its `)`. */
  const skipArguments = () => {
    for (let depth = 0; peek() !== undefined && !(depth === 0 && peek() === ')');) {
      const t = take();
      if (t === '(') depth++;
      else if (t === ')') depth--;
    }
  };
  const primary = (): ProgramExpr => {
    const t = peek();
    if (t === undefined) throw new ExtractionError(`cannot model the condition \`${text}\``);
    if (t === '!') {
      take();
      return { kind: 'not', operand: nested(primary) };
    }
    if (t === '(' && isCast(tokens, i)) {
      // `(u32) atomic_read(&r->free)`: the model's values are small integers; a cast to an
      // integer type changes nothing it can observe.
      while (take() !== ')');
      return nested(primary);
    }
    if (t === '(') {
      take();
      const e = nested(or);
      take(')');
      return e;
    }
    if (/^\d|^0[xX]/.test(t)) {
      take();
      const value = cInteger(t);
      if (value === undefined) throw new ExtractionError(`cannot model the condition \`${text}\` (the number \`${t}\`)`);
      return { kind: 'const', value };
    }
    if (t === 'true') return (take(), { kind: 'const', value: 1 });
    if (t === 'false' || t === 'NULL') return (take(), { kind: 'const', value: 0 });
    if (/^[A-Za-z_]/.test(t) && tokens[i + 1] === '(') {
      const fn = take();
      take('(');
      let e: ProgramExpr;
      if (CONDITION_CALLS.onceReads.has(fn)) e = read('once');
      else if (CONDITION_CALLS.acquireReads.has(fn)) e = read('acquire');
      else if (CONDITION_CALLS.bitTests.has(fn)) {
        const bit: string[] = [];
        while (peek() !== ',' && peek() !== undefined) bit.push(take());
        take(',');
        // A fixed bit is a location of its own (facts.ts bitAccess): `word#BIT`.
        const cell = read('once', bit.length === 1 && FIXED_BIT.test(bit[0]) ? `#${bit[0]}` : '');
        e = { kind: 'binary', op: '!=', left: cell, right: { kind: 'const', value: 0 } };
      } else if (CONDITION_CALLS.listEmptyTests.has(fn)) {
        // A list is modelled by one location: non-zero once an entry was added.
        e = { kind: 'binary', op: '==', left: read('once'), right: { kind: 'const', value: 0 } };
      } else if (CONDITION_CALLS.bitmapEmptyTests.has(fn)) {
        // A bitmap is one word, like test_bit()'s: empty when the bit the wakers clear is clear.
        e = { kind: 'binary', op: '==', left: read('once'), right: { kind: 'const', value: 0 } };
        skipArguments();
      } else if (CONDITION_CALLS.requestTests.has(fn)) {
        // Requests are bits of vcpu->requests; modelled as one location (any request pending).
        skipArguments();
        const r = resolve('vcpu->requests');
        const loc = typeof r === 'string' ? r : 'kvm_vcpu.requests';
        e = { kind: 'binary', op: '!=', left: { kind: 'read', loc, order: 'once' }, right: { kind: 'const', value: 0 } };
      } else if (CONDITION_CALLS.falseInModel.has(fn)) {
        // Nobody stops the thread or signals it in the extracted program (signals are the
        // wait's own exits); these tests are false there.
        skipArguments();
        e = { kind: 'const', value: 0 };
      } else if (CONDITION_CALLS.hints.has(fn)) e = nested(or);
      else {
        // The arguments, split at the call's own commas, each translated only if the helper's
        // parameter is used as a value.
        const argTexts: string[][] = [[]];
        let depth = 1;
        while (depth > 0 && peek() !== undefined) {
          const t2 = take();
          if (t2 === '(') depth++;
          else if (t2 === ')') depth--;
          if (depth === 1 && t2 === ',') argTexts.push([]);
          else if (depth > 0) argTexts[argTexts.length - 1].push(t2);
        }
        i--;
        const args = argTexts.filter((a) => a.length > 0).map((a) => () => translateCondition(a.join(' '), resolve, inline, macro));
        const inlined = inline(fn, args);
        if (!inlined || typeof inlined === 'string')
          throw new ExtractionError(`the condition calls ${fn}(), which the model does not know${inlined ? ` (${inlined})` : ''}`);
        // Otherwise the helper reads through its own parameters, which name the same objects.
        e = inlined;
      }
      take(')');
      return e;
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (/^[A-Z][A-Z0-9_]*$/.test(t)) {
        const v = macro(t);
        if (v === undefined) throw new ExtractionError(`the condition uses the macro ${t}`);
        take();
        return { kind: 'const', value: v };
      }
      return read('plain');
    }
    throw new ExtractionError(`cannot model the condition \`${text}\` (at \`${t}\`)`);
  };
  const add = binary(['+', '-'], primary);
  const rel = binary(['<', '>', '<=', '>='], add);
  const eq = binary(['==', '!='], rel);
  const bitAnd = binary(['&'], eq);
  const bitOr = binary(['|'], bitAnd);
  const and = binary(['&&'], bitOr);
  const or = binary(['||'], and);
  const e = or();
  if (i !== tokens.length) throw new ExtractionError(`cannot model the condition \`${text}\` (trailing \`${tokens.slice(i).join(' ')}\`)`);
  // A long operator chain is built without recursion but is as deep as it is long.
  if (nestsDeeperThan(e, MAX_NESTING)) throw tooDeep();
  return e;
}

/** Whether `e` is deeper than `limit`; recursion stops at the limit, so the stack stays bounded. */
function nestsDeeperThan(e: ProgramExpr, limit: number): boolean {
  if (limit < 0) return true;
  switch (e.kind) {
    case 'not':
      return nestsDeeperThan(e.operand, limit - 1);
    case 'binary':
      return nestsDeeperThan(e.left, limit - 1) || nestsDeeperThan(e.right, limit - 1);
    case 'let':
      return nestsDeeperThan(e.value, limit - 1) || nestsDeeperThan(e.body, limit - 1);
    default:
      return false;
  }
}

/** Integer and bool type names a condition may cast to. */
const INTEGER_TYPE =
  /^(?:u8|u16|u32|u64|s8|s16|s32|s64|__u8|__u16|__u32|__u64|__s32|__s64|int|long|short|char|unsigned|signed|bool|size_t|ssize_t|uintptr_t|atomic_t|[a-z]\w*_t)$/;

/** `(` at `at` opens a cast to an integer type followed by its operand. */
function isCast(tokens: string[], at: number): boolean {
  let j = at + 1;
  while (j < tokens.length && INTEGER_TYPE.test(tokens[j])) j++;
  if (j === at + 1 || tokens[j] !== ')') return false;
  const next = tokens[j + 1];
  return next !== undefined && (next === '(' || next === '!' || /^[A-Za-z_0-9]/.test(next));
}

function normaliseChain(s: string): string {
  return s.replace(/\s+/g, '').replace(/^&/, '');
}

/**
 * A resolver over a condition's recorded reads, in the function that evaluates it. `helper`:
 * the function is a helper inlined into a condition (its locals are taken afresh on every
 * evaluation; its scalar parameters are the caller's arguments).
 */
export function conditionResolver(
  b: ProgramBuilder,
  file: string,
  fn: FunctionFacts,
  cond: Condition,
  helper?: { args: Array<() => ProgramExpr> },
  localValue?: (value: Condition) => ProgramExpr,
): Resolver {
  return (chainText) => {
    const wanted = normaliseChain(chainText);
    if (/^[A-Za-z_]\w*$/.test(wanted)) {
      // A scalar parameter of an inlined helper: the caller's argument.
      const p = helper ? fn.params.findIndex((x) => x.name === wanted) : -1;
      if (helper && p >= 0 && p < helper.args.length && fn.params.length === helper.args.length && !fn.params[p].pointer && !fn.params[p].structName)
        return helper.args[p]();
      // A local holding a snapshot taken before the condition: the sleeper loads it first. In
      // an inlined helper the snapshot is taken each time the condition is evaluated: a read.
      const snap = [...fn.events]
        .reverse()
        .find((e): e is Extract<FactEvent, { kind: 'snapshot' }> => e.kind === 'snapshot' && e.local === wanted && e.span.start < cond.span.start);
      if (snap && fn.locals.some((l) => l.name === wanted)) {
        const loc = b.location(b.index.identity(file, fn, snap.source));
        if (helper) return { kind: 'read', loc, order: snap.order };
        const reg = `snap_${wanted}`;
        if (!b.snapshots.some((o) => o.op === 'load' && o.reg === reg))
          b.snapshots.push({ op: 'load', loc, reg, order: snap.order, src: srcOf(file, snap.span) });
        return { kind: 'reg', name: reg };
      }
      // A helper's local computed from shared state (`diff = r->alloc - atomic_read(&r->free);
      // return diff == 0;`): its expression, read afresh at each evaluation. Only a local given
      // one value, wholly before the use: a second assignment (a loop, a `+=`) makes it unknown.
      if (helper && localValue) {
        const assigned = fn.events.filter((e): e is Extract<FactEvent, { kind: 'local-value' }> => e.kind === 'local-value' && e.local === wanted);
        const v = assigned.length === 1 ? assigned[0].value : undefined;
        if (v && v.span.end <= cond.span.start) return localValue(v);
      }
    }
    const path = cond.reads.find((r) => normaliseChain(r.text) === wanted);
    if (!path) return undefined;
    // A local is the thread's own value: not modelled. A parameter is whatever the caller
    // passed: a location only this thread reads, whose value the program's starting state
    // chooses (see build: one that makes the sleeper wait).
    if (path.rootKind === 'local' && path.fields.length === 0) return undefined;
    if (path.rootKind === 'param' && path.fields.length === 0) return b.location(`param ${fn.name}.${path.root}`);
    return b.location(b.index.identity(file, fn, path));
  };
}

// --- code between two points of a function ---------------------------------------------------

function storeValue(text: string | undefined, macro: MacroLookup = () => undefined): ProgramExpr {
  const t = (text ?? '')
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  const literal = cInteger(t);
  if (literal !== undefined) return { kind: 'const', value: literal };
  // A named constant (`dev->state = DEV_READY`): its value, so a condition that compares with
  // it sees the store that makes it true (and one that stores another state does not).
  if (/^[A-Za-z_]\w*$/.test(t)) {
    const v = macro(t);
    if (v !== undefined) return { kind: 'const', value: v };
  }
  if (t === 'true') return { kind: 'const', value: 1 };
  if (t === 'false' || t === 'NULL' || t === '0') return { kind: 'const', value: 0 };
  return { kind: 'const', value: 1 };
}

function constOf(text: string | undefined): number {
  const t = (text ?? '').trim();
  return cInteger(t) ?? 1;
}

function rmwName(name: string): string | undefined {
  const m = /^(atomic64|atomic_long)_(.*)$/.exec(name);
  const n = m ? `atomic_${m[2]}` : name;
  const base = n.replace(/_(relaxed|acquire|release)$/, '');
  return (RMW_BASES as readonly string[]).includes(base) ? n : undefined;
}

const FENCES: Record<string, 'mb' | 'wmb' | 'rmb' | 'before_atomic' | 'after_atomic' | 'after_spinlock' | undefined> = {
  full: 'mb',
  write: 'wmb',
  read: 'rmb',
  'after-atomic': 'after_atomic',
  'before-atomic': 'before_atomic',
  'after-spinlock': 'after_spinlock',
};

export interface Segment {
  file: string;
  fn: FunctionFacts;
  from: number;
  to: number;
}

/**
 * The location a store writes: its target's identity, or for a non-atomic flag update of a
 * single-bit mask (`x->flags &= ~F_BUSY`, `x->flags |= F_BUSY` where `F_BUSY` is
 * `1 << F_BUSY_BIT`) the bit's own location, as `test_bit(F_BUSY_BIT, &x->flags)` reads it,
 * with the value it leaves there.
 */
export function storeLocation(index: WorkspaceIndex, file: string, fn: FunctionFacts, e: E<'store' | 'atomic'>): { id: string; bitValue?: number } | undefined {
  if (!e.target) return undefined;
  if (e.kind === 'store' && (e.via === '&=' || e.via === '|=') && e.value) {
    const m = (e.via === '&=' ? /^~\s*\(?\s*([A-Z_][A-Z0-9_]*)\s*\)?$/ : /^\(?\s*([A-Z_][A-Z0-9_]*)\s*\)?$/).exec(e.value.trim());
    const bit = m ? index.bitOfMask(file, m[1]) : undefined;
    if (bit) return { id: index.identity(file, fn, bitOf(e.target, bit)), bitValue: e.via === '&=' ? 0 : 1 };
  }
  return { id: index.identity(file, fn, e.target) };
}

/**
 * The ops of a straight stretch of a function: stores and atomics to the tracked locations,
 * every barrier, atomic ordering and spin lock. Stores elsewhere are left out (they cannot
 * change what the waiters read); ordering primitives are kept whatever they touch.
 */
export function segmentOps(b: ProgramBuilder, seg: Segment, tracked: Set<string>, queues: Map<string, string>): Op[] {
  const ops: Op[] = [];
  const held: string[] = [];
  const end = seg.fn.events[seg.to]?.ctx;
  for (let k = seg.from; k < seg.to; k++) {
    const e = seg.fn.events[k];
    // Code in the other arm of an if the segment's end sits in does not run before it.
    if (end && !onOnePath(e.ctx, end)) continue;
    const src = srcOf(seg.file, e.span);
    if (e.kind === 'store') {
      const where = storeLocation(b.index, seg.file, seg.fn, e)!;
      const id = where.id;
      const loc = locName(id);
      const full = e.fullBarrierAfter;
      if (tracked.has(loc) && where.bitValue !== undefined) {
        // A plain read-modify-write of the word that sets or clears one flag: the flag's store.
        ops.push({ op: 'store', loc: b.location(id), value: { kind: 'const', value: where.bitValue }, order: full ? 'mb' : 'plain', src });
      } else if (tracked.has(loc) && STORE_MACROS.get(e.via)?.rmw) {
        // Atomic bitops are RMWs (smp_mb__after_atomic() applies to them); the location
        // stands for the bit (or the word of a computed bit), bit 0 of it. clear_bit_unlock()
        // is the release form.
        ops.push({ op: 'rmw', fn: STORE_MACROS.get(e.via)!.rmw!, loc: b.location(id), args: [{ kind: 'const', value: 0 }], src });
      } else if (tracked.has(loc)) {
        const order = full ? 'mb' : e.release ? 'release' : e.via === 'WRITE_ONCE' || e.via.startsWith('atomic') ? 'once' : 'plain';
        const loc = b.location(id);
        // x++, x--, x += v, x -= v: read, change, write back (not atomic: a plain RMW).
        const delta = e.via === '++' || e.via === '--' ? 1 : e.via === '+=' || e.via === '-=' ? constOf(e.value) : undefined;
        const value: ProgramExpr =
          delta !== undefined
            ? { kind: 'binary', op: e.via.startsWith('-') ? '-' : '+', left: { kind: 'read', loc, order: 'plain' }, right: { kind: 'const', value: delta } }
            : storeValue(e.value, (name) => b.index.macroValue(seg.file, name));
        ops.push({ op: 'store', loc, value, order, src });
      } else if (full) ops.push({ op: 'fence', kind: 'mb', src });
    } else if (e.kind === 'atomic') {
      const id = e.target ? b.index.identity(seg.file, seg.fn, e.target) : undefined;
      const fn = rmwName(e.name);
      const loc = id ? locName(id) : undefined;
      if (fn && loc && tracked.has(loc)) {
        const args: ProgramExpr[] = /^atomic_(add|sub|fetch_add|fetch_sub|add_return|sub_return)/.test(fn)
          ? [{ kind: 'const', value: 1 }]
          : /^(xchg|cmpxchg)/.test(fn)
            ? fn.startsWith('cmpxchg')
              ? [
                  { kind: 'const', value: 0 },
                  { kind: 'const', value: 1 },
                ]
              : [{ kind: 'const', value: 1 }]
            : [];
        ops.push({ op: 'rmw', fn, loc: b.location(id!), args, ...(e.returning ? { reg: `t${k}` } : {}), src });
      } else if (e.returning && e.ordering === 'full') {
        // An unrelated fully ordered RMW still orders everything around it.
        ops.push({ op: 'fence', kind: 'mb', src });
      }
    } else if (e.kind === 'barrier') {
      const kind = FENCES[e.barrier];
      if (kind) ops.push({ op: 'fence', kind, src });
    } else if (e.kind === 'lock' && !e.sleeps) {
      const queue = queueOfLock(e.lock, queues);
      const lock = queue ?? b.object('spinlock', locName(`lock ${e.lock}`));
      const irq = e.irq === 'irq' || e.irq === 'irqsave' ? e.irq : 'none';
      if (e.action === 'lock') {
        ops.push({ op: 'lock', lock, irq, src });
        held.push(lock);
      } else if (held.includes(lock)) {
        held.splice(held.lastIndexOf(lock), 1);
        ops.push({ op: 'unlock', lock, irq, src });
      }
    } else if (e.kind === 'irq') {
      ops.push(e.action === 'off' ? { op: 'irq_disable', src } : { op: 'irq_enable', src });
    }
  }
  return ops;
}

/** `&q->lock` where q is a queue of the program: the queue's own lock. */
function queueOfLock(lockText: string, queues: Map<string, string>): string | undefined {
  for (const [text, name] of queues) if (isQueueLock(lockText, text)) return name;
  return undefined;
}

// --- waiters -------------------------------------------------------------------------------

/**
 * A timeout bounds the sleep: such a waiter is late, never lost for good, so the timeout wins
 * over a signal exit (the model has one exit per wait).
 */
export function exitOf(w: E<'wait'>): RtWaitExit {
  if (w.info.exits.includes('timeout')) return 'timeout';
  if (w.info.exits.includes('signal') || w.info.exits.includes('fatal-signal')) return 'signal';
  return 'none';
}

/** The condition a wait waits for: the macro's argument, or the loop's exit test for manual waits. */
export function waitCondition(site: Site<E<'wait'>>): { cond: Condition; negate: boolean } | undefined {
  if (site.event.condition) return { cond: site.event.condition, negate: false };
  if (!site.event.info.manual) return undefined;
  const at = site.fn.events.indexOf(site.event);
  for (const e of site.fn.events.slice(at + 1)) {
    if (e.kind === 'schedule') break;
    if (e.kind === 'check' && e.exits && e.condition.reads.length) return { cond: e.condition, negate: !e.exitWhen };
  }
  // `while (!cond) { prepare_to_wait(); schedule(); }`: the loop condition comes before.
  for (let k = at - 1; k >= 0; k--) {
    const e = site.fn.events[k];
    if (e.kind === 'check' && e.exits && !e.exitWhen && e.condition.reads.length) return { cond: e.condition, negate: true };
    if (e.kind === 'schedule' || e.kind === 'wait') break;
  }
  return undefined;
}

/**
 * A condition as a program expression, evaluated in `fn`; helpers it calls are inlined through
 * their single return expression, two levels deep at most.
 */
export function translateIn(
  b: ProgramBuilder,
  file: string,
  fn: FunctionFacts,
  cond: Condition,
  depth = 0,
  helper?: { args: Array<() => ProgramExpr> },
): ProgramExpr {
  const inline: Inliner = (name, args) => {
    if (depth >= MAX_INLINE_DEPTH) return 'helpers nest too deep';
    let defs = b.index.functionsNamed(name);
    if (defs.length === 0) return undefined;
    // Several definitions: a static helper of the calling file is the one called; variants
    // under #ifdef in one file stay ambiguous.
    if (defs.length > 1) {
      const own = defs.filter((d) => d.file === file && d.fn.isStatic);
      if (own.length !== 1) return `${defs.length} definitions`;
      defs = own;
    }
    if (defs[0].fn.returns.length !== 1) return 'not a single return statement';
    const callee = defs[0];
    try {
      return translateIn(b, callee.file, callee.fn, callee.fn.returns[0], depth + 1, { args });
    } catch (error) {
      if (error instanceof ExtractionError) return error.message;
      throw error;
    }
  };
  const localValue = (value: Condition) => translateIn(b, file, fn, value, depth, helper);
  return translateCondition(cond.text, conditionResolver(b, file, fn, cond, helper, localValue), inline, (name) => b.index.macroValue(file, name));
}

/** Helpers inlined into a condition, nested at most this deep (pipe_writable -> pipe_full -> pipe_occupancy). */
const MAX_INLINE_DEPTH = 4;

export function waiterCondition(b: ProgramBuilder, site: Site<E<'wait'>>): ProgramExpr {
  const c = waitCondition(site);
  if (!c) throw new ExtractionError(`the wait at ${site.file}:${site.event.span.line} has no condition the model can read`);
  let e: ProgramExpr;
  try {
    e = translateIn(b, site.file, site.fn, c.cond);
  } catch (error) {
    if (!(error instanceof ExtractionError) || c.negate) throw error;
    e = partialDisjunction(b, site, c.cond, error);
  }
  return c.negate ? (e.kind === 'not' ? e.operand : { kind: 'not', operand: e }) : e;
}

/**
 * A sleeper waiting for `a || helper(x)` where only `helper(x)` cannot be modelled: the program
 * waits for `a` in a state where the other alternative does not hold (no data queued, no
 * event pending), a state the sleeper can be in, since it waits for it to change. The
 * assumption is named in the program (see ProgramBuilder.assume) and in the finding. Any other
 * shape, or no alternative left, keeps the original reason.
 */
function partialDisjunction(b: ProgramBuilder, site: Site<E<'wait'>>, cond: Condition, original: ExtractionError): ProgramExpr {
  const operands = topLevelOperands(cond.text, '||');
  if (operands.length < 2) throw original;
  const kept: ProgramExpr[] = [];
  const assumed: string[] = [];
  for (const text of operands) {
    try {
      kept.push(translateIn(b, site.file, site.fn, { ...cond, text }));
    } catch (error) {
      if (!(error instanceof ExtractionError)) throw error;
      // Only an alternative the model cannot read is dropped, not one it reads wrongly.
      if (!/^the condition calls /.test(error.message)) throw original;
      assumed.push(text);
    }
  }
  if (kept.length === 0) throw original;
  for (const text of assumed) b.assume(`${text} is false`);
  return kept.reduce((left, right) => ({ kind: 'binary', op: '||', left, right }));
}

/** `text` split at the `op` operators outside parentheses (its tokens, joined by spaces). */
function topLevelOperands(text: string, op: '||' | '&&'): string[] {
  const out: string[][] = [[]];
  let depth = 0;
  for (const t of tokenize(text)) {
    if (t === '(') depth++;
    if (t === ')') depth--;
    if (depth === 0 && t === op) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out
    .map((o) =>
      o
        .join(' ')
        .replace(/\s*(->|[().,])\s*/g, '$1')
        .replace(/,/g, ', '),
    )
    .filter((o) => o.length > 0);
}

/** Locations a waiter's condition reads (helpers included): the ones the waker's stores matter to. */
export function conditionLocations(b: ProgramBuilder, site: Site<E<'wait'>>): Set<string> {
  const before = new Set(Object.keys(b.locations));
  const probe = new ProgramBuilder(b.index);
  waiterCondition(probe, site);
  for (const l of Object.keys(probe.locations)) if (!before.has(l)) b.location(l);
  return new Set(Object.keys(probe.locations));
}

/** The exits other than the timeout: what can end the wait early while the timer runs. */
export function exitIgnoringTimeout(w: E<'wait'>): RtWaitExit {
  return w.info.exits.includes('signal') || w.info.exits.includes('fatal-signal') ? 'signal' : 'none';
}

export function waitOp(b: ProgramBuilder, site: Site<E<'wait'>>, queueName: string, cond: ProgramExpr, exit: RtWaitExit = exitOf(site.event)): Op {
  const src = srcOf(site.file, site.event.span);
  if (site.event.info.manual && exit === 'signal') {
    // The wait ops are the kernel macros, whose prepare_to_*_event() dequeues a sleeper with a
    // signal pending under the queue lock; an open-coded loop around prepare_to_swait_exclusive()
    // that breaks on signal_pending() does not, so modelling it as the macro would hide the loss.
    throw new ExtractionError(`the open-coded wait at ${site.file}:${site.event.span.line} leaves on a signal without the macros' dequeue; not modelled`);
  }
  // wait_event_lock_irq() and the *_locked waits test the condition holding a lock the program's
  // wait does not take: a schedule the lock forbids could be the one found.
  if (site.event.info.locked)
    b.leaveOut(
      `the sleeper at ${site.file}:${site.event.span.line} tests its condition holding ${site.event.ctx.locksHeld.at(-1) ?? 'a lock'}, which the model of ${site.event.name}() does not take`,
    );
  switch (site.event.info.queue) {
    case 'waitqueue':
      return { op: 'wait_event', wq: b.object('waitqueue', queueName), cond, exclusive: site.event.info.exclusive, exit, src };
    case 'swait':
      return { op: 'swait_event', wq: b.object('swait', queueName), cond, exit, src };
    case 'rcuwait':
      return { op: 'rcuwait_wait_event', w: b.object('rcuwait', queueName), cond, exit, src };
    case 'completion':
      return { op: 'wait_for_completion', c: b.object('completion', queueName), exit, src };
    default:
      throw new ExtractionError(`waits on a ${site.event.info.queue} are not modelled`);
  }
}

/**
 * After waking: the waiter's own updates of what it waited for (taking the item, clearing the
 * flag, decrementing the count). They are looked for in the whole waiting function (a retry
 * loop consumes at its top) and one call down into this file's helpers it calls (an
 * alloc_*() that takes the entry), and run only when the waiter saw its condition.
 */
export function consumeOps(b: ProgramBuilder, site: Site<E<'wait'>>, tracked: Set<string>, cond: ProgramExpr): Op[] {
  const ops: Op[] = [];
  const collect = (file: string, fn: FunctionFacts) => {
    for (let k = 0; k < fn.events.length; k++) {
      const e = fn.events[k];
      if (e === site.event || (e.kind !== 'store' && e.kind !== 'atomic')) continue;
      ops.push(...segmentOps(b, { file, fn, from: k, to: k + 1 }, tracked, new Map()).filter((o) => o.op === 'store' || o.op === 'rmw'));
    }
  };
  collect(site.file, site.fn);
  for (const e of site.fn.events) {
    if (e.kind !== 'call') continue;
    for (const callee of b.index.functionsNamed(e.name)) if (callee.file === site.file && callee.fn !== site.fn) collect(callee.file, callee.fn);
  }
  // Consumption only takes what is there: the updates run when the waiter saw its condition.
  return ops.length ? [{ op: 'if', cond, then: ops, else: [] }] : [];
}

/** The runtime op of a wakeup, from what the macro means (wrappers.ts WAKE_MACROS). */
export function wakeOp(b: ProgramBuilder, wake: E<'wake'>, file: string, queueName: string): Op {
  const src = srcOf(file, wake.span);
  const { queue, nr, locked } = wake.info;
  switch (queue) {
    case 'swait':
      if (nr === 'all') return { op: 'swake_up_all', wq: b.object('swait', queueName), src };
      return locked ? { op: 'swake_up_locked', wq: b.object('swait', queueName), src } : { op: 'swake_up_one', wq: b.object('swait', queueName), src };
    case 'rcuwait':
      return { op: 'rcuwait_wake_up', w: b.object('rcuwait', queueName), src };
    case 'completion':
      return nr === 'all' ? { op: 'complete_all', c: b.object('completion', queueName), src } : { op: 'complete', c: b.object('completion', queueName), src };
    case 'waitqueue':
      return { op: 'wake_up', wq: b.object('waitqueue', queueName), nr: nr === 'all' ? 'all' : 1, ...(locked ? { locked: true } : {}), src };
    default:
      throw new ExtractionError(`${wake.name}() is not modelled`);
  }
}
