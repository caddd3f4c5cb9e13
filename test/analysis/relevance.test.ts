// Facts are collected only for the functions a rule can be about (facts.ts
// relevantFunctions()); that must never change a finding. Every fixture case and every bundled
// example gives the same candidates (code, place, message) walking only those functions as
// walking every function.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { relevantFunctions } from '../../server/src/analysis/shape';
import { PREFILTER } from '../../server/src/analysis/wrappers';
import { createWorkspace, findCandidates } from '../../server/src/analysis/prove';
import { fixtureCases, fixturesRoot } from './fixtureHarness';

async function candidates(files: Array<{ path: string; text: string }>, walkEveryFunction: boolean): Promise<string[]> {
  const ws = await createWorkspace({ keepTrees: false, walkEveryFunction });
  for (const f of files) ws.setFile(f.path, f.text, true);
  return files.flatMap((f) => findCandidates(ws.index, f.path).map((c) => `${c.file}:${c.span.line}:${c.span.column} ${c.code} ${c.message}`)).sort();
}

const examplesDir = join(fixturesRoot, '..', '..', '..', 'examples');
const exampleFiles = readdirSync(examplesDir)
  .filter((n) => /\.[ch]$/.test(n))
  .map((n) => ({ path: n, text: readFileSync(join(examplesDir, n), 'utf8') }));
const cases = [...fixtureCases(), { name: 'examples/', files: exampleFiles }];

test('walking only the relevant functions finds what walking every function finds', async () => {
  let compared = 0;
  for (const c of cases) {
    const all = await candidates(c.files, true);
    const relevant = await candidates(c.files, false);
    assert.deepEqual(relevant, all, c.name);
    compared += all.length;
  }
  assert.ok(compared > 50, `only ${compared} candidates compared`);
});

test('relevance: direct mentions, helpers two levels down, callers one level up, set-up functions, short single-return helpers', () => {
  const text = [
    'static int ready(struct dev *d) { return deeper(d); }',
    'static int deeper(struct dev *d) { return deepest(d); }',
    'static int deepest(struct dev *d) { return d->done; }',
    'static void waiter(struct dev *d) { wait_event(d->wq, ready(d)); }',
    'static void caller(struct dev *d) { waiter(d); }',
    'static void grandcaller(struct dev *d) { caller(d); }',
    'static void unrelated(struct dev *d) { d->x = 1; }',
    'static int probe(struct dev *d) { init_waitqueue_head(&d->wq); setup_regs(d); return 0; }',
    'static void setup_regs(struct dev *d) { d->regs = 0; }',
    'static int unused_level3(struct dev *d) { if (d->x) return 1; return 0; }',
    'static void stopper(struct dev *d) { d->stop = 1; finish(d); wake_up(&d->wq); }',
    'static void finish(struct dev *d) { d->a = 0; flush_regs(d); }',
    'static void flush_regs(struct dev *d) { d->b = 0; d->c = 0; clear_fifo(d); }',
    'static void clear_fifo(struct dev *d) { d->head = 0; d->tail = 0; }',
  ].join('\n');
  const fns = [...text.matchAll(/static \w+ (\w+)\([^)]*\) (\{[^\n]*\})/g)].map((m) => ({
    name: m[1],
    start: m.index!,
    bodyStart: m.index! + m[0].indexOf('{'),
    end: m.index! + m[0].length,
  }));
  const walked = relevantFunctions(text, fns);
  const names = fns.filter((_, i) => walked[i]).map((f) => f.name);
  // deeper() and deepest() are two and three levels down, but a short single-return helper is
  // always kept (a condition, maybe in another file, may inline it); unused_level3() has two
  // returns; clear_fifo() is three levels below stopper().
  assert.deepEqual(names, ['ready', 'deeper', 'deepest', 'waiter', 'caller', 'probe', 'stopper', 'finish', 'flush_regs']);

  // The same text as a .c file, with two more short helpers: a static one nothing relevant
  // reaches (only this file could call it: not walked) and an exported one (a condition in
  // another file may inline it: walked). The chain ready -> deeper -> deepest is still walked,
  // to any depth.
  const c = `${text}\nstatic int lonely(struct dev *d) { return d->y; }\nstatic long shared_level(struct dev *d) { return d->level; }`.replace(
    'static long shared_level',
    'long shared_level',
  );
  const cFns = [...c.matchAll(/(?:static )?\w+ (\w+)\([^)]*\) (\{[^\n]*\})/g)].map((m) => ({
    name: m[1],
    start: m.index!,
    bodyStart: m.index! + m[0].indexOf('{'),
    end: m.index! + m[0].length,
  }));
  const cWalked = relevantFunctions(c, cFns, false);
  assert.deepEqual(
    cFns.filter((_, i) => cWalked[i]).map((f) => f.name),
    ['ready', 'deeper', 'deepest', 'waiter', 'caller', 'probe', 'stopper', 'finish', 'flush_regs', 'shared_level'],
  );
});

test('the prefilter skips a file whose only primitives are completions, and still reads one that also has a wait queue', async () => {
  const completionOnly = [
    '#include <linux/completion.h>',
    'struct fw_loader { struct completion done; int status; };',
    'static void fw_loaded(struct fw_loader *l, int status) { l->status = status; complete(&l->done); }',
    'static int fw_wait(struct fw_loader *l) { if (!wait_for_completion_timeout(&l->done, HZ)) return -ETIMEDOUT; return l->status; }',
  ].join('\n');
  const withQueue = `${completionOnly}\nstatic DECLARE_WAIT_QUEUE_HEAD(fw_wq);\nstatic void fw_kick(void) { wake_up(&fw_wq); }\n`;
  assert.equal(PREFILTER.test(completionOnly), false);
  assert.equal(PREFILTER.test(withQueue), true);
  // Through the workspace, as check reads files: skipped unless forced (an open document).
  const ws = await createWorkspace({ keepTrees: false });
  ws.setFile('fw_a.c', completionOnly);
  ws.setFile('fw_b.c', withQueue);
  assert.equal(ws.stats.skippedByPrefilter, 1);
  assert.equal(ws.stats.parsed, 1);
  assert.ok((ws.facts('fw_b.c')?.functions.length ?? 0) > 0);
  assert.equal(ws.facts('fw_a.c')?.functions.length ?? 0, 0);
});
