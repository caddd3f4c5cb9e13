// Program IR: JSON validation accepts well-formed programs and names the path of bad values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateProgram, ProgramError } from '../../../analyzer-runtime/src';

const good = {
  name: 'wq_active',
  locations: { done: 0 },
  objects: [{ kind: 'waitqueue', name: 'wq' }],
  threads: [
    {
      name: 'waker',
      context: 'process',
      ops: [
        { op: 'store', loc: 'done', value: { kind: 'const', value: 1 }, order: 'once', src: { file: 'foo.c', line: 42 } },
        { op: 'waitqueue_active', wq: 'wq', reg: 'r0' },
        { op: 'if', cond: { kind: 'reg', name: 'r0' }, then: [{ op: 'wake_up', wq: 'wq', nr: 1 }], else: [] },
      ],
    },
    { name: 'waiter', context: 'process', ops: [{ op: 'wait_event', wq: 'wq', cond: { kind: 'read', loc: 'done' }, exclusive: false, exit: 'none' }] },
  ],
};

test('a well-formed program validates to itself', () => {
  assert.deepEqual(validateProgram(JSON.parse(JSON.stringify(good))), good);
});

test('errors name the JSON path', () => {
  const bad = JSON.parse(JSON.stringify(good));
  bad.threads[0].ops[2].then[0].wq = 'nope';
  assert.throws(
    () => validateProgram(bad),
    (e: unknown) => e instanceof ProgramError && e.path === 'threads[0].ops[2].then[0].wq',
  );
  const bad2 = JSON.parse(JSON.stringify(good));
  bad2.threads[1].ops[0].cond = { kind: 'read', loc: 'missing' };
  assert.throws(() => validateProgram(bad2), /threads\[1\]\.ops\[0\]\.cond\.loc/);
  assert.throws(() => validateProgram({ ...good, threads: [] }), /threads/);
  const bad3 = JSON.parse(JSON.stringify(good));
  bad3.threads[0].ops[0] = { op: 'rmw', fn: 'atomic_frob', loc: 'done', args: [] };
  assert.throws(() => validateProgram(bad3), /unknown atomic/);
});

test('bit operators: a condition that masks a bit', async () => {
  const { parseProgram, explore } = await import('../../../analyzer-runtime/src');
  const p = parseProgram(`program mask
int flags = 0
swait q
thread waker (process) { WRITE_ONCE(flags, 3)  swake_up_one(q) }
thread waiter (process) { swait_event_exclusive(q, READ_ONCE(flags) & 1 == 1) }
`);
  // C precedence: & binds looser than ==, so this reads flags & (1 == 1).
  const w = p.threads[1]!.ops[0]!;
  assert.ok(w.op === 'swait_event' && w.cond.kind === 'binary' && w.cond.op === '&');
  assert.equal(explore(p).verdict, 'safe');
});
