// The explorer against the litmus engine (itself cross-checked with herd7): random programs of
// loads, stores, fences, RMWs, spin locks and branches, written both as a Program and as a C
// litmus test, must have exactly the same final states. This checks that the explorer's own
// combination and graph construction (combine.ts, graphs.ts) miss no execution LKMM allows and
// add none it forbids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exploreOutcomes, Op, Program, runLitmus } from '../../../analyzer-runtime/src';

const LOCS = ['x', 'y'];

type Access =
  | { k: 'load'; loc: string; reg: string; order: 'once' | 'acquire' }
  | { k: 'store'; loc: string; value: number; order: 'once' | 'release' | 'mb' }
  | { k: 'fence'; kind: 'mb' | 'wmb' | 'rmb' }
  | { k: 'rmw'; fn: 'xchg' | 'xchg_relaxed' | 'cmpxchg' | 'atomic_inc_return' | 'atomic_inc'; loc: string; reg: string }
  | { k: 'locked'; body: Access[] }
  | { k: 'if'; reg: string; value: number; then: Access[] };

const simple = (regs: string[]): fc.Arbitrary<Access> =>
  fc.oneof(
    fc.record({
      k: fc.constant('load' as const),
      loc: fc.constantFrom(...LOCS),
      reg: fc.constantFrom(...regs),
      order: fc.constantFrom('once' as const, 'acquire' as const),
    }),
    fc.record({
      k: fc.constant('store' as const),
      loc: fc.constantFrom(...LOCS),
      value: fc.integer({ min: 1, max: 2 }),
      order: fc.constantFrom('once' as const, 'release' as const, 'mb' as const),
    }),
    fc.record({ k: fc.constant('fence' as const), kind: fc.constantFrom('mb' as const, 'wmb' as const, 'rmb' as const) }),
    fc.record({
      k: fc.constant('rmw' as const),
      fn: fc.constantFrom('xchg' as const, 'xchg_relaxed' as const, 'cmpxchg' as const, 'atomic_inc_return' as const, 'atomic_inc' as const),
      loc: fc.constantFrom(...LOCS),
      reg: fc.constantFrom(...regs),
    }),
  );
const access = (regs: string[]): fc.Arbitrary<Access> =>
  fc.oneof(
    { weight: 6, arbitrary: simple(regs) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('locked' as const), body: fc.array(simple(regs), { minLength: 1, maxLength: 2 }) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('if' as const),
        reg: fc.constantFrom(...regs),
        value: fc.integer({ min: 0, max: 1 }),
        then: fc.array(simple(regs), { minLength: 1, maxLength: 2 }),
      }),
    },
  );

function toOps(a: Access): Op[] {
  switch (a.k) {
    case 'load':
      return [{ op: 'load', loc: a.loc, reg: a.reg, order: a.order }];
    case 'store':
      return [{ op: 'store', loc: a.loc, value: { kind: 'const', value: a.value }, order: a.order }];
    case 'fence':
      return [{ op: 'fence', kind: a.kind }];
    case 'rmw': {
      const args =
        a.fn === 'cmpxchg'
          ? [
              { kind: 'const' as const, value: 0 },
              { kind: 'const' as const, value: 2 },
            ]
          : a.fn.startsWith('xchg')
            ? [{ kind: 'const' as const, value: 2 }]
            : [];
      return [a.fn === 'atomic_inc' ? { op: 'rmw', fn: a.fn, loc: a.loc, args } : { op: 'rmw', fn: a.fn, loc: a.loc, args, reg: a.reg }];
    }
    case 'locked':
      return [{ op: 'lock', lock: 'l' }, ...a.body.flatMap(toOps), { op: 'unlock', lock: 'l' }];
    case 'if':
      return [
        {
          op: 'if',
          cond: { kind: 'binary', op: '==', left: { kind: 'reg', name: a.reg }, right: { kind: 'const', value: a.value } },
          then: a.then.flatMap(toOps),
          else: [],
        },
      ];
  }
}

