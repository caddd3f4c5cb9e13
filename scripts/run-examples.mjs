// The README's main job: check the bundled kernel-style examples and simulate the bundled
// runtime programs. Findings are the expected outcome here (the examples show each rule), so
// exit status 1 from `check` ("findings") is success; 2 (usage or I/O error) is not.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');

function run(args) {
  process.stdout.write(`\n$ wakeaudit ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  return result.status ?? 2;
}

let failed = false;
const checkStatus = run(['check', '--explain', 'examples']);
if (checkStatus !== 0 && checkStatus !== 1) failed = true;

const programs = join(root, 'examples', 'programs');
if (existsSync(programs)) {
  for (const name of readdirSync(programs)
    .filter((n) => n.endsWith('.wake'))
    .sort()) {
    // simulate: 0 safe, 1 violated, 3 unknown are all answers; 2 is an error.
    if (run(['simulate', join('examples', 'programs', name)]) === 2) failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
