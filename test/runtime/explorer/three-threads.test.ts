// Three-thread programs extracted from real findings (a waker and two waiters on one queue):
// they used to end `unknown` (a waiter had more than 20000 paths). Each must now be answered at
// the default loop bound, with a replayable trace when violated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explore, parseProgram, replay, Program } from '../../../analyzer-runtime/src';
import { conditionKeys, twinThreads } from '../../../analyzer-runtime/src/explore/lower';

const DATA = path.join(__dirname, '..', '..', '..', '..', 'test', 'runtime', 'explorer', 'data');

for (const file of fs
  .readdirSync(DATA)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  test(`three threads: ${file} is answered at loopBound 1`, () => {
    const program = JSON.parse(fs.readFileSync(path.join(DATA, file), 'utf8')) as Program;
    const r = explore(program, { loopBound: 1, timeoutMs: 20_000 });
    assert.notEqual(r.verdict, 'unknown', r.reason);
    assert.ok(r.stats.paths < 5000, `paths: ${r.stats.paths}`);
    if (r.verdict === 'violated') assert.equal(replay(program, r.trace, r.property!.kind).ok, true);
  });
}

test('condition keys: a read compared with a constant is guessed by class, one compared with a register is not', () => {
  const read = { kind: 'read', loc: 'x', order: 'once' } as const;
  const cond = { kind: 'binary', op: '!=', left: read, right: { kind: 'const', value: 0 } } as const;
  const k = conditionKeys(cond).get(read)!;
  assert.deepEqual([-2, -1, 0, 1, 2].map(k), [1, 1, 0, 1, 1]);
  const masked = { kind: 'not', operand: { kind: 'binary', op: '&', left: read, right: { kind: 'const', value: 4 } } } as const;
  assert.deepEqual([0, 4, 5, 3].map(conditionKeys(masked).get(read)!), [0, 1, 1, 0]);
  const vsReg = { kind: 'binary', op: '==', left: read, right: { kind: 'reg', name: 'r0' } } as const;
  assert.equal(conditionKeys(vsReg).has(read), false);
  const sum = {
    kind: 'binary',
    op: '==',
    left: { kind: 'binary', op: '+', left: read, right: { kind: 'const', value: 1 } },
    right: { kind: 'const', value: 2 },
  } as const;
  assert.deepEqual([0, 1, 2].map(conditionKeys(sum).get(read)!), [0, 1, 0]);
});

test('symmetry between twin waiters changes no verdict, and a violation found with it replays', () => {
  const twinsText = (wake: string) => `program twins
int ready = 0
swait sq
thread waker (process) {
  WRITE_ONCE(ready, 1)                          @ drivers/bar.c:10
  ${wake}(sq)                                   @ drivers/bar.c:11
}
thread waiter1 (process) {
  swait_event_exclusive(sq, READ_ONCE(ready))   @ drivers/bar.c:50
}
thread waiter2 (process) {
  swait_event_exclusive(sq, READ_ONCE(ready))   @ drivers/bar.c:50
}
`;
  const programs: Array<[string, Program]> = [
    ['swake_up_one', parseProgram(twinsText('swake_up_one'))],
    ['swake_up_all', parseProgram(twinsText('swake_up_all'))],
    ...['wake-up-exclusive-waitqueue.json'].map((f): [string, Program] => [f, JSON.parse(fs.readFileSync(path.join(DATA, f), 'utf8')) as Program]),
  ];
  let twins = 0;
  for (const [name, program] of programs) {
    if (twinThreads(program).length === 0) continue;
    twins++;
    const a = explore(program, { timeoutMs: 20_000 });
    const b = explore(program, { symmetry: false, timeoutMs: 20_000 });
    assert.equal(a.verdict, b.verdict, name);
    assert.equal(a.property?.kind, b.property?.kind, name);
    assert.equal(a.trace.length, b.trace.length, `${name}: the shortest counterexample has the same length`);
    if (a.verdict === 'violated') assert.equal(replay(program, a.trace, a.property!.kind).ok, true, name);
    assert.ok(a.stats.combinations <= b.stats.combinations, name);
  }
  assert.equal(explore(programs[0]![1]).verdict, 'violated');
  assert.equal(explore(programs[1]![1]).verdict, 'safe');
  assert.ok(twins >= 3, `programs with twin threads: ${twins}`);
});

test('an exclusive wakeup taken by a waiter for another condition: that waiter goes back to sleep and the other sleeps forever (found at loopBound 1)', () => {
  const program = JSON.parse(fs.readFileSync(path.join(DATA, 'two-conditions.json'), 'utf8')) as Program;
  const r = explore(program, { loopBound: 1 });
  assert.equal(r.verdict, 'violated', r.reason);
  assert.equal(r.property?.kind, 'lost-wakeup');
  assert.equal(r.property?.thread, 'waiter1');
  // waiter2 is woken, finds its own condition false and sleeps again.
  assert.ok(r.trace.some((s) => s.thread === 'waiter2' && /^schedule/.test(s.op) && /sleeps/.test(s.note ?? '')));
  assert.ok(r.trace.some((s) => s.op === 'try_to_wake_up(waiter2)'));
  assert.equal(replay(program, r.trace, 'lost-wakeup').ok, true);
});
