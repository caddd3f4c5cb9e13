// One committed run of the whole corpus (every rule's fixtures and the examples, one workspace,
// `check --format json --show-unknown`), without what the clock decides: the reference that the
// mode-equivalence tests compare their run with (--jobs 1 inline, --jobs 2 on indexing and
// proof workers), instead of running the corpus once per mode and comparing the two.
// It is kept in slices: each rule's folder holds the findings on its own fixtures
// (`server/src/rules/CODE/fixtures/corpus.golden.json`), test/analysis/corpus.golden.json the
// rest (the examples) and the problems, so adding a rule adds its slice and changes no other
// file unless it finds something in another rule's fixtures. The run's stats (file counts) are
// not part of it: they change with every fixture added.
// WAKEAUDIT_UPDATE_GOLDEN=1 rewrites the slices from a --jobs 1 run; review the diff.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../server/src/analysis/findings';

const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'cli.js');
const rulesDir = join(root, 'server', 'src', 'rules');
const restPath = join(root, 'test', 'analysis', 'corpus.golden.json');

interface GoldenSlice {
  path: string;
  /** The findings of the slice, in the run's order. */
  findings: Finding[];
  problems?: unknown[];
}

/** The run cut into its slices: one per rule folder with fixtures, then the rest. */
function slices(run: CorpusRun): GoldenSlice[] {
  const codes = readdirSync(rulesDir).filter((c) => existsSync(join(rulesDir, c, 'fixtures')));
  const out: GoldenSlice[] = codes.map((c) => ({
    path: join(rulesDir, c, 'fixtures', 'corpus.golden.json'),
    findings: run.findings.filter((f) => f.file.startsWith(`server/src/rules/${c}/`)),
  }));
  const inRule = new Set(out.flatMap((s) => s.findings));
  out.push({ path: restPath, findings: run.findings.filter((f) => !inRule.has(f)), problems: run.problems });
  return out;
}

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

/** Compares a run with the golden slice by slice, finding by finding (a failure names the first that differs). */
export function assertMatchesCorpusGolden(run: CorpusRun, what: string): void {
  for (const slice of slices(run)) {
    const { path, ...content } = slice;
    if (process.env.WAKEAUDIT_UPDATE_GOLDEN === '1') {
      writeFileSync(path, `${JSON.stringify(content, null, 1)}\n`);
      continue;
    }
    assert.ok(existsSync(path), `${path} is missing (WAKEAUDIT_UPDATE_GOLDEN=1 writes it)`);
    const golden = JSON.parse(readFileSync(path, 'utf8')) as Omit<GoldenSlice, 'path'>;
    assert.equal(content.findings.length, golden.findings.length, `${what}: number of findings in ${path}`);
    golden.findings.forEach((f, i) =>
      assert.equal(JSON.stringify(content.findings[i]), JSON.stringify(f), `${what}: finding ${i} (${f.file}:${f.line} ${f.code}) differs from the golden`),
    );
    assert.equal(JSON.stringify(content), JSON.stringify(golden), `${what}: ${path} differs from the golden (problems)`);
  }
}
