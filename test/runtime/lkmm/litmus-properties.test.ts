// Properties of the model on random programs (fast-check): with smp_mb() between every pair of
// accesses exactly the sequentially consistent outcomes are allowed; without fences every SC
// outcome is still allowed; adding fences never allows a new outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runLitmus } from '../../../analyzer-runtime/src/litmus';

type Op = { kind: 'R'; loc: string } | { kind: 'W'; loc: string; value: number };
type Program = Op[][];

const LOCS = ['a', 'b', 'c'];

const programArb: fc.Arbitrary<Program> = fc
  .array(fc.array(fc.record({ write: fc.boolean(), loc: fc.constantFrom(...LOCS) }), { minLength: 1, maxLength: 3 }), {
    minLength: 2,
    maxLength: 3,
  })
  .map((threads) => {
    let next = 1;
    return threads.map((ops) => ops.map((o): Op => (o.write ? { kind: 'W', loc: o.loc, value: next++ } : { kind: 'R', loc: o.loc })));
  });

type Barrier = 'none' | 'smp_mb' | 'smp_wmb' | 'smp_rmb';

function toLitmus(p: Program, barrier: Barrier): string {
  const lines = ['C random', '{}'];
  const observed: string[] = [...LOCS];
  p.forEach((ops, t) => {
    lines.push(`P${t}(int *a, int *b, int *c)`, '{');
    ops.forEach((_, i) => {
      if (ops[i]!.kind === 'R') lines.push(`\tint r${i};`);
    });
    ops.forEach((op, i) => {
      if (i > 0 && barrier !== 'none') lines.push(`\t${barrier}();`);
      if (op.kind === 'R') {
        lines.push(`\tr${i} = READ_ONCE(*${op.loc});`);
        observed.push(`${t}:r${i}`);
      } else lines.push(`\tWRITE_ONCE(*${op.loc}, ${op.value});`);
    });
    lines.push('}');
  });
  lines.push(`locations [${observed.join('; ')}]`, 'exists (true)');
  return lines.join('\n');
}

/** Final states of every interleaving, formatted as the runner formats states. */
function scStates(p: Program): Set<string> {
  const states = new Set<string>();
  const pcs = p.map(() => 0);
  const memory = new Map<string, number>(LOCS.map((l) => [l, 0]));
  const regs = new Map<string, number>();
  const walk = (): void => {
    let progressed = false;
    p.forEach((ops, t) => {
      const i = pcs[t]!;
      const op = ops[i];
      if (!op) return;
      progressed = true;
      pcs[t] = i + 1;
      if (op.kind === 'R') {
        const key = `${t}:r${i}`;
        regs.set(key, memory.get(op.loc)!);
        walk();
        regs.delete(key);
      } else {
        const old = memory.get(op.loc)!;
        memory.set(op.loc, op.value);
        walk();
        memory.set(op.loc, old);
      }
      pcs[t] = i;
    });
    if (!progressed) {
      const entries = [...LOCS.map((l): [string, number] => [l, memory.get(l)!]), ...regs.entries()];
      states.add(
        entries
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
          .map(([k, v]) => `${k}=${v};`)
          .join(' '),
      );
    }
  };
  walk();
  return states;
}

const runs = { numRuns: 60, seed: 20261124 };

test('with smp_mb() between every pair of accesses only SC outcomes are allowed, and all of them', () => {
  fc.assert(
    fc.property(programArb, (p) => {
      const got = new Set(runLitmus(toLitmus(p, 'smp_mb')).states);
      assert.deepEqual([...got].sort(), [...scStates(p)].sort());
    }),
    runs,
  );
});

test('without fences every SC outcome is allowed', () => {
  fc.assert(
    fc.property(programArb, (p) => {
      const got = new Set(runLitmus(toLitmus(p, 'none')).states);
      for (const s of scStates(p)) assert.ok(got.has(s), `SC state ${s} missing`);
    }),
    runs,
  );
});

test('adding smp_wmb() or smp_rmb() never allows an outcome the unfenced program forbids', () => {
  fc.assert(
    fc.property(programArb, fc.constantFrom<Barrier>('smp_wmb', 'smp_rmb'), (p, barrier) => {
      const relaxed = new Set(runLitmus(toLitmus(p, 'none')).states);
      for (const s of runLitmus(toLitmus(p, barrier)).states) assert.ok(relaxed.has(s), `${barrier} added ${s}`);
    }),
    runs,
  );
});
