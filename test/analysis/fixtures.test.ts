// Walks every rule's fixtures (server/src/rules/CODE/fixtures/): each case's findings must be
// exactly its inline expectations, and what they say (message, fixes) and what their preferred
// fixes write must be exactly the case's goldens (fixtureHarness.ts). A fixed case, analysed
// again, keeps no violation its fixes were verified to remove. Fixes pass the same check against
// every rule as in check and the editor (analysis/fixCheck.ts).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { proofBounds } from '../../server/src/analysis/bounds';
import { decide } from '../../server/src/analysis/decide';
import { keepFixesSafeUnderEveryRule } from '../../server/src/analysis/fixCheck';
import { applyPreferredFixes } from '../../server/src/analysis/fixes';
import type { Finding } from '../../server/src/analysis/findings';
import { analyzeWorkspaceFile, createWorkspace } from '../../server/src/analysis/prove';
import { FixtureCase, fixedTextPath, fixtureCases } from './fixtureHarness';

const cases = fixtureCases();
const update = process.env.WAKEAUDIT_UPDATE_GOLDEN === '1';

async function analyse(files: Array<{ path: string; text: string }>): Promise<Finding[]> {
  const ws = await createWorkspace();
  for (const f of files) {
    const problem = ws.setFile(f.path, f.text, true);
    assert.equal(problem, undefined, `${f.path}: ${problem?.message}`);
  }
  const findings: Finding[] = [];
  for (const f of files) findings.push(...(await analyzeWorkspaceFile(ws, f.path)).findings);
  // As check and the editor do: a fix stays only if its text is safe under every rule.
  const texts = new Map(files.map((f) => [f.path, f.text]));
  const bounds = proofBounds({});
  return keepFixesSafeUnderEveryRule(
    {
      workspace: ws,
      textOf: (file) => texts.get(file),
      prove: async (jobs) => jobs.map((j) => decide(j, bounds)),
      known: (paths) => findings.filter((f) => paths.includes(f.file)),
    },
    findings,
  );
}

/** The golden text of a case's findings: what a reviewer reads, one block per finding. */
function goldenOf(c: FixtureCase, findings: Finding[]): string {
  const lines = [`# ${c.name}: what wakeaudit reports (WAKEAUDIT_UPDATE_GOLDEN=1 rewrites this file; review the diff)`];
  if (findings.length === 0) lines.push('no findings');
  for (const f of findings) {
    lines.push(`${f.file}:${f.line}:${f.column}-${f.endLine}:${f.endColumn} ${f.severity} ${f.verdict} [${f.code}]`);
    lines.push(`  message: ${f.message}`);
    if (f.verdict === 'violated') lines.push(`  trace: ${f.trace.length} steps`);
    for (const fix of f.fixes)
      lines.push(
        `  fix${fix.preferred ? ' (preferred)' : ''}${fix.verified ? ', verified' : ''}: ${fix.title} (${fix.edits.length} edit${fix.edits.length === 1 ? '' : 's'})`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** Compares with the golden file (or writes it when updating); missing counts as a difference. */
function checkGolden(path: string, actual: string | undefined, what: string): void {
  if (update) {
    if (actual === undefined) {
      if (existsSync(path)) unlinkSync(path);
    } else writeFileSync(path, actual);
    return;
  }
  const expected = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  assert.equal(actual, expected, `${what} differs from ${path} (WAKEAUDIT_UPDATE_GOLDEN=1 rewrites it)`);
}

test('the fixture corpus is not empty', () => {
  assert.ok(cases.length > 0);
});

for (const c of cases) {
  test(`fixture ${c.name}`, async () => {
    const findings = await analyse(c.files);
    const actual: string[] = [];
    const unknown: string[] = [];
    for (const x of findings) {
      if (x.verdict === 'violated') {
        actual.push(`${x.file}:${x.line} ${x.code}`);
        // A proved finding carries its schedule (hints excepted: their proof is the safe conversion).
        if (x.severity !== 'hint') assert.ok(x.trace.length >= 1, `${x.file}:${x.line} has no trace`);
        for (const fix of x.fixes) assert.ok(fix.verified, `${fix.title} offered unverified`);
      } else if (x.verdict === 'unknown') unknown.push(`${x.file}:${x.line} ${x.code}`);
    }
    assert.deepEqual(actual.sort(), c.expected);
    assert.deepEqual(unknown.sort(), c.expectedUnknown);

    checkGolden(c.golden, goldenOf(c, findings), 'the findings');
    const texts = new Map(c.files.map((f) => [f.path, f.text]));
    const fixed = applyPreferredFixes(findings, texts);
    for (const f of c.files) checkGolden(fixedTextPath(f.disk), fixed.get(f.path)?.text, `the fixed text of ${f.path}`);

    // The fixed case: each violation a preferred verified fix was applied for is gone (per rule,
    // at most as many violations are left as had no fix applied).
    if (fixed.size === 0) return;
    const again = await analyse(c.files.map((f) => ({ path: f.path, text: fixed.get(f.path)?.text ?? f.text })));
    const fixedCodes = new Map<string, number>();
    const unfixed = new Map<string, number>();
    for (const x of findings.filter((f) => f.verdict === 'violated')) {
      const target = x.fixes.some((fix) => fix.preferred && fix.verified) ? fixedCodes : unfixed;
      target.set(x.code, (target.get(x.code) ?? 0) + 1);
    }
    for (const code of fixedCodes.keys()) {
      const left = again.filter((x) => x.verdict === 'violated' && x.code === code);
      assert.ok(left.length <= (unfixed.get(code) ?? 0), `after the fixes, ${code} still proved at ${left.map((x) => `${x.file}:${x.line}`).join(', ')}`);
    }
  });
}
