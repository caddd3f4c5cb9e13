/**
 * Candidate executions of one combination of thread paths: every coherence order and
 * reads-from choice that is coherent and atomic per location, built lock by lock.
 *
 * litmus/run.ts enumerates each location on its own; with kernel objects that is hopeless (a
 * queue lock taken eight times has thousands of coherence orders, each multiplied by every
 * choice for the queue it protects). Here a spin lock and the locations it protects (see
 * ./combine) are enumerated together, by the order of the critical sections: a critical
 * section can only come next when the values it reads on entry are the ones the previous
 * sections left. That order fixes the lock's coherence and reads-from and those of the
 * protected writes and of the reads inside critical sections; only lockless reads of
 * protected locations still choose their write. Other locations are enumerated as herd7
 * does. The per-location filters (coherence, RMW atomicity) discard only candidates LKMM
 * forbids anyway, so every execution LKMM allows is still produced; checkExecution decides.
 */
import type { Execution, ExecEvent } from '../lkmm/execution';
import type { Scalar } from '../litmus/ast';
import { permutationsRespectingPo } from '../litmus/run';
import type { ExplorerPath } from './lower';

export interface EventLayout {
  events: ExecEvent[];
  /** Global id of each thread's first event. */
  base: number[];
  initWrite: Map<string, number>;
  rmw: Array<[number, number]>;
  addr: Array<[number, number]>;
  data: Array<[number, number]>;
  ctrl: Array<[number, number]>;
  /** Reads that may return any of several values (ThreadEvent.values), by event id. */
  classes: Map<number, number[]>;
}

/** Whether read r may read from write w (its value, or one of its class). */
export function valueFits(L: { events: ExecEvent[]; classes: Map<number, number[]> }, r: number, w: number): boolean {
  const v = L.events[w]!.value;
  const cls = L.classes.get(r);
  return cls ? v !== undefined && cls.includes(v) : v === L.events[r]!.value;
}

const isRead = (k: string) => k === 'R' || k === 'LKR' || k === 'LF' || k === 'RL' || k === 'RU';
const isWrite = (k: string) => k === 'W' || k === 'LKW' || k === 'UL';

/** Initial writes (one per location, sorted by name) then each thread's events in order. */
export function layoutEvents(chosen: ExplorerPath[], initial: Map<string, Scalar>): EventLayout {
  const locs = new Set<string>(initial.keys());
  for (const p of chosen) for (const e of p.events) if (e.loc !== undefined) locs.add(e.loc);
  const events: ExecEvent[] = [];
  const initWrite = new Map<string, number>();
  for (const loc of [...locs].sort()) {
    const v = initial.get(loc) ?? 0;
    initWrite.set(loc, events.length);
    events.push({ id: events.length, thread: -1, poIndex: 0, kind: 'W', annot: 'once', loc, value: typeof v === 'number' ? v : 0 });
  }
  const rmw: Array<[number, number]> = [];
  const addr: Array<[number, number]> = [];
  const data: Array<[number, number]> = [];
  const ctrl: Array<[number, number]> = [];
  const base: number[] = [];
  const classes = new Map<number, number[]>();
  chosen.forEach((p, thread) => {
    const b = events.length;
    base.push(b);
    p.events.forEach((e, i) => {
      const ev: ExecEvent = { id: b + i, thread, poIndex: i, kind: e.kind, annot: e.annot };
      if (e.loc !== undefined) ev.loc = e.loc;
      if (typeof e.value === 'number') ev.value = e.value;
      events.push(ev);
      for (const d of e.addr) addr.push([b + d, b + i]);
      for (const d of e.data) data.push([b + d, b + i]);
      for (const d of e.ctrl) ctrl.push([b + d, b + i]);
      if (e.rmwRead !== undefined) rmw.push([b + e.rmwRead, b + i]);
      if (e.values) classes.set(b + i, e.values);
    });
  });
  return { events, base, initWrite, rmw, addr, data, ctrl, classes };
}

interface LocChoice {
  co: Record<string, number[]>;
  rf: Array<[number, number]>;
}

/**
 * Coherence on one location (po-loc ∪ rf ∪ co ∪ fr acyclic) and RMW atomicity (an RMW's write
 * comes right after the write its read reads in co).
 */
