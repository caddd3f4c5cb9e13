// Bundles the extension client, the language server and the CLI with esbuild, and copies the
// WebAssembly parser files beside the bundles: the extension loads them from its own folder,
// never from node_modules, so the VSIX works without a node_modules directory.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  // web-tree-sitter's CommonJS build asks import.meta.url where it lives; in a CJS bundle that
  // is undefined, so give it the bundle's own URL (the wasm files sit beside the bundle).
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "var __bundleUrl = require('url').pathToFileURL(__filename).href;" },
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  esbuild.build({ ...common, entryPoints: ['server/src/cli.ts'], outfile: 'dist/cli.js', banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } }),
  // The indexing worker threads of a check over many files (analysis/indexer.ts).
  esbuild.build({ ...common, entryPoints: ['server/src/analysis/indexWorker.ts'], outfile: 'dist/indexWorker.js' }),
  // The proof worker threads of check and of the language server (analysis/proofPool.ts): the
  // runtime and decide() only.
  esbuild.build({ ...common, entryPoints: ['server/src/analysis/proofWorker.ts'], outfile: 'dist/proofWorker.js' }),
]);

copyFileSync(join(dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm'), join(dist, 'tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), join(dist, 'tree-sitter-c.wasm'));

// Each rule's page is its folder's README.md (server/src/rules/CODE/); the extension links
// diagnostics to the copies in dist/rules/CODE.md.
const rulesDir = join(root, 'server', 'src', 'rules');
mkdirSync(join(dist, 'rules'), { recursive: true });
for (const code of readdirSync(rulesDir)) {
  const page = join(rulesDir, code, 'README.md');
  if (existsSync(page)) copyFileSync(page, join(dist, 'rules', `${code}.md`));
}
