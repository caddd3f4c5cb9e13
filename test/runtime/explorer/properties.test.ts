// Property tests of the explorer and the .wake syntax, on random programs (fast-check, fixed seeds):
// - printProgram/parseProgram round-trip;
// - the explorer never crashes and every trace it returns replays to the claimed violation;
// - with smp_mb() between every pair of accesses, exactly the sequentially consistent outcomes
//   appear (compared with a brute-force interleaving enumerator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { explore, exploreOutcomes, parseProgram, printProgram, replay, validateProgram, Op, Program, ProgramExpr } from '../../../analyzer-runtime/src';

const LOCS = ['x', 'y'];
const REGS = ['r0', 'r1', 'r2'];

const leaf: fc.Arbitrary<ProgramExpr> = fc.oneof(
  fc.integer({ min: -2, max: 3 }).map((value): ProgramExpr => ({ kind: 'const', value })),
  fc.constantFrom(...REGS).map((name): ProgramExpr => ({ kind: 'reg', name })),
  fc
    .record({ loc: fc.constantFrom(...LOCS), order: fc.constantFrom('plain', 'once', 'acquire') as fc.Arbitrary<'plain' | 'once' | 'acquire'> })
    .map(({ loc, order }): ProgramExpr => ({ kind: 'read', loc, order })),
);
const expr: fc.Arbitrary<ProgramExpr> = fc.letrec<{ e: ProgramExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('e').map((operand): ProgramExpr => ({ kind: 'not', operand })),
    fc
      .record({ op: fc.constantFrom('&&', '||', '==', '!=', '<', '>', '<=', '>=', '+', '-', '&', '|') as fc.Arbitrary<'+'>, left: tie('e'), right: tie('e') })
      .map((b): ProgramExpr => ({ kind: 'binary', ...b })),
    fc.record({ reg: fc.constantFrom(...REGS), value: tie('e'), body: tie('e') }).map((l): ProgramExpr => ({ kind: 'let', ...l })),
  ),
})).e;
const condExpr: fc.Arbitrary<ProgramExpr> = fc.constantFrom(...LOCS).map((loc): ProgramExpr => ({ kind: 'read', loc, order: 'once' }));
const src = fc.option(
  fc.record(
    {
      file: fc.constantFrom('a.c', 'drivers/x-y.c'),
      line: fc.integer({ min: 1, max: 999 }),
      column: fc.integer({ min: 1, max: 80 }),
      text: fc.string({ maxLength: 8 }),
    },
    { requiredKeys: ['line'] },
  ),
  { nil: undefined },
);
const exit = fc.constantFrom('none', 'signal', 'timeout') as fc.Arbitrary<'none' | 'signal' | 'timeout'>;

