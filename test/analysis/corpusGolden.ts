// One committed run of the whole corpus (every rule's fixtures and the examples, one workspace,
// `check --format json --show-unknown`), without what the clock decides: the reference that the
// mode-equivalence tests compare their run with (--jobs 1 inline, --jobs 2 on indexing and
// proof workers), instead of running the corpus once per mode and comparing the two.
// WAKEAUDIT_UPDATE_GOLDEN=1 rewrites it from a --jobs 1 run; review the diff.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../server/src/analysis/findings';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');
const goldenPath = join(root, 'test', 'analysis', 'corpus.golden.json');

export interface CorpusRun {
  findings: Finding[];
  problems: unknown[];
  stats: Record<string, unknown>;
}

/** The output without what the clock decides (proof times and phase times). */
export function withoutClock<T extends { findings: Finding[]; stats: Record<string, unknown> }>(out: T): T {
  for (const f of out.findings) if (f.proof) f.proof.milliseconds = 0;
  for (const key of ['milliseconds', 'indexMilliseconds', 'proveMilliseconds', 'planMilliseconds', 'phaseMilliseconds']) delete out.stats[key];
  return out;
}

/** `check` over the corpus with `jobs` threads; the budgets are the defaults (work decides, not the clock). */
export function runCorpus(jobs: number): CorpusRun {
  const r = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--show-unknown', '--jobs', String(jobs), 'server/src/rules', 'examples'], {
    cwd: root,
    encoding: 'utf8',
    // Workers left alive would keep the process from exiting.
    timeout: 600_000,
  });
  assert.equal(r.signal, null, `check --jobs ${jobs} did not exit (${r.signal})`);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return withoutClock(JSON.parse(r.stdout) as CorpusRun);
}

/** Compares a run with the golden finding by finding (a failure names the first that differs), then whole. */
export function assertMatchesCorpusGolden(run: CorpusRun, what: string): void {
  if (process.env.WAKEAUDIT_UPDATE_GOLDEN === '1') {
    writeFileSync(goldenPath, `${JSON.stringify(run, null, 1)}\n`);
    return;
  }
  assert.ok(existsSync(goldenPath), `${goldenPath} is missing (WAKEAUDIT_UPDATE_GOLDEN=1 writes it)`);
  const golden = JSON.parse(readFileSync(goldenPath, 'utf8')) as CorpusRun;
  assert.equal(run.findings.length, golden.findings.length, `${what}: number of findings`);
  golden.findings.forEach((f, i) => assert.equal(JSON.stringify(run.findings[i]), JSON.stringify(f), `${what}: finding ${i} (${f.file}:${f.line} ${f.code}) differs from the golden`));
  assert.equal(JSON.stringify(run), JSON.stringify(golden), `${what}: differs from the golden (stats or problems)`);
}
