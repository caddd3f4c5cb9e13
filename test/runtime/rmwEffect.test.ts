// The one statement of the RMWs' arithmetic (program/rmw.ts): what each leaves and returns,
// including the RMWs that write nothing (a failed cmpxchg, a test_and_*_bit() that changes
// nothing), which the explorer then treats as unordered reads.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RMW_BASES, rmwEffect } from '../../analyzer-runtime/src';

test('counter RMWs: the value left and the value returned', () => {
  assert.deepEqual(rmwEffect('atomic_inc', 4, []), { next: 5, result: 5 });
  assert.deepEqual(rmwEffect('atomic_fetch_inc', 4, []), { next: 5, result: 4 });
  assert.deepEqual(rmwEffect('atomic_inc_and_test', -1, []), { next: 0, result: 1 });
  assert.deepEqual(rmwEffect('atomic_dec_and_test', 2, []), { next: 1, result: 0 });
  assert.deepEqual(rmwEffect('atomic_dec_and_test', 1, []), { next: 0, result: 1 });
  assert.deepEqual(rmwEffect('atomic_add_return', 1, [3]), { next: 4, result: 4 });
  assert.deepEqual(rmwEffect('atomic_fetch_sub', 5, [2]), { next: 3, result: 5 });
  assert.deepEqual(rmwEffect('xchg', 7, [1]), { next: 1, result: 7 });
});

test('cmpxchg writes only when the old value is the expected one', () => {
  assert.deepEqual(rmwEffect('cmpxchg', 0, [0, 3]), { next: 3, result: 0 });
  assert.deepEqual(rmwEffect('cmpxchg', 1, [0, 3]), { next: undefined, result: 1 });
});

test('bit RMWs: a test_and_*_bit() that changes nothing writes nothing; set_bit()/clear_bit() always write', () => {
  assert.deepEqual(rmwEffect('test_and_set_bit', 0, [0]), { next: 1, result: 0 });
  assert.deepEqual(rmwEffect('test_and_set_bit', 1, [0]), { next: undefined, result: 1 });
  assert.deepEqual(rmwEffect('test_and_clear_bit', 0b10, [1]), { next: 0, result: 1 });
  assert.deepEqual(rmwEffect('test_and_clear_bit', 0, [1]), { next: undefined, result: 0 });
  assert.deepEqual(rmwEffect('set_bit', 1, [0]), { next: 1, result: 1 });
  assert.deepEqual(rmwEffect('clear_bit', 0, [0]), { next: 0, result: 0 });
});

test('every RMW base of the IR has an effect', () => {
  for (const base of RMW_BASES) assert.equal(typeof rmwEffect(base, 1, [0, 1]).result, 'number', base);
});
