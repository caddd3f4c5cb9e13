// indexFiles() as the language server drives it: results adopted into the workspace in file
// order, a file the editor opened meanwhile left alone (adoptable), cancellation that stops
// sending work and returns exactly what entered the workspace; on one thread and on workers.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { contentHash } from '../../server/src/analysis/contentHash';
import { indexFiles } from '../../server/src/analysis/indexer';
import { createWorkspace } from '../../server/src/analysis/prove';
import { fixtureCases } from './fixtureHarness';

const files = fixtureCases()
  .flatMap((c) => c.files.map((f) => ({ path: f.disk, text: f.text })))
  .slice(0, 80);

for (const jobs of [1, 2]) {
  test(`${jobs} job(s): a file not adoptable stays out of the workspace and the answer; every other one is in both, with its text's hash`, async () => {
    const ws = await createWorkspace({ keepTrees: false });
    const skipped = files[5].path;
    const indexed = await indexFiles(
      ws,
      files.map((f) => f.path),
      { jobs, keepText: false, hashText: true, adoptable: (f) => f !== skipped },
    );
    assert.deepEqual(
      indexed.map((r) => r.file),
      files.map((f) => f.path).filter((f) => f !== skipped),
    );
    assert.equal(ws.facts(skipped), undefined);
    for (const r of indexed) {
      assert.ok(ws.facts(r.file), r.file);
      assert.equal(r.hash, contentHash(files.find((f) => f.path === r.file)!.text), r.file);
    }
  });

  test(`${jobs} job(s): cancelled part-way, the answer is exactly the files that entered the workspace, in order`, async () => {
    const ws = await createWorkspace({ keepTrees: false });
    let asked = 0;
    const indexed = await indexFiles(
      ws,
      files.map((f) => f.path),
      { jobs, keepText: false, isCancelled: () => ++asked > 20 },
    );
    assert.ok(indexed.length > 0 && indexed.length < files.length, `${indexed.length} of ${files.length}`);
    assert.deepEqual(
      indexed.map((r) => r.file),
      files.slice(0, indexed.length).map((f) => f.path),
    );
    for (const f of files)
      assert.equal(
        ws.facts(f.path) !== undefined,
        indexed.some((r) => r.file === f.path),
        f.path,
      );
  });
}
