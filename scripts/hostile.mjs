// `npm run hostile`: every hostile input of test/hostile/cases.ts (the litmus engine's too),
// each a fresh `node dist/cli.js` child under the outside kill timer, measured by GNU time.
// Prints one line per case, then per group (the npm test cases, the litmus engine's): inputs,
// crashes, hangs, longest run (ms), peak RSS (MB).
// Exit status 1 when a run crashed, hung, or did not end as its case says. Not part of
// `npm test` (it runs the litmus cases that need the litmus branch, and it measures).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { CASES, complaints, runCase, CRASH } = require(join(root, 'out', 'test', 'hostile', 'cases.js'));

// Per group: the cases npm test asserts, and the litmus engine's (measured until its budgets land).
const groups = new Map([
  [true, { label: 'npm test cases', inputs: 0, crashes: 0, hangs: 0, unexpected: 0, longest: { ms: 0, name: '' }, peak: { kb: 0, name: '' } }],
  [false, { label: 'litmus engine cases', inputs: 0, crashes: 0, hangs: 0, unexpected: 0, longest: { ms: 0, name: '' }, peak: { kb: 0, name: '' } }],
]);
for (const c of CASES) {
  const r = await runCase(c, { measure: true });
  const wrong = complaints(c, r);
  const g = groups.get(c.inNpmTest);
  g.inputs++;
  if ((r.signal !== null && !r.hung) || CRASH.test(r.output)) g.crashes++;
  if (r.hung) g.hangs++;
  if (wrong.length > 0) g.unexpected++;
  if (r.milliseconds > g.longest.ms) g.longest = { ms: r.milliseconds, name: c.name };
  if ((r.maxRssKb ?? 0) > g.peak.kb) g.peak = { kb: r.maxRssKb, name: c.name };
  const last = r.output.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  const rss = r.maxRssKb !== undefined && !r.hung ? `${Math.round(r.maxRssKb / 1024)} MB` : '? MB';
  process.stdout.write(
    `${wrong.length ? 'FAIL' : 'ok  '} ${String(r.milliseconds).padStart(6)} ms ${rss.padStart(7)}  ${c.inNpmTest ? '' : '[litmus engine] '}${c.name}\n`,
  );
  if (wrong.length) process.stdout.write(`       ${wrong.join('; ')}\n       last line: ${last.slice(0, 300)}\n`);
}
process.stdout.write('\n');
for (const g of groups.values()) {
  process.stdout.write(
    `${g.label}: inputs ${g.inputs}, crashes ${g.crashes}, hangs ${g.hangs}, not as expected ${g.unexpected}, ` +
      `longest run ${g.longest.ms} ms (${g.longest.name}), peak RSS ${Math.round(g.peak.kb / 1024)} MB (${g.peak.name})\n`,
  );
}
// A hung run's RSS is not measured (the timer kills GNU time with it).
const all = [...groups.values()];
process.exitCode = all.some((g) => g.crashes + g.hangs + g.unexpected > 0) ? 1 : 0;