function toC(a: Access): string {
  switch (a.k) {
    case 'load':
      return a.order === 'once' ? `${a.reg} = READ_ONCE(*${a.loc});` : `${a.reg} = smp_load_acquire(${a.loc});`;
    case 'store':
      return a.order === 'once'
        ? `WRITE_ONCE(*${a.loc}, ${a.value});`
        : a.order === 'release'
          ? `smp_store_release(${a.loc}, ${a.value});`
          : `smp_store_mb(*${a.loc}, ${a.value});`;
    case 'fence':
      return `smp_${a.kind}();`;
    case 'rmw':
      if (a.fn === 'atomic_inc') return `atomic_inc(${a.loc});`;
      if (a.fn === 'cmpxchg') return `${a.reg} = cmpxchg(${a.loc}, 0, 2);`;
      if (a.fn === 'atomic_inc_return') return `${a.reg} = atomic_inc_return(${a.loc});`;
      return `${a.reg} = ${a.fn}(${a.loc}, 2);`;
    case 'locked':
      return `spin_lock(l); ${a.body.map(toC).join(' ')} spin_unlock(l);`;
    case 'if':
      return `if (${a.reg} == ${a.value}) { ${a.then.map(toC).join(' ')} }`;
  }
}

/** "x=1; y=0; t0:r0=1;" and herd-style "0:r0=1; x=1;" as maps. */
function parseState(s: string, threadPrefix: RegExp): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=') as [string, string];
    m.set(k.replace(threadPrefix, '$1:'), v);
  }
  return m;
}
const canon = (m: Map<string, string>) =>
  [...m]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

test('explorer outcomes equal the litmus engine states on random programs', () => {
  const regs = ['r0', 'r1'];
  // Threads of 2-3 accesses with a fence between some of them, so that the classic shapes
  // (SB, MP, LB, R, S, 2+2W, WRC...) with and without barriers come up often.
  const fenceArb = fc.option(fc.constantFrom('mb' as const, 'wmb' as const, 'rmb' as const), { nil: undefined, freq: 2 });
  const threadArb = fc
    .array(fc.tuple(access(regs), fenceArb), { minLength: 2, maxLength: 3 })
    .map((l) => l.flatMap(([a, f], i): Access[] => (f && i > 0 ? [{ k: 'fence', kind: f }, a] : [a])));
  fc.assert(
    fc.property(fc.array(threadArb, { minLength: 2, maxLength: 3 }), (threads) => {
      const program: Program = {
        name: 'diff',
        locations: { x: 0, y: 0 },
        objects: [{ kind: 'spinlock', name: 'l' }],
        threads: threads.map((t, i) => ({
          name: `t${i}`,
          context: 'process' as const,
          ops: [...regs.map((r): Op => ({ op: 'assign', reg: r, value: { kind: 'const', value: 0 } })), ...t.flatMap(toOps)],
        })),
      };
      const locations = ['x', 'y', ...threads.flatMap((_, i) => regs.map((r) => `${i}:${r}`))];
      const litmus = `C diff
{}
${threads.map((t, i) => `P${i}(int *x, int *y, spinlock_t *l) { int r0 = 0; int r1 = 0; ${t.map(toC).join(' ')} }`).join('\n')}
locations [${locations.join('; ')}]
exists (x=0)
`;
      const expected = runLitmus(litmus)
        .states.map((s) => canon(parseState(s, /^(\d+):/)))
        .sort();
      const got = exploreOutcomes(program, { maxCandidates: 2_000_000 });
      assert.ok(got.complete);
      const actual = [...new Set(got.outcomes.map((s) => canon(parseState(s, /^t(\d+):/))))].sort();
      assert.deepEqual(actual, expected, litmus);
    }),
    { numRuns: 80, seed: 2024 },
  );
});
