// checkExecution on hand-built candidate executions: each test states one LKMM fact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExecution } from '../../../analyzer-runtime/src/lkmm/model';
import type { Annotation, EventKind, ExecEvent, Execution } from '../../../analyzer-runtime/src/lkmm/execution';

/** Builds an execution from per-thread event lists; initial writes of 0 come first. */
class Builder {
  readonly events: ExecEvent[] = [];
  readonly rf: Array<[number, number]> = [];
  readonly co: Record<string, number[]> = {};
  readonly rmw: Array<[number, number]> = [];
  readonly addr: Array<[number, number]> = [];
  readonly data: Array<[number, number]> = [];
  readonly ctrl: Array<[number, number]> = [];
  private readonly nextPo = new Map<number, number>();

  constructor(locations: string[]) {
    for (const loc of locations) {
      const id = this.add(-1, 'W', 'once', loc, 0);
      this.co[loc] = [id];
    }
  }

  add(thread: number, kind: EventKind, annot: Annotation, loc?: string, value?: number): number {
    const poIndex = thread < 0 ? 0 : (this.nextPo.get(thread) ?? 0);
    if (thread >= 0) this.nextPo.set(thread, poIndex + 1);
    const e: ExecEvent = { id: this.events.length, thread, poIndex, kind, annot };
    if (loc !== undefined) e.loc = loc;
    if (value !== undefined) e.value = value;
    this.events.push(e);
    return e.id;
  }

  /** A write, appended to its location's coherence order. */
  write(thread: number, loc: string, value: number, annot: Annotation = 'once'): number {
    const id = this.add(thread, 'W', annot, loc, value);
    this.co[loc]!.push(id);
    return id;
  }

  read(thread: number, loc: string, from: number, annot: Annotation = 'once'): number {
    const id = this.add(thread, 'R', annot, loc, this.events[from]!.value);
    this.rf.push([from, id]);
    return id;
  }

  fence(thread: number, annot: Annotation): number {
    return this.add(thread, 'F', annot);
  }

  init(loc: string): number {
    return this.co[loc]![0]!;
  }

  build(): Execution {
    return { events: this.events, rf: this.rf, co: this.co, rmw: this.rmw, addr: this.addr, data: this.data, ctrl: this.ctrl };
  }
}

/** SB with both loads reading the initial values; `fence` between store and load if given. */
function storeBuffering(fence0?: Annotation, fence1?: Annotation): Execution {
  const b = new Builder(['x', 'y']);
  b.write(0, 'x', 1);
  if (fence0) b.fence(0, fence0);
  b.read(0, 'y', b.init('y'));
  b.write(1, 'y', 1);
  if (fence1) b.fence(1, fence1);
  b.read(1, 'x', b.init('x'));
  return b.build();
}

test('SB with relaxed accesses is allowed', () => {
  const v = checkExecution(storeBuffering());
  assert.deepEqual(v, { allowed: true, violated: [], flags: [] });
});

test('SB with smp_mb() on both sides violates propagation', () => {
  const v = checkExecution(storeBuffering('mb', 'mb'));
  assert.equal(v.allowed, false);
  assert.deepEqual(v.violated, ['propagation']);
});

test('SB with smp_mb() on one side only is allowed', () => {
  assert.equal(checkExecution(storeBuffering('mb')).allowed, true);
});

test('SB with smp_wmb() on both sides is allowed: wmb does not order a store before a load', () => {
  assert.equal(checkExecution(storeBuffering('wmb', 'wmb')).allowed, true);
});

test('CoRR: reading a new value then the old one violates coherence', () => {
  const b = new Builder(['x']);
  const w = b.write(0, 'x', 1);
  b.read(1, 'x', w);
  b.read(1, 'x', b.init('x'));
  const v = checkExecution(b.build());
  assert.deepEqual(v.violated, ['coherence']);
});

test('CoWR: a thread reading the initial value after its own store violates coherence', () => {
  const b = new Builder(['x']);
  b.write(0, 'x', 1);
  b.read(0, 'x', b.init('x'));
  assert.deepEqual(checkExecution(b.build()).violated, ['coherence']);
});

test('CoWW: coherence order against program order violates coherence', () => {
  const b = new Builder(['x']);
  const w1 = b.write(0, 'x', 1);
  const w2 = b.write(0, 'x', 2);
  const x = b.build();
  x.co['x'] = [b.init('x'), w2, w1];
  assert.deepEqual(checkExecution(x).violated, ['coherence']);
});

test('an external write between the halves of an RMW violates atomicity', () => {
  const b = new Builder(['x']);
  const r = b.read(0, 'x', b.init('x'), 'noreturn');
  const other = b.write(1, 'x', 5);
  const w = b.write(0, 'x', 1);
  b.rmw.push([r, w]);
  const x = b.build();
  x.co['x'] = [b.init('x'), other, w];
  const v = checkExecution(x);
  assert.equal(v.allowed, false);
  assert.ok(v.violated.includes('atomic'), v.violated.join());
});

