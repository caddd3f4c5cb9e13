// Explorer scenarios: each bug is found with a trace that replays, and its fixed twin is proved
// safe. The programs are the .wake files of examples/programs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { explore, parseProgram, replay, ExploreOptions, Program } from '../../../analyzer-runtime/src';

const DIR = path.join(__dirname, '..', '..', '..', '..', 'examples', 'programs');

function load(name: string): Program {
  return parseProgram(fs.readFileSync(path.join(DIR, `${name}.wake`), 'utf8'));
}

function expectViolation(name: string, kind: string, options: ExploreOptions = {}): ReturnType<typeof explore> {
  const program = load(name);
  const r = explore(program, options);
  assert.equal(r.verdict, 'violated', `${name}: ${r.reason ?? ''}`);
  assert.equal(r.property?.kind, kind);
  assert.ok(r.trace.length > 0);
  const again = explore(program, options);
  assert.deepEqual(again.trace, r.trace, 'same program, same trace');
  assert.deepEqual(replay(program, r.trace, r.property!.kind, options), { ok: true, violations: replay(program, r.trace, undefined, options).violations });
  return r;
}

function expectSafe(name: string, options: ExploreOptions = {}): void {
  const r = explore(load(name), options);
  assert.equal(r.verdict, 'safe', `${name}: ${r.property?.message ?? r.reason ?? ''}`);
  assert.deepEqual(r.trace, []);
}

test('waitqueue_active() without a barrier loses the wakeup; smp_mb() or wq_has_sleeper() fix it', () => {
  const r = expectViolation('waitqueue_active_no_barrier', 'lost-wakeup');
  assert.equal(r.property!.thread, 'waiter');
  assert.match(r.property!.message, /READ_ONCE\(done\)/);
  // The stale read names the store that has not propagated and its source line.
  const stale = r.trace.find((s) => s.thread === 'waiter' && /has not propagated/.test(s.note ?? ''));
  assert.ok(stale, JSON.stringify(r.trace, null, 1));
  assert.match(stale!.note!, /drivers\/foo\.c:42/);
  assert.equal(r.trace[r.trace.length - 1]!.thread, 'waiter');
  assert.equal(r.property!.step, r.trace.length);
  expectSafe('waitqueue_active_mb');
  expectSafe('wq_has_sleeper');
});

test('__set_current_state() before the check loses the wakeup; set_current_state() fixes it', () => {
  const r = expectViolation('set_current_state_no_barrier', 'lost-wakeup');
  assert.equal(r.property!.thread, 'sleeper');
  assert.ok(r.trace.some((s) => s.op === 'wake_up_process(sleeper)' && /nothing to wake/.test(s.note ?? '')));
  expectSafe('set_current_state_barrier');
});

test('swake_up_one() with two waiters loses a wakeup; swake_up_all() fixes it', () => {
  const options = { loopBound: 1 };
  const r = expectViolation('swake_up_one_two_waiters', 'lost-wakeup', options);
  assert.match(r.property!.message, /READ_ONCE\(ready\)/);
  expectSafe('swake_up_all_two_waiters', options);
});

test('swake_up_all() under spin_lock_irqsave() sleeps in atomic context; after the unlock it does not', () => {
  const r = expectViolation('swake_up_all_irqsave', 'sleep-in-atomic');
  assert.equal(r.property!.thread, 'waker');
  assert.equal(r.trace[r.property!.step! - 1]!.op, 'swake_up_all(sq)');
  assert.deepEqual(r.trace[r.property!.step! - 1]!.src, { file: 'drivers/quux.c', line: 12 });
  expectSafe('swake_up_all_unlocked');
});

test('a wake function that sleeps sleeps in atomic context; one that defers is safe', () => {
  const r = expectViolation('wake_function_sleeps', 'sleep-in-atomic');
  assert.equal(r.property!.thread, 'signaller');
  assert.match(r.property!.message, /mutex_lock\(\).*wake function of wqh/);
  assert.deepEqual(r.trace[r.property!.step! - 1]!.src, { file: 'virt/foo.c', line: 20 });
  expectSafe('wake_function_defers');
});

