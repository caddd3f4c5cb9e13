// Proofs on worker threads (analysis/proofPool.ts, dist/proofWorker.js) decide exactly what the
// calling thread decides: `check --jobs 2` indexes and explores on two workers and its whole JSON
// output must be the corpus golden (corpusGolden.ts, made by --jobs 1 on one thread) but for the
// clock readings (messages, traces and fixes included: an index built in the workers' completion
// order once made a plan pick another second sleeper). Verdicts are decided by the work budget,
// not the clock, so none depends on the machine's load.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { createWorkspace, findCandidates, planCandidate } from '../../server/src/analysis/prove';
import { decide } from '../../server/src/analysis/decide';
import type { ProofJob } from '../../server/src/analysis/plan';
import { proofBounds } from '../../server/src/analysis/bounds';
import { ProofPool } from '../../server/src/analysis/proofPool';
import { indexFiles } from '../../server/src/analysis/indexer';
import { collectSources } from '../../server/src/commands/check';
import type { Finding } from '../../server/src/analysis/findings';
import { assertMatchesCorpusGolden, runCorpus, withoutClock } from './corpusGolden';

const root = join(__dirname, '..', '..', '..');

test('check: indexing and proofs on worker threads (--jobs 2) give byte-identical output to the corpus golden (made by --jobs 1, inline), and the process exits', () => {
  const workers = runCorpus(2);
  assert.ok((workers.stats.proofs as number) > 20, `${workers.stats.proofs} proofs: too few to keep two workers busy`);
  assert.ok(
    workers.findings.filter((f) => f.verdict === 'violated' && f.trace.length > 0 && f.fixes.length > 0).length > 10,
    'too few proved findings with traces and fixes to compare',
  );
  assertMatchesCorpusGolden(workers, 'check --jobs 2');
});

async function fixturePlans(): Promise<ProofJob[]> {
  const ws = await createWorkspace({ keepTrees: false });
  const { files } = collectSources(
    [
      join(root, 'server', 'src', 'rules', 'swake-exclusive-multi-waiter', 'fixtures'),
      join(root, 'server', 'src', 'rules', 'waitqueue-active-no-barrier', 'fixtures'),
    ],
    [],
  );
  const indexed = await indexFiles(ws, files, { jobs: 1, keepText: false });
  const jobs: ProofJob[] = [];
  for (const r of indexed) {
    if (!r.facts) continue;
    for (const c of findCandidates(ws.index, r.file)) {
      const planned = planCandidate(ws.index, c);
      if ('job' in planned) jobs.push(planned.job);
    }
  }
  return jobs;
}

test("the pool returns each plan's finding in order, as decide() on this thread does", async () => {
  const jobs = await fixturePlans();
  assert.ok(jobs.length > 10, `${jobs.length} plans`);
  const bounds = proofBounds({ timeoutMs: 120_000 });
  const here = jobs.map((job) => decide(job, bounds));
  const pool = new ProofPool({ size: 2 });
  try {
    // One request with all of them, and (for the first sixteen) one concurrent request per
    // plan: each answers in its order.
    const some = 16;
    const one = await Promise.all(jobs.slice(0, some).map(async (job) => pool.prove([job], bounds)));
    const all = await pool.prove(jobs, bounds);
    const cases: Array<[unknown[], Finding[]]> = [
      [one.map((r) => (r === 'stopped' ? r : r[0])), here.slice(0, some)],
      [all === 'stopped' ? [all] : all, here],
    ];
    for (const [result, expected] of cases) {
      const findings = result.map((o) => {
        assert.ok(o !== 'stopped' && typeof o === 'object' && o !== null && 'finding' in o, JSON.stringify(o));
        return (o as { finding: Finding }).finding;
      });
      assert.deepEqual(withoutClock({ findings, stats: {} }).findings, withoutClock({ findings: structuredClone(expected), stats: {} }).findings);
    }
  } finally {
    await pool.close();
  }
});

test('a request whose isCancelled() turns true stops within the bound and gives no findings; close() ends the workers', async () => {
  const jobs = await fixturePlans();
  // Budgets far beyond the test and every plan many times over: only the stop can end it.
  const bounds = proofBounds({ timeoutMs: 600_000, maxStates: 1_000_000_000 });
  const many = Array.from({ length: 200 }, () => jobs).flat();
  const pool = new ProofPool({ size: 1 });
  try {
    let cancelled = false;
    let stoppedAfter = -1;
    const result = pool.prove(many, bounds, { isCancelled: () => cancelled, onStopped: (ms) => (stoppedAfter = ms) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const at = performance.now();
    cancelled = true;
    assert.equal(await result, 'stopped');
    const latency = performance.now() - at;
    console.log(
      `pool request stopped ${latency.toFixed(1)} ms after isCancelled() turned true (worker side: ${stoppedAfter.toFixed(1)} ms after the flag was set)`,
    );
    assert.ok(latency < 250, `stopping took ${latency.toFixed(1)} ms`);
    // The worker is free again at once.
    const next = await pool.prove(jobs.slice(0, 1), proofBounds({ timeoutMs: 120_000 }));
    assert.notEqual(next, 'stopped');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.prove(jobs.slice(0, 1), bounds), /closed/);
});
