// The helper-header pass of the language server parses a needed header from the editor's text
// when the header is open (unsaved edits win over the disk, as everywhere in the server), and
// from the disk otherwise. Driven on the C analyzer directly, so the order is certain: the
// header is opened before the pass runs.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CAnalyzer } from '../../server/src/lsp/analysisAdapter';
import { DEFAULT_SETTINGS } from '../../server/src/lsp/settings';
import { repoRoot } from './lspClient';

const folder = path.join(repoRoot, 'test', 'cli-fixtures', 'helper-in-plain-header');
const files = ['lnk_port.h', 'lnk_state.h', 'lnk_accessors.h', 'lnk_irq.c', 'lnk_wait.c'].map((f) => path.join(folder, f));

async function storeNamed(editedAccessors?: string): Promise<string> {
  const analyzer = new CAnalyzer(() => {});
  try {
    for (const file of files) {
      const edited = file.endsWith('lnk_accessors.h') ? editedAccessors : undefined;
      analyzer.setFile(file, edited ?? readFileSync(file, 'utf8'), edited !== undefined);
    }
    const added = await analyzer.completeIndex(() => false);
    assert.ok(
      added.some((f) => f.endsWith('lnk_accessors.h')),
      added.join(', '),
    );
    const { findings } = await analyzer.analyzeFile(path.join(folder, 'lnk_irq.c'), { ...DEFAULT_SETTINGS, showUnknown: true }, () => false);
    const f = findings.find((x) => x.code === 'waitqueue-active-no-barrier');
    assert.ok(f, JSON.stringify(findings));
    assert.equal(f.verdict, 'violated', f.message);
    return /the store to (\S+)/.exec(f.message)?.[1] ?? f.message;
  } finally {
    analyzer.dispose();
  }
}

test('a needed header open in the editor is parsed from its unsaved text', async () => {
  // On disk the helper tests the link state; in the editor it tests the retrain count.
  assert.equal(await storeNamed(), 'port->state');
  const edited = readFileSync(path.join(folder, 'lnk_accessors.h'), 'utf8').replace('READ_ONCE(port->state) == LNK_UP', 'READ_ONCE(port->retrains) == 0');
  assert.equal(await storeNamed(edited), 'port->retrains');
});
