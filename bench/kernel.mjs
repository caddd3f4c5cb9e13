// Whole-tree benchmark (a measurement, never a test):
//   node bench/kernel.mjs [KERNEL_TREE] [--subset DIR] [--jobs N] [--no-coccinelle] [--no-coccinelle-every-file]
// On a kernel tree (Debian: `apt-get install linux-source-6.1`, then
// `tar xf /usr/src/linux-source-6.1.tar.xz -C SOMEWHERE`; never inside this repository) it
// measures in one run: `wakeaudit check` on all .c/.h files (wall time, peak RSS, files parsed
// and skipped, findings, unknown verdicts, proof times), the time to only read the files, the raw
// tree-sitter parse time of exactly the files check parsed, and the peer, Coccinelle's spatch
// with bench/wq_active_after_store.cocci, over the same files with the same number of jobs,
// twice: as a user runs it (its token filter parses only the files naming waitqueue_active),
// and parsing every one of them (coccinelle_every_file_seconds).
// The last line is one JSON object with the figures. Two of them compare the analysis with
// parsing, in two ways:
//   analysis_over_parse_percent   issue 8's figure: 100 * analysis_ms / parse_ms, from check's
//                                 own phase clocks (stats.phaseMilliseconds, summed over its
//                                 threads; server/src/analysis/phases.ts). analysis_ms = shape
//                                 (the file's definitions, the bodies to walk) + facts +
//                                 helpers (helper-header pass, index maps) + rules + plan +
//                                 prove; parse_ms = check's tree-sitter parser.parse() calls
//                                 alone. Reading, prefiltering, sanitizing and freeing trees
//                                 are neither; the phase line prints every phase.
//   check_over_raw_parse_percent  the wall-clock figure: check's whole run (reading and
//                                 prefiltering every file, worker start-up, output included)
//                                 over the separately measured raw parse of the files check
//                                 parsed, minus one (what analysis_over_parse_percent was
//                                 before the phases were timed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const tree = args.find((a, i) => !a.startsWith('--') && !['--subset', '--jobs'].includes(args[i - 1])) ?? '/work/kernel/linux-source-6.1';
const jobs = Number(opt('--jobs', '2'));
const target = opt('--subset') ? join(tree, opt('--subset')) : tree;
if (!existsSync(target)) {
  console.error(
    `bench/kernel: ${target} not found. Get a tree with: apt-get install linux-source-6.1 && mkdir -p /work/kernel && tar xf /usr/src/linux-source-6.1.tar.xz -C /work/kernel`,
  );
  process.exit(2);
}

function* sources(dir) {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.[ch]$/.test(name)) yield p;
  }
}

/** Runs a command, sampling its resident memory; resolves with wall time, peak RSS and output. */
function measure(cmd, argv) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peak = 0;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', () => {});
    const timer = setInterval(() => {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb);
      } catch {
        // exited between samples
      }
    }, 200);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ seconds: (performance.now() - started) / 1000, rssMb: peak / 1024, out, code });
    });
  });
}

const files = [...sources(target)];
console.log(`bench/kernel: ${files.length} .c/.h files under ${target}`);

// 1. wakeaudit check
// The CLI runs check in a child under a 1.2 GB old-space cap (cli.ts); giving the cap here
// keeps it in the measured process, so its peak RSS is the analysis' own.
const check = await measure(process.execPath, [
  '--max-old-space-size=1200',
  join(root, 'dist', 'cli.js'),
  'check',
  '--format',
  'json',
  '--show-unknown',
  '--jobs',
  String(jobs),
  target,
]);
const report = JSON.parse(check.out);
const proofMs = report.findings
  .filter((f) => f.proof)
  .map((f) => f.proof.milliseconds)
  .sort((a, b) => a - b);
console.log(
  `check: ${check.seconds.toFixed(1)} s, peak RSS ${check.rssMb.toFixed(0)} MB, ${report.stats.parsed} parsed, ${report.stats.skippedByPrefilter} skipped by the prefilter, ${report.findings.length} findings`,
);
const { PHASES, ANALYSIS_PHASES } = require(join(root, 'out', 'server', 'src', 'analysis', 'phases.js'));
const phases = report.stats.phaseMilliseconds;
const analysisMs = ANALYSIS_PHASES.reduce((sum, p) => sum + phases[p], 0);
const parseMs = phases.parse;
console.log(
  `check phases (ms, summed over threads): ${PHASES.map((p) => `${p} ${phases[p]}`).join(', ')}; analysis (${ANALYSIS_PHASES.join(' + ')}) ${analysisMs} = ${Math.round((100 * analysisMs) / parseMs)}% of parse`,
);

// 2. reading only
let started = performance.now();
const texts = files.map((f) => readFileSync(f, 'latin1'));
const readSeconds = (performance.now() - started) / 1000;

