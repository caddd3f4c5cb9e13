/**
 * Answers a C litmus test the way herd7 does with the Linux-kernel memory model: enumerate the
 * candidate executions (a path per thread, then every reads-from and coherence choice), keep
 * those LKMM allows, and evaluate the final condition on each.
 *
 * Candidates are pruned per location before they are combined: a location's rf/co choice that
 * already breaks coherence (sc-per-location) or RMW atomicity on that location can never be
 * part of an allowed execution, so only the survivors of each location are multiplied out.
 */
import type { Execution, ExecEvent } from '../lkmm/execution';
import { checkExecution } from '../lkmm/model';
import { Relation } from '../lkmm/relation';
import { LitmusError, LitmusTest, Prop, Scalar } from './ast';
import { parseLitmus } from './parser';
import { sameScalar, scalarKey, showScalar, ThreadPath, threadPaths, UNDETERMINED } from './threads';
import { SearchStopped } from '../stop';
import { LitmusBudget, LitmusLimits, TooManyStates } from './budget';

export type LitmusVerdict = 'Sometimes' | 'Never' | 'Always';

export interface LitmusResult {
  name: string;
  /** The doc comment's `Result:` word, if any. */
  expected?: string;
  /** Unknown when a budget ran out before every candidate was judged (see reason). */
  verdict: LitmusVerdict | 'Unknown';
  /** Why the verdict is Unknown: which budget ran out. */
  reason?: string;
  /** Allowed executions (after filter) satisfying the condition's proposition. */
  positive: number;
  /** Allowed executions (after filter) not satisfying it. */
  negative: number;
  /** Flags raised by allowed executions (e.g. data-race). */
  flags: string[];
  /** Candidate executions handed to the model. */
  candidates: number;
  /** Engine steps taken (what maxWork bounds). */
  work: number;
  /**
   * True when some path needed more than LOOP_UNROLL iterations of a while loop and was left
   * out, as herd7 does ("unrolling limit exceeded, legal outcomes may be missing").
   */
  unrollLimitHit: boolean;
  /** Distinct final states of allowed executions, in herd7's "x=1; 0:r0=0;" style. */
  states: string[];
  milliseconds: number;
}

export interface LitmusOptions extends Partial<LitmusLimits> {
  /**
   * Asked every few hundred steps: true throws SearchStopped('stopped') (the caller cancelled;
   * no result). The other budgets end the run with verdict Unknown.
   */
  shouldStop?: () => boolean;
}

export function runLitmus(text: string, options: LitmusOptions = {}): LitmusResult {
  return runParsedLitmus(parseLitmus(text), options);
}

interface GlobalEvent {
  event: ExecEvent;
  /** For reads: the value they must read. */
  readValue?: Scalar;
  writeValue?: Scalar;
}

