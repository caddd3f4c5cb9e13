/**
 * The explorer: decides whether a Program can violate a property under the Linux-kernel
 * memory model, axiomatically (as herd7 and GenMC do), not by interleaving.
 *
 * 1. Every thread is lowered on its own into paths of LKMM events (./lower), with guessed read
 *    values grown to a fixpoint (litmus/run.ts pathsAtFixpoint); paths are memoised per thread
 *    and identical ones merged.
 * 2. One path per thread is combined into candidate executions with every reads-from and
 *    coherence choice (litmus/run.ts forEachCandidate). Enumerating execution graphs rather
 *    than interleavings is the partial-order reduction: one graph per Mazurkiewicz class.
 *    Combinations that cannot violate anything (every path ran to its end with no local
 *    violation) or that are not shorter than the best counterexample so far are skipped.
 * 3. A candidate counts only if it is final (a task left asleep has no later TASK_RUNNING
 *    store to its state; a thread left spinning finds its lock held at the end), it violates
 *    a property, and LKMM allows it (checkExecution). The one with the fewest events is kept.
 *
 * So every reported outcome is one LKMM allows, and none is missed within the bounds (loop
 * unrolling, lowerOptions.loopBound). Budgets (candidates, milliseconds, paths) give verdict
 * `unknown`, never a guess. Nothing here depends on time except the timeout, so the same
 * program gives the same verdict and the same trace.
 */
import type { Execution, ExecEvent } from '../lkmm/execution';
import { checkExecution } from '../lkmm/model';
import type { Scalar } from '../litmus/ast';
import type { Program, ProgramExpr, PropertyKind, SourceTag } from '../program/ir';
import { PROPERTY_KINDS } from '../program/ir';
import { forEachCombination, Mirror } from './combine';
import { candidatesOf, layoutEvents, valueFits } from './graphs';
import { SearchStopped, stopCheck, WorkCounter } from '../stop';
import {
  binaryValue,
  decodeList,
  ExplorerPath,
  exprText,
  Layout,
  lowerThreadPaths,
  PathEnd,
  PathLimitExceeded,
  pathKey,
  stateName,
  ThreadRenaming,
  twinThreads,
} from './lower';

export interface ExploreOptions {
  /** Candidate executions the explorer may build before answering unknown. */
  maxCandidates?: number;
  /**
   * Search steps (path extensions, combinations, candidates: every check of the stop condition)
   * before answering unknown. The verdict's budget: the same program gives the same answer on
   * any machine under any load.
   */
  maxWork?: number;
  /** Milliseconds before answering unknown: a safety net behind maxWork (a verdict it decides says so). */
  timeoutMs?: number;
  /** schedule() calls per wait loop (default 1: sleep, be woken, re-check): a path that would sleep once more is dropped. */
  loopBound?: number;
  /** Paths per thread before answering unknown. */
  maxPaths?: number;
  /** Use the symmetry between twin threads (identical waiters): default true. */
  symmetry?: boolean;
  /**
   * Asked every few dozen steps of the search (lowering, combination, candidates): true stops it
   * at once with verdict unknown (the caller cancelled). Must be cheap; default never.
   */
  shouldStop?: () => boolean;
}

export interface TraceRead {
  loc: string;
  value: number;
  /** Index of the trace step whose write it reads, or 'init'. */
  from: number | 'init';
  /**
   * A stale read: the trace step of another thread's store to the same location that comes
   * earlier in the trace and later in coherence, which this read did not see.
   */
  missed?: number;
}

export interface TraceWrite {
  loc: string;
  value: number;
  /** Position of this write in the location's coherence order (1 = first after the initial value). */
  order: number;
}

export interface TraceStep {
  /** 1-based position in the trace. */
  index: number;
  thread: string;
  op: string;
  src?: SourceTag;
  reads?: TraceRead[];
  writes?: TraceWrite[];
  note?: string;
}

export interface PropertyViolation {
  kind: PropertyKind;
  message: string;
  /**
   * For a task asleep on a wait queue: whether its entry is still queued at the end, so that the
   * next wakeup of that queue (a later free, a later event) ends the wait: 'delay' (it sleeps
   * until then, and for good only if none comes) or 'hang' (no entry: no wakeup can find it).
   */
  outcome?: 'delay' | 'hang';
  /** The thread at fault (the sleeper, the one sleeping in atomic context...). */
  thread?: string;
  /** Trace step the violation shows at. */
  step?: number;
}

export type ExploreVerdict = 'violated' | 'safe' | 'unknown';

export interface ExploreStats {
  /** Paths over all threads (after merging identical ones). */
  paths: number;
  /** Combinations of one path per thread whose candidates were built. */
  combinations: number;
  /** Candidate executions built. */
  candidates: number;
  /** Candidates judged by LKMM (final and violating ones only). */
  judged: number;
  /** Judged candidates LKMM allows. */
  allowed: number;
  /** Paths dropped because a wait loop needed more than loopBound iterations. */
  loopBoundHits: number;
  /** Search steps taken (what maxWork bounds). */
  work: number;
  milliseconds: number;
}

