// Rewrites the rules table of README.md from the registry (`wakeaudit rules --format markdown`),
// between its two marker comments. test/rulesTable.test.ts fails while the two differ.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = join(root, 'README.md');
const table = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'rules', '--format', 'markdown'], { encoding: 'utf8' });
const text = readFileSync(readme, 'utf8');
const begin = text.indexOf('<!-- rules table:');
const end = text.indexOf('<!-- end of rules table -->');
if (begin < 0 || end < begin) throw new Error('README.md has no rules table markers');
const head = text.indexOf('\n', begin) + 1;
writeFileSync(readme, text.slice(0, head) + table + text.slice(end));
