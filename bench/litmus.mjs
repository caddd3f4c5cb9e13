// Litmus measurement (not a test): `wakeaudit litmus DIR` (one process for every file) against
// herd7 on the same files in the same run, when herd7 is at hand.
//   node bench/litmus.mjs [DIR] [--herd PATH] [--model DIR]      (after npm run build)
// DIR defaults to test/litmus. herd7 is taken from --herd or $HERD7, the model directory (the
// kernel's tools/memory-model, with linux-kernel.cfg) from --model or $HERD7_MODEL; without
// them only wakeaudit is measured. Reported: whole-set wall time of each tool (one process
// each, start-up included), per-test median (wakeaudit's own timing, herd7's `Time` lines),
// the ratios, and how many verdicts agree.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const herd = option('--herd', process.env.HERD7);
const model = option('--model', process.env.HERD7_MODEL);
const dir = resolve(args[0] ?? join(root, 'test', 'litmus'));
// Every .litmus file under DIR, as `wakeaudit litmus DIR` finds them.
const files = readdirSync(dir, { recursive: true })
  .filter((f) => f.endsWith('.litmus'))
  .sort()
  .map((f) => join(dir, f));

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function timed(command, argv, options = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 30, ...options });
  return { ...r, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

const ours = timed(process.execPath, [join(root, 'dist', 'cli.js'), 'litmus', dir]);
const ourVerdicts = new Map();
const ourMs = [];
for (const line of ours.stdout.split('\n')) {
  const m = /^(?:ok|MISMATCH) +(\S+) .* got (\w+) .* (\d+) ms/.exec(line);
  if (m) {
    ourVerdicts.set(m[1], m[2]);
    ourMs.push(Number(m[3]));
  }
}
const figures = {
  tests: files.length,
  wakeaudit: { wallMs: Math.round(ours.ms), medianMsPerTest: median(ourMs), verdicts: ourVerdicts.size },
};

if (herd && model && existsSync(herd) && existsSync(join(model, 'linux-kernel.cfg'))) {
  const h = timed(herd, ['-conf', 'linux-kernel.cfg', ...files], { cwd: model });
  const herdMs = [];
  const herdVerdicts = new Map();
  let current;
  for (const line of h.stdout.split('\n')) {
    const t = /^Test (\S+)/.exec(line);
    if (t) current = t[1];
    const o = /^Observation \S+ (\w+)/.exec(line);
    if (o && current) herdVerdicts.set(current, o[1]);
    const tm = /^Time \S+ ([\d.]+)/.exec(line);
    if (tm) herdMs.push(Number(tm[1]) * 1000);
  }
  // herd7 names a test by its `C name` line, wakeaudit by its file.
  const testName = new Map(files.map((f) => [f.slice(f.lastIndexOf('/') + 1), /^\s*C\s+(\S+)/m.exec(readFileSync(f, 'utf8'))?.[1]]));
  let agree = 0;
  for (const [file, verdict] of ourVerdicts) if (herdVerdicts.get(testName.get(file)) === verdict) agree++;
  figures.herd7 = { wallMs: Math.round(h.ms), medianMsPerTest: median(herdMs), verdicts: herdVerdicts.size };
  figures.wallRatio = +(ours.ms / h.ms).toFixed(2);
  figures.agree = agree;
} else {
  figures.herd7 = 'not measured: give --herd PATH and --model DIR (or $HERD7, $HERD7_MODEL)';
}
console.log(JSON.stringify(figures, null, 2));
