/**
 * `wakeaudit check PATH...`: the editor's analysis, headless, for CI and scripts.
 *
 * Output: `text` (gcc style, so make and editors parse it), `json` (the shape in
 * analysis/findings.ts plus stats) or SARIF 2.1.0. Exit status: 0 no finding, 1 findings,
 * 2 usage or I/O error (a path that cannot be read or listed). A bad file (binary, over
 * --max-file-mb, unparsable in time) and what the walk skips (a FIFO, a socket, a device, a
 * link to one, a directory link walked already: analysis/sourceTree.ts) give one line each on
 * stderr (in JSON and SARIF, a problem) and the run goes on with the others.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_PROOF_BOUNDS, proofBounds } from '../analysis/bounds';
import { decide } from '../analysis/decide';
import type { ProofJob } from '../analysis/plan';
import { createWorkspace, findCandidates, planCandidate, ProofOptions } from '../analysis/prove';
import { ProofOutcome, ProofPool } from '../analysis/proofPool';
import type { FileProblem, Finding } from '../analysis/findings';
import { RULE_CODES, RuleCode } from '../rules/registry';
import { headersDefiningConditionHelpers, indexFiles, SearchedNames } from '../analysis/indexer';
import { DEFAULT_LIMITS, readSourceText, Workspace } from '../analysis/workspace';
import { keepFixesSafeUnderEveryRule } from '../analysis/fixCheck';
import { phaseClock, phasesSince, roundPhases } from '../analysis/phases';
import { applyPreferredFixes } from '../analysis/fixes';
import { DEFAULT_MAX_FILE_MB, MIB, readUtf8Source, walkSourceTree } from '../analysis/sourceTree';
import { toSarif } from './sarif';
import { headline } from '../analysis/headline';
import { writeDiagrams } from './diagrams';
import { PatchSource, PatchedTree, jobTouches, readPatchedTree, touchesLines } from './patch';
import { fingerprints, readBaseline, writeBaseline } from './baseline';

const USAGE = `usage: wakeaudit check [options] PATH...
  --format text|json|sarif   output format (default text)
  --explain                  with text: print each finding's trace step by step
  --show-unknown             also report findings the runtime could not decide
  --fix                      apply the preferred verified fix of each finding and print what changed
  --rules CODE,...           only these rules (default: all)
  --max-states N             exploration budget per proof (candidate executions; default ${DEFAULT_PROOF_BOUNDS.maxCandidates})
  --max-work N               exploration budget per proof (search steps; default ${DEFAULT_PROOF_BOUNDS.maxWork}; past it: unknown)
  --timeout-ms N             wall-clock safety net per proof (default ${DEFAULT_PROOF_BOUNDS.timeoutMs}; past it: unknown, said to depend on the machine)
  --max-file-mb N            skip (never read) files larger than this many MB (default ${DEFAULT_MAX_FILE_MB})
  --jobs N                   index files and explore proofs on N threads (default: one per core)
  --patch FILE|-             patch mode: apply a unified diff or git format-patch series in memory to
                             the tree and report only the findings it introduces or changes
  --since REV                patch mode for \`git diff REV\` of the git work tree
  --tree DIR                 the tree a patch applies to (default .); the whole tree is the context
  --write-baseline FILE      record the findings as the tree's baseline and exit 0
  --baseline FILE            report only findings not in the baseline FILE
  --svg DIR                  with --explain: write each proved schedule as an SVG sequence diagram to DIR`;

export interface CheckIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

interface CheckOptions {
  format: 'text' | 'json' | 'sarif';
  explain: boolean;
  showUnknown: boolean;
  fix: boolean;
  rules: Set<RuleCode>;
  proof: ProofOptions;
  maxFileBytes: number;
  jobs: number;
  paths: string[];
  /** Patch mode: where the patch comes from, and the tree it applies to. */
  patch?: PatchSource;
  tree?: string;
  baseline?: string;
  writeBaseline?: string;
  svgDir?: string;
  /** Patch mode: only the proof jobs this accepts are explored (the others cannot touch the patch). */
  selectJob?: (job: ProofJob) => boolean;
}