/** Ops over x, y, registers and the objects wq (waitqueue), sq (swait), c (completion), w (rcuwait), l (spinlock). */
function opArb(threads: string[], depth: number): fc.Arbitrary<Op> {
  const simple: Array<fc.Arbitrary<Op>> = [
    fc
      .record({ loc: fc.constantFrom(...LOCS), reg: fc.constantFrom(...REGS), order: fc.constantFrom('plain', 'once', 'acquire') })
      .map((o): Op => ({ op: 'load', ...(o as { loc: string; reg: string; order: 'once' }) })),
    fc
      .record({ loc: fc.constantFrom(...LOCS), value: fc.integer({ min: 0, max: 2 }), order: fc.constantFrom('plain', 'once', 'release', 'mb') })
      .map((o): Op => ({ op: 'store', loc: o.loc, value: { kind: 'const', value: o.value }, order: o.order as 'once' })),
    fc.constantFrom('mb', 'wmb', 'rmb', 'before_atomic', 'after_atomic', 'after_spinlock').map((kind): Op => ({ op: 'fence', kind: kind as 'mb' })),
    fc
      .record({
        fn: fc.constantFrom('atomic_inc', 'atomic_inc_return', 'atomic_fetch_add_relaxed', 'xchg_acquire', 'cmpxchg', 'test_and_set_bit'),
        loc: fc.constantFrom(...LOCS),
        reg: fc.option(fc.constantFrom(...REGS), { nil: undefined }),
      })
      .map((o): Op => {
        const args: ProgramExpr[] =
          o.fn === 'cmpxchg'
            ? [
                { kind: 'const', value: 0 },
                { kind: 'const', value: 1 },
              ]
            : o.fn === 'atomic_inc' || o.fn === 'atomic_inc_return'
              ? []
              : [{ kind: 'const', value: 1 }];
        const r: Op = { op: 'rmw', fn: o.fn, loc: o.loc, args };
        if (o.reg !== undefined) r.reg = o.reg;
        return r;
      }),
    fc.record({ reg: fc.constantFrom(...REGS), value: expr }).map((o): Op => ({ op: 'assign', ...o })),
    fc.record({ cond: condExpr, exclusive: fc.boolean(), exit }).map((o): Op => ({ op: 'wait_event', wq: 'wq', ...o })),
    fc.constantFrom<number | 'all'>(1, 2, 'all').map((nr): Op => ({ op: 'wake_up', wq: 'wq', nr })),
    fc
      .record({ op: fc.constantFrom('waitqueue_active', 'wq_has_sleeper'), reg: fc.constantFrom(...REGS) })
      .map((o): Op => ({ op: o.op as 'waitqueue_active', wq: 'wq', reg: o.reg })),
    fc.record({ cond: condExpr, exit }).map((o): Op => ({ op: 'swait_event', wq: 'sq', ...o })),
    fc.constantFrom('swake_up_one', 'swake_up_all').map((op): Op => ({ op: op as 'swake_up_one', wq: 'sq' })),
    fc.record({ cond: condExpr, exit: fc.constantFrom('none', 'signal') as fc.Arbitrary<'none'> }).map((o): Op => ({ op: 'rcuwait_wait_event', w: 'w', ...o })),
    fc.constant<Op>({ op: 'rcuwait_wake_up', w: 'w' }),
    exit.map((e): Op => ({ op: 'wait_for_completion', c: 'c', exit: e })),
    fc.constantFrom('complete', 'complete_all').map((op): Op => ({ op: op as 'complete', c: 'c' })),
    fc.constantFrom(...threads).map((task): Op => ({ op: 'wake_up_process', task })),
    fc
      .record({ state: fc.constantFrom('interruptible', 'uninterruptible', 'running'), barrier: fc.boolean() })
      .map((o): Op => ({ op: 'set_current_state', ...(o as { state: 'running'; barrier: boolean }) })),
    fc
      .record({ timeout: fc.option(fc.constant(true), { nil: undefined }), until: fc.option(condExpr, { nil: undefined }) }, { requiredKeys: [] })
      .map((o): Op => {
        const r: Op = { op: 'schedule' };
        if (o.timeout) r.timeout = true;
        if (o.until) r.until = o.until;
        return r;
      }),
    fc.constantFrom('mutex_lock', 'msleep').map((what): Op => ({ op: 'sleep_call', what })),
    fc.record({ cond: expr, property: fc.option(fc.constant('mutual-exclusion' as const), { nil: undefined }) }, { requiredKeys: ['cond'] }).map((o): Op => {
      const r: Op = { op: 'assert', cond: o.cond };
      if (o.property) r.property = o.property;
      return r;
    }),
    fc.constantFrom<Op>(
      { op: 'lock', lock: 'l' },
      { op: 'unlock', lock: 'l' },
      { op: 'lock', lock: 'l', irq: 'irqsave' },
      { op: 'unlock', lock: 'l', irq: 'irqsave' },
      { op: 'irq_disable' },
      { op: 'irq_enable' },
    ),
  ];
  const withSrc = (a: fc.Arbitrary<Op>) => fc.tuple(a, src).map(([o, s]) => (s ? { ...o, src: s } : o));
  const base = fc.oneof(...simple.map(withSrc));
  if (depth === 0) return base;
  const inner = fc.array(opArb(threads, depth - 1), { maxLength: 2 });
  return fc.oneof(
    { weight: 8, arbitrary: base },
    { weight: 1, arbitrary: withSrc(fc.record({ cond: expr, then: inner, else: inner }).map((o): Op => ({ op: 'if', ...o }))) },
    { weight: 1, arbitrary: withSrc(inner.map((func): Op => ({ op: 'add_wait_queue', wq: 'wq', func }))) },
  );
}

const OBJECTS: Program['objects'] = [
  { kind: 'waitqueue', name: 'wq' },
  { kind: 'swait', name: 'sq' },
  { kind: 'completion', name: 'c' },
  { kind: 'rcuwait', name: 'w' },
  { kind: 'spinlock', name: 'l' },
];

function programArb(maxOps: number): fc.Arbitrary<Program> {
  const names = ['t0', 't1'];
  return fc
    .tuple(
      fc.array(opArb(names, 1), { minLength: 1, maxLength: maxOps }),
      fc.array(opArb(names, 1), { minLength: 1, maxLength: maxOps }),
      fc.constantFrom('process', 'process', 'hardirq', 'softirq') as fc.Arbitrary<'process'>,
    )
    .map(([a, b, ctx]) => ({
      name: 'random',
      locations: { x: 0, y: 0 },
      objects: OBJECTS,
      threads: [
        { name: 't0', context: 'process' as const, ops: a },
        { name: 't1', context: ctx, ops: b },
      ],
    }));
}

