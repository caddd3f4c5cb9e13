// Walks every rule's fixtures (server/src/rules/CODE/fixtures/): each case's findings must be exactly its inline expectations.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { analyzeWorkspaceFile, createWorkspace } from '../../server/src/analysis/prove';
import { fixtureCases } from './fixtureHarness';

const cases = fixtureCases();

test('the fixture corpus is not empty', () => {
  assert.ok(cases.length > 0);
});

for (const c of cases) {
  test(`fixture ${c.name}`, async () => {
    const ws = await createWorkspace();
    for (const f of c.files) {
      const problem = ws.setFile(f.path, f.text, true);
      assert.equal(problem, undefined, `${f.path}: ${problem?.message}`);
    }
    const actual: string[] = [];
    const unknown: string[] = [];
    for (const f of c.files) {
      const { findings } = await analyzeWorkspaceFile(ws, f.path);
      for (const x of findings) {
        if (x.verdict === 'violated') {
          actual.push(`${x.file}:${x.line} ${x.code}`);
          // A proved finding carries its schedule (hints excepted: their proof is the safe conversion).
          if (x.severity !== 'hint') assert.ok(x.trace.length >= 1, `${x.file}:${x.line} has no trace`);
          for (const fix of x.fixes) assert.ok(fix.verified, `${fix.title} offered unverified`);
        } else if (x.verdict === 'unknown') unknown.push(`${x.file}:${x.line} ${x.code}`);
      }
    }
    assert.deepEqual(actual.sort(), c.expected);
    assert.deepEqual(unknown.sort(), c.expectedUnknown);
  });
}