test('a hand-rolled prepare_to_wait() loop is safe; checking the condition before queueing loses the wakeup', () => {
  const src = (ok: boolean) => `program handrolled
int done = 0
waitqueue wq
thread waker (process) { WRITE_ONCE(done, 1)  wake_up(wq) }
thread waiter (process) {
  ${ok ? 'prepare_to_wait(wq, TASK_UNINTERRUPTIBLE)' : ''}
  r0 = READ_ONCE(done)
  ${ok ? '' : 'prepare_to_wait(wq, TASK_UNINTERRUPTIBLE)'}
  if (!r0) { schedule() until (READ_ONCE(done)) }
  finish_wait(wq)
}
`;
  assert.equal(explore(parseProgram(src(true))).verdict, 'safe');
  const bad = parseProgram(src(false));
  const r = explore(bad);
  assert.equal(r.property?.kind, 'lost-wakeup');
  assert.ok(replay(bad, r.trace, 'lost-wakeup').ok);
});

test('completions and rcuwait used correctly are safe', () => {
  expectSafe('completion');
  expectSafe('rcuwait');
});

test('a completion read without waiting fails the assertion', () => {
  const p = parseProgram(`program completion_no_wait
int result = 0
completion done
thread producer (process) { WRITE_ONCE(result, 42)  complete(done) }
thread consumer (process) { r0 = READ_ONCE(result)  assert(r0 == 42) }
`);
  const r = explore(p);
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property!.kind, 'assertion');
  assert.ok(replay(p, r.trace, 'assertion').ok);
});

test('sleeping under a spin lock, AB-BA deadlock, and the check filter', () => {
  const sleepy = parseProgram(`program sleepy
spinlock l
thread t (process) { spin_lock(l)  may_sleep(mutex_lock)  spin_unlock(l) }
`);
  const r = explore(sleepy);
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property!.kind, 'sleep-in-atomic');
  assert.match(r.property!.message, /mutex_lock\(\).*spin lock l/);
  const hardirq = explore(
    parseProgram(`program irq
int x = 0
waitqueue wq
thread h (hardirq) { wait_event(wq, READ_ONCE(x)) }
thread w (process) { WRITE_ONCE(x, 1)  wake_up(wq) }
`),
  );
  assert.equal(hardirq.property?.kind, 'sleep-in-atomic');
  const abba = parseProgram(`program abba
spinlock a
spinlock b
thread p (process) { spin_lock(a)  spin_lock(b)  spin_unlock(b)  spin_unlock(a) }
thread q (process) { spin_lock(b)  spin_lock(a)  spin_unlock(a)  spin_unlock(b) }
`);
  const d = explore(abba);
  assert.equal(d.verdict, 'violated');
  assert.equal(d.property!.kind, 'deadlock');
  assert.ok(replay(abba, d.trace, 'deadlock').ok);
  const filtered = explore({ ...abba, property: { check: ['lost-wakeup'] } });
  assert.equal(filtered.verdict, 'safe');
});

test('mutual exclusion holds under a spin lock and fails without it', () => {
  const src = (locked: boolean) => `program mutex
int owner = 0
spinlock l
thread a (process) { ${locked ? 'spin_lock(l)' : ''} WRITE_ONCE(owner, 1) r0 = READ_ONCE(owner) assert_exclusive(r0 == 1) ${locked ? 'spin_unlock(l)' : ''} }
thread b (process) { ${locked ? 'spin_lock(l)' : ''} WRITE_ONCE(owner, 2) r0 = READ_ONCE(owner) assert_exclusive(r0 == 2) ${locked ? 'spin_unlock(l)' : ''} }
`;
  assert.equal(explore(parseProgram(src(true))).verdict, 'safe');
  const r = explore(parseProgram(src(false)));
  assert.equal(r.property?.kind, 'mutual-exclusion');
});

test('budgets answer unknown, never a guess', () => {
  const r = explore(load('swake_up_all_two_waiters'), { maxCandidates: 3, loopBound: 1 });
  assert.equal(r.verdict, 'unknown');
  assert.match(r.reason!, /maxCandidates/);
  const p = explore(load('swake_up_all_two_waiters'), { maxPaths: 5 });
  assert.equal(p.verdict, 'unknown');
  assert.match(p.reason!, /maxPaths/);
});
