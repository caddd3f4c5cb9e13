// Builds the VSIX with @vscode/vsce from what `npm run build` left in dist/. The bundles carry
// every dependency, so vsce runs with --no-dependencies and .vscodeignore keeps the package to
// bundles + wasm + grammars + docs + README + manifest. Prints the file list and the size.
// Usage: node scripts/package.mjs [--out FILE.vsix]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : join(root, `${manifest.name}-${manifest.version}.vsix`);

for (const needed of [
  'dist/rules/waitqueue-active-no-barrier.md',
  'dist/client.js',
  'dist/server.js',
  'dist/indexWorker.js',
  'dist/proofWorker.js',
  'dist/tree-sitter.wasm',
  'dist/tree-sitter-c.wasm',
]) {
  if (!existsSync(join(root, needed))) {
    console.error(`package: ${needed} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
}

const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
// --skip-license: the licence is declared in package.json ("MIT"); without a LICENSE file vsce
// would otherwise stop and ask on the terminal.
// The README links the rule pages relatively (server/src/rules/CODE/README.md); in the marketplace view those
// resolve against the repository named in package.json.
const base = String(manifest.repository?.url ?? '').replace(/\.git$/, '');
const bases = base ? ['--baseContentUrl', `${base}/blob/main`, '--baseImagesUrl', `${base}/raw/main`] : [];
execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--skip-license', ...bases, '--out', out], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});

const listing = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
console.log(
  `package: files in the VSIX:\n${listing
    .trim()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`,
);
const bytes = statSync(out).size;
console.log(`package: ${out} ${(bytes / 1024).toFixed(0)} KiB (${bytes} bytes)`);