export function coherent(events: ExecEvent[], ids: number[], co: number[], rf: Array<[number, number]>, rmw: Array<[number, number]>): boolean {
  const index = new Map<number, number>();
  ids.forEach((id, i) => index.set(id, i));
  const n = ids.length;
  const adj: number[][] = ids.map(() => []);
  const edge = (a: number, b: number) => adj[index.get(a)!]!.push(index.get(b)!);
  // po-loc: consecutive same-thread events suffice (transitivity comes from the closure).
  const byThread = new Map<number, number[]>();
  for (const id of ids) {
    const e = events[id]!;
    if (e.thread < 0) continue;
    let l = byThread.get(e.thread);
    if (!l) byThread.set(e.thread, (l = []));
    l.push(id);
  }
  for (const l of byThread.values()) {
    l.sort((a, b) => events[a]!.poIndex - events[b]!.poIndex);
    for (let i = 0; i + 1 < l.length; i++) edge(l[i]!, l[i + 1]!);
  }
  for (let i = 0; i + 1 < co.length; i++) edge(co[i]!, co[i + 1]!);
  const pos = new Map<number, number>();
  co.forEach((w, i) => pos.set(w, i));
  const source = new Map<number, number>();
  for (const [w, r] of rf) {
    source.set(r, w);
    edge(w, r);
    const next = co[pos.get(w)! + 1];
    if (next !== undefined) edge(r, next);
  }
  for (const [r, w] of rmw) {
    if (!index.has(r) || !pos.has(w)) continue;
    const s = source.get(r);
    if (s === undefined || pos.get(w) !== pos.get(s)! + 1) return false;
  }
  // Cycle detection (iterative DFS with colours).
  const colour = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    if (colour[s]) continue;
    const stack: Array<[number, number]> = [[s, 0]];
    colour[s] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, i] = top;
      if (i < adj[v]!.length) {
        top[1]++;
        const w = adj[v]![i]!;
        if (colour[w] === 1) return false;
        if (colour[w] === 0) {
          colour[w] = 1;
          stack.push([w, 0]);
        }
      } else {
        colour[v] = 2;
        stack.pop();
      }
    }
  }
  return true;
}

/** Every rf choice for the given reads (each from a write of its value) that is coherent with co. */
function readChoices(
  events: ExecEvent[],
  ids: number[],
  co: number[],
  fixedRf: Array<[number, number]>,
  freeReads: number[],
  rmw: Array<[number, number]>,
  out: LocChoice[],
  loc: string,
  limit: number,
  classes: Map<number, number[]>,
  tick: () => void,
): void {
  // Necessary conditions of coherence, applied before the product: an RMW's read reads the
  // write just before its own in co; a read reads neither a po-later write of its own thread
  // nor a write co-before its thread's last po-earlier write (CoWR).
  const pos = new Map<number, number>();
  co.forEach((w, i) => pos.set(w, i));
  const rmwWrite = new Map<number, number>();
  for (const [r, w] of rmw) rmwWrite.set(r, w);
  const sources = freeReads.map((r) => {
    const re = events[r]!;
    const mine = rmwWrite.get(r);
    if (mine !== undefined && pos.has(mine)) {
      const prev = co[pos.get(mine)! - 1];
      return prev !== undefined && valueFits({ events, classes }, r, prev) ? [prev] : [];
    }
    let floor = 0;
    for (const w of co) {
      const we = events[w]!;
      if (we.thread === re.thread && we.poIndex < re.poIndex) floor = Math.max(floor, pos.get(w)!);
    }
    return co.filter((w) => {
      const we = events[w]!;
      if (we.thread === re.thread && we.poIndex > re.poIndex) return false;
      return pos.get(w)! >= floor && valueFits({ events, classes }, r, w);
    });
  });
  if (sources.some((s) => s.length === 0)) return;
  const pick = new Array<number>(freeReads.length).fill(0);
  const walk = (k: number): void => {
    if (out.length >= limit) return;
    if (k < freeReads.length) {
      for (const s of sources[k]!) {
        pick[k] = s;
        walk(k + 1);
      }
      return;
    }
    tick();
    const rf: Array<[number, number]> = [...fixedRf, ...freeReads.map((r, i): [number, number] => [pick[i]!, r])];
    if (coherent(events, ids, co, rf, rmw)) out.push({ co: { [loc]: co }, rf });
  };
  walk(0);
}

