// Hostile trees and programs (test/hostile/cases.ts): each run as a fresh `node dist/cli.js`
// child under an outside kill timer (a hang detector, not a clock on speed) must end with its
// exit status and its one-line message, never a stack trace. The litmus engine's cases run in
// `npm run hostile` only, until its budgets hold on main.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CASES, complaints, runCase } from './cases';

for (const c of CASES.filter((x) => x.inNpmTest)) {
  test(c.name, async () => {
    const r = await runCase(c);
    assert.deepEqual(complaints(c, r), [], r.output.slice(0, 4000));
  });
}
