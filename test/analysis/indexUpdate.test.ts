// Replacing one file's facts updates the index's maps in place (index.ts set()) when the file's
// declarations did not change: the maps must then equal the ones a rebuild from scratch makes,
// list order included (which sleeper is "first" depends on it). Checked over every fixture file
// of the corpus, for three kinds of edit: a line inserted near the top (every span moves, the
// in-place path), the preferred fixes' texts (.fixed files), and a new struct field (the rebuild path).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createWorkspace } from '../../server/src/analysis/prove';
import type { WorkspaceIndex } from '../../server/src/analysis/index';
import { fixtureCases } from './fixtureHarness';

/** Every map of the index as plain data: sites by file, function, position. */
function snapshot(index: WorkspaceIndex): Record<string, string> {
  const i = index as unknown as { sites(): Record<string, unknown>; decls(): Record<string, unknown> };
  const sites = i.sites();
  const decls = i.decls();
  const site = (x: { file: string; fn: { name: string }; event?: { span: { start: number } }; index?: number }) =>
    `${x.file}|${x.fn.name}|${x.event?.span.start ?? ''}|${x.index ?? ''}`;
  const lists = (m: Map<string, Array<Parameters<typeof site>[0]>>) =>
    [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.map(site)]);
  const maps: Record<string, unknown> = {
    waits: lists(sites.waits as never),
    wakes: lists(sites.wakes as never),
    actives: lists(sites.actives as never),
    calls: lists(sites.calls as never),
    wakers: (sites.wakers as Array<Parameters<typeof site>[0] & { taskWakingHelpers: Set<string> }>).map(
      (w) => `${site(w)}|${[...w.taskWakingHelpers].join(',')}`,
    ),
    functions: lists(decls.functions as never),
    fields: [...(decls.fields as Map<string, { typeSpan?: { line: number } }>).entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, v.typeSpan?.line]),
  };
  return Object.fromEntries(Object.entries(maps).map(([k, v]) => [k, JSON.stringify(v)]));
}

test('an index updated file by file equals the index rebuilt from the same texts', async () => {
  const files = fixtureCases().flatMap((c) => c.files.map((f) => ({ path: f.disk, text: f.text })));
  assert.ok(files.length > 100, `${files.length} fixture files`);
  const texts = new Map(files.map((f) => [f.path, f.text]));
  const live = await createWorkspace({ keepTrees: false });
  for (const [p, t] of texts) live.setFile(p, t);
  live.index.prepare();
  const edits: Array<[string, string, string]> = [];
  for (const [p, t] of texts) {
    const brace = t.indexOf('{\n');
    if (brace >= 0) edits.push([p, 'a line inserted', `${t.slice(0, brace + 2)}\n${t.slice(brace + 2)}`]);
    if (existsSync(`${p}.fixed`)) edits.push([p, 'its fixed text', readFileSync(`${p}.fixed`, 'utf8')]);
  }
  const withStruct = [...texts.keys()].find((p) => /^struct \w+ \{$/m.test(texts.get(p)!))!;
  edits.push([withStruct, 'a new struct field', texts.get(withStruct)!.replace(/^(struct \w+ \{)$/m, '$1\n\tint added_by_test;')]);
  assert.ok(edits.length > 100, `${edits.length} edits`);
  let checked = 0;
  for (const [p, what, text] of edits) {
    texts.set(p, text);
    live.setFile(p, text);
    // Compare now and then (a rebuild of the corpus per edit is the test's cost), and at the end.
    if (checked++ % 25 !== 0 && checked !== edits.length) continue;
    const fresh = await createWorkspace({ keepTrees: false });
    for (const [q, t] of texts) fresh.setFile(q, t);
    const [got, want] = [snapshot(live.index), snapshot(fresh.index)];
    for (const map of Object.keys(want)) assert.ok(got[map] === want[map], `after ${what} of ${p}: the ${map} map differs from a rebuild`);
  }
});