function parseArgs(args: string[]): CheckOptions | string {
  const o: CheckOptions = {
    format: 'text',
    explain: false,
    showUnknown: false,
    fix: false,
    rules: new Set(RULE_CODES),
    proof: {},
    maxFileBytes: DEFAULT_LIMITS.maxFileBytes,
    jobs: os.availableParallelism(),
    paths: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--format') {
        const f = value();
        if (f !== 'text' && f !== 'json' && f !== 'sarif') return `unknown format ${JSON.stringify(f)}`;
        o.format = f;
      } else if (a.startsWith('--format=')) {
        const f = a.slice(9);
        if (f !== 'text' && f !== 'json' && f !== 'sarif') return `unknown format ${JSON.stringify(f)}`;
        o.format = f;
      } else if (a === '--explain') o.explain = true;
      else if (a === '--show-unknown') o.showUnknown = true;
      else if (a === '--fix') o.fix = true;
      else if (a === '--rules') {
        const codes = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = codes.filter((c) => !(RULE_CODES as readonly string[]).includes(c));
        if (bad.length) return `unknown rule ${bad.join(', ')} (known: ${RULE_CODES.join(', ')})`;
        o.rules = new Set(codes as RuleCode[]);
      } else if (a === '--max-states') o.proof.maxStates = positive(value(), a);
      else if (a === '--max-work') o.proof.maxWork = positive(value(), a);
      else if (a === '--timeout-ms') o.proof.timeoutMs = positive(value(), a);
      else if (a === '--max-file-mb') o.maxFileBytes = Math.floor(positive(value(), a) * MIB);
      else if (a === '--jobs' || a === '-j') o.jobs = Math.floor(positive(value(), a));
      else if (a === '--patch') o.patch = { kind: 'patch', from: value() };
      else if (a === '--since') o.patch = { kind: 'since', rev: value() };
      else if (a === '--tree') o.tree = value();
      else if (a === '--baseline') o.baseline = value();
      else if (a === '--write-baseline') o.writeBaseline = value();
      else if (a === '--svg') o.svgDir = value();
      else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
      else o.paths.push(a);
    } catch (error) {
      return (error as Error).message;
    }
  }
  if (o.patch) {
    if (o.paths.length) return `with ${o.patch.kind === 'since' ? '--since' : '--patch'}, name the tree with --tree DIR (default .), not as PATH`;
    if (o.fix) return '--fix cannot be used with a patch: the tree on disk stays untouched';
    o.paths = [o.tree ?? '.'];
  } else if (o.tree !== undefined) return '--tree needs --patch or --since';
  if (o.baseline !== undefined && o.writeBaseline !== undefined) return '--baseline and --write-baseline exclude each other';
  if (o.svgDir !== undefined && !o.explain) return '--svg needs --explain';
  if (o.paths.length === 0) return 'no PATH given';
  return o;
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${JSON.stringify(v)}`);
  return n;
}

const SOURCE = /\.[ch]$/;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.svn', '.hg']);

/**
 * Every .c/.h file under the given paths (a path named is taken whatever its name), in walk
 * order (sourceTree.ts: depth-first, by name, every directory once). What the walk skipped (a
 * FIFO, a device, a directory link walked already) and paths it cannot read become problems;
 * `unreadable` says whether any was an I/O error.
 */
export function collectSources(paths: string[], problems: FileProblem[]): { files: string[]; unreadable: boolean } {
  const listing = walkSourceTree(paths, {
    wantsFile: (file) => SOURCE.test(file),
    entersDirectory: (dir) => !SKIP_DIRS.has(path.basename(dir)),
  });
  problems.push(...listing.unreadable, ...listing.skipped);
  // A file named twice (itself and inside a named directory) is analysed once.
  return { files: [...new Set(listing.files.map((f) => path.normalize(f)))], unreadable: listing.unreadable.length > 0 };
}

export async function runCheckCommand(args: string[], io: CheckIo): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout.write(USAGE + '\n');
    return 0;
  }
  const options = parseArgs(args);
  if (typeof options === 'string') {
    io.stderr.write(`wakeaudit check: ${options}\n${USAGE}\n`);
    return 2;
  }
  let patched: PatchedTree | undefined;
  let knownFindings: Set<string> | undefined;
  try {
    if (options.patch) patched = readPatchedTree(options.paths[0], options.patch);
    if (options.baseline !== undefined) knownFindings = readBaseline(options.baseline);
  } catch (error) {
    io.stderr.write(`wakeaudit check: ${(error as Error).message}\n`);
    return 2;
  }
  const started = performance.now();
  const clockAtStart = { ...phaseClock };
  const problems: FileProblem[] = [];
  let ioError = false;
  const collected = collectSources(options.paths, problems);
  const files = collected.files;
  if (collected.unreadable) ioError = true;
  const workspace = await createWorkspace({ keepTrees: false }, { ...DEFAULT_LIMITS, maxFileBytes: options.maxFileBytes });
  const progress = io.stderr.isTTY ? (n: number, total: number, what: string) => io.stderr.write(`\r\x1b[K${what} ${n}/${total}`) : undefined;
  const analysed: string[] = [];
  const texts = new Map<string, string>();
  const indexed = await indexFiles(workspace, files, {
    jobs: options.jobs,
    keepText: options.fix,
    progress: progress && ((n, total) => progress(n, total, 'indexing')),
  });
  // Headers the prefilter skipped that define a helper or a constant some condition needs; the
  // second round finds what the helpers found in the first one need.
  const helperHeaders: string[] = [];
  const at = new Map(indexed.map((r, i) => [r.file, i]));
  const searched: SearchedNames = { helpers: new Set(), constants: new Set() };
  for (let round = 0; round < 2; round++) {
    const searching = performance.now();
    const more = headersDefiningConditionHelpers(
      workspace,
      indexed.filter((r) => r.stats.skippedByPrefilter > 0),
      searched,
    );
    phaseClock.helpers += performance.now() - searching;
    if (more.length === 0) break;
    for (const r of await indexFiles(workspace, more, { jobs: options.jobs, keepText: options.fix, force: true })) indexed[at.get(r.file)!] = r;
    workspace.stats.skippedByPrefilter -= more.length;
    helperHeaders.push(...more);
  }
  // The index's cross-file maps, built here rather than by the first rule that asks.
  const preparing = performance.now();
  try {
    workspace.index.prepare();
  } catch {
    // The rules meet the same error and report it per file, as they would have.
  }
  phaseClock.helpers += performance.now() - preparing;
  for (const r of indexed) {
    problems.push(...r.problems);
    if (r.unreadable) ioError = true;
    if (!r.facts) continue;
    analysed.push(r.file);
    if (r.text !== undefined) texts.set(r.file, r.text);
  }
  const indexedAt = performance.now();
  const patchRun = patched ? await provePatch(workspace, analysed, texts, patched, options, progress) : undefined;
  const proved = patchRun?.proved ?? (await proveFiles(workspace, analysed, options, progress));
  const bounds = proofBounds(options.proof);
  // The fixes' own proofs ran above; each is now checked against every rule (analysis/fixCheck.ts).
  const findings = await keepFixesSafeUnderEveryRule(
    {
      workspace,
      textOf: (file) => texts.get(file) ?? readSourceText(file, workspace.limits),
      enabled: (c) => options.rules.has(c),
      prove: async (jobs) => jobs.map((job) => decide(job, bounds)),
      // Every analysed file's candidates were proved above (safe ones are not findings, and
      // the comparison counts only proved violations); a file not analysed has no candidates.
      // A patch's run proved every candidate of the files it changes, reported or not.
      known: (files) => (patchRun?.provedAfter ?? proved.findings).filter((f) => files.includes(f.file)),
    },
    proved.findings,
  );
  problems.push(...proved.problems);
  if (progress) io.stderr.write('\r\x1b[K');
  let shown = findings.filter((f) => isShown(f, options));
  for (const p of problems) io.stderr.write(`${p.file}: ${p.message}\n`);
  let prints = fingerprints(shown, (f) => workspace.enclosingFunction(f.file, f.line, f.column)?.name);
  if (options.writeBaseline !== undefined) {
    writeBaseline(options.writeBaseline, shown, prints);
    io.stderr.write(`wakeaudit: wrote ${shown.length} finding${shown.length === 1 ? '' : 's'} to the baseline ${options.writeBaseline}\n`);
    return ioError ? 2 : 0;
  }
  if (knownFindings) {
    const isNew = prints.map((p) => !knownFindings.has(p));
    const known = isNew.filter((n) => !n).length;
    shown = shown.filter((_, i) => isNew[i]);
    prints = prints.filter((_, i) => isNew[i]);
    if (known) io.stderr.write(`wakeaudit: ${known} finding${known === 1 ? '' : 's'} of the baseline not shown\n`);
  }
  if (patchRun) for (const line of patchRun.summary(shown)) io.stderr.write(line + '\n');

  const milliseconds = Math.round(performance.now() - started);
  const stats = {
    files: files.length,
    parsed: workspace.stats.parsed,
    skippedByPrefilter: workspace.stats.skippedByPrefilter,
    bytesParsed: workspace.stats.bytesParsed,
    parseErrors: workspace.stats.parseErrors,
    helperHeaders: helperHeaders.length,
    problems: problems.length,
    milliseconds,
    indexMilliseconds: Math.round(indexedAt - started),
    proveMilliseconds: Math.round(performance.now() - indexedAt),
    /** Of the prove phase: planning every candidate (this thread), the rest is exploring. */
    planMilliseconds: Math.round(proved.planMilliseconds),
    /** Candidates explored (the others could not be extracted). */
    proofs: proved.proofs,
    /** Per phase, summed over the threads that ran it (analysis/phases.ts). */
    phaseMilliseconds: roundPhases(phasesSince(phaseClock, clockAtStart)),
    byRule: countBy(shown, (f) => f.code),
    byVerdict: countBy(findings, (f) => f.verdict),
  };

  if (options.fix) applyFixes(shown, texts, io);
  const source = new SourceExcerpts(texts, options.maxFileBytes);
  if (options.svgDir !== undefined) {
    try {
      const written = writeDiagrams(shown, options.svgDir, (file, line) => source.line(file, line));
      io.stderr.write(`wakeaudit: wrote ${written.length} trace diagram${written.length === 1 ? '' : 's'} to ${options.svgDir}\n`);
    } catch (error) {
      io.stderr.write(`wakeaudit check: ${(error as Error).message}\n`);
      ioError = true;
    }
  }
  if (options.format === 'json') {
    const patch = patchRun ? { patch: { removed: patchRun.removed } } : {};
    // The diagram's data is drawn by --svg; the JSON keeps its documented shape.
    io.stdout.write(JSON.stringify({ findings: shown.map(({ diagram: _diagram, ...f }) => f), problems, stats, ...patch }, null, 2) + '\n');
  } else if (options.format === 'sarif') {
    const states = patchRun
      ? shown.map((f) => (patchRun.statusOf(f) === 'changed' ? 'updated' : 'new'))
      : knownFindings
        ? shown.map(() => 'new' as const)
        : undefined;
    io.stdout.write(JSON.stringify(toSarif(shown, problems, prints, states), null, 2) + '\n');
  } else {
    for (const f of shown) {
      const level = f.severity === 'hint' || f.severity === 'information' ? 'note' : 'warning';
      // The one-line form in the list; --explain gives the whole message under the excerpt.
      const short = headline(f.message);
      io.stdout.write(`${f.file}:${f.line}:${f.column}: ${level}: ${short} [${f.code}]${f.verdict === 'violated' ? '' : ` (${f.verdict})`}\n`);
      if (options.explain) {
        io.stdout.write(source.excerpt(f.file, f.line, f.column));
        if (short !== f.message) io.stdout.write(`${f.file}:${f.line}:${f.column}: note: ${f.message}\n`);
        for (const step of f.trace) {
          const { file, line, column } = step.location ?? f;
          io.stdout.write(`${file}:${line}:${column}: note: step ${step.index + 1} [${step.thread}] ${step.text}\n`);
          io.stdout.write(source.excerpt(file, line, column));
        }
        for (const fix of f.fixes)
          io.stdout.write(
            `${f.file}:${f.line}:${f.column}: note: fix${fix.preferred ? ' (preferred)' : ''}${fix.verified ? ', verified safe' : ''}: ${fix.title}\n`,
          );
      }
    }
    // Undecided candidates are hidden by default; say how many, so their absence is not read as "none".
    const hidden = options.showUnknown ? 0 : findings.filter((f) => f.verdict === 'unknown').length;
    const hiddenNote = hidden > 0 ? `; ${hidden} undecided, not shown: --show-unknown lists them` : '';
    io.stderr.write(
      `wakeaudit: ${shown.length} finding${shown.length === 1 ? '' : 's'} in ${files.length} files (${stats.parsed} parsed, ${stats.skippedByPrefilter} skipped by prefilter) in ${(milliseconds / 1000).toFixed(2)} s${hiddenNote}\n`,
    );
  }
  if (shown.length > 0) return 1;
  return ioError ? 2 : 0;
}

/**
 * The line of C a finding or a trace step points at, under it, as gcc and clang print it:
 * `   27 | <the line>` and a caret under the column (tabs shown as 8 columns). The trace's
 * steps name the model's objects (`sess.state`); the line shows the code they stand for.
 * Files are read once, as they are on disk (the text check analysed, unless --fix rewrote it).
 */
class SourceExcerpts {
  private readonly lines = new Map<string, string[] | null>();

  constructor(
    private readonly texts: Map<string, string>,
    private readonly maxFileBytes: number,
  ) {}

  /** The text of a 1-based line, without its line end. */
  line(file: string, line: number): string | undefined {
    let lines = this.lines.get(file);
    if (lines === undefined) {
      const text = this.texts.get(file) ?? readUtf8Source(file, this.maxFileBytes);
      lines = typeof text === 'string' ? text.split('\n') : 'text' in text ? text.text.split('\n') : null;
      this.lines.set(file, lines);
    }
    return lines?.[line - 1]?.replace(/\r$/, '');
  }

  excerpt(file: string, line: number, column: number): string {
    const text = this.line(file, line);
    if (text === undefined) return '';
    const shown = text.replace(/\t/g, '        ');
    const before = text.slice(0, Math.max(0, column - 1)).replace(/\t/g, '        ');
    const gutter = String(line).padStart(5);
    return `${gutter} | ${shown}\n${' '.repeat(gutter.length)} | ${' '.repeat(before.length)}^\n`;
  }
}

/**
 * Every candidate of `files`, proved: first every plan, made here in file order (planning needs
 * the index), then the exploring, on `options.jobs` proof workers (on this thread with one job).
 * The two phases do not overlap: a proof's budget is wall-clock time, and a third busy thread on
 * a machine with as many cores as jobs would push proofs near their budget over it. Findings come
 * back in candidate order whatever the workers' order, so the output does not depend on the jobs
 * count. A file whose planning or proof throws gives one problem and no findings, as it did when
 * the whole file was proved in one call.
 */
async function proveFiles(
  workspace: Workspace,
  files: string[],
  options: CheckOptions,
  progress: ((n: number, total: number, what: string) => void) | undefined,
) {
  const bounds = proofBounds(options.proof);
  const enabled = (c: RuleCode) => options.rules.has(c);
  const started = performance.now();
  // Per file, in candidate order: a finding known at planning, or the index of its proof job.
  const perFile: Array<{ file: string; items: Array<Finding | number>; error?: string }> = [];
  const jobs: ProofJob[] = [];
  for (const [n, file] of files.entries()) {
    if (progress && n % 20 === 0) progress(n, files.length, 'planning');
    const entry: (typeof perFile)[number] = { file, items: [] };
    perFile.push(entry);
    const ruling = performance.now();
    let planning: number | undefined;
    try {
      const candidates = findCandidates(workspace.index, file, enabled);
      planning = performance.now();
      phaseClock.rules += planning - ruling;
      for (const c of candidates) {
        const planned = planCandidate(workspace.index, c);
        if ('finding' in planned) entry.items.push(planned.finding);
        else if (!options.selectJob || options.selectJob(planned.job)) entry.items.push(jobs.push(planned.job) - 1);
      }
    } catch (error) {
      entry.error = (error as Error).message;
    }
    if (planning === undefined) phaseClock.rules += performance.now() - ruling;
    else phaseClock.plan += performance.now() - planning;
  }
  const planned = performance.now();
  const outcomes: ProofOutcome[] = new Array(jobs.length);
  if (options.jobs <= 1 || jobs.length <= 1) {
    const proving = performance.now();
    jobs.forEach((job, n) => {
      if (progress && n % 20 === 0) progress(n, jobs.length, 'proving');
      try {
        outcomes[n] = { finding: decide(job, bounds) };
      } catch (error) {
        outcomes[n] = { error: (error as Error).message };
      }
    });
    phaseClock.prove += performance.now() - proving;
  } else {
    const pool = new ProofPool({ size: options.jobs });
    let done = 0;
    try {
      await Promise.all(
        jobs.map(async (job, n) => {
          const r = await pool.prove([job], bounds);
          outcomes[n] = r === 'stopped' ? { error: 'proof stopped' } : r[0];
          if (progress && ++done % 20 === 0) progress(done, jobs.length, 'proving');
        }),
      );
    } finally {
      phaseClock.prove += pool.busyMilliseconds;
      await pool.close();
    }
  }
  const findings: Finding[] = [];
  const problems: FileProblem[] = [];
  for (const entry of perFile) {
    const fileFindings: Finding[] = [];
    let error: string | undefined;
    for (const item of entry.items) {
      const outcome = typeof item === 'number' ? outcomes[item] : { finding: item };
      if ('error' in outcome) {
        error = outcome.error;
        break;
      }
      fileFindings.push(outcome.finding);
    }
    error ??= entry.error;
    if (error !== undefined) problems.push({ file: entry.file, message: `analysis failed: ${error}` });
    else findings.push(...fileFindings.filter((f) => f.verdict !== 'safe'));
  }
  return { findings, problems, proofs: jobs.length, planMilliseconds: planned - started };
}

/**
 * Patch mode's two passes over the same index: the tree before the patch (the texts it changes
 * put back as they were), then after it (its texts overlaid), each exploring only the proofs
 * that touch a changed file. Reported: the findings after it with their site or a trace step on
 * a line it added or changed; besides, what it removes (found before, gone after).
 */
async function provePatch(
  workspace: Workspace,
  analysed: string[],
  texts: Map<string, string>,
  patched: PatchedTree,
  options: CheckOptions,
  progress: ((n: number, total: number, what: string) => void) | undefined,
) {
  const onDisk = new Set(analysed);
  const side = (which: 'before' | 'after') => {
    const files = [...analysed];
    for (const p of patched.files.values()) {
      const text = p[which];
      if (text === undefined) workspace.remove(p.file);
      else {
        workspace.setFile(p.file, text, true);
        if (!onDisk.has(p.file)) files.push(p.file);
      }
    }
    const absent = new Set([...patched.files.values()].filter((p) => p[which] === undefined).map((p) => p.file));
    return files.filter((f) => !absent.has(f));
  };
  const select = { ...options, selectJob: jobTouches(patched) };
  const functionAt = (f: Finding) => workspace.enclosingFunction(f.file, f.line, f.column)?.name;
  const before = await proveFiles(workspace, side('before'), select, undefined);
  const beforePrints = fingerprints(before.findings, functionAt);
  const beforeSet = new Set(beforePrints);
  const after = await proveFiles(workspace, side('after'), select, progress);
  for (const p of patched.files.values()) if (p.after !== undefined) texts.set(p.file, p.after);
  const afterPrints = fingerprints(after.findings, functionAt);
  const afterSet = new Set(afterPrints);
  const removed = before.findings.filter((f, i) => isShown(f, options) && !afterSet.has(beforePrints[i]));
  // A finding is the patch's when a line it added or changed is on its trace, or when it was not
  // there before (a deleted barrier leaves no added line behind).
  const added = (file: string) => patched.files.get(file)?.added;
  // By place and rule: the fix check after this pass copies the findings.
  const status = new Map<string, 'introduced' | 'changed'>();
  const place = (f: Finding) => `${f.code}\0${f.file}\0${f.line}\0${f.column}`;
  after.findings.forEach((f, i) => {
    if (!beforeSet.has(afterPrints[i])) status.set(place(f), 'introduced');
    else if (touchesLines(f, added)) status.set(place(f), 'changed');
  });
  const reported = after.findings.filter((f) => status.has(place(f)));
  const proved = {
    ...after,
    findings: reported,
    problems: [...before.problems.filter((p) => !after.problems.some((q) => q.file === p.file && q.message === p.message)), ...after.problems],
    proofs: before.proofs + after.proofs,
    planMilliseconds: before.planMilliseconds + after.planMilliseconds,
  };
  /** The summary lines on stderr: each finding the patch removes, and the counts. */
  const summary = (shown: Finding[]) => {
    const changed = shown.filter((f) => status.get(place(f)) === 'changed').length;
    const lines = removed.map((f) => `${f.file}:${f.line}:${f.column}: note: the patch removes this finding: ${f.message} [${f.code}]`);
    const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
    lines.push(
      `wakeaudit: the patch changes ${n(patched.files.size, 'file')}: ${n(shown.length - changed, 'finding')} introduced, ${changed} changed, ${removed.length} removed`,
    );
    return lines;
  };
  return { proved, provedAfter: after.findings, removed, summary, statusOf: (f: Finding) => status.get(place(f)) };
}

/** What the output shows: no safe verdict, and the undecided ones only with --show-unknown. */
function isShown(f: Finding, options: CheckOptions): boolean {
  return f.verdict !== 'safe' && (options.showUnknown || f.verdict !== 'unknown');
}

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

/** Applies each finding's preferred verified fix; writes only files that change. */
function applyFixes(findings: Finding[], texts: Map<string, string>, io: CheckIo): void {
  for (const [file, { text, applied }] of applyPreferredFixes(findings, texts)) {
    fs.writeFileSync(file, text);
    io.stderr.write(`fixed ${file}: ${applied.join('; ')}\n`);
  }
}