export interface ExploreResult {
  verdict: ExploreVerdict;
  property?: PropertyViolation;
  /** The counterexample, a linearisation of the execution (empty unless violated). */
  trace: TraceStep[];
  stats: ExploreStats;
  /** Why the verdict is unknown, or what bounds a safe verdict holds within. */
  reason?: string;
}

const DEFAULTS = { maxCandidates: 200_000, maxWork: Number.POSITIVE_INFINITY, timeoutMs: 10_000, loopBound: 1, maxPaths: 20_000, symmetry: true };

interface Prepared {
  paths: ExplorerPath[][];
  initial: Map<string, Scalar>;
  loopBoundHits: number;
  mirrors: Mirror[];
}

function swap(n: number, i: number, j: number): number[] {
  const perm = [...Array(n).keys()];
  perm[i] = j;
  perm[j] = i;
  return perm;
}

/**
 * For each pair of twin threads, every path's mirror (the path the swap of the two makes of it,
 * in the thread the swap gives). Left out when some path's mirror is not found.
 */
function mirrorsOf(program: Program, paths: ExplorerPath[][], twins: Array<[number, number]>, tick: () => void = () => {}): Mirror[] {
  const out: Mirror[] = [];
  if (twins.length === 0) return out;
  const keys = paths.map((tp) => new Map(tp.map((p) => (tick(), [pathKey(p), p]))));
  for (const [i, j] of twins) {
    const r = new ThreadRenaming(program, swap(paths.length, i, j));
    const map = new Map<ExplorerPath, ExplorerPath>();
    let complete = true;
    paths.forEach((tp, t) => {
      tp.forEach((p, k) => {
        tick();
        if (t === i) map.set(p, paths[j]![k]!);
        else if (t === j) map.set(p, paths[i]![k]!);
        else {
          const m = keys[t]!.get(r.key(p));
          if (m) map.set(p, m);
          else complete = false;
        }
      });
    });
    if (complete) out.push({ perm: r.perm, map });
  }
  return out;
}

function literalsOf(program: Program): number[] {
  const found = new Set<number>([0]);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const rec = node as { kind?: string; value?: unknown };
    if (rec.kind === 'const' && typeof rec.value === 'number') found.add(rec.value);
    for (const child of Object.values(node)) if (child && typeof child === 'object') visit(child);
  };
  visit(program.threads);
  return [...found].sort((a, b) => a - b);
}

/** Locations the program's own ops name (declared ones included): the others belong to kernel objects. */
function programLocations(program: Program): Set<string> {
  const found = new Set<string>(Object.keys(program.locations));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const rec = node as { kind?: string; op?: string; loc?: unknown };
    if ((rec.kind === 'read' || rec.op === 'load' || rec.op === 'store' || rec.op === 'rmw') && typeof rec.loc === 'string') found.add(rec.loc);
    for (const child of Object.values(node)) if (child && typeof child === 'object') visit(child);
  };
  visit(program.threads);
  return found;
}

/**
 * The read values of every location, grown to a fixpoint as litmus/run.ts pathsAtFixpoint
 * does, with two refinements that drop only values no execution can read:
 *
 * - Integer literals seed only the program's own locations. Kernel-object locations (task
 *   states, queue lists and locks, completion counts) are written by the lowering with
 *   constants or with values computed from the same object's earlier values under its lock, so
 *   forward propagation from their initial values reaches every value they can hold.
 * - Data chains per location. A write's value is computed from the reads it depends on by
 *   data (ThreadEvent.data); in an execution, following reads-from and data backwards from a
 *   write of x visits distinct writes, all to locations whose values can flow into x (x's data
 *   closure). So a value of x needs, from each thread, no more writes than one path of that
 *   thread makes to the closure. Each value keeps the least vectors (writes per thread) of the
 *   chains found for it (a chain through several reads needs at least the most of each); a
 *   value found only by chains over those bounds (a counter incremented from its own guessed
 *   values, round after round) is not added.
 */
