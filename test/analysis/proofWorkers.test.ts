// Proofs on worker threads (analysis/proofPool.ts, dist/proofWorker.js) decide exactly what the
// calling thread decides: `check --jobs 2` indexes and explores on two workers, `--jobs 1` does
// both on its own thread, and the whole JSON output must be the same but for the clock readings
// (messages, traces and fixes included: an index built in the workers' completion order once
// made a plan pick another second sleeper). The budgets are far above what any fixture's proof
// takes, so no verdict depends on the machine's load.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createWorkspace, findCandidates, planCandidate } from '../../server/src/analysis/prove';
import { decide } from '../../server/src/analysis/decide';
import type { ProofJob } from '../../server/src/analysis/plan';
import { proofBounds } from '../../server/src/analysis/bounds';
import { ProofPool } from '../../server/src/analysis/proofPool';
import { indexFiles } from '../../server/src/analysis/indexer';
import { collectSources } from '../../server/src/commands/check';
import type { Finding } from '../../server/src/analysis/findings';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');

/** The output without what the clock decides (proof times and phase times). */
function withoutClock(out: { findings: Finding[]; stats: Record<string, unknown> }) {
  for (const f of out.findings) if (f.proof) f.proof.milliseconds = 0;
  for (const key of ['milliseconds', 'indexMilliseconds', 'proveMilliseconds', 'planMilliseconds', 'phaseMilliseconds']) delete out.stats[key];
  return out;
}

test('check: proofs explored on worker threads (--jobs 2) give byte-identical output to proofs explored inline (--jobs 1), and the process exits', () => {
  const run = (jobs: string) => {
    const started = performance.now();
    const r = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--show-unknown', '--timeout-ms', '120000', '--jobs', jobs, 'server/src/rules', 'examples'], {
      cwd: root,
      encoding: 'utf8',
      // Workers left alive would keep the process from exiting.
      timeout: 300_000,
    });
    assert.equal(r.signal, null, `check --jobs ${jobs} did not exit (${r.signal})`);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const out = JSON.parse(r.stdout);
    console.log(`check --jobs ${jobs}: ${out.stats.proofs} proofs, prove phase ${out.stats.proveMilliseconds} ms (planning ${out.stats.planMilliseconds} ms), process ${Math.round(performance.now() - started)} ms`);
    return withoutClock(out);
  };
  const inline = run('1');
  const workers = run('2');
  assert.ok((inline.stats.proofs as number) > 20, `${inline.stats.proofs} proofs: too few to keep two workers busy`);
  assert.ok(inline.findings.filter((f) => f.verdict === 'violated' && f.trace.length > 0 && f.fixes.length > 0).length > 10, 'too few proved findings with traces and fixes to compare');
  // Finding by finding first, so a failure names the first one that differs.
  assert.equal(workers.findings.length, inline.findings.length);
  inline.findings.forEach((f, i) => assert.equal(JSON.stringify(workers.findings[i]), JSON.stringify(f), `finding ${i} (${f.file}:${f.line} ${f.code}) differs`));
  assert.equal(JSON.stringify(workers), JSON.stringify(inline));
});

async function fixturePlans(): Promise<ProofJob[]> {
  const ws = await createWorkspace({ keepTrees: false });
  const files = collectSources([join(root, 'server', 'src', 'rules', 'swake-exclusive-multi-waiter', 'fixtures'), join(root, 'server', 'src', 'rules', 'waitqueue-active-no-barrier', 'fixtures')], []);
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

test('the pool returns each plan\'s finding in order, as decide() on this thread does', async () => {
  const jobs = await fixturePlans();
  assert.ok(jobs.length > 10, `${jobs.length} plans`);
  const bounds = proofBounds({ timeoutMs: 120_000 });
  const here = jobs.map((job) => decide(job, bounds));
  const pool = new ProofPool({ size: 2 });
  try {
    // One request per plan and one request with all of them: both in order.
    const one = await Promise.all(jobs.map(async (job) => pool.prove([job], bounds)));
    const all = await pool.prove(jobs, bounds);
    for (const result of [one.map((r) => (r === 'stopped' ? r : r[0])), all === 'stopped' ? [all] : all]) {
      const findings = result.map((o) => {
        assert.ok(o !== 'stopped' && 'finding' in o, JSON.stringify(o));
        return o.finding;
      });
      assert.deepEqual(withoutClock({ findings, stats: {} }).findings, withoutClock({ findings: structuredClone(here), stats: {} }).findings);
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
    console.log(`pool request stopped ${latency.toFixed(1)} ms after isCancelled() turned true (worker side: ${stoppedAfter.toFixed(1)} ms after the flag was set)`);
    assert.ok(latency < 250, `stopping took ${latency.toFixed(1)} ms`);
    // The worker is free again at once.
    const next = await pool.prove(jobs.slice(0, 1), proofBounds({ timeoutMs: 120_000 }));
    assert.notEqual(next, 'stopped');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.prove(jobs.slice(0, 1), bounds), /closed/);
});