test('.wake text round-trips: parseProgram(printProgram(p)) equals p', () => {
  fc.assert(
    fc.property(programArb(5), (p) => {
      const valid = validateProgram(p);
      const text = printProgram(valid);
      assert.deepEqual(parseProgram(text), valid, text);
    }),
    { numRuns: 300, seed: 4242 },
  );
});

test('random programs: the explorer answers, and every trace replays to the claimed violation', () => {
  let violated = 0;
  fc.assert(
    fc.property(programArb(3), (p) => {
      const options = { maxCandidates: 3000, timeoutMs: 3000, loopBound: 1, maxPaths: 3000 };
      const r = explore(p, options);
      assert.ok(['violated', 'safe', 'unknown'].includes(r.verdict));
      if (r.verdict === 'unknown') assert.ok(r.reason);
      if (r.verdict === 'violated') {
        violated++;
        assert.ok(r.property);
        const rep = replay(p, r.trace, r.property.kind, options);
        assert.ok(rep.ok, `${rep.reason}\n${printProgram(p)}\n${JSON.stringify(r.trace, null, 1)}`);
        // The trace is a linearisation: each thread's steps appear in program order, numbered 1..n.
        assert.deepEqual(
          r.trace.map((s) => s.index),
          r.trace.map((_, i) => i + 1),
        );
      }
    }),
    { numRuns: 120, seed: 7 },
  );
  assert.ok(violated > 10, `only ${violated} violations among the random programs`);
});

// ---- sequential consistency with smp_mb() everywhere ----

interface Access {
  kind: 'load' | 'store';
  loc: string;
  reg: string;
  value: number;
}

function scOutcomes(threads: Access[][], locs: string[]): string[] {
  const out = new Set<string>();
  const pc = threads.map(() => 0);
  const mem = new Map(locs.map((l) => [l, 0]));
  const regs = threads.map(() => new Map<string, number>());
  const go = (): void => {
    let any = false;
    for (let t = 0; t < threads.length; t++) {
      const a = threads[t]![pc[t]!];
      if (!a) continue;
      any = true;
      const savedMem = new Map(mem);
      const savedReg = regs[t]!.get(a.reg);
      if (a.kind === 'store') mem.set(a.loc, a.value);
      else regs[t]!.set(a.reg, mem.get(a.loc)!);
      pc[t]!++;
      go();
      pc[t]!--;
      for (const [k, v] of savedMem) mem.set(k, v);
      if (a.kind === 'load') {
        if (savedReg === undefined) regs[t]!.delete(a.reg);
        else regs[t]!.set(a.reg, savedReg);
      }
    }
    if (!any) {
      const parts = locs.map((l) => `${l}=${mem.get(l)};`);
      regs.forEach((m, t) => {
        for (const [r, v] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`t${t}:${r}=${v};`);
      });
      out.add(parts.join(' '));
    }
  };
  go();
  return [...out].sort();
}

test('with smp_mb() between every pair of accesses, exactly the SC outcomes appear', () => {
  const access = fc.record({
    kind: fc.constantFrom('load', 'store') as fc.Arbitrary<'load' | 'store'>,
    loc: fc.constantFrom('x', 'y', 'z'),
    value: fc.integer({ min: 1, max: 2 }),
  });
  const threadArb = fc.array(access, { minLength: 1, maxLength: 3 });
  fc.assert(
    fc.property(fc.array(threadArb, { minLength: 2, maxLength: 3 }), (raw) => {
      const threads: Access[][] = raw.map((t) => t.map((a, i) => ({ ...a, reg: `r${i}` })));
      const program: Program = {
        name: 'sc',
        locations: { x: 0, y: 0, z: 0 },
        objects: [],
        threads: threads.map((t, i) => ({
          name: `t${i}`,
          context: 'process' as const,
          ops: t.flatMap((a, k): Op[] => {
            const op: Op =
              a.kind === 'store'
                ? { op: 'store', loc: a.loc, value: { kind: 'const', value: a.value }, order: 'once' }
                : { op: 'load', loc: a.loc, reg: a.reg, order: 'once' };
            return k === 0 ? [op] : [{ op: 'fence', kind: 'mb' }, op];
          }),
        })),
      };
      const got = exploreOutcomes(program, { maxCandidates: 1_000_000 });
      assert.ok(got.complete);
      assert.deepEqual(got.outcomes, scOutcomes(threads, ['x', 'y', 'z']), printProgram(program));
    }),
    { numRuns: 80, seed: 99 },
  );
});

test('without barriers, store buffering shows a non-SC outcome', () => {
  const p = parseProgram(`program sb
int x = 0
int y = 0
thread t0 (process) { WRITE_ONCE(x, 1)  r0 = READ_ONCE(y) }
thread t1 (process) { WRITE_ONCE(y, 1)  r0 = READ_ONCE(x) }
`);
  assert.ok(exploreOutcomes(p).outcomes.includes('x=1; y=1; t0:r0=0; t1:r0=0;'));
});