test('the same RMW with the other write co-before its read source is allowed', () => {
  const b = new Builder(['x']);
  const other = b.write(1, 'x', 5);
  const r = b.read(0, 'x', other, 'noreturn');
  const w = b.write(0, 'x', 6);
  b.rmw.push([r, w]);
  assert.deepEqual(checkExecution(b.build()).violated, []);
});

test('MP with release/acquire: reading the flag but stale data violates happens-before', () => {
  const b = new Builder(['data', 'flag']);
  b.write(0, 'data', 1);
  const flag = b.write(0, 'flag', 1, 'release');
  b.read(1, 'flag', flag, 'acquire');
  b.read(1, 'data', b.init('data'));
  assert.deepEqual(checkExecution(b.build()).violated, ['happens-before']);
});

test('LB with data dependencies on both sides violates happens-before; without them it is allowed', () => {
  const build = (deps: boolean): Execution => {
    const b = new Builder(['x', 'y']);
    // Reads are created first so that their ids exist; rf is filled in after the writes.
    const r0 = b.add(0, 'R', 'once', 'x', 1);
    const w0 = b.write(0, 'y', 1);
    const r1 = b.add(1, 'R', 'once', 'y', 1);
    const w1 = b.write(1, 'x', 1);
    b.rf.push([w1, r0], [w0, r1]);
    if (deps) b.data.push([r0, w0], [r1, w1]);
    return b.build();
  };
  assert.deepEqual(checkExecution(build(true)).violated, ['happens-before']);
  assert.equal(checkExecution(build(false)).allowed, true);
});

test('RCU: a critical section spanning a grace period violates the rcu axiom', () => {
  const b = new Builder(['x', 'y']);
  b.fence(0, 'rcu-lock');
  const rxPlaceholder = b.add(0, 'R', 'once', 'x', 1);
  const ry = b.add(0, 'R', 'once', 'y', 0);
  b.fence(0, 'rcu-unlock');
  b.write(1, 'y', 1);
  b.fence(1, 'sync-rcu');
  const wx = b.write(1, 'x', 1);
  b.rf.push([wx, rxPlaceholder], [b.init('y'), ry]);
  const v = checkExecution(b.build());
  assert.deepEqual(v.violated, ['rcu']);
});

test('unbalanced rcu_read_lock() raises a flag but does not forbid', () => {
  const b = new Builder(['x']);
  b.fence(0, 'rcu-lock');
  b.read(0, 'x', b.init('x'));
  const v = checkExecution(b.build());
  assert.equal(v.allowed, true);
  assert.deepEqual(v.flags, ['unbalanced-rcu-locking']);
});

test('concurrent plain stores raise data-race; WRITE_ONCE does not', () => {
  const build = (annot: Annotation): Execution => {
    const b = new Builder(['x']);
    b.write(0, 'x', 1, annot);
    b.write(1, 'x', 2, annot);
    return b.build();
  };
  assert.deepEqual(checkExecution(build('plain')).flags, ['data-race']);
  assert.deepEqual(checkExecution(build('once')).flags, []);
});

test('lock critical sections: reading a lock write that is not an unlock is rejected', () => {
  const b = new Builder(['l']);
  const lkr = b.add(0, 'LKR', 'acquire', 'l', 0);
  const lkw = b.write(0, 'l', 1);
  b.events[lkw]!.kind = 'LKW';
  b.rmw.push([lkr, lkw]);
  const lkr2 = b.add(1, 'LKR', 'acquire', 'l', 0);
  const lkw2 = b.write(1, 'l', 1);
  b.events[lkw2]!.kind = 'LKW';
  b.rmw.push([lkr2, lkw2]);
  b.rf.push([b.init('l'), lkr], [lkw, lkr2]);
  const v = checkExecution(b.build());
  assert.equal(v.allowed, false);
  assert.ok(v.violated.includes('lock-rf'));
});

test('two lock acquisitions of one lock that are never released violate unmatched-locks', () => {
  const b = new Builder(['l']);
  const lkr = b.add(0, 'LKR', 'acquire', 'l', 0);
  const lkw = b.write(0, 'l', 1);
  b.events[lkw]!.kind = 'LKW';
  const lkr2 = b.add(1, 'LKR', 'acquire', 'l', 0);
  const lkw2 = b.write(1, 'l', 1);
  b.events[lkw2]!.kind = 'LKW';
  b.rmw.push([lkr, lkw], [lkr2, lkw2]);
  b.rf.push([b.init('l'), lkr], [b.init('l'), lkr2]);
  const v = checkExecution(b.build());
  assert.equal(v.allowed, false);
  assert.ok(v.violated.includes('unmatched-locks'));
});

test('ids must be dense', () => {
  const x = storeBuffering();
  x.events[1]!.id = 7;
  assert.throws(() => checkExecution(x), /dense/);
});
