// The proof bounds: one default (analysis/bounds.ts), the one package.json's settings declare,
// and a work budget that decides verdicts the same way whatever the machine's load.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { explore } from '../../analyzer-runtime/src';
import { DEFAULT_PROOF_BOUNDS, proofBounds } from '../../server/src/analysis/bounds';
import { decide } from '../../server/src/analysis/decide';
import { createWorkspace, findCandidates, planCandidate, planFor } from '../../server/src/analysis/prove';
import { DEFAULT_SETTINGS } from '../../server/src/lsp/settings';
import { fixtureCases } from './fixtureHarness';

const root = join(__dirname, '..', '..', '..');

test("package.json's exploration settings default to the analysis' bounds, as the server's settings do", () => {
  const props = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).contributes.configuration.properties;
  assert.equal(props['wakeaudit.exploration.maxStates'].default, DEFAULT_PROOF_BOUNDS.maxCandidates);
  assert.equal(props['wakeaudit.exploration.maxWork'].default, DEFAULT_PROOF_BOUNDS.maxWork);
  assert.equal(props['wakeaudit.exploration.timeoutMs'].default, DEFAULT_PROOF_BOUNDS.timeoutMs);
  assert.deepEqual(proofBounds(DEFAULT_SETTINGS.exploration), DEFAULT_PROOF_BOUNDS);
});

async function heaviestFixtureProgram() {
  // Two sleepers on different conditions of one swait queue: the corpus' costliest proof.
  const c = fixtureCases().find((x) => x.name === join('swake-exclusive-multi-waiter', 'two-conditions.c'))!;
  const ws = await createWorkspace();
  for (const f of c.files) ws.setFile(f.path, f.text, true);
  const cand = findCandidates(ws.index, c.files[0].path)[0];
  return { ws, cand, plan: planFor(ws.index, cand) };
}

test('a proof past its work budget is unknown, names the budget, and took exactly the budget: the same on every run', async () => {
  const { plan } = await heaviestFixtureProgram();
  const full = explore(plan.program, { loopBound: 1, timeoutMs: 600_000 });
  assert.equal(full.verdict, 'violated');
  const budget = Math.floor(full.stats.work / 2);
  const runs = [1, 2, 3].map(() => explore(plan.program, { loopBound: 1, maxWork: budget, timeoutMs: 600_000 }));
  for (const r of runs) {
    assert.equal(r.verdict, 'unknown');
    assert.match(r.reason ?? '', new RegExp(`no answer within ${budget} search steps \\(maxWork\\)`));
    assert.equal(r.stats.work, budget + 1);
  }
  // Within budget, the work is a property of the program: every run counts the same steps.
  assert.deepEqual(new Set([full, ...[1, 2].map(() => explore(plan.program, { loopBound: 1, timeoutMs: 600_000 }))].map((r) => r.stats.work)).size, 1);
});

test("the default bounds decide the corpus' heaviest proof and its fix by work, not by the clock", async () => {
  const { ws, cand } = await heaviestFixtureProgram();
  const planned = planCandidate(ws.index, cand);
  assert.ok('job' in planned);
  const finding = decide(planned.job, proofBounds());
  assert.equal(finding.verdict, 'violated');
  assert.ok(finding.proof!.work! < DEFAULT_PROOF_BOUNDS.maxWork, `${finding.proof!.work} steps`);
  assert.ok(
    finding.fixes.some((f) => f.verified),
    'the wake-all fix is verified within the work budget',
  );
});
