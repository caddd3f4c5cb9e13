// `npm run bench [-- KERNEL_TREE [--subset DIR] [--jobs N] [--no-coccinelle] [--no-coccinelle-every-file]]`: the runtime's
// exploration benchmark, then the whole-tree benchmark against raw parsing and Coccinelle
// (bench/kernel.mjs; it says how to get a tree when none is given or found). The last line of
// output is kernel.mjs's JSON object of figures.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let status = 0;
for (const [script, args] of [
  ['runtime.mjs', []],
  ['litmus.mjs', []],
  ['kernel.mjs', process.argv.slice(2)],
]) {
  console.log(`== bench/${script}`);
  const r = spawnSync(process.execPath, [join(here, script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
