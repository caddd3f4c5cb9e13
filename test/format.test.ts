// The code is formatted by Prettier (pinned in package.json; .prettierrc.json: 160 columns):
// `npm run format` rewrites it, and this test fails while a file differs (fixtures, goldens,
// examples and Markdown are left as written: .prettierignore).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..');

test('the sources are formatted as npm run format leaves them', () => {
  const r = spawnSync('npm', ['run', '-s', 'format:check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\nrun npm run format`);
});
