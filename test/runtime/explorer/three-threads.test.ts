// Three-thread programs extracted from real findings (a waker and two waiters on one queue):
// they used to end `unknown` (a waiter had more than 20000 paths). Each must now be answered at
// the default loop bound, with a replayable trace when violated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explore, replay, Program } from '../../../analyzer-runtime/src';
import { conditionKeys } from '../../../analyzer-runtime/src/explore/lower';

const DATA = path.join(__dirname, '..', '..', '..', '..', 'test', 'runtime', 'explorer', 'data');

for (const file of fs.readdirSync(DATA).filter((f) => f.endsWith('.json')).sort()) {
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
  const sum = { kind: 'binary', op: '==', left: { kind: 'binary', op: '+', left: read, right: { kind: 'const', value: 1 } }, right: { kind: 'const', value: 2 } } as const;
  assert.deepEqual([0, 1, 2].map(conditionKeys(sum).get(read)!), [0, 1, 0]);
});
