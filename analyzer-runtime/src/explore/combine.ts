/**
 * Which combinations of thread paths can be the threads of one execution: the explorer's
 * replacement for the plain Cartesian product, with two necessary conditions checked before
 * any candidate execution is built (both only ever discard combinations that have no
 * execution at all, so nothing LKMM allows is lost):
 *
 * 1. Supply: every read whose value neither the initial value nor an earlier write of its own
 *    thread gives must find a write of that value in another thread (as litmus/run.ts does).
 * 2. Lock chains: a location whose every write happens inside critical sections of one spin
 *    lock K, each of which reads it before writing it, changes only from one critical section
 *    to the next. Critical sections of K are totally ordered and each sees the value the
 *    previous one left (LKMM's spinlock guarantee), so the critical sections of all threads
 *    must form one chain of value transitions starting from the initial value: an Eulerian
 *    trail in the multigraph of transitions. Its degree condition (every value entered as
 *    often as left, except the start and the end) is checked by bucketing the paths of the
 *    thread with most paths by their degree vector, so that thread is never enumerated blindly.
 *    Reads inside one critical section after its first access must see the section's own
 *    current value (nobody else can write it meanwhile): other paths are dropped outright.
 */
import type { Scalar } from '../litmus/ast';
import type { ExplorerPath } from './lower';

const isRead = (k: string) => k === 'R' || k === 'LKR' || k === 'LF' || k === 'RL' || k === 'RU';
const isWrite = (k: string) => k === 'W' || k === 'LKW' || k === 'UL';

interface Summary {
  writes: Set<string>;
  /** Reads no initial value or own earlier write gives: each a list of keys, any of which will do. */
  externalReads: string[][];
  /** Lock-chain degree vector, as a canonical key. */
  degreeKey: string;
  degree: Map<string, number>;
}

function keyOf(loc: string, v: Scalar | undefined): string {
  return `${loc}\u0000${typeof v === 'number' ? v : JSON.stringify(v)}`;
}

function degreeKey(d: Map<string, number>): string {
  return [...d.entries()]
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, n]) => `${k}=${n}`)
    .join('|');
}

/** Locations all of whose writes are inside read-first critical sections of one lock. */
export function protectedLocations(paths: ExplorerPath[][]): Map<string, string> {
  const lockLocs = new Set<string>();
  for (const tp of paths) for (const p of tp) for (const e of p.events) if (e.kind === 'LKW' || e.kind === 'LKR' || e.kind === 'UL') lockLocs.add(e.loc!);
  const candidate = new Map<string, Set<string> | null>();
  for (const tp of paths) {
    for (const p of tp) {
      const held: string[] = [];
      // Per lock: locations already accessed in the current critical section.
      const touched = new Map<string, Set<string>>();
      for (const e of p.events) {
        if (e.kind === 'LKW') {
          held.push(e.loc!);
          touched.set(e.loc!, new Set());
          continue;
        }
        if (e.kind === 'UL') {
          const i = held.lastIndexOf(e.loc!);
          if (i >= 0) held.splice(i, 1);
          continue;
        }
        if (e.loc === undefined || lockLocs.has(e.loc) || (e.kind !== 'R' && e.kind !== 'W')) continue;
        const loc = e.loc;
        if (e.kind === 'W') {
          const prev = candidate.get(loc);
          if (prev === null) continue;
          // Locks under which this write is the not the first access of its critical section, or is preceded by a read.
          const ok = new Set(held.filter((k) => touched.get(k)!.has(loc)));
          candidate.set(loc, prev === undefined ? ok : new Set([...prev].filter((k) => ok.has(k))));
          if (candidate.get(loc)!.size === 0) candidate.set(loc, null);
        }
        for (const k of held) touched.get(k)!.add(loc);
      }
    }
  }
  const out = new Map<string, string>();
  for (const [loc, locks] of candidate) if (locks && locks.size > 0) out.set(loc, [...locks].sort()[0]!);
  return out;
}

/**
 * The degree vector of a path's critical-section transitions on protected locations, or
 * undefined when the path reads, inside a critical section, a value its own section cannot
 * have there.
 */