function prepare(program: Program, options: Required<ExploreOptions>, tick: () => void = () => {}): Prepared {
  const initial = new Map<string, Scalar>();
  for (const [k, v] of Object.entries(program.locations)) initial.set(k, v);
  const dropped = { loopBound: 0 };
  const literals = literalsOf(program);
  const userLocs = programLocations(program);
  const n = program.threads.length;
  const zero = (): number[] => new Array<number>(n).fill(0);
  const dominates = (a: number[], b: number[]) => a.every((x, i) => x <= b[i]!);
  const memo = new Map<string, Scalar[]>();
  // Per location: value -> the least write vectors of the chains that make it.
  const values = new Map<string, Map<number, number[][]>>();
  const add = (loc: string, v: number, usage: number[]): boolean => {
    let m = values.get(loc);
    if (!m) values.set(loc, (m = new Map()));
    const known = m.get(v);
    if (!known) {
      m.set(v, [usage]);
      memo.delete(loc);
      return true;
    }
    if (known.some((u) => dominates(u, usage))) return false;
    m.set(v, [...known.filter((u) => !dominates(usage, u)), usage]);
    return true;
  };
  const ensure = (loc: string): Map<number, number[][]> => {
    let m = values.get(loc);
    if (m) return m;
    if (!initial.has(loc)) initial.set(loc, 0);
    add(loc, initial.get(loc) as number, zero());
    if (userLocs.has(loc)) for (const k of literals) add(loc, k, zero());
    return values.get(loc)!;
  };
  for (const loc of initial.keys()) ensure(loc);
  const readValues = (loc: string): Scalar[] => {
    let l = memo.get(loc);
    if (!l) memo.set(loc, (l = [...ensure(loc).keys()]));
    return l;
  };
  const isWrite = (k: string) => k === 'W' || k === 'LKW' || k === 'UL';
  const twins = options.symmetry ? twinThreads(program) : [];
  const twinOf = new Map<number, number>(twins.map(([i, j]) => [j, i]));
  const renamings = new Map<number, ThreadRenaming>(twins.map(([i, j]) => [j, new ThreadRenaming(program, swap(n, i, j))]));
  for (let round = 0; ; round++) {
    dropped.loopBound = 0;
    const paths: ExplorerPath[][] = [];
    for (let t = 0; t < n; t++) {
      const twin = twinOf.get(t);
      if (twin === undefined) {
        const before = dropped.loopBound;
        paths.push(lowerThreadPaths(program, t, readValues, { loopBound: options.loopBound }, options.maxPaths, dropped, tick));
        // A twin's paths are this thread's renamed: so are its dropped paths.
        if (twins.some(([i]) => i === t)) dropped.loopBound += (dropped.loopBound - before) * twins.filter(([i]) => i === t).length;
      } else paths.push(paths[twin]!.map((p) => (tick(), renamings.get(t)!.path(p))));
    }
    // Data closure: location -> locations whose reads feed its writes by data.
    const feeds = new Map<string, Set<string>>();
    for (const tp of paths) {
      for (const p of tp) {
        tick();
        for (const e of p.events) {
          if (!isWrite(e.kind) || e.loc === undefined) continue;
          let f = feeds.get(e.loc);
          if (!f) feeds.set(e.loc, (f = new Set()));
          for (const d of e.data) if (p.events[d]!.loc !== undefined) f.add(p.events[d]!.loc!);
        }
      }
    }
    // Per location: per thread, the most writes one of its paths makes to the location's closure.
    const capCache = new Map<string, number[]>();
    const cap = (loc: string): number[] => {
      let c = capCache.get(loc);
      if (c) return c;
      const closure = new Set<string>([loc]);
      const stack = [loc];
      while (stack.length > 0) for (const y of feeds.get(stack.pop()!) ?? []) if (!closure.has(y)) (closure.add(y), stack.push(y));
      c = paths.map((tp) => {
        let most = 0;
        for (const p of tp) {
          tick();
          let k = 0;
          for (const e of p.events) if (isWrite(e.kind) && e.loc !== undefined && closure.has(e.loc)) k++;
          most = Math.max(most, k);
        }
        return most;
      });
      capCache.set(loc, c);
      return c;
    };
    let grew = false;
    let maxWrites = 0;
    for (const tp of paths) {
      maxWrites += tp.reduce((most, p) => Math.max(most, p.events.filter((e) => e.kind === 'W').length), 0);
      for (const p of tp) {
        tick();
        for (const e of p.events) {
          if (!isWrite(e.kind) || e.loc === undefined || typeof e.value !== 'number') continue;
          tick();
          // The write vectors of the chains through each data dependency, combined by maximum.
          let usages: number[][] = [zero()];
          for (const d of e.data) {
            const r = p.events[d]!;
            if (r.loc === undefined) continue;
            const options: number[][] = [];
            for (const v of r.values ?? [r.value as number]) options.push(...(values.get(r.loc)?.get(v) ?? [zero()]));
            const next: number[][] = [];
            for (const a of usages) for (const b of options) next.push(a.map((x, i) => Math.max(x, b[i]!)));
            // Too many to keep: their least common bound admits at least as much.
            usages = next.length > 64 ? [next.reduce((m, u) => m.map((x, i) => Math.min(x, u[i]!)))] : next;
          }
          ensure(e.loc);
          const c = cap(e.loc);
          for (const u of usages) {
            const mine = [...u];
            mine[p.thread]!++;
            if (mine.every((x, i) => x <= c[i]!) && add(e.loc, e.value, mine)) grew = true;
          }
        }
      }
    }
    // As in pathsAtFixpoint: round r reads values made by chains of at most r writes.
    if (!grew || round >= maxWrites) return { paths, initial, loopBoundHits: dropped.loopBound, mirrors: mirrorsOf(program, paths, twins, tick) };
  }
}

/** Final value of every location: the co-last write. */
function finalValues(x: Execution): Map<string, number> {
  const m = new Map<string, number>();
  for (const [loc, order] of Object.entries(x.co)) m.set(loc, x.events[order[order.length - 1]!]!.value ?? 0);
  return m;
}

/** Value of an expression over final (or chosen initial) location values and registers. */
export function evalFinal(e: ProgramExpr, memory: Map<string, number>, regs: Map<string, number> = new Map()): number {
  switch (e.kind) {
    case 'const':
      return e.value;
    case 'reg':
      return regs.get(e.name) ?? 0;
    case 'read':
      return memory.get(e.loc) ?? 0;
    case 'not':
      return evalFinal(e.operand, memory, regs) ? 0 : 1;
    case 'binary':
      return binaryValue(e.op, evalFinal(e.left, memory, regs), evalFinal(e.right, memory, regs));
    case 'let':
      return evalFinal(e.body, memory, new Map(regs).set(e.reg, evalFinal(e.value, memory, regs)));
  }
}

