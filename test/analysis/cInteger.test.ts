// C integer literals as macros and conditions write them: a leading 0 is octal (the O_* file
// flags, permissions), 0x hexadecimal, suffixes ignored; anything else is not a number.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { cInteger, macroNumber } from '../../server/src/analysis/facts';

test('decimal, hexadecimal and octal literals, with suffixes', () => {
  assert.equal(cInteger('0'), 0);
  assert.equal(cInteger('42'), 42);
  assert.equal(cInteger('42UL'), 42);
  assert.equal(cInteger('0x1F'), 31);
  assert.equal(cInteger('0X10u'), 16);
  assert.equal(cInteger('0644'), 420);
  assert.equal(cInteger('00004000'), 2048);
  assert.equal(cInteger('010'), 8);
  for (const bad of ['08', '0x', '1.5', 'x10', '', '-1', '1 2']) assert.equal(cInteger(bad), undefined, bad);
});

test('any non-negative integer printed in each base reads back', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom('', 'U', 'UL', 'ull', 'L'), (n, suffix) => {
      assert.equal(cInteger(`${n}${suffix}`), n);
      assert.equal(cInteger(`0x${n.toString(16)}${suffix}`), n);
      assert.equal(cInteger(`0${n.toString(8)}${suffix}`), n);
    }),
  );
});

test('macros: a plain octal value, a shift of one, BIT()', () => {
  assert.equal(macroNumber('00004000 /* O_NONBLOCK */'), 2048);
  assert.equal(macroNumber('(010 << 2)'), 32);
  assert.equal(macroNumber('(1UL << 5)'), 32);
  assert.equal(macroNumber('BIT(3)'), 8);
  assert.equal(macroNumber('09'), undefined);
});