interface CriticalSection {
  thread: number;
  lkr: number;
  lkw: number;
  ul?: number;
  /** Events on protected locations inside the section, in program order. */
  inside: number[];
}

/**
 * Every candidate execution of the combination; `protectedBy` maps each protected location to
 * its lock (./combine). Stops after `budget` candidates (exhausted). `tick`: the search's stop
 * check, called once per event laid out, per lock order step, per write order and per read
 * choice judged coherent or not (the work building the candidates costs, counted).
 */
export function* candidatesOf(
  chosen: ExplorerPath[],
  initial: Map<string, Scalar>,
  protectedBy: Map<string, string>,
  budget: number,
  tick: () => void = () => {},
): Generator<Execution, { exhausted: boolean }> {
  const L = layoutEvents(chosen, initial);
  const { events } = L;
  const byLoc = new Map<string, number[]>();
  for (const e of events) {
    tick();
    if (e.loc === undefined) continue;
    let l = byLoc.get(e.loc);
    if (!l) byLoc.set(e.loc, (l = []));
    l.push(e.id);
  }
  const lockLocs = new Set<string>();
  for (const e of events) if (e.kind === 'LKR' || e.kind === 'LKW' || e.kind === 'UL') lockLocs.add(e.loc!);
  // Critical sections per lock, per thread, in program order.
  const sections = new Map<string, CriticalSection[][]>();
  for (const lock of lockLocs)
    sections.set(
      lock,
      chosen.map(() => []),
    );
  chosen.forEach((p, t) => {
    const open = new Map<string, CriticalSection>();
    p.events.forEach((e, i) => {
      const id = L.base[t]! + i;
      if (e.kind === 'LKR') {
        const cs: CriticalSection = { thread: t, lkr: id, lkw: id + 1, inside: [] };
        open.set(e.loc!, cs);
        sections.get(e.loc!)![t]!.push(cs);
      } else if (e.kind === 'UL') {
        const cs = open.get(e.loc!);
        if (cs) cs.ul = id;
        open.delete(e.loc!);
      } else if (e.loc !== undefined && (e.kind === 'R' || e.kind === 'W')) {
        const lock = protectedBy.get(e.loc);
        if (lock !== undefined && open.has(lock)) open.get(lock)!.inside.push(id);
      }
    });
  });

  // Groups: one per lock (with its protected locations), one per other location.
  const groups: LocChoice[][] = [];
  const limit = Math.max(1, budget);
  for (const lock of [...lockLocs].sort()) {
    const prot = [...protectedBy.entries()]
      .filter(([, k]) => k === lock)
      .map(([l]) => l)
      .filter((l) => byLoc.has(l))
      .sort();
    const perThread = sections.get(lock)!;
    const total = perThread.reduce((n, l) => n + l.length, 0);
    const options: LocChoice[] = [];
    const next = perThread.map(() => 0);
    const order: CriticalSection[] = [];
    const current = new Map<string, number>();
    for (const l of prot) current.set(l, events[L.initWrite.get(l)!]!.value ?? 0);
    const emit = (): void => {
      // Lock: co and rf from the order.
      const lockCo = [L.initWrite.get(lock)!];
      const rf: Array<[number, number]> = [];
      let lastRelease = L.initWrite.get(lock)!;
      for (const cs of order) {
        rf.push([lastRelease, cs.lkr]);
        lockCo.push(cs.lkw);
        if (cs.ul !== undefined) {
          lockCo.push(cs.ul);
          lastRelease = cs.ul;
        }
      }
      const base: LocChoice = { co: { [lock]: lockCo }, rf };
      // Protected locations: writes in section order; reads inside sections read the latest.
      let partial: LocChoice[] = [base];
      for (const loc of prot) {
        const co = [L.initWrite.get(loc)!];
        const fixed: Array<[number, number]> = [];
        const inSection = new Set<number>();
        for (const cs of order) {
          for (const id of cs.inside) {
            const e = events[id]!;
            if (e.loc !== loc) continue;
            inSection.add(id);
            if (e.kind === 'W') co.push(id);
            else fixed.push([co[co.length - 1]!, id]);
          }
        }
        const free = byLoc.get(loc)!.filter((id) => isRead(events[id]!.kind) && !inSection.has(id));
        const ids = byLoc.get(loc)!;
        if (co.length - 1 !== ids.filter((id) => isWrite(events[id]!.kind) && events[id]!.thread >= 0).length) return; // a write outside any section
        const here: LocChoice[] = [];
        readChoices(events, ids, co, fixed, free, L.rmw, here, loc, limit, L.classes, tick);
        const combined: LocChoice[] = [];
        for (const a of partial) for (const b of here) combined.push({ co: { ...a.co, ...b.co }, rf: [...a.rf, ...b.rf] });
        partial = combined;
        if (partial.length === 0) return;
      }
      options.push(...partial);
    };
    const dfs = (): void => {
      tick();
      if (options.length >= limit) return;
      if (order.length === total) return emit();
      for (let t = 0; t < perThread.length; t++) {
        const cs = perThread[t]![next[t]!];
        if (!cs) continue;
        // A section never released must be the last one.
        if (cs.ul === undefined && order.length + 1 !== total) continue;
        // Entry values: the first access of each protected location must read the current value.
        const seen = new Set<string>();
        let ok = true;
        const saved = new Map(current);
        for (const id of cs.inside) {
          const e = events[id]!;
          const loc = e.loc!;
          if (!seen.has(loc)) {
            seen.add(loc);
            if (e.kind === 'R' && e.value !== current.get(loc)) {
              ok = false;
              break;
            }
          }
          if (e.kind === 'W') current.set(loc, e.value ?? 0);
          else if (e.value !== current.get(loc)) {
            ok = false;
            break;
          }
        }
        if (ok) {
          order.push(cs);
          next[t]!++;
          dfs();
          next[t]!--;
          order.pop();
        }
        for (const [k, v] of saved) current.set(k, v);
      }
    };
    dfs();
    if (options.length === 0) return { exhausted: false };
    groups.push(options);
  }
  const grouped = new Set<string>([...lockLocs, ...[...protectedBy.entries()].filter(([, k]) => lockLocs.has(k)).map(([l]) => l)]);
  for (const loc of [...byLoc.keys()].sort()) {
    if (grouped.has(loc)) continue;
    const ids = byLoc.get(loc)!;
    const writes = ids.filter((id) => isWrite(events[id]!.kind) && events[id]!.thread >= 0);
    const reads = ids.filter((id) => isRead(events[id]!.kind));
    const options: LocChoice[] = [];
    for (const order of permutationsRespectingPo(writes, events)) {
      tick();
      readChoices(events, ids, [L.initWrite.get(loc)!, ...order], [], reads, L.rmw, options, loc, limit, L.classes, tick);
      if (options.length >= limit) break;
    }
    if (options.length === 0) return { exhausted: false };
    groups.push(options);
  }
  let produced = 0;
  const pick = new Array<number>(groups.length).fill(0);
  function* product(k: number): Generator<Execution, boolean> {
    if (k < groups.length) {
      for (let i = 0; i < groups[k]!.length; i++) {
        pick[k] = i;
        if (!(yield* product(k + 1))) return false;
      }
      return true;
    }
    if (produced >= budget) return false;
    produced++;
    const co: Record<string, number[]> = {};
    const rf: Array<[number, number]> = [];
    pick.forEach((i, g) => {
      const o = groups[g]![i]!;
      Object.assign(co, o.co);
      rf.push(...o.rf);
    });
    // A read of a class of values takes the value of the write it reads from.
    let evs = events;
    if (L.classes.size > 0) {
      evs = events.slice();
      for (const [w, r] of rf) if (L.classes.has(r)) evs[r] = { ...events[r]!, value: events[w]!.value ?? 0 };
    }
    yield { events: evs, rf, co, rmw: L.rmw, addr: L.addr, data: L.data, ctrl: L.ctrl };
    return true;
  }
  const complete = yield* product(0);
  return { exhausted: !complete };
}