/** The co-last event of a location, or undefined. */
function coLast(x: Execution, loc: string): ExecEvent | undefined {
  const order = x.co[loc];
  return order ? x.events[order[order.length - 1]!] : undefined;
}

interface Judgement {
  /** Every blocked thread is blocked for good. */
  final: boolean;
  violations: Array<PropertyViolation & { threadIndex: number; pathStep: number }>;
}

/** What judging one stopped path may look at. */
export interface EndContext<E extends PathEnd = PathEnd> {
  program: Program;
  x: Execution;
  path: ExplorerPath & { end: E };
  /** Thread name. */
  name: string;
  /** Final value of every location (co-last write). */
  memory(): Map<string, number>;
}

/**
 * How a path that stopped before its end is judged: whether it is stuck for good in the
 * execution (otherwise the execution is not final and is skipped: a longer one continues the
 * path), and what property it then violates. Adding an object that blocks (e.g. a halted
 * vCPU) means adding a PathEnd kind in the lowering and a rule here; path-local violations
 * (PathViolation) need no rule.
 */
export interface EndRule<E extends PathEnd = PathEnd> {
  stuck(ctx: EndContext<E>): boolean;
  violation(ctx: EndContext<E>): { kind: PropertyKind; message: string; outcome?: 'delay' | 'hang' } | undefined;
}

type EndRules = { [K in Exclude<PathEnd['kind'], 'done'>]: EndRule<Extract<PathEnd, { kind: K }>> };

export const END_RULES: EndRules = {
  // Asleep for good iff nothing stored TASK_RUNNING to its state co-after its own store.
  asleep: {
    stuck: ({ x, path }) => !!coLast(x, path.end.stateLoc)?.value,
    violation: ({ program, path, name, memory }) => {
      const st = stateName(memory().get(path.end.stateLoc) ?? 0);
      if (path.end.until === undefined) {
        return { kind: 'lost-wakeup', message: `${name} sleeps forever in ${path.end.what} (${st}): nothing sets it back to TASK_RUNNING` };
      }
      if (!evalFinal(path.end.until, memory(), path.registerValues)) return undefined;
      const message = `lost wakeup: ${name} sleeps forever in ${path.end.what} (${st}) although ${path.end.untilText ?? exprText(path.end.until)} holds at the end`;
      const q = path.end.queue;
      if (q === undefined) return { kind: 'lost-wakeup', message };
      const queued = decodeList(memory().get(Layout.queueHead(q)) ?? 0, program.threads.length).some((e) => e.thread === path.thread && !e.func);
      return queued
        ? {
            kind: 'lost-wakeup',
            message: `${message}; it is still queued on ${q}, so a later wakeup of ${q} (the next free, the next event) can still end the wait: a delay while such wakeups go on, a hang only if none comes`,
            outcome: 'delay',
          }
        : { kind: 'lost-wakeup', message: `${message}; it is on no queue: no later wakeup of ${q} can find it (a hang)`, outcome: 'hang' };
    },
  },
  // Halted for good iff nothing stored TASK_RUNNING to its state after (a kick wakes it so).
  halted: {
    stuck: ({ x, path }) => !!coLast(x, path.end.stateLoc)?.value,
    violation: ({ path, name, memory }) => {
      if (!evalFinal(path.end.pending, memory(), path.registerValues)) return undefined;
      return {
        kind: 'halted-with-work',
        message: `${name} stays halted in ${path.end.what} with work pending: ${path.end.pendingText} holds at the end and nothing kicks it`,
      };
    },
  },
  // Spinning for good iff the lock is still held at the end.
  'lock-blocked': {
    stuck: ({ x, path }) => coLast(x, path.end.lock)?.kind === 'LKW',
    violation: ({ program, x, path, name }) => {
      const holder = coLast(x, path.end.lock)!;
      const holderName = program.threads[holder.thread]?.name ?? '?';
      return {
        kind: 'deadlock',
        message: `${name} spins forever in ${path.end.label}: ${holderName === name ? 'it already holds that lock' : `${holderName} holds it and never releases it`}`,
      };
    },
  },
};

/** Whether x is a final state and which properties it violates (before asking LKMM). */
export function judge(program: Program, x: Execution, chosen: ExplorerPath[], wanted: Set<PropertyKind>): Judgement {
  const violations: Judgement['violations'] = [];
  let memory: Map<string, number> | undefined;
  const contexts = chosen.map((p) => ({ program, x, path: p, name: program.threads[p.thread]!.name, memory: () => (memory ??= finalValues(x)) }));
  for (const ctx of contexts) {
    const end = ctx.path.end;
    if (end.kind !== 'done' && !(END_RULES[end.kind] as EndRule).stuck(ctx)) return { final: false, violations: [] };
  }
  for (const ctx of contexts) {
    const p = ctx.path;
    for (const v of p.violations) {
      if (wanted.has(v.kind)) violations.push({ kind: v.kind, message: v.message, thread: ctx.name, threadIndex: p.thread, pathStep: v.step });
    }
    if (p.end.kind === 'done') continue;
    const v = (END_RULES[p.end.kind] as EndRule).violation(ctx);
    if (v && wanted.has(v.kind)) violations.push({ ...v, thread: ctx.name, threadIndex: p.thread, pathStep: p.end.step });
  }
  return { final: true, violations };
}