export function runParsedLitmus(test: LitmusTest, options: LitmusOptions = {}): LitmusResult {
  const started = Date.now();
  const { shouldStop, ...limits } = options;
  const budget = new LitmusBudget(limits, shouldStop);

  // Initial memory: every parameter and init entry names a location; unmentioned ones hold 0.
  const initial = new Map<string, Scalar>();
  const registerInit: Array<Map<string, Scalar>> = test.threads.map(() => new Map());
  for (const t of test.threads) for (const p of t.params) initial.set(p, 0);
  for (const e of test.init) {
    if (e.thread === undefined) initial.set(e.name, e.value);
    else {
      const regs = registerInit[e.thread];
      if (!regs) throw new LitmusError(e.line, `init names thread ${e.thread}, which does not exist`);
      regs.set(e.name, e.value);
    }
  }
  for (const v of [...initial.values(), ...registerInit.flatMap((m) => [...m.values()])]) {
    if (typeof v !== 'number' && !initial.has(v.address)) initial.set(v.address, 0);
  }

  // A location reached through a pointer but never declared: herd7 gives it 0.
  const readValuesFrom = (loc: string): void => {
    if (!initial.has(loc)) initial.set(loc, 0);
  };
  const loopBound = { loopBound: 0 };
  let positive = 0;
  let negative = 0;
  let candidates = 0;
  const flags = new Set<string>();
  const states = new Set<string>();
  const finish = (verdict: LitmusVerdict | 'Unknown', reason?: string): LitmusResult => {
    const result: LitmusResult = {
      name: test.name,
      verdict,
      positive,
      negative,
      flags: [...flags].sort(),
      candidates,
      work: budget.workDone,
      unrollLimitHit: loopBound.loopBound > 0,
      states: [...states].sort(),
      milliseconds: Date.now() - started,
    };
    if (reason !== undefined) result.reason = reason;
    if (test.expected !== undefined) result.expected = test.expected;
    return result;
  };
  try {
    const literals = integerLiterals(test);
    const makePaths = (readValuesOf: (thread: number) => (loc: string) => Scalar[]): ThreadPath[][] => {
      loopBound.loopBound = 0;
      return test.threads.map((t, i) => threadPaths(t, registerInit[i]!, readValuesOf(i), budget, loopBound));
    };
    let paths = pathsAtFixpoint(initial, literals, readValuesFrom, budget, new Set(), makePaths);
    // Locations some write copies a read's value into may hold an undetermined value (a cycle
    // of copies, see UNDETERMINED): the paths are computed again with it among their values.
    const copyTargets = new Set(paths.flatMap((tp) => tp.flatMap((p) => p.events.filter((e) => e.copyOf !== undefined).map((e) => e.loc!))));
    if (copyTargets.size > 0) {
      budget.release(heldByPaths(paths));
      paths = pathsAtFixpoint(initial, literals, readValuesFrom, budget, copyTargets, makePaths);
    }
    candidates = forEachCandidate(paths, initial, budget, (execution, chosen) => {
      const verdict = checkExecution(execution);
      if (!verdict.allowed) return;
      const state = finalState(execution, chosen);
      if (test.filter && !evalProp(test.filter, state)) return;
      for (const f of verdict.flags) flags.add(f);
      states.add(showState(state, test));
      if (evalProp(test.condition, state)) positive++;
      else negative++;
    }).candidates;
  } catch (e) {
    if (e instanceof TooManyStates || (e instanceof SearchStopped && e.why !== 'stopped')) {
      return finish('Unknown', budget.reason(e));
    }
    throw e;
  }
  return finish(positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes');
}

/** Events threadPaths() holds in the budget for these paths. */
function heldByPaths(paths: ThreadPath[][]): number {
  return paths.reduce((sum, tp) => sum + tp.reduce((n, p) => n + p.events.length + 1, 0), 0);
}

/**
 * Thread paths computed with every value each location may hold, grown to a fixpoint: paths are
 * recomputed while some path writes a value no read could yet guess. Without loops, a value
 * produced by a chain of k dependent writes needs k write events, so the rounds are bounded.
 *
 * Forward propagation from the initial values misses self-justifying values: a constant
 * stored only on a branch that tests a value derived from that very store (LB-like cycles,
 * which LKMM allows when no dependency orders them). herd7 finds those by solving value
 * equations; here every given integer literal is also a possible value of every integer
 * location. Guesses no write can justify are dropped when rf is chosen.
 *
 * onNewLocation is called when a path reads a location `initial` does not know yet (it may
 * add it to `initial`); the location's values are then its initial value (default 0).
 */
export function pathsAtFixpoint<P extends ThreadPath>(
  initial: Map<string, Scalar>,
  literals: number[],
  onNewLocation: (loc: string) => void,
  budget: LitmusBudget,
  undetermined: Set<string>,
  makePaths: (readValuesOf: (thread: number) => (loc: string) => Scalar[]) => P[][],
): P[][] {
  /**
   * Per location, each value with the threads that write it (undefined: seeded, any thread
   * may read it). A thread reads what the others write; its own po-earlier writes are added
   * per path (threads.ts), so its own later writes never feed its guesses.
   */
  const values = new Map<string, Map<string, { value: Scalar; writers?: Set<number> }>>();
  const seedValue = (loc: string, v: Scalar): void => {
    let m = values.get(loc);
    if (!m) values.set(loc, (m = new Map()));
    const key = scalarKey(v);
    const entry = m.get(key);
    if (entry) delete entry.writers;
    else m.set(key, { value: v });
  };
  const addWritten = (loc: string, v: Scalar, thread: number): boolean => {
    const m = values.get(loc)!;
    const key = scalarKey(v);
    const entry = m.get(key);
    if (!entry) {
      m.set(key, { value: v, writers: new Set([thread]) });
      return true;
    }
    if (!entry.writers || entry.writers.has(thread)) return false;
    entry.writers.add(thread);
    // A second writer makes the value readable by the first.
    return entry.writers.size === 2;
  };
  for (const [loc, v] of initial) {
    seedValue(loc, v);
    if (typeof v === 'number') for (const k of literals) seedValue(loc, k);
  }
  for (const loc of undetermined) seedValue(loc, UNDETERMINED);
  const known = (loc: string): void => {
    if (!values.has(loc)) {
      onNewLocation(loc);
      seedValue(loc, initial.get(loc) ?? 0);
    }
  };
  const readValuesOf =
    (thread: number) =>
    (loc: string): Scalar[] => {
      known(loc);
      const out: Scalar[] = [];
      for (const { value, writers } of values.get(loc)!.values()) {
        if (!writers || writers.size > 1 || !writers.has(thread)) out.push(value);
      }
      return out;
    };
  // Each round's paths replace the previous round's: only one round is held at a time.
  let previous: P[][] = [];
  for (let round = 0; ; round++) {
    const paths = makePaths(readValuesOf);
    budget.release(heldByPaths(previous));
    previous = paths;
    let grew = false;
    paths.forEach((tp, thread) => {
      for (const p of tp) {
        budget.tick();
        for (const e of p.events) {
          if ((e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') && e.loc !== undefined && e.value !== undefined) {
            known(e.loc);
            if (addWritten(e.loc, e.value, thread)) grew = true;
          }
        }
      }
    });
    if (!grew) return paths;
    // Round r reads values made by chains of at most r writes; an execution has at most
    // maxWrites writes, so values first made after that round can never be read.
    const maxWrites = paths.reduce((sum, tp) => sum + Math.max(0, ...tp.map((p) => p.events.filter((e) => e.kind === 'W').length)), 0);
    if (round >= maxWrites) return paths;
  }
}

/**
 * Every candidate execution of one path per thread, with every reads-from and coherence choice
 * that is coherent and atomic per location. Paths whose reads no other thread can ever supply
 * are dropped first; the product then skips combinations that cannot supply each other.
 * visit gets the execution and the path chosen in each thread. Every step is charged to the
 * budget; more than maxCandidates candidates throws TooManyStates.
 */
export function forEachCandidate<P extends ThreadPath>(
  pathsIn: P[][],
  initial: Map<string, Scalar>,
  budget: LitmusBudget,
  visit: (x: Execution, chosen: P[]) => void,
): { candidates: number } {
  const limit = budget.limits.maxCandidates;
  const paths = pathsIn.map((tp) => [...tp]);
  const locations = [...initial.keys()].sort();
  let candidates = 0;
  // Every read must read a write of its value: the initial one, a po-earlier one of its own
  // thread, or one of another thread. Paths whose guesses no other thread can ever supply are
  // dropped first (to a fixpoint); the product below then checks the same against the paths
  // already chosen, so it never builds candidates for combinations that cannot exist.
  const summaries = paths.map((tp) =>
    tp.map((p) => {
      budget.tick();
      return summarizePath(p, initial);
    }),
  );
  const provided = (t: number): Set<string> => {
    const out = new Set<string>();
    for (const s of summaries[t]!) for (const k of s.writes) out.add(k);
    return out;
  };
  for (let changed = true; changed;) {
    changed = false;
    const supply = paths.map((_, t) => provided(t));
    paths.forEach((tp, t) => {
      const keep = summaries[t]!.map((s) =>
        s.externalReads.every((k) => {
          budget.tick();
          return supply.some((w, u) => u !== t && w.has(k));
        }),
      );
      if (keep.every((k) => k)) return;
      changed = true;
      paths[t] = tp.filter((_, i) => keep[i]);
      summaries[t] = summaries[t]!.filter((_, i) => keep[i]);
    });
  }
  const supplyOf = paths.map((_, t) => provided(t));
  const n = paths.length;
  if (paths.some((tp) => tp.length === 0)) return { candidates };
  const choice = new Array<number>(n).fill(0);
  // Whether the reads of thread t (paths chosen up to upTo) can be supplied.
  const feasible = (t: number, upTo: number): boolean => {
    for (const k of summaries[t]![choice[t]!]!.externalReads) {
      let found = false;
      for (let u = 0; u < n && !found; u++) {
        budget.tick();
        if (u === t) continue;
        found = u <= upTo ? summaries[u]![choice[u]!]!.writes.has(k) : supplyOf[u]!.has(k);
      }
      if (!found) return false;
    }
    return true;
  };
  const feasibleSoFar = (upTo: number): boolean => {
    for (let t = 0; t <= upTo; t++) if (!feasible(t, upTo)) return false;
    return true;
  };
  // The product of one path per thread, as an odometer (no recursion: a test may have
  // thousands of threads).
  // Per-location rf/co choices, shared by the combinations whose events there are the same.
  const choicesCache = new Map<string, LocationChoice[]>();
  try {
    let t = 0;
    choice[0] = -1;
    while (t >= 0) {
      budget.tick();
      choice[t]!++;
      if (choice[t]! >= paths[t]!.length) {
        t--;
        continue;
      }
      if (!feasibleSoFar(t)) continue;
      if (t < n - 1) {
        t++;
        choice[t] = -1;
        continue;
      }
      const chosen = choice.map((c, i) => paths[i]![c]!);
      for (const x of executionsOf(chosen, initial, locations, budget, choicesCache)) {
        candidates++;
        if (candidates > limit) throw new TooManyStates(`more than ${limit} candidate executions`);
        // The model check costs about one step per event pair.
        budget.tick(1 + Math.ceil((x.events.length * x.events.length) / 16));
        visit(x, chosen);
      }
    }
  } finally {
    for (const choices of choicesCache.values()) budget.release(choices.reduce((n, c) => n + c.co.length + c.rf.length, 0));
  }
  return { candidates };
}

interface PathSummary {
  /** loc+value keys this path writes. */
  writes: Set<string>;
  /** loc+value keys of reads that neither the initial value nor a po-earlier write of the same thread can satisfy. */
  externalReads: string[];
}

function summarizePath(p: ThreadPath, initial: Map<string, Scalar>): PathSummary {
  const writes = new Set<string>();
  const externalReads: string[] = [];
  for (const e of p.events) {
    if (e.loc === undefined || e.value === undefined) continue;
    const key = `${e.loc}\u0000${scalarKey(e.value)}`;
    if (e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL') writes.add(key);
    else if (e.kind === 'R' || e.kind === 'LKR' || e.kind === 'LF' || e.kind === 'RL' || e.kind === 'RU') {
      const init = initial.get(e.loc) ?? 0;
      if (!sameScalar(init, e.value) && !writes.has(key)) externalReads.push(key);
    }
  }
  return { writes, externalReads };
}

/** Every integer constant written in the threads, and 0. */
function integerLiterals(test: LitmusTest): number[] {
  const found = new Set<number>([0]);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const rec = node as { kind?: string; value?: unknown; op?: string; operand?: { kind?: string; value?: unknown } };
    if (rec.kind === 'num' && typeof rec.value === 'number') found.add(rec.value);
    if (rec.kind === 'unary' && rec.op === '-' && rec.operand?.kind === 'num' && typeof rec.operand.value === 'number') {
      found.add(-rec.operand.value);
    }
    for (const child of Object.values(node)) if (child && typeof child === 'object') visit(child);
  };
  for (const t of test.threads) visit(t.body);
  return [...found].sort((a, b) => a - b);
}

interface FinalState {
  memory: Map<string, Scalar>;
  registers: Array<Map<string, Scalar>>;
}

function finalState(x: Execution, paths: ThreadPath[]): FinalState {
  const memory = new Map<string, Scalar>();
  for (const [loc, order] of Object.entries(x.co)) {
    const last = x.events[order[order.length - 1]!]!;
    memory.set(loc, (last as ExecEvent & { scalar?: Scalar }).scalar ?? last.value ?? 0);
  }
  return { memory, registers: paths.map((p) => p.registers) };
}

function lookup(state: FinalState, thread: number | undefined, name: string): Scalar {
  if (thread === undefined) return state.memory.get(name) ?? 0;
  return state.registers[thread]?.get(name) ?? 0;
}

function evalProp(p: Prop, state: FinalState): boolean {
  switch (p.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evalProp(p.operand, state);
    case 'and':
      return evalProp(p.left, state) && evalProp(p.right, state);
    case 'or':
      return evalProp(p.left, state) || evalProp(p.right, state);
    case 'implies':
      return !evalProp(p.left, state) || evalProp(p.right, state);
    case 'atom': {
      const actual = lookup(state, p.thread, p.name);
      // A bare name on the right is a location's address, unless the value is an integer.
      return sameScalar(actual, p.value) !== p.negated;
    }
  }
}

function showState(state: FinalState, test: LitmusTest): string {
  const names = new Set<string>();
  const collect = (p: Prop | undefined): void => {
    if (!p) return;
    if (p.kind === 'atom') names.add(p.thread === undefined ? p.name : `${p.thread}:${p.name}`);
    if (p.kind === 'not') collect(p.operand);
    if (p.kind === 'and' || p.kind === 'or' || p.kind === 'implies') {
      collect(p.left);
      collect(p.right);
    }
  };
  collect(test.condition);
  for (const l of test.locations) names.add(l.thread === undefined ? l.name : `${l.thread}:${l.name}`);
  return [...names]
    .sort()
    .map((n) => {
      const m = /^(\d+):(.*)$/.exec(n);
      const v = m ? lookup(state, Number(m[1]), m[2]!) : lookup(state, undefined, n);
      return `${n}=${showScalar(v)};`;
    })
    .join(' ');
}

/**
 * All rf/co choices for one combination of thread paths, pruned per location.
 * Event values in the Execution are numbers; addresses are numbered by location so that
 * distinct addresses stay distinct (the model never looks at values except for SRCU indices).
 */
function* executionsOf(
  paths: ThreadPath[],
  initial: Map<string, Scalar>,
  locations: string[],
  budget: LitmusBudget,
  cache: Map<string, LocationChoice[]>,
): Generator<Execution> {
  const events: Array<ExecEvent & { scalar?: Scalar }> = [];
  const numeric = (v: Scalar | undefined): number | undefined =>
    v === undefined ? undefined : typeof v === 'number' ? v : -1_000_000 - Math.max(0, locations.indexOf(v.address));
  const info: GlobalEvent[] = [];
  const lockLocs = new Set<string>();
  const usedLocs = new Set<string>();
  for (const p of paths)
    for (const e of p.events)
      if (e.loc !== undefined) {
        usedLocs.add(e.loc);
        if (e.kind !== 'R' && e.kind !== 'W' && e.kind !== 'F' && e.kind !== 'SRCU') lockLocs.add(e.loc);
      }
  const srcuOnly = new Set<string>();
  for (const p of paths) for (const e of p.events) if (e.kind === 'SRCU' && e.loc !== undefined) srcuOnly.add(e.loc);
  for (const p of paths) for (const e of p.events) if (e.kind !== 'SRCU' && e.loc !== undefined) srcuOnly.delete(e.loc);

  const allLocs = [...new Set([...locations, ...usedLocs])].filter((l) => !srcuOnly.has(l)).sort();
  const initWrite = new Map<string, number>();
  for (const loc of allLocs) {
    const v = initial.get(loc) ?? 0;
    const id = events.length;
    const ev: ExecEvent & { scalar?: Scalar } = { id, thread: -1, poIndex: 0, kind: 'W', annot: 'once', loc, value: numeric(v)! };
    ev.scalar = v;
    events.push(ev);
    info.push({ event: ev, writeValue: v });
    initWrite.set(loc, id);
  }
  const addr: Array<[number, number]> = [];
  const data: Array<[number, number]> = [];
  const ctrl: Array<[number, number]> = [];
  const rmw: Array<[number, number]> = [];
  /** Writes that store a read's value unchanged. */
  const copies = new Set<number>();
  paths.forEach((p, thread) => {
    const base = events.length;
    p.events.forEach((e, i) => {
      const ev: ExecEvent & { scalar?: Scalar } = { id: base + i, thread, poIndex: i, kind: e.kind, annot: e.annot };
      if (e.loc !== undefined) ev.loc = e.loc;
      const nv = numeric(e.value);
      if (nv !== undefined) ev.value = nv;
      if (e.value !== undefined) ev.scalar = e.value;
      if (e.failedRmw) ev.failedRmw = true;
      events.push(ev);
      const isWrite = e.kind === 'W' || e.kind === 'LKW' || e.kind === 'UL';
      const isRead = e.kind === 'R' || e.kind === 'LKR' || e.kind === 'LF' || e.kind === 'RL' || e.kind === 'RU';
      const g: GlobalEvent = { event: ev };
      if (isWrite && e.value !== undefined) g.writeValue = e.value;
      if (isRead && e.value !== undefined) g.readValue = e.value;
      info.push(g);
      for (const d of e.addr) addr.push([base + d, base + i]);
      for (const d of e.data) data.push([base + d, base + i]);
      for (const d of e.ctrl) ctrl.push([base + d, base + i]);
      if (e.rmwRead !== undefined) rmw.push([base + e.rmwRead, base + i]);
      if (e.copyOf !== undefined) copies.add(base + i);
    });
  });
  // Building the combination's events costs a step per event.
  budget.tick(events.length);
  const valueCycles = new ValueCycles(events.length, data, copies, (id) => events[id]!.value === UNDETERMINED);

  // Per location: every coherence order and rf map that is coherent and atomic there.
  const writesAt = new Map<string, number[]>();
  const readsAt = new Map<string, number[]>();
  for (const g of info) {
    const l = g.event.loc;
    if (l === undefined) continue;
    if (g.writeValue !== undefined && g.event.thread >= 0) (writesAt.get(l) ?? writesAt.set(l, []).get(l)!).push(g.event.id);
    if (g.readValue !== undefined) (readsAt.get(l) ?? readsAt.set(l, []).get(l)!).push(g.event.id);
  }
  const perLocation: LocationChoice[][] = [];
  let held = 0;
  try {
    for (const loc of allLocs) {
      const writes = writesAt.get(loc) ?? [];
      const reads = readsAt.get(loc) ?? [];
      const ids = [initWrite.get(loc)!, ...writes, ...reads];
      // The choices depend only on these events' threads, program order, kinds, values and
      // RMW pairs: the same events in another combination of paths reuse them.
      const localOf = new Map(ids.map((id, i) => [id, i]));
      const signature =
        ids
          .map((id) => {
            const e = events[id]!;
            const g = info[id]!;
            return `${e.thread}.${e.poIndex}.${e.kind}.${g.writeValue !== undefined ? `w${scalarKey(g.writeValue)}` : `r${scalarKey(g.readValue!)}`}`;
          })
          .join('|') +
        '#' +
        rmw
          .filter(([r, w]) => localOf.has(r) && localOf.has(w))
          .map(([r, w]) => `${localOf.get(r)}-${localOf.get(w)}`)
          .join(',');
      let localChoices = cache.get(signature);
      if (localChoices === undefined) {
        localChoices = locationChoices(ids, 1 + writes.length, events, info, rmw, budget);
        cache.set(signature, localChoices);
        for (const c of localChoices) budget.hold(c.co.length + c.rf.length);
      }
      if (localChoices.length === 0) return;
      const options = localChoices.map((c) => ({
        co: c.co.map((i) => ids[i]!),
        rf: c.rf.map(([w, r]): [number, number] => [ids[w]!, ids[r]!]),
      }));
      for (const o of options) held += o.co.length + o.rf.length;
      budget.hold(options.reduce((n, o) => n + o.co.length + o.rf.length, 0));
      perLocation.push(options);
    }

    // The product of the locations' choices, as an odometer.
    const pick = new Array<number>(perLocation.length).fill(0);
    for (;;) {
      budget.tick(1 + perLocation.length);
      const co: Record<string, number[]> = {};
      const rf: Array<[number, number]> = [];
      pick.forEach((i, l) => {
        const o = perLocation[l]![i]!;
        co[allLocs[l]!] = o.co;
        for (const pair of o.rf) rf.push(pair);
      });
      if (valueCycles.allowed(rf)) yield { events, rf, co, rmw, addr, data, ctrl };
      let k = perLocation.length - 1;
      while (k >= 0 && pick[k]! + 1 >= perLocation[k]!.length) pick[k--] = 0;
      if (k < 0) return;
      pick[k]!++;
    }
  } finally {
    budget.release(held);
  }
}

type LocationChoice = { co: number[]; rf: Array<[number, number]> };

/**
 * Every coherence order and rf map of one location that is coherent and atomic there, over
 * `ids` (the initial write, then `writeCount - 1` writes, then the reads), as indices into ids.
 */
function locationChoices(
  ids: number[],
  writeCount: number,
  events: ExecEvent[],
  info: GlobalEvent[],
  rmw: Array<[number, number]>,
  budget: LitmusBudget,
): LocationChoice[] {
  const writes = ids.slice(1, writeCount);
  const reads = ids.slice(writeCount);
  const localOf = new Map(ids.map((id, i) => [id, i]));
  const sources = reads.map((r) => {
    budget.tick(1 + writes.length);
    return ids.slice(0, writeCount).filter((w) => sameScalar(info[w]!.writeValue!, info[r]!.readValue!));
  });
  if (sources.some((s) => s.length === 0)) return []; // some read has no write of its value
  const checker = new LocationChecker(events, ids, rmw);
  const size = ids.length;
  const options: LocationChoice[] = [];
  for (const order of permutationsRespectingPo(writes, events)) {
    const co = [ids[0]!, ...order];
    // Every rf choice (one source per read), as an odometer over the reads.
    const rfChoice = new Array<number>(reads.length).fill(0);
    for (;;) {
      // The check is a transitive closure over the location's events: cubic in their number.
      budget.tick(1 + Math.ceil((size * size * size) / 1024));
      const rf = reads.map((r, i): [number, number] => [sources[i]![rfChoice[i]!]!, r]);
      if (checker.consistent(co, rf)) {
        options.push({ co: co.map((id) => localOf.get(id)!), rf: rf.map(([w, r]): [number, number] => [localOf.get(w)!, localOf.get(r)!]) });
      }
      let k = reads.length - 1;
      while (k >= 0 && rfChoice[k]! + 1 >= sources[k]!.length) rfChoice[k--] = 0;
      if (k < 0) break;
      rfChoice[k]!++;
    }
  }
  return options;
}

/**
 * Orders of a location's writes that keep each thread's writes in program order (coherence).
 * Iterative (a location may have thousands of writes), in the order of a depth-first search
 * that takes the lowest-numbered thread first.
 */
export function* permutationsRespectingPo(writes: number[], events: ExecEvent[]): Generator<number[]> {
  const byThread = new Map<number, number[]>();
  for (const w of writes) {
    const t = events[w]!.thread;
    byThread.set(t, [...(byThread.get(t) ?? []), w]);
  }
  const queues = [...byThread.values()].map((q) => q.sort((a, b) => events[a]!.poIndex - events[b]!.poIndex));
  const heads = queues.map(() => 0);
  const out: number[] = [];
  /** The queue each position of out was taken from. */
  const takenFrom: number[] = [];
  let next = 0;
  for (;;) {
    if (out.length === writes.length) {
      yield [...out];
    } else {
      let q = next;
      while (q < queues.length && heads[q]! >= queues[q]!.length) q++;
      if (q < queues.length) {
        out.push(queues[q]![heads[q]!]!);
        heads[q]!++;
        takenFrom.push(q);
        next = 0;
        continue;
      }
    }
    // Backtrack: undo the last choice and try the next queue at that position.
    if (takenFrom.length === 0) return;
    const q = takenFrom.pop()!;
    heads[q]!--;
    out.pop();
    next = q + 1;
  }
}

/**
 * herd7 computes the values of a candidate from its rf choice by solving equations: a read's
 * value is its write's, a write's value is a function of the reads it depends on (data). An
 * address dependency only constrains which write a read may see (herd7 checks it, as the rf
 * choice here does), it makes no value equation. When the data dependencies run in
 * a cycle through rf, the equations have no solution unless every step of the cycle is a plain
 * copy, and then the value is a free symbol (UNDETERMINED). So a candidate is kept only if
 * every such cycle is made of copies carrying UNDETERMINED; concrete guesses around a cycle,
 * which a fixpoint would accept, are not executions herd7 knows.
 */
class ValueCycles {
  /** Per event: the events whose value it depends on, without rf; copy marks a copy step. */
  private readonly dependsOn: Array<Array<{ on: number; copy: boolean }>>;
  private readonly any: boolean;

  constructor(
    private readonly size: number,
    data: Array<[number, number]>,
    copies: Set<number>,
    private readonly undetermined: (id: number) => boolean,
  ) {
    this.dependsOn = Array.from({ length: size }, () => []);
    for (const [from, to] of data) this.dependsOn[to]!.push({ on: from, copy: copies.has(to) });
    this.any = data.length > 0;
  }

  allowed(rf: Array<[number, number]>): boolean {
    if (!this.any) return true;
    // Edges point from an event to what its value depends on: deps, and a read's rf source.
    const source = new Map<number, number>();
    for (const [w, r] of rf) source.set(r, w);
    const next = (v: number): Array<{ to: number; copy: boolean }> => {
      const out = this.dependsOn[v]!.map((d) => ({ to: d.on, copy: d.copy }));
      const w = source.get(v);
      if (w !== undefined) out.push({ to: w, copy: true });
      return out;
    };
    // Tarjan's strongly connected components, iterative.
    const index = new Array<number>(this.size).fill(-1);
    const low = new Array<number>(this.size).fill(0);
    const onStack = new Array<boolean>(this.size).fill(false);
    const component = new Array<number>(this.size).fill(-1);
    const stack: number[] = [];
    let counter = 0;
    let components = 0;
    for (let root = 0; root < this.size; root++) {
      if (index[root] !== -1) continue;
      const frames: Array<{ v: number; edges: Array<{ to: number; copy: boolean }>; i: number }> = [];
      const open = (v: number): void => {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
        frames.push({ v, edges: next(v), i: 0 });
      };
      open(root);
      while (frames.length > 0) {
        const f = frames[frames.length - 1]!;
        if (f.i < f.edges.length) {
          const to = f.edges[f.i++]!.to;
          if (index[to] === -1) open(to);
          else if (onStack[to]) low[f.v] = Math.min(low[f.v]!, index[to]!);
          continue;
        }
        frames.pop();
        if (frames.length > 0) {
          const parent = frames[frames.length - 1]!.v;
          low[parent] = Math.min(low[parent]!, low[f.v]!);
        }
        if (low[f.v] === index[f.v]) {
          for (;;) {
            const w = stack.pop()!;
            onStack[w] = false;
            component[w] = components;
            if (w === f.v) break;
          }
          components++;
        }
      }
    }
    // Within a component every edge lies on a cycle: all must be copies of an undetermined value.
    for (let v = 0; v < this.size; v++) {
      for (const e of next(v)) {
        if (component[e.to] !== component[v]) continue;
        if (!e.copy || !this.undetermined(v)) return false;
      }
    }
    return true;
  }
}

/**
 * sc-per-location (acyclic po-loc | rf | co | fr) and RMW atomicity restricted to one
 * location's events, checked for many rf/co choices of the same events. The graph is small,
 * so edges are kept as one Relation row per event and cycles found by Warshall closure.
 */
class LocationChecker {
  private readonly local = new Map<number, number>();
  private readonly poLoc: Relation;

  constructor(
    private readonly events: ExecEvent[],
    private readonly ids: number[],
    private readonly rmw: Array<[number, number]>,
  ) {
    ids.forEach((id, i) => this.local.set(id, i));
    this.poLoc = Relation.where(ids.length, (a, b) => {
      const ea = events[ids[a]!]!;
      const eb = events[ids[b]!]!;
      return ea.thread >= 0 && ea.thread === eb.thread && ea.poIndex < eb.poIndex;
    });
  }

  consistent(co: number[], rf: Array<[number, number]>): boolean {
    const local = this.local;
    const position = new Map(co.map((w, i) => [w, i]));
    const graph = this.poLoc.clone();
    for (let i = 0; i < co.length; i++) for (let j = i + 1; j < co.length; j++) graph.add(local.get(co[i]!)!, local.get(co[j]!)!);
    const source = new Map<number, number>();
    for (const [w, r] of rf) {
      source.set(r, w);
      const rl = local.get(r)!;
      graph.add(local.get(w)!, rl);
      // fr: the read precedes every write co-after the one it reads.
      for (let i = position.get(w)! + 1; i < co.length; i++) graph.add(rl, local.get(co[i]!)!);
    }
    if (!graph.isAcyclic()) return false;
    // Atomicity: no write of another thread between an RMW's read source and its write.
    for (const [r, w] of this.rmw) {
      if (!local.has(r) || !position.has(w)) continue;
      const from = position.get(source.get(r)!)!;
      const to = position.get(w)!;
      for (let i = from + 1; i < to; i++) {
        if (this.events[co[i]!]!.thread !== this.events[w]!.thread) return false;
      }
    }
    return true;
  }
}
