// `wakeaudit simulate`: text and JSON reports, exit statuses 0 safe / 1 violated / 3 unknown / 2 error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { runSimulateCommand } from '../../../server/src/commands/simulate';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples', 'programs');

function io() {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer | string, _enc, done) {
        into.push(chunk.toString());
        done();
      },
    });
  return { io: { stdout: sink(chunks.out), stderr: sink(chunks.err) }, out: () => chunks.out.join(''), err: () => chunks.err.join('') };
}

test('a violated program prints the property and the numbered trace, exit 1', async () => {
  const c = io();
  const code = await runSimulateCommand([path.join(EXAMPLES, 'waitqueue_active_no_barrier.wake')], c.io);
  assert.equal(code, 1);
  assert.match(c.out(), /^waitqueue_active_no_barrier: VIOLATED \(lost-wakeup\)/);
  assert.match(c.out(), /\n\s+1\. waker\s+WRITE_ONCE\(done, 1\)\s+\[drivers\/foo\.c:42\]\s+writes done=1/);
  assert.match(c.out(), /has not propagated/);
  assert.match(c.out(), /stats: \d+ paths/);
});

test('a safe program exits 0; JSON output carries the verdict and stats', async () => {
  const c = io();
  assert.equal(await runSimulateCommand([path.join(EXAMPLES, 'wq_has_sleeper.wake'), '--format', 'json'], c.io), 0);
  const r = JSON.parse(c.out());
  assert.equal(r.verdict, 'safe');
  assert.equal(r.program, 'wq_has_sleeper');
  assert.ok(r.stats.paths > 0);
});

test('a budget that runs out exits 3; bad input exits 2 with file:line', async () => {
  const c = io();
  assert.equal(await runSimulateCommand([path.join(EXAMPLES, 'swake_up_all_two_waiters.wake'), '--max-candidates=2', '--loop-bound', '1'], c.io), 3);
  assert.match(c.out(), /UNKNOWN/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wakeaudit-sim-'));
  const bad = path.join(dir, 'bad.wake');
  fs.writeFileSync(bad, 'program bad\nint x = 0\nthread t (process) {\n  frobnicate(x)\n}\n');
  const e = io();
  assert.equal(await runSimulateCommand([bad], e.io), 2);
  assert.match(e.err(), /bad\.wake:4: unknown operation 'frobnicate'/);
  const json = path.join(dir, 'p.json');
  fs.writeFileSync(
    json,
    JSON.stringify({ name: 'p', locations: {}, objects: [], threads: [{ name: 't', context: 'process', ops: [{ op: 'wake_up', wq: 'nope', nr: 1 }] }] }),
  );
  const j = io();
  assert.equal(await runSimulateCommand([json], j.io), 2);
  assert.match(j.err(), /threads\[0\]\.ops\[0\]\.wq/);
  assert.equal(await runSimulateCommand([], io().io), 2);
  assert.equal(await runSimulateCommand([bad, '--format', 'xml'], io().io), 2);
});