function canViolate(chosen: ExplorerPath[]): boolean {
  return chosen.some((p) => p.violations.length > 0 || p.end.kind !== 'done');
}

function pathEvents(chosen: ExplorerPath[]): number {
  let n = 0;
  for (const p of chosen) n += p.events.length;
  return n;
}

function resolve(options: ExploreOptions): Required<ExploreOptions> {
  return {
    maxCandidates: options.maxCandidates ?? DEFAULTS.maxCandidates,
    maxWork: options.maxWork ?? DEFAULTS.maxWork,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    loopBound: options.loopBound ?? DEFAULTS.loopBound,
    maxPaths: options.maxPaths ?? DEFAULTS.maxPaths,
    symmetry: options.symmetry ?? DEFAULTS.symmetry,
    shouldStop: options.shouldStop ?? (() => false),
  };
}

const STOPPED_REASON = 'stopped by the caller before the search ended (cancelled)';

export function explore(program: Program, options: ExploreOptions = {}): ExploreResult {
  const started = Date.now();
  const opts = resolve(options);
  const wanted = new Set<PropertyKind>(program.property?.check ?? PROPERTY_KINDS);
  const stats: ExploreStats = { paths: 0, combinations: 0, candidates: 0, judged: 0, allowed: 0, loopBoundHits: 0, work: 0, milliseconds: 0 };
  const work: WorkCounter = { done: 0, limit: opts.maxWork };
  const finish = (r: Omit<ExploreResult, 'stats'>): ExploreResult => ({ ...r, stats: { ...stats, work: work.done, milliseconds: Date.now() - started } });
  // The deadline and the caller's shouldStop(), asked every few dozen steps of every phase.
  const tick = stopCheck({ shouldStop: opts.shouldStop, deadline: started + opts.timeoutMs, work });
  // The clock is the safety net behind the work budget: a verdict it decided says so, since it
  // depends on the machine and its load.
  const timeoutResult = () =>
    finish({
      verdict: 'unknown',
      trace: [],
      reason: `no answer within ${opts.timeoutMs} ms (timeoutMs, a wall-clock safety net: this verdict depends on the machine's speed and load)`,
    });
  const workResult = () => finish({ verdict: 'unknown', trace: [], reason: `no answer within ${opts.maxWork} search steps (maxWork)` });
  let prepared: Prepared;
  try {
    prepared = prepare(program, opts, tick);
  } catch (e) {
    if (e instanceof PathLimitExceeded) return finish({ verdict: 'unknown', trace: [], reason: `${e.message} (maxPaths)` });
    if (e instanceof SearchStopped)
      return e.why === 'stopped' ? finish({ verdict: 'unknown', trace: [], reason: STOPPED_REASON }) : e.why === 'work' ? workResult() : timeoutResult();
    throw e;
  }
  stats.paths = prepared.paths.reduce((n, tp) => n + tp.length, 0);
  stats.loopBoundHits = prepared.loopBoundHits;

  let best: { x: Execution; chosen: ExplorerPath[]; violation: Judgement['violations'][number]; size: number } | undefined;
  let timedOut = false;
  let outOfWork = false;
  let exhausted = false;
  try {
    forEachCombination(
      prepared.paths,
      prepared.initial,
      (chosen) => canViolate(chosen) && (!best || pathEvents(chosen) < best.size),
      (chosen, protectedBy) => {
        stats.combinations++;
        const size = pathEvents(chosen);
        const gen = candidatesOf(chosen, prepared.initial, protectedBy, opts.maxCandidates - stats.candidates, tick);
        for (let it = gen.next(); ; it = gen.next()) {
          if (it.done) {
            if (it.value.exhausted) exhausted = true;
            break;
          }
          const x = it.value;
          if ((++stats.candidates & 63) === 0 && Date.now() - started > opts.timeoutMs) {
            timedOut = true;
            break;
          }
          tick();
          const j = judge(program, x, chosen, wanted);
          if (!j.final || j.violations.length === 0) continue;
          stats.judged++;
          if (!checkExecution(x).allowed) continue;
          stats.allowed++;
          best = { x, chosen, violation: j.violations[0]!, size };
          // Every other candidate of this combination has the same size: none is shorter.
          break;
        }
        if (exhausted || timedOut) return false;
        if (Date.now() - started > opts.timeoutMs) {
          timedOut = true;
          return false;
        }
      },
      prepared.mirrors,
      tick,
    );
  } catch (e) {
    if (!(e instanceof SearchStopped)) throw e;
    // A cancelled caller wants no answer; a deadline keeps what was found, as the checks above do.
    if (e.why === 'stopped') return finish({ verdict: 'unknown', trace: [], reason: STOPPED_REASON });
    if (e.why === 'work') outOfWork = true;
    else timedOut = true;
  }
  const bounds = `with at most ${opts.loopBound} sleep(s) per wait loop`;
  if (best) {
    const { trace, stepIndex } = buildTrace(program, best.x, best.chosen);
    const v = best.violation;
    const property: PropertyViolation = { kind: v.kind, message: v.message };
    if (v.outcome) property.outcome = v.outcome;
    if (v.thread !== undefined) property.thread = v.thread;
    const at = stepIndex.get(`${v.threadIndex}:${v.pathStep}`);
    if (at !== undefined) {
      property.step = at;
      const s = trace[at - 1]!;
      s.note = s.note ? `${s.note}. ${v.message}` : v.message;
    }
    const r: Omit<ExploreResult, 'stats'> = { verdict: 'violated', property, trace };
    if (exhausted || timedOut || outOfWork) r.reason = 'a budget ran out before the search ended: a shorter counterexample may exist';
    return finish(r);
  }
  if (exhausted) return finish({ verdict: 'unknown', trace: [], reason: `more than ${opts.maxCandidates} candidate executions (maxCandidates)` });
  if (outOfWork) return workResult();
  if (timedOut) return timeoutResult();
  const reason =
    prepared.loopBoundHits > 0
      ? `no violation ${bounds}; ${prepared.loopBoundHits} path(s) needed more iterations and were not explored`
      : `no violation ${bounds}`;
  return finish({ verdict: 'safe', trace: [], reason });
}