function chainDegree(p: ExplorerPath, prot: Map<string, string>): Map<string, number> | undefined {
  const degree = new Map<string, number>();
  const bump = (k: string, n: number) => degree.set(k, (degree.get(k) ?? 0) + n);
  // Per held lock: per protected location, [value at entry, current value].
  const open = new Map<string, Map<string, [number, number]>>();
  for (const e of p.events) {
    if (e.kind === 'LKW') {
      open.set(e.loc!, new Map());
      continue;
    }
    if (e.kind === 'UL') {
      const cs = open.get(e.loc!);
      if (cs) {
        for (const [loc, [from, to]] of cs) {
          bump(keyOf(loc, from), 1);
          bump(keyOf(loc, to), -1);
        }
        open.delete(e.loc!);
      }
      continue;
    }
    if (e.loc === undefined || (e.kind !== 'R' && e.kind !== 'W')) continue;
    const lock = prot.get(e.loc);
    if (lock === undefined) continue;
    const cs = open.get(lock);
    if (!cs) continue; // a lockless read
    const v = e.value as number;
    const cur = cs.get(e.loc);
    if (e.kind === 'R') {
      if (cur === undefined) cs.set(e.loc, [v, v]);
      else if (cur[1] !== v) return undefined;
    } else if (cur !== undefined) cur[1] = v;
    // A write before any read cannot happen on a protected location (see protectedLocations).
  }
  // A critical section still open at the end (the thread stopped inside it) ends there.
  for (const cs of open.values()) {
    for (const [loc, [from, to]] of cs) {
      bump(keyOf(loc, from), 1);
      bump(keyOf(loc, to), -1);
    }
  }
  return degree;
}

/** A critical section as the chain sees it: values read on entry, values left on exit. */
interface Section {
  enter: Array<[string, number]>;
  exit: Array<[string, number]>;
  released: boolean;
}

function criticalSections(p: ExplorerPath, prot: Map<string, string>): Map<string, Section[]> {
  const out = new Map<string, Section[]>();
  const open = new Map<string, { enter: Map<string, number>; exit: Map<string, number>; seen: Set<string> }>();
  const close = (lock: string, released: boolean) => {
    const cs = open.get(lock)!;
    let l = out.get(lock);
    if (!l) out.set(lock, (l = []));
    l.push({ enter: [...cs.enter], exit: [...cs.exit], released });
    open.delete(lock);
  };
  for (const e of p.events) {
    if (e.kind === 'LKW') open.set(e.loc!, { enter: new Map(), exit: new Map(), seen: new Set() });
    else if (e.kind === 'UL') {
      if (open.has(e.loc!)) close(e.loc!, true);
    } else if (e.loc !== undefined && (e.kind === 'R' || e.kind === 'W')) {
      const lock = prot.get(e.loc);
      const cs = lock === undefined ? undefined : open.get(lock);
      if (!cs) continue;
      if (!cs.seen.has(e.loc)) {
        cs.seen.add(e.loc);
        if (e.kind === 'R') cs.enter.set(e.loc, e.value as number);
      }
      if (e.kind === 'W') cs.exit.set(e.loc, e.value as number);
    }
  }
  for (const lock of [...open.keys()]) close(lock, false);
  return out;
}

/**
 * Whether the critical sections of the chosen paths can be ordered, lock by lock, so that each
 * reads on entry what the previous ones left (a section never released coming last).
 */
function chainsFeasible(chosen: ExplorerPath[], sectionsOf: (p: ExplorerPath) => Map<string, Section[]>, initial: Map<string, Scalar>): boolean {
  const per = chosen.map(sectionsOf);
  const locks = new Set<string>();
  for (const m of per) for (const k of m.keys()) locks.add(k);
  for (const lock of locks) {
    const lists = per.map((m) => m.get(lock) ?? []);
    const total = lists.reduce((n, l) => n + l.length, 0);
    const next = lists.map(() => 0);
    const current = new Map<string, number>();
    const failed = new Set<string>();
    const dfs = (done: number): boolean => {
      if (done === total) return true;
      const key = `${next.join(',')}|${[...current].sort().join(';')}`;
      if (failed.has(key)) return false;
      for (let t = 0; t < lists.length; t++) {
        const cs = lists[t]![next[t]!];
        if (!cs) continue;
        if (!cs.released && done + 1 !== total) continue;
        if (!cs.enter.every(([loc, v]) => (current.has(loc) ? current.get(loc) : ((initial.get(loc) as number | undefined) ?? 0)) === v)) continue;
        const saved = cs.exit.map(([loc]): [string, number | undefined] => [loc, current.get(loc)]);
        for (const [loc, v] of cs.exit) current.set(loc, v);
        next[t]!++;
        const ok = dfs(done + 1);
        next[t]!--;
        for (const [loc, v] of saved) {
          if (v === undefined) current.delete(loc);
          else current.set(loc, v);
        }
        if (ok) return true;
      }
      failed.add(key);
      return false;
    };
    if (!dfs(0)) return false;
  }
  return true;
}

