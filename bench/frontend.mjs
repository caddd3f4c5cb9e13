// Front-end measurement on a real tree (not a test): ERROR/MISSING nodes and error-free files
// with and without the sanitize pass, and parse throughput, on the same files.
//   node bench/frontend.mjs /path/to/linux-source-6.1 [--all] [--limit N]
// By default only the files the prefilter keeps (those that mention a wait/wake primitive),
// i.e. the files `wakeaudit check` actually parses; --all measures every .c/.h file.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { loadCParser, countErrors } = require('../out/server/src/analysis/parser.js');
const { sanitize } = require('../out/server/src/analysis/sanitize.js');
const { PREFILTER } = require('../out/server/src/analysis/wrappers.js');
const { Language, Parser } = require('web-tree-sitter');

const args = process.argv.slice(2);
const root = args.find((a) => !a.startsWith('--'));
const all = args.includes('--all');
const limitAt = args.indexOf('--limit');
const limit = limitAt >= 0 ? Number(args[limitAt + 1]) : Infinity;
if (!root) {
  console.error('usage: node bench/frontend.mjs KERNEL_TREE [--all] [--limit N]');
  process.exit(2);
}

function* walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yield* walk(p);
    else if (/\.[ch]$/.test(name)) yield p;
  }
}

await loadCParser();
const language = await Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm'));
const raw = new Parser();
raw.setLanguage(language);

const files = [];
let bytes = 0;
for (const f of walk(root)) {
  if (files.length >= limit) break;
  const text = readFileSync(f, 'latin1');
  if (!all && !PREFILTER.test(text)) continue;
  files.push(text);
  bytes += text.length;
}

function measure(transform) {
  let errors = 0;
  let clean = 0;
  const started = performance.now();
  for (const text of files) {
    const tree = raw.parse(transform(text));
    const e = countErrors(tree.rootNode);
    errors += e;
    if (e === 0) clean++;
    tree.delete();
  }
  return { errors, clean, seconds: (performance.now() - started) / 1000 };
}

const plain = measure((t) => t);
const sanitized = measure((t) => sanitize(t).text);
const mb = bytes / 1048576;
console.log(`files: ${files.length} (${mb.toFixed(1)} MB)${all ? '' : ' kept by the prefilter'}`);
console.log(
  `without sanitize: ${plain.errors} ERROR/MISSING nodes, ${plain.clean} error-free files (${((100 * plain.clean) / files.length).toFixed(1)}%), ${(mb / plain.seconds).toFixed(2)} MB/s`,
);
console.log(
  `with sanitize:    ${sanitized.errors} ERROR/MISSING nodes, ${sanitized.clean} error-free files (${((100 * sanitized.clean) / files.length).toFixed(1)}%), ${(mb / sanitized.seconds).toFixed(2)} MB/s (sanitize + parse)`,
);
console.log(
  `ratio: ERROR nodes with/without = ${(sanitized.errors / plain.errors).toFixed(3)}; throughput with/without = ${(plain.seconds / sanitized.seconds).toFixed(3)}`,
);