// ---------------------------------------------------------------------------------------------
// Traces.

interface Node {
  thread: number;
  step: number;
}

/**
 * Linearises the execution: a topological order of po ∪ rf ∪ co over steps, preferring the
 * lowest thread (so each thread runs as far as it can); where those relations are cyclic (LKMM
 * allows some such executions), the next step in program order of the lowest thread is taken.
 */
export function buildTrace(program: Program, x: Execution, chosen: ExplorerPath[]): { trace: TraceStep[]; stepIndex: Map<string, number> } {
  const key = (n: Node) => `${n.thread}:${n.step}`;
  const nodeOf = (eventId: number): Node | undefined => {
    const e = x.events[eventId]!;
    if (e.thread < 0) return undefined;
    return { thread: e.thread, step: chosen[e.thread]!.eventStep[e.poIndex]! };
  };
  const preds = new Map<string, Set<string>>();
  const addEdge = (a: Node | undefined, b: Node | undefined) => {
    if (!a || !b || key(a) === key(b)) return;
    if (a.thread === b.thread && a.step > b.step) return;
    let s = preds.get(key(b));
    if (!s) preds.set(key(b), (s = new Set()));
    s.add(key(a));
  };
  for (const [w, r] of x.rf) addEdge(nodeOf(w), nodeOf(r));
  for (const order of Object.values(x.co)) for (let i = 1; i + 1 < order.length; i++) addEdge(nodeOf(order[i]!), nodeOf(order[i + 1]!));
  const next = chosen.map(() => 0);
  const done = new Set<string>();
  const order: Node[] = [];
  const total = chosen.reduce((n, p) => n + p.steps.length, 0);
  while (order.length < total) {
    let pick = -1;
    for (let t = 0; t < chosen.length && pick < 0; t++) {
      if (next[t]! >= chosen[t]!.steps.length) continue;
      const ps = preds.get(`${t}:${next[t]}`);
      if (!ps || [...ps].every((p) => done.has(p))) pick = t;
    }
    if (pick < 0) pick = next.findIndex((n, t) => n < chosen[t]!.steps.length);
    const n = { thread: pick, step: next[pick]! };
    next[pick]!++;
    done.add(key(n));
    order.push(n);
  }
  const stepIndex = new Map<string, number>();
  order.forEach((n, i) => stepIndex.set(key(n), i + 1));
  const source = new Map<number, number>();
  for (const [w, r] of x.rf) source.set(r, w);
  const coPos = new Map<number, number>();
  for (const o of Object.values(x.co)) o.forEach((w, i) => coPos.set(w, i));
  const base = new Map<number, number>();
  for (const e of x.events) if (e.thread >= 0 && e.poIndex === 0) base.set(e.thread, e.id);
  const trace: TraceStep[] = order.map((n, i) => {
    const p = chosen[n.thread]!;
    const s = p.steps[n.step]!;
    const t: TraceStep = { index: i + 1, thread: program.threads[n.thread]!.name, op: s.label };
    if (s.src) t.src = s.src;
    const notes: string[] = s.note ? [s.note] : [];
    const reads: TraceRead[] = [];
    const writes: TraceWrite[] = [];
    for (const local of s.events) {
      const id = base.get(n.thread)! + local;
      const e = x.events[id]!;
      if (e.kind === 'R' || e.kind === 'LKR') {
        const w = source.get(id)!;
        const wn = nodeOf(w);
        const from = wn ? stepIndex.get(key(wn))! : 'init';
        const stale = staleNote(program, x, chosen, id, w, stepIndex, i + 1, nodeOf);
        reads.push({ loc: e.loc!, value: e.value ?? 0, from, ...(stale ? { missed: stale.missed } : {}) });
        if (stale) notes.push(stale.text);
      } else if (e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') {
        writes.push({ loc: e.loc!, value: e.value ?? 0, order: coPos.get(id)! });
      }
    }
    if (reads.length) t.reads = reads;
    if (writes.length) t.writes = writes;
    if (notes.length) t.note = notes.join('; ');
    return t;
  });
  return { trace, stepIndex };
}