/**
 * A symmetry of the program (two twin threads swapped): perm maps each thread to the thread its
 * paths go to, map each path to its image. Of two combinations one the image of the other,
 * only the first in visiting order is visited: their executions are the same up to renaming.
 */
export interface Mirror {
  perm: number[];
  map: Map<ExplorerPath, ExplorerPath>;
}

export interface CombineStats {
  combinations: number;
}

/**
 * Calls visit(chosen) for every combination of one path per thread that passes both
 * conditions (and accept), in a deterministic order. visit returns false to stop.
 */
export function forEachCombination(
  pathsIn: ExplorerPath[][],
  initial: Map<string, Scalar>,
  accept: (chosen: ExplorerPath[]) => boolean,
  visit: (chosen: ExplorerPath[], protectedBy: Map<string, string>) => boolean | void,
  mirrors: Mirror[] = [],
  /** Called often (the caller's deadline / cancellation check); may throw to abandon the walk. */
  tick: () => void = () => {},
): { combinations: number; stopped: boolean } {
  const n = pathsIn.length;
  const prot = protectedLocations(pathsIn);
  const sectionCache = new Map<ExplorerPath, Map<string, Section[]>>();
  const sectionsOf = (p: ExplorerPath): Map<string, Section[]> => {
    let m = sectionCache.get(p);
    if (!m) sectionCache.set(p, (m = criticalSections(p, prot)));
    return m;
  };
  const values = new Map<string, Set<number>>();
  const summaries: Summary[][] = [];
  const paths: ExplorerPath[][] = [];
  for (const tp of pathsIn) {
    const keptPaths: ExplorerPath[] = [];
    const keptSummaries: Summary[] = [];
    for (const p of tp) {
      tick();
      const degree = chainDegree(p, prot);
      if (!degree) continue;
      const writes = new Set<string>();
      const externalReads: string[][] = [];
      for (const e of p.events) {
        if (e.loc === undefined || e.value === undefined) continue;
        const k = keyOf(e.loc, e.value);
        if (isWrite(e.kind)) writes.add(k);
        else if (isRead(e.kind)) {
          const init = initial.get(e.loc) ?? 0;
          const vals = e.values ?? [e.value];
          const keys = vals.map((v) => keyOf(e.loc!, v));
          if (!vals.includes(init) && !keys.some((x) => writes.has(x))) externalReads.push(keys);
        }
      }
      for (const [k] of degree) {
        const [loc, v] = k.split('\u0000') as [string, string];
        let s = values.get(loc);
        if (!s) values.set(loc, (s = new Set()));
        s.add(Number(v));
      }
      keptPaths.push(p);
      keptSummaries.push({ writes, externalReads, degree, degreeKey: degreeKey(degree) });
    }
    paths.push(keptPaths);
    summaries.push(keptSummaries);
  }
  // Supply to a fixpoint: drop paths whose external reads no other thread can ever supply.
  for (let changed = true; changed;) {
    changed = false;
    const supply = summaries.map((ss) => new Set(ss.flatMap((s) => [...s.writes])));
    for (let t = 0; t < n; t++) {
      tick();
      const keep = summaries[t]!.map((s) => s.externalReads.every((ks) => ks.some((k) => supply.some((w, u) => u !== t && w.has(k)))));
      if (keep.every(Boolean)) continue;
      changed = true;
      paths[t] = paths[t]!.filter((_, i) => keep[i]);
      summaries[t] = summaries[t]!.filter((_, i) => keep[i]);
    }
  }
  if (paths.some((tp) => tp.length === 0)) return { combinations: 0, stopped: false };
  const supplyOf = summaries.map((ss) => new Set(ss.flatMap((s) => [...s.writes])));

  // The thread with most paths is looked up by degree vector instead of enumerated.
  let last = 0;
  for (let t = 1; t < n; t++) if (paths[t]!.length > paths[last]!.length) last = t;
  const order = [...Array(n).keys()].filter((t) => t !== last);
  // Paths of one thread with the same degree vector, external reads and writes pass or fail
  // every check below together: the product is walked over such groups, and the combinations
  // that pass are then visited path by path in the order of a plain nested loop.
  const groupKey = (s: Summary) =>
    `${s.degreeKey}\u0001${s.externalReads
      .map((ks) => ks.join('\u0002'))
      .sort()
      .join('\u0003')}\u0001${[...s.writes].sort().join('\u0003')}`;
  type Group = { s: Summary; members: number[] };
  const groupsOf: Group[][] = summaries.map((ss) => {
    const byKey = new Map<string, Group>();
    ss.forEach((s, i) => {
      tick();
      const gk = groupKey(s);
      let g = byKey.get(gk);
      if (!g) byKey.set(gk, (g = { s, members: [] }));
      g.members.push(i);
    });
    return [...byKey.values()];
  });
  const buckets = new Map<string, Group[]>();
  for (const g of groupsOf[last]!) {
    let b = buckets.get(g.s.degreeKey);
    if (!b) buckets.set(g.s.degreeKey, (b = []));
    b.push(g);
  }
  // Targets: per protected location, a closed chain (all zero) or init -> some other value.
  const protLocs = [...new Set([...values.keys()])].sort();
  const targets: Array<Map<string, number>> = [new Map()];
  for (const loc of protLocs) {
    const init = (initial.get(loc) as number | undefined) ?? 0;
    const options: Array<Map<string, number>> = [new Map()];
    for (const v of [...values.get(loc)!].sort((a, b) => a - b)) {
      if (v === init) continue;
      options.push(
        new Map([
          [keyOf(loc, init), 1],
          [keyOf(loc, v), -1],
        ]),
      );
    }
    const next: Array<Map<string, number>> = [];
    for (const t of targets) for (const o of options) next.push(new Map([...t, ...o]));
    targets.length = 0;
    targets.push(...next);
  }

  const gchoice = new Array<Group | undefined>(n);
  let combinations = 0;
  let stopped = false;
  const supplied = (t: number, chosenSet: Set<number>): boolean => {
    for (const ks of gchoice[t]!.s.externalReads) {
      let found = false;
      for (let u = 0; u < n && !found; u++) {
        if (u === t) continue;
        const w = chosenSet.has(u) ? gchoice[u]!.s.writes : supplyOf[u]!;
        found = ks.some((k) => w.has(k));
      }
      if (!found) return false;
    }
    return true;
  };
  const chosenSet = new Set<number>();
  const prefixDegree = new Map<string, number>();
  const add = (d: Map<string, number>, sign: number) => {
    for (const [k, v] of d) prefixDegree.set(k, (prefixDegree.get(k) ?? 0) + sign * v);
  };
  const bucketCache = new Map<string, Group[]>();
  const passing: number[][] = [];
  const finish = (): void => {
    tick();
    const pk = degreeKey(prefixDegree);
    let groups = bucketCache.get(pk);
    if (!groups) {
      groups = [];
      for (const target of targets) {
        const need = new Map(target);
        for (const [k, v] of prefixDegree) need.set(k, (need.get(k) ?? 0) - v);
        const b = buckets.get(degreeKey(need));
        if (b) groups.push(...b);
      }
      bucketCache.set(pk, groups);
    }
    if (groups.length === 0) return;
    // Reads of the prefix threads that only the last thread can supply.
    const pending: string[][] = [];
    for (const t of order) {
      for (const ks of gchoice[t]!.s.externalReads) {
        if (!order.some((u) => u !== t && ks.some((k) => gchoice[u]!.s.writes.has(k)))) pending.push(ks);
      }
    }
    const prefixWrites = order.map((u) => gchoice[u]!.s.writes);
    const found: number[] = [];
    for (const { s, members } of groups) {
      if (!pending.every((ks) => ks.some((k) => s.writes.has(k)))) continue;
      if (!s.externalReads.every((ks) => ks.some((k) => prefixWrites.some((w) => w.has(k))))) continue;
      found.push(...members);
    }
    if (found.length === 0) return;
    // Every path tuple of the prefix groups with every path found.
    const tuple = new Array<number>(n).fill(0);
    const expand = (k: number): void => {
      if (k === order.length) {
        tick();
        for (const i of found) {
          tuple[last] = i;
          passing.push([...order.map((t) => tuple[t]!), i]);
        }
        return;
      }
      for (const m of gchoice[order[k]!]!.members) {
        tuple[order[k]!] = m;
        expand(k + 1);
      }
    };
    expand(0);
  };
  const walk = (k: number): void => {
    if (k === order.length) return finish();
    const t = order[k]!;
    chosenSet.add(t);
    for (const g of groupsOf[t]!) {
      tick();
      gchoice[t] = g;
      if (!supplied(t, chosenSet)) continue;
      add(g.s.degree, 1);
      walk(k + 1);
      add(g.s.degree, -1);
    }
    chosenSet.delete(t);
  };
  walk(0);
  // The order of a nested loop over the prefix threads' paths, then the last thread's.
  passing.sort((a, b) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  });
  const positions = [...order, last];
  const choice = new Array<number>(n).fill(0);
  const indexOf = paths.map((tp) => new Map(tp.map((p, i) => [p, i])));
  const image = new Array<number>(n).fill(0);
  // Whether the image of the current choice under m comes first in visiting order.
  const imageFirst = (m: Mirror): boolean => {
    for (let t = 0; t < n; t++) {
      const q = m.map.get(paths[t]![choice[t]!]!);
      const k = q === undefined ? undefined : indexOf[m.perm[t]!]!.get(q);
      if (k === undefined) return false;
      image[m.perm[t]!] = k;
    }
    for (const t of positions) if (image[t] !== choice[t]) return image[t]! < choice[t]!;
    return false;
  };
  // RMW atomicity, counted: each write (or initial value) is read by at most one RMW, so the
  // RMWs reading a value cannot outnumber the writes of it.
  const rmwCache = new Map<ExplorerPath, Map<string, number>>();
  const rmwDelta = (p: ExplorerPath): Map<string, number> => {
    let m = rmwCache.get(p);
    if (m) return m;
    m = new Map();
    for (const e of p.events) {
      if (e.loc === undefined || e.value === undefined || !isWrite(e.kind)) continue;
      const k = keyOf(e.loc, e.value);
      m.set(k, (m.get(k) ?? 0) + 1);
      if (e.rmwRead !== undefined) {
        const r = p.events[e.rmwRead]!;
        if (r.values === undefined && r.value !== undefined) {
          const rk = keyOf(r.loc!, r.value);
          m.set(rk, (m.get(rk) ?? 0) - 1);
        }
      }
    }
    rmwCache.set(p, m);
    return m;
  };
  const rmwFeasible = (chosen: ExplorerPath[]): boolean => {
    const total = new Map<string, number>();
    for (const p of chosen) for (const [k, v] of rmwDelta(p)) total.set(k, (total.get(k) ?? 0) + v);
    for (const [k, v] of total) {
      if (v >= 0) continue;
      const [loc, val] = k.split('\u0000') as [string, string];
      const init = initial.get(loc) ?? 0;
      if (v + (keyOf(loc, init) === keyOf(loc, Number(val)) ? 1 : 0) < 0) return false;
    }
    return true;
  };
  for (const tuple of passing) {
    if (stopped) break;
    tick();
    positions.forEach((t, i) => (choice[t] = tuple[i]!));
    if (mirrors.some(imageFirst)) continue;
    const chosen = choice.map((c, t) => paths[t]![c]!);
    if (!accept(chosen)) continue;
    if (!rmwFeasible(chosen)) continue;
    if (!chainsFeasible(chosen, sectionsOf, initial)) continue;
    combinations++;
    if (visit(chosen, prot) === false) stopped = true;
  }
  return { combinations, stopped };
}
