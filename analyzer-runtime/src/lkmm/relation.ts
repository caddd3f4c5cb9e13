/**
 * A small relation algebra over the events of one execution, so that the model code reads like
 * the .cat files it implements. Relations are dense bit matrices (one row of 32-bit words per
 * event); executions of litmus tests have tens of events, so every operation is a handful of
 * word operations per row.
 */

/** A set of events, as a membership flag per event id. */
export type EventSet = boolean[];

export class Relation {
  readonly size: number;
  /** Words per row. */
  readonly words: number;
  readonly bits: Uint32Array;

  constructor(size: number, bits?: Uint32Array) {
    this.size = size;
    this.words = (size + 31) >>> 5;
    this.bits = bits ?? new Uint32Array(this.words * size);
  }

  static empty(size: number): Relation {
    return new Relation(size);
  }

  static fromPairs(size: number, pairs: Iterable<readonly [number, number]>): Relation {
    const r = new Relation(size);
    for (const [a, b] of pairs) r.add(a, b);
    return r;
  }

  /** [S]: the identity restricted to a set. */
  static identity(size: number, set?: EventSet): Relation {
    const r = new Relation(size);
    for (let i = 0; i < size; i++) if (!set || set[i]) r.add(i, i);
    return r;
  }

  /** S1 * S2: the cartesian product of two sets. */
  static product(size: number, from: EventSet, to: EventSet): Relation {
    const r = new Relation(size);
    for (let a = 0; a < size; a++) {
      if (!from[a]) continue;
      for (let b = 0; b < size; b++) if (to[b]) r.add(a, b);
    }
    return r;
  }

  /** The relation of all pairs (a, b) for which the predicate holds. */
  static where(size: number, holds: (a: number, b: number) => boolean): Relation {
    const r = new Relation(size);
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) if (holds(a, b)) r.add(a, b);
    return r;
  }

  has(a: number, b: number): boolean {
    return (this.bits[a * this.words + (b >>> 5)]! & (1 << (b & 31))) !== 0;
  }

  add(a: number, b: number): void {
    this.bits[a * this.words + (b >>> 5)]! |= 1 << (b & 31);
  }

  clone(): Relation {
    return new Relation(this.size, this.bits.slice());
  }

  union(...others: Relation[]): Relation {
    const r = this.clone();
    for (const o of others) for (let i = 0; i < r.bits.length; i++) r.bits[i]! |= o.bits[i]!;
    return r;
  }

  intersect(o: Relation): Relation {
    const r = this.clone();
    for (let i = 0; i < r.bits.length; i++) r.bits[i]! &= o.bits[i]!;
    return r;
  }

  minus(o: Relation): Relation {
    const r = this.clone();
    for (let i = 0; i < r.bits.length; i++) r.bits[i]! &= ~o.bits[i]!;
    return r;
  }

  /** r1 ; r2: relational composition. Scans set bits only: relations are sparse. */
  seq(o: Relation): Relation {
    const r = new Relation(this.size);
    const w = this.words;
    for (let a = 0; a < this.size; a++) {
      const rowA = a * w;
      for (let k = 0; k < w; k++) {
        let word = this.bits[rowA + k]!;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          word &= word - 1;
          const rowB = (k * 32 + bit) * w;
          for (let j = 0; j < w; j++) r.bits[rowA + j]! |= o.bits[rowB + j]!;
        }
      }
    }
    return r;
  }

  /** Left-to-right composition of several relations. */
  static seqAll(first: Relation, ...rest: Relation[]): Relation {
    if (first.isEmpty() || rest.some((o) => o.isEmpty())) return new Relation(first.size);
    let r = first;
    for (const o of rest) r = r.seq(o);
    return r;
  }

  inverse(): Relation {
    const r = new Relation(this.size);
    this.forEachPair((a, b) => r.add(b, a));
    return r;
  }

  /** Calls f on every pair, row by row. */
  forEachPair(f: (a: number, b: number) => void): void {
    const w = this.words;
    for (let a = 0; a < this.size; a++) {
      for (let k = 0; k < w; k++) {
        let word = this.bits[a * w + k]!;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          word &= word - 1;
          f(a, k * 32 + bit);
        }
      }
    }
  }

  /** r+: transitive closure (Warshall, row-wise). */
  plus(): Relation {
    const r = this.clone();
    const w = this.words;
    for (let k = 0; k < this.size; k++) {
      const rowK = k * w;
      for (let a = 0; a < this.size; a++) {
        if (!r.has(a, k)) continue;
        const rowA = a * w;
        for (let i = 0; i < w; i++) r.bits[rowA + i]! |= r.bits[rowK + i]!;
      }
    }
    return r;
  }

  /** r*: reflexive-transitive closure. */
  star(): Relation {
    return this.plus().union(Relation.identity(this.size));
  }

  /** r?: reflexive closure. */
  opt(): Relation {
    return this.union(Relation.identity(this.size));
  }

  /** [S] ; r */
  from(set: EventSet): Relation {
    const r = this.clone();
    for (let a = 0; a < this.size; a++) if (!set[a]) r.bits.fill(0, a * this.words, (a + 1) * this.words);
    return r;
  }

  /** r ; [S] */
  to(set: EventSet): Relation {
    const r = this.clone();
    for (let b = 0; b < this.size; b++) {
      if (set[b]) continue;
      const mask = ~(1 << (b & 31));
      for (let a = 0; a < this.size; a++) r.bits[a * this.words + (b >>> 5)]! &= mask;
    }
    return r;
  }

  /** [S1] ; r ; [S2] */
  between(from: EventSet, to: EventSet): Relation {
    return this.from(from).to(to);
  }

  domain(): EventSet {
    const s: EventSet = new Array<boolean>(this.size).fill(false);
    for (let a = 0; a < this.size; a++) {
      for (let i = 0; i < this.words; i++) if (this.bits[a * this.words + i] !== 0) s[a] = true;
    }
    return s;
  }

  range(): EventSet {
    const s: EventSet = new Array<boolean>(this.size).fill(false);
    this.forEachPair((_, b) => {
      s[b] = true;
    });
    return s;
  }

  isEmpty(): boolean {
    for (let i = 0; i < this.bits.length; i++) if (this.bits[i] !== 0) return false;
    return true;
  }

  isIrreflexive(): boolean {
    for (let a = 0; a < this.size; a++) if (this.has(a, a)) return false;
    return true;
  }

  isAcyclic(): boolean {
    return this.plus().isIrreflexive();
  }

  pairs(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.forEachPair((a, b) => out.push([a, b]));
    return out;
  }
}

export function setOf(size: number, member: (i: number) => boolean): EventSet {
  const s: EventSet = new Array<boolean>(size);
  for (let i = 0; i < size; i++) s[i] = member(i);
  return s;
}

export function setUnion(...sets: EventSet[]): EventSet {
  const size = sets[0]!.length;
  return setOf(size, (i) => sets.some((s) => s[i]));
}

export function setMinus(a: EventSet, b: EventSet): EventSet {
  return a.map((x, i) => x && !b[i]);
}

export function setComplement(a: EventSet): EventSet {
  return a.map((x) => !x);
}

export function setIsEmpty(a: EventSet): boolean {
  return !a.some((x) => x);
}
