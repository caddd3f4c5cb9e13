// Hostile input, in-process: random kernel-like C (tokens of the wait/wake vocabulary mixed with
// broken syntax, NULs, CRLF, unterminated comments and strings) through sanitize, parse, facts,
// index, rules and proofs. Nothing may throw, every file gets findings or a problem, and each
// file's analysis stays bounded. WAKEAUDIT_FUZZ_RUNS raises the run count (default 150).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeWorkspaceFile, createWorkspace } from '../../server/src/analysis/prove';
import { sanitize } from '../../server/src/analysis/sanitize';

const TOKENS = [
  'struct dev { wait_queue_head_t wq; struct swait_queue_head sq; int done; };\n',
  'static void f(struct dev *d)\n',
  'static int g(struct dev *d)\n',
  'void h(void)\n',
  '{',
  '}',
  '(',
  ')',
  ';',
  '\n',
  '\r\n',
  ' ',
  '\t',
  ',',
  'd->done = 1;',
  'WRITE_ONCE(d->done, 1);',
  'smp_mb();',
  'smp_wmb();',
  'atomic_inc(&d->cnt);',
  'if (waitqueue_active(&d->wq)) wake_up(&d->wq);',
  'swake_up_one(&d->sq);',
  'swake_up_all(&d->sq);',
  'wait_event_interruptible(d->wq, READ_ONCE(d->done));',
  'swait_event_exclusive(d->sq, d->done);',
  'set_current_state(TASK_INTERRUPTIBLE);',
  '__set_current_state(TASK_RUNNING);',
  'schedule();',
  'while (!d->done) {',
  'for (;;) {',
  'if (d->done) break;',
  'spin_lock_irqsave(&d->lock, flags);',
  'spin_unlock_irqrestore(&d->lock, flags);',
  'mutex_lock(&d->m);',
  'list_for_each_entry(p, &d->list, node) {',
  '__rcu',
  '__acquires(x)',
  '#define X(a) ((a) +',
  '#ifdef CONFIG_X\n',
  '#endif\n',
  '/*',
  '*/',
  '"',
  "'",
  '\\',
  '\u0000',
  '\uffff',
  'é',
  'return wait_event(d->wq, f(d->done) & 1);',
  'kvm_vcpu_kick(vcpu);',
  'int kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu) { return vcpu->arch.p; }',
  'static int cb(wait_queue_entry_t *w, unsigned m, int s, void *k) { msleep(1); return 0; }',
  'init_waitqueue_func_entry(&e, cb);',
  'smp_store_release(&lock->locked, 0);',
  'pv_wait(&lock->locked, 3);',
  'clear_bit_unlock(D_BUSY, &d->flags);',
  'wake_up_bit(&d->flags, D_BUSY);',
  'wait_on_bit(&d->flags, D_BUSY, TASK_KILLABLE);',
  'd->flags &= ~D_BUSY_MASK;',
  '#define D_BUSY_MASK (1 << D_BUSY)\n',
  'wake_up_var(&d->done);',
  'wait_var_event(&d->done, d->done == 0);',
  'wake_up_bit(&d->flags);',
  'wait_on_bit(, D_BUSY);',
  'pr_warn("x");',
  'test_bit(1 + D_BUSY, &d->flags)',
  'bitmap_empty(d->map, 64)',
  'wait_var_event(&d->state, ({ st = smp_load_acquire(&d->state); st == 1 || st == 2; }));',
  'smp_store_release(&d->state, 2);',
  'wake_up_var(&d->state);',
  '({ st = ',
  '; st == 1; })',
  'while (!READ_ONCE(d->done) && !signal_pending(READ_ONCE(d->owner)))',
];

const runs = Number(process.env.WAKEAUDIT_FUZZ_RUNS ?? 150);

test(`random kernel-like C never breaks the analysis (${runs} runs)`, async () => {
  const ws = await createWorkspace();
  let longest = 0;
  let total = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }), fc.integer({ min: 0, max: 3 }), async (parts, n) => {
      const text = parts.join('');
      const s = sanitize(text).text;
      assert.equal(s.length, text.length);
      const file = `fuzz${n}.c`;
      const started = performance.now();
      const problem = ws.setFile(file, text, true);
      if (problem) assert.match(problem.message, /\S/);
      const { findings } = await analyzeWorkspaceFile(ws, file, { timeoutMs: 500, maxStates: 20_000 });
      for (const f of findings) {
        assert.ok(f.line >= 1 && f.column >= 1, JSON.stringify(f));
        assert.ok(['violated', 'unknown'].includes(f.verdict));
      }
      longest = Math.max(longest, performance.now() - started);
      total += findings.length;
    }),
    { numRuns: runs, seed: 20261124 },
  );
  // Bounded: proofs have a 500 ms budget each; a file with several candidates and their fixes
  // stays within a few seconds.
  assert.ok(longest < 20_000, `longest file took ${longest.toFixed(0)} ms`);
  console.log(`fuzz: ${runs} files, ${total} findings, longest ${longest.toFixed(0)} ms`);
});
