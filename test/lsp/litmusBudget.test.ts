// A .litmus document the engine cannot answer within its budgets (1,000 threads, each guessing
// every value the others write) gives the editor one problem naming the budget, and no finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLitmusText } from '../../server/src/lsp/litmusAnalyzer';
import { DEFAULT_SETTINGS } from '../../server/src/lsp/settings';

test('a 1,000-thread litmus test: a "no verdict" problem naming the budget, no finding', () => {
  const threads = Array.from({ length: 1000 }, (_, i) => `P${i}(int *x, int *y) { int r0; WRITE_ONCE(*x, ${i + 1}); r0 = READ_ONCE(*y); }`);
  const text = `C threads-1000\n(* Result: Never *)\n{}\n${threads.join('\n')}\nexists (0:r0=1)\n`;
  const { findings, problems } = checkLitmusText('/w/threads.litmus', text, DEFAULT_SETTINGS);
  assert.deepEqual(findings, []);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /^no verdict: .*\((maxHeld|maxWork|timeoutMs|maxCandidates)\)$/);
});
