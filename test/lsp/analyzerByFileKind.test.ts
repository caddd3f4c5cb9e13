// The server's routing of files to analyses: each file goes to the analysis for its kind, with
// whether the editor has it open (the C analysis keeps syntax trees of open documents only, so
// a background-indexed workspace does not hold a tree per file).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Analyzer } from '../../server/src/lsp/analyzer';
import { AnalyzerByFileKind } from '../../server/src/lsp/litmusAnalyzer';

function recording(calls: Array<[string, string, boolean | undefined]>, kind: string): Analyzer {
  return {
    setFile: (file, _text, open) => void calls.push([kind, file, open]),
    removeFile: (file) => void calls.push([kind, `-${file}`, undefined]),
    contextKey: () => '',
    analyzeFile: async () => ({ findings: [], problems: [] }),
  };
}

test('AnalyzerByFileKind passes whether a document is open to the analysis of its kind', () => {
  const calls: Array<[string, string, boolean | undefined]> = [];
  const routed = new AnalyzerByFileKind(recording(calls, 'c'), recording(calls, 'litmus'));
  routed.setFile('/w/drivers/a.c', 'int a;', false);
  routed.setFile('/w/drivers/b.c', 'int b;', true);
  routed.setFile('/w/tests/sb.litmus', 'C sb {}', true);
  routed.removeFile('/w/drivers/a.c');
  assert.deepEqual(calls, [
    ['c', '/w/drivers/a.c', false],
    ['c', '/w/drivers/b.c', true],
    ['litmus', '/w/tests/sb.litmus', true],
    ['c', '-/w/drivers/a.c', undefined],
  ]);
});

test('without a C analysis in the build, C files reach no analysis', () => {
  const calls: Array<[string, string, boolean | undefined]> = [];
  const routed = new AnalyzerByFileKind(undefined, recording(calls, 'litmus'));
  routed.setFile('/w/a.c', 'int a;', false);
  assert.deepEqual(calls, []);
  assert.deepEqual(routed.analyses, ['litmus']);
});
