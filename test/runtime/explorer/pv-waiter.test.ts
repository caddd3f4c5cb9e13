// The waiter side of the paravirt halting protocol: how a PV queue head marks the lock byte
// (pv_spin_lock(L) mark ...), which value its pv_wait() re-checks (waits ...), and the general
// pv_wait(loc, value) / pv_kick(task) ops a queued node's wait is built from. Each broken form
// is found with a trace that replays; each correct form explores safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProgram, printProgram, validateProgram, ProgramError } from '../../../analyzer-runtime/src';
import { load, safe, violated } from './programAssertions';

const PROGRAMS = [
  'pvqspinlock_plain_mark',
  'pvqspinlock_cmpxchg_mark',
  'pvqspinlock_unmarked_wait',
  'pv_wait_node_recheck',
  'pv_wait_node_no_recheck',
  'pv_wait_node_unordered_recheck',
];

test('pv waiter ops: text round trip and JSON validation', () => {
  for (const name of PROGRAMS) {
    const p = load(name);
    assert.deepEqual(parseProgram(printProgram(p)), p, name);
    assert.deepEqual(validateProgram(JSON.parse(JSON.stringify(p))), p, name);
  }
  const p = parseProgram(`program marks
int w = 0
qspinlock l
thread a (process) {
  pv_spin_lock(l) mark WRITE_ONCE
  pv_spin_unlock(l)
  pv_wait(w, 2)
}
thread b (process) {
  pv_spin_lock(l) mark xchg waits _Q_SLOW_VAL
  pv_spin_unlock(l)
  pv_kick(a)
}`);
  const ops = p.threads.map((t) => t.ops.map((o) => ({ ...o, src: undefined })));
  assert.deepEqual(ops[0]![0], { op: 'pv_spin_lock', lock: 'l', mark: 'store', src: undefined });
  // The protocol's own mark is the default and prints as before.
  assert.deepEqual(ops[1]![0], { op: 'pv_spin_lock', lock: 'l', waitValue: 3, src: undefined });
  assert.match(printProgram(p), /pv_spin_lock\(l\) waits _Q_SLOW_VAL\n/);
  assert.match(printProgram(p), /pv_spin_lock\(l\) mark WRITE_ONCE\n/);
  assert.deepEqual(ops[0]![2], { op: 'pv_wait', loc: 'w', value: 2, src: undefined });
  assert.deepEqual(ops[1]![2], { op: 'pv_kick', task: 'a', src: undefined });
});

test('pv waiter ops: bad marks, unknown vCPUs and undeclared words are refused', () => {
  assert.throws(() => parseProgram('program x\nqspinlock l\nthread a (process) { pv_spin_lock(l) mark store }'), /expected a mark/);
  assert.throws(() => parseProgram('program x\nint w = 0\nthread a (process) { pv_kick(nobody) }'), ProgramError);
  assert.throws(() => parseProgram('program x\nthread a (process) { pv_wait(w, 1) }'), /not a declared location/);
  const json = {
    name: 'x',
    locations: {},
    objects: [{ kind: 'qspinlock', name: 'l' }],
    threads: [{ name: 'a', context: 'process', ops: [{ op: 'pv_spin_lock', lock: 'l', mark: 'plain' }] }],
  };
  assert.throws(() => validateProgram(json), /mark/);
});

test('a PV queue head marking _Q_SLOW_VAL with a plain store over a byte the unlock just cleared halts for good', () => {
  const r = violated(load('pvqspinlock_plain_mark'), 'halted-with-work');
  assert.match(r.property!.message, /halted in pv_wait\(lock\.locked, _Q_SLOW_VAL\)/);
  const ops = r.trace.map((s) => s.op);
  const unlock = ops.findIndex((o) => o.startsWith('pv_spin_unlock'));
  const mark = ops.findIndex((o) => o.startsWith('WRITE_ONCE(lock.locked, _Q_SLOW_VAL)'));
  assert.ok(unlock >= 0 && mark > unlock, 'the unlock clears the byte before the plain mark');
  assert.ok(!ops.some((o) => o.startsWith('pv_kick')), 'nobody kicks');
});

test('the same head marking with cmpxchg(locked, _Q_LOCKED_VAL, _Q_SLOW_VAL) keeps mutual exclusion and leaves nobody halted', () => {
  safe(load('pvqspinlock_cmpxchg_mark'), { timeoutMs: 120_000 });
});

test('a head that halts on _Q_LOCKED_VAL without marking the byte is never kicked by the fast-path unlock', () => {
  const r = violated(load('pvqspinlock_unmarked_wait'), 'halted-with-work');
  assert.match(r.property!.message, /pv_wait\(lock\.locked, _Q_LOCKED_VAL\)/);
});

test('pv_wait_node(): publish vcpu_halted with a full barrier and re-check node->locked: safe', () => {
  safe(load('pv_wait_node_recheck'));
});

test('pv_wait_node() without the re-check, or with the state published by WRITE_ONCE(): halted with the MCS lock handed over', () => {
  for (const name of ['pv_wait_node_no_recheck', 'pv_wait_node_unordered_recheck']) {
    const r = violated(load(name), 'halted-with-work');
    assert.match(r.property!.message, /waiter stays halted in pv_wait\(pn_state, 1\) with work pending: node_locked != 0/, name);
  }
});

test('pv_wait(loc, value): a kick that came before the halt is not lost, and the default pending is loc != value', () => {
  // The kicker changes the word and kicks; whatever the order, the waiter does not stay halted.
  const kicked = parseProgram(`program kicked
int w = 1
check halted_with_work
thread waiter (process) { pv_wait(w, 1) }
thread kicker (process) { WRITE_ONCE(w, 0) pv_kick(waiter) }`);
  safe(kicked);
  // Changing the word without the kick leaves the waiter halted while w != 1.
  const lost = parseProgram(`program lost
int w = 1
check halted_with_work
thread waiter (process) { pv_wait(w, 1) }
thread kicker (process) { WRITE_ONCE(w, 0) }`);
  const r = violated(lost, 'halted-with-work');
  assert.match(r.property!.message, /READ_ONCE\(w\) != 1/);
});