// 3. raw parse of exactly the files check parsed (those the prefilter keeps, under the size
// limit), on as many threads as check used: the limit of an analysis that parses these files.
const { PREFILTER } = require(join(root, 'out', 'server', 'src', 'analysis', 'wrappers.js'));
const parsedFiles = files.filter((f, i) => texts[i].length <= 4 * 1048576 && PREFILTER.test(texts[i]));
const parseWorker = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { readFileSync } = require('node:fs');
  const { Language, Parser } = require(workerData.treeSitter);
  (async () => {
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(workerData.grammar));
    for (const f of workerData.files) parser.parse(readFileSync(f, 'latin1'))?.delete();
    parentPort.postMessage('done');
  })();`;
started = performance.now();
await Promise.all(
  Array.from(
    { length: jobs },
    (_, j) =>
      new Promise((resolve, reject) => {
        const w = new Worker(parseWorker, {
          eval: true,
          workerData: {
            treeSitter: require.resolve('web-tree-sitter'),
            grammar: require.resolve('tree-sitter-c/tree-sitter-c.wasm'),
            files: parsedFiles.filter((_, i) => i % jobs === j),
          },
        });
        w.on('message', resolve);
        w.on('error', reject);
      }),
  ),
);
const parseSeconds = (performance.now() - started) / 1000;
console.log(
  `read only: ${readSeconds.toFixed(1)} s; raw tree-sitter parse of the ${parsedFiles.length} parsed files on ${jobs} threads: ${parseSeconds.toFixed(1)} s`,
);

// 4. the peer: spatch over the same files, same jobs, twice. As a user runs it: spatch first
// looks for the semantic patch's tokens in each file and parses only the files that contain
// `waitqueue_active` (its "worth trying" filter, finer than check's prefilter, which serves
// six rules). Then parsing every one of the files (--disable-worth-trying-opt): the same work
// per file as check, whose parse alone is the floor of any tree-sitter-based analysis.
let coccinelleSeconds = null;
let coccinelleMatches = null;
let coccinelleEveryFileSeconds = null;
if (!args.includes('--no-coccinelle') && spawnSync('spatch', ['--version']).status === 0) {
  const list = join(tmpdir(), `wakeaudit-bench-files-${process.pid}.txt`);
  // One file per group (groups are separated by blank lines): a single group of thousands of
  // files makes spatch give up at once.
  writeFileSync(list, parsedFiles.join('\n\n') + '\n');
  const spatch = (extra) =>
    measure('spatch', [
      '--sp-file',
      join(here, 'wq_active_after_store.cocci'),
      '--file-groups',
      list,
      '--jobs',
      String(jobs),
      '--very-quiet',
      '--no-includes',
      '--timeout',
      '60',
      ...extra,
    ]);
  const cocci = await spatch([]);
  coccinelleSeconds = cocci.seconds;
  coccinelleMatches = cocci.out.split('\n').filter((l) => l.includes('waitqueue_active after a store')).length;
  console.log(`spatch: ${cocci.seconds.toFixed(1)} s over the same ${parsedFiles.length} files, ${coccinelleMatches} matches`);
  if (!args.includes('--no-coccinelle-every-file')) {
    const every = await spatch(['--disable-worth-trying-opt']);
    coccinelleEveryFileSeconds = every.seconds;
    const matches = every.out.split('\n').filter((l) => l.includes('waitqueue_active after a store')).length;
    console.log(
      `spatch parsing every one of the ${parsedFiles.length} files: ${every.seconds.toFixed(1)} s, ${matches} matches; that is ${(every.seconds / check.seconds).toFixed(1)}x check's whole run and ${(every.seconds / parseSeconds).toFixed(1)}x the raw tree-sitter parse of the files`,
    );
  }
} else {
  console.log('spatch: not run (not installed or --no-coccinelle)');
}

const figures = {
  files: files.length,
  parsed: report.stats.parsed,
  skipped_by_prefilter: report.stats.skippedByPrefilter,
  seconds: Number(check.seconds.toFixed(2)),
  parse_seconds: Number(parseSeconds.toFixed(2)),
  read_seconds: Number(readSeconds.toFixed(2)),
  coccinelle_seconds: coccinelleSeconds === null ? null : Number(coccinelleSeconds.toFixed(2)),
  ratio_vs_coccinelle: coccinelleSeconds === null ? null : Number((coccinelleSeconds / check.seconds).toFixed(2)),
  coccinelle_matches: coccinelleMatches,
  coccinelle_every_file_seconds: coccinelleEveryFileSeconds === null ? null : Number(coccinelleEveryFileSeconds.toFixed(2)),
  ratio_vs_coccinelle_every_file: coccinelleEveryFileSeconds === null ? null : Number((coccinelleEveryFileSeconds / check.seconds).toFixed(2)),
  /** The most any analysis that tree-sitter-parses these files can reach against spatch parsing them. */
  ratio_raw_parse_vs_coccinelle_every_file: coccinelleEveryFileSeconds === null ? null : Number((coccinelleEveryFileSeconds / parseSeconds).toFixed(2)),
  proof_ms_median: proofMs.length ? proofMs[Math.floor(proofMs.length / 2)] : null,
  proof_ms_p99: proofMs.length ? proofMs[Math.min(proofMs.length - 1, Math.floor(proofMs.length * 0.99))] : null,
  proof_ms_max: proofMs.length ? proofMs[proofMs.length - 1] : null,
  analysis_ms: analysisMs,
  parse_ms: parseMs,
  analysis_over_parse_percent: Math.round((100 * analysisMs) / parseMs),
  check_over_raw_parse_percent: Math.round((check.seconds / parseSeconds - 1) * 100),
  jobs,
  rss_mb: Math.round(check.rssMb),
  findings: report.findings.filter((f) => f.verdict === 'violated').length,
  unknown: report.findings.filter((f) => f.verdict === 'unknown').length,
};
console.log(JSON.stringify(figures));
