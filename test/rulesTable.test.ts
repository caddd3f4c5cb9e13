// The README's rules table is the registry's (`wakeaudit rules --format markdown`), and the
// command lists every rule of the registry with its page.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { rulesMarkdown } from '../server/src/commands/rules';
import { OTHER_RULES, RULES } from '../server/src/rules/registry';

const root = join(__dirname, '..', '..');

test("README.md's rules table is the registry's (npm run rules-table rewrites it)", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const begin = readme.indexOf('<!-- rules table:');
  const end = readme.indexOf('<!-- end of rules table -->');
  assert.ok(begin >= 0 && end > begin, 'README.md lost its rules table markers');
  assert.equal(readme.slice(readme.indexOf('\n', begin) + 1, end), rulesMarkdown(), 'the README table is out of date: run npm run rules-table');
});

test('wakeaudit rules --format json lists every rule with an existing page; a bad argument is a usage error', () => {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'rules', '--format', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as Array<{ code: string; page: string; summary: string }>;
  assert.deepEqual(
    listed.map((x) => x.code),
    [...RULES, ...OTHER_RULES].map((x) => x.code),
  );
  for (const x of listed) assert.ok(existsSync(join(root, x.page)), `${x.code}: ${x.page} is missing`);
  assert.equal(spawnSync(process.execPath, [join(root, 'dist', 'cli.js'), 'rules', '--bogus'], { encoding: 'utf8' }).status, 2);
});