/** Why a read sees an old value: a co-later write of another thread appears earlier in the trace. */
function staleNote(
  program: Program,
  x: Execution,
  chosen: ExplorerPath[],
  readId: number,
  writeId: number,
  stepIndex: Map<string, number>,
  here: number,
  nodeOf: (id: number) => Node | undefined,
): { text: string; missed: number } | undefined {
  const r = x.events[readId]!;
  if (r.kind !== 'R') return undefined;
  const order = x.co[r.loc!]!;
  const pos = order.indexOf(writeId);
  for (let i = order.length - 1; i > pos; i--) {
    const w = x.events[order[i]!]!;
    if (w.thread === r.thread || w.thread < 0) continue;
    const n = nodeOf(w.id)!;
    const at = stepIndex.get(`${n.thread}:${n.step}`)!;
    if (at >= here) continue;
    const writer = chosen[w.thread]!;
    const wstep = writer.steps[n.step]!;
    const where = wstep.src ? ` (${wstep.src.file ? `${wstep.src.file}:` : 'line '}${wstep.src.line})` : '';
    const readerName = program.threads[r.thread]!.name;
    const writerName = program.threads[w.thread]!.name;
    const reader = chosen[r.thread]!;
    // The classic cause on the reader's side: an earlier store of its own (to another location)
    // that no full barrier orders before this read (store buffering).
    let own: string | undefined;
    for (let k = r.poIndex - 1; k >= 0; k--) {
      const e = reader.events[k]!;
      if (e.kind === 'F' && e.annot === 'mb') break;
      if (e.kind === 'W' && e.loc !== r.loc) {
        const at = stepIndex.get(`${r.thread}:${reader.eventStep[k]}`);
        own = `no full barrier orders ${readerName}'s earlier store ${e.loc}=${String(e.value)}${at !== undefined ? ` (step ${at})` : ''} before this read`;
        break;
      }
    }
    const laterMb = writer.events.some((e, k) => k > w.poIndex && e.kind === 'F' && e.annot === 'mb');
    let laterRead = `${writerName}'s later reads`;
    for (let k = w.poIndex + 1; k < writer.events.length; k++) {
      const e = writer.events[k]!;
      if (e.kind === 'R' && e.loc !== r.loc) {
        const st = writer.steps[writer.eventStep[k]!]!;
        const at = stepIndex.get(`${w.thread}:${writer.eventStep[k]}`);
        laterRead = `${st.label}${at !== undefined ? ` (step ${at})` : ''}`;
        break;
      }
    }
    const why = own ?? (laterMb ? `nothing orders ${readerName}'s read after it` : `no full barrier in ${writerName} orders it before ${laterRead}`);
    return {
      text: `reads ${r.loc}=${r.value ?? 0}: the store ${r.loc}=${w.value ?? 0} at step ${at}${where} has not propagated to this CPU yet; ${why}`,
      missed: at,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Replay: the independent check of a trace used by the tests and by clients that store traces.

export interface ReplayResult {
  ok: boolean;
  /** What went wrong when not ok. */
  reason?: string;
  /** The properties the replayed execution violates. */
  violations?: PropertyKind[];
}

/**
 * Rebuilds the execution a trace describes (each thread's path is found again by lowering the
 * program, reads-from and coherence are taken from the trace), asks LKMM whether it is allowed
 * and whether it is final, and evaluates the properties on it. expected, when given, is the
 * property kind the trace is claimed to violate.
 */
export function replay(program: Program, trace: TraceStep[], expected?: PropertyKind, options: ExploreOptions = {}): ReplayResult {
  const opts = resolve(options);
  const prepared = prepare(program, opts);
  const byThread = program.threads.map((t) => trace.filter((s) => s.thread === t.name));
  const chosen: ExplorerPath[] = [];
  for (let t = 0; t < program.threads.length; t++) {
    const steps = byThread[t]!;
    const match = prepared.paths[t]!.find((p) => p.steps.length === steps.length && p.steps.every((s, i) => sameStep(p, s, steps[i]!)));
    if (!match) return { ok: false, reason: `no path of ${program.threads[t]!.name} matches the trace` };
    chosen.push(match);
  }
  const traceIndex = new Map<string, number>();
  for (let t = 0; t < program.threads.length; t++) {
    byThread[t]!.forEach((s, i) => traceIndex.set(`${t}:${i}`, s.index));
  }
  const found = executionFromTrace(chosen, prepared.initial, trace, traceIndex);
  if (typeof found === 'string') return { ok: false, reason: found };
  const verdict = checkExecution(found);
  if (!verdict.allowed) return { ok: false, reason: `LKMM forbids the trace (${verdict.violated.join(', ')})` };
  const j = judge(program, found, chosen, new Set(PROPERTY_KINDS));
  if (!j.final) return { ok: false, reason: 'the trace is not a final state (a blocked thread would be woken)' };
  const kinds = [...new Set(j.violations.map((v) => v.kind))];
  if (expected && !kinds.includes(expected)) return { ok: false, reason: `the trace does not violate ${expected}`, violations: kinds };
  return { ok: true, violations: kinds };
}

function sameStep(p: ExplorerPath, s: ExplorerPath['steps'][number], t: TraceStep): boolean {
  if (s.label !== t.op) return false;
  const reads: Array<[string, number[]]> = [];
  const writes: Array<[string, number]> = [];
  for (const i of s.events) {
    const e = p.events[i]!;
    if (e.kind === 'R' || e.kind === 'LKR') reads.push([e.loc!, e.values ?? [e.value as number]]);
    else if (e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') writes.push([e.loc!, e.value as number]);
  }
  const tr = t.reads ?? [];
  const tw = t.writes ?? [];
  return (
    reads.length === tr.length &&
    writes.length === tw.length &&
    reads.every(([l, v], i) => tr[i]!.loc === l && v.includes(tr[i]!.value)) &&
    writes.every(([l, v], i) => tw[i]!.loc === l && tw[i]!.value === v)
  );
}

/** The execution whose reads-from and coherence the trace states, or why there is none. */
function executionFromTrace(chosen: ExplorerPath[], initial: Map<string, Scalar>, trace: TraceStep[], traceIndex: Map<string, number>): Execution | string {
  const L = layoutEvents(chosen, initial);
  const { events } = L;
  // Events of each trace step.
  const stepEvents = new Map<number, number[]>();
  chosen.forEach((p, t) => {
    p.events.forEach((_, i) => {
      const at = traceIndex.get(`${t}:${p.eventStep[i]}`)!;
      let l = stepEvents.get(at);
      if (!l) stepEvents.set(at, (l = []));
      l.push(L.base[t]! + i);
    });
  });
  const rf: Array<[number, number]> = [];
  const orders = new Map<string, Array<[number, number]>>();
  for (const [at, ids] of stepEvents) {
    const t = trace[at - 1];
    if (!t) return `step ${at} is missing`;
    let r = 0;
    let w = 0;
    for (const id of ids) {
      const e = events[id]!;
      if (e.kind === 'R' || e.kind === 'LKR') {
        const want = t.reads?.[r++];
        if (!want) return `step ${at} lacks a read`;
        let src: number | undefined;
        if (want.from === 'init') src = L.initWrite.get(e.loc!);
        else {
          const cands = (stepEvents.get(want.from) ?? []).filter((x) => {
            const we = events[x]!;
            return we.loc === e.loc && (we.kind === 'W' || we.kind === 'LKW' || we.kind === 'UL') && we.value === want.value;
          });
          src = cands[cands.length - 1];
        }
        if (src === undefined || events[src]!.value !== want.value || !valueFits(L, id, src))
          return `step ${at} reads ${e.loc}=${want.value} from a write of another value`;
        if (L.classes.has(id)) events[id] = { ...e, value: want.value };
        rf.push([src, id]);
      } else if (e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') {
        const want = t.writes?.[w++];
        if (!want) return `step ${at} lacks a write`;
        let l = orders.get(e.loc!);
        if (!l) orders.set(e.loc!, (l = []));
        l.push([want.order, id]);
      }
    }
  }
  const co: Record<string, number[]> = {};
  for (const [loc, init] of L.initWrite) {
    const l = (orders.get(loc) ?? []).sort((a, b) => a[0] - b[0]);
    if (l.some(([o], i) => o !== i + 1)) return `the coherence order of ${loc} is not 1..${l.length}`;
    co[loc] = [init, ...l.map(([, id]) => id)];
  }
  return { events, rf, co, rmw: L.rmw, addr: L.addr, data: L.data, ctrl: L.ctrl };
}

// ---------------------------------------------------------------------------------------------
// Outcomes: every final state of the program's complete executions (all threads ran to their
// end) that LKMM allows. Used to compare with other semantics (sequential consistency).

export interface OutcomesResult {
  /** "x=1; y=0; P0:r0=1;" strings (declared locations, then each thread's registers), sorted. */
  outcomes: string[];
  candidates: number;
  complete: boolean;
}

export function exploreOutcomes(program: Program, options: ExploreOptions = {}): OutcomesResult {
  const opts = resolve(options);
  const prepared = prepare(program, opts);
  const outcomes = new Set<string>();
  const locs = Object.keys(program.locations).sort();
  let candidates = 0;
  let exhausted = false;
  forEachCombination(
    prepared.paths,
    prepared.initial,
    (chosen) => chosen.every((p) => p.end.kind === 'done'),
    (chosen, protectedBy) => {
      const gen = candidatesOf(chosen, prepared.initial, protectedBy, opts.maxCandidates - candidates);
      for (let it = gen.next(); ; it = gen.next()) {
        if (it.done) {
          if (it.value.exhausted) exhausted = true;
          break;
        }
        const x = it.value;
        candidates++;
        if (!checkExecution(x).allowed) continue;
        const memory = finalValues(x);
        const parts = locs.map((l) => `${l}=${memory.get(l) ?? 0};`);
        chosen.forEach((p) => {
          for (const [r, v] of [...p.registerValues].sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`${program.threads[p.thread]!.name}:${r}=${v};`);
        });
        outcomes.add(parts.join(' '));
      }
      if (exhausted) return false;
    },
  );
  return { outcomes: [...outcomes].sort(), candidates, complete: !exhausted && prepared.loopBoundHits === 0 };
}
