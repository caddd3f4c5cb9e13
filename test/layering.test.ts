// The layering of DESIGN.md, checked on the sources: the runtime imports nothing of ours and
// no Node I/O module; the analysis imports nothing from the LSP layer or the client.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

test('analyzer-runtime imports only itself, and no I/O', () => {
  const dir = join(root, 'analyzer-runtime', 'src');
  for (const file of sources(dir)) {
    for (const spec of imports(file)) {
      const rel = relative(root, file);
      assert.ok(spec.startsWith('.'), `${rel} imports package ${spec}`);
      const target = join(file, '..', spec);
      assert.ok(target.startsWith(dir), `${rel} imports ${spec} from outside the runtime`);
    }
  }
});

test('analysis does not import the LSP layer or the client', () => {
  const dir = join(root, 'server', 'src', 'analysis');
  for (const file of sources(dir)) {
    for (const spec of imports(file)) {
      assert.ok(!/vscode-languageserver|vscode-languageclient|^vscode$|client\//.test(spec), `${relative(root, file)} imports ${spec}`);
    }
  }
});
