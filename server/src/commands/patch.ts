/**
 * Patch mode of `wakeaudit check` (`--patch FILE|-`, `--since REV`): the texts a patch changes,
 * before and after it, and the lines it adds (after) and deletes (before), so that only the
 * findings a patch introduces or changes are reported, with the whole tree as their context.
 *
 * A patch is a unified diff or a `git format-patch` series (several mails, each with its diff),
 * applied in memory in order with jsdiff (a later mail applies to what the earlier ones made);
 * the tree on disk is not touched. `--since REV` reads the texts before from `git show REV:path`
 * and after from the work tree. The changed lines are then found by diffing each file's text
 * before against its text after, so a series that edits one file twice maps to the final text.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyPatch, diffLines, parsePatch, StructuredPatch } from 'diff';
import type { Finding } from '../analysis/findings';
import type { ProofJob } from '../analysis/plan';

/** One file the patch touches: its text before and after (undefined: absent), by tree path. */
export interface PatchedFile {
  /** Path as the check names files: path.join(tree, the patch's path). */
  file: string;
  before?: string;
  after?: string;
  /** 1-based lines of `after` the patch added or changed. */
  added: Set<number>;
  /** 1-based lines of `before` the patch deleted or changed. */
  deleted: Set<number>;
}

export interface PatchedTree {
  files: Map<string, PatchedFile>;
}

/** Where the patch comes from, as the command line said. */
export type PatchSource = { kind: 'patch'; from: string } | { kind: 'since'; rev: string };

export class PatchError extends Error {}

/** The patch's text: a file, or standard input for `-`. */
export function readPatchText(from: string): string {
  try {
    return fs.readFileSync(from === '-' ? 0 : from, 'utf8');
  } catch (error) {
    throw new PatchError(
      `cannot read patch ${from === '-' ? 'from standard input' : from}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * A `git format-patch` series is several mails, each starting `From <sha> <date>` and carrying
 * its own diff; a plain diff is one part. Each part is applied to what the parts before made.
 */
export function splitSeries(text: string): string[] {
  const starts = [...text.matchAll(/^From [0-9a-f]{7,40} /gm)].map((m) => m.index!);
  if (starts.length === 0) return [text];
  // Each mail ends with git's signature (`-- ` then the git version), which a diff parser would
  // read as one more deleted line.
  return starts.map((s, i) => text.slice(s, starts[i + 1] ?? text.length).replace(/\n-- \n[^\n]*\s*$/, '\n'));
}

/** `a/fs/x.c` -> `fs/x.c` (git's prefixes, or any one leading component as `patch -p1` does); /dev/null -> undefined. */
function patchPath(name: string | undefined, strip: boolean): string | undefined {
  if (name === undefined) return undefined;
  const n = name.replace(/\t.*$/, '').trim();
  if (n === '/dev/null' || n === '') return undefined;
  if (!strip) return n;
  const slash = n.indexOf('/');
  return slash >= 0 ? n.slice(slash + 1) : n;
}

/** Lines added to `after` and deleted from `before`, 1-based, from a line diff of the two texts. */
export function changedLines(before: string | undefined, after: string | undefined): { added: Set<number>; deleted: Set<number> } {
  const added = new Set<number>();
  const deleted = new Set<number>();
  let oldLine = 1;
  let newLine = 1;
  for (const part of diffLines(before ?? '', after ?? '')) {
    const n = part.count ?? 0;
    if (part.added) for (let i = 0; i < n; i++) added.add(newLine++);
    else if (part.removed) for (let i = 0; i < n; i++) deleted.add(oldLine++);
    else {
      oldLine += n;
      newLine += n;
    }
  }
  return { added, deleted };
}

function hunkHeader(h: StructuredPatch['hunks'][number]): string {
  return `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`;
}

/**
 * Applies a patch (diff or series) to the tree in memory. `read(file)` gives a file's text on
 * disk (undefined when it does not exist). Throws PatchError naming the file and the hunk that
 * does not apply.
 */
export function applySeries(tree: string, text: string, read: (file: string) => string | undefined = readIfExists): PatchedTree {
  const current = new Map<string, { before?: string; after?: string }>();
  const textNow = (file: string) => (current.has(file) ? current.get(file)!.after : read(file));
  let patches = 0;
  for (const [part, mail] of splitSeries(text).entries()) {
    let parsed: StructuredPatch[];
    try {
      parsed = parsePatch(mail);
    } catch (error) {
      throw new PatchError(`cannot parse the patch${splitSeries(text).length > 1 ? ` (mail ${part + 1})` : ''}: ${(error as Error).message}`);
    }
    for (const p of parsed) {
      if (p.hunks.length === 0) continue;
      // git and `diff -ru a/ b/` name both sides with a leading folder; a bare name (diff -u x.c x.c.new) has none.
      const strip = p.isGit || [p.oldFileName, p.newFileName].every((n) => n === undefined || /^\/dev\/null/.test(n) || /^[^/\s]+\/\S/.test(n));
      const oldName = patchPath(p.oldFileName, strip);
      const newName = patchPath(p.newFileName, strip);
      const name = newName ?? oldName;
      if (name === undefined) continue;
      if (path.isAbsolute(name) || name.split('/').includes('..')) throw new PatchError(`patch names a file outside the tree: ${name}`);
      const file = path.join(tree, name);
      const source = oldName === undefined ? '' : textNow(path.join(tree, oldName));
      if (source === undefined) throw new PatchError(`patch does not apply: ${name} does not exist in ${tree}`);
      const result = applyPatch(source, p);
      if (result === false) throw new PatchError(`patch does not apply: ${name} ${failingHunk(source, p)}`);
      patches++;
      if (oldName !== undefined && oldName !== newName) {
        const oldFile = path.join(tree, oldName);
        if (!current.has(oldFile)) current.set(oldFile, { before: read(oldFile) });
        current.get(oldFile)!.after = undefined;
      }
      if (!current.has(file)) current.set(file, { before: read(file) });
      current.get(file)!.after = newName === undefined ? undefined : result;
    }
  }
  if (patches === 0) throw new PatchError('the patch changes no file (no unified diff hunks found)');
  return withChangedLines(current);
}

/** The first hunk, in patch order, that does not apply where the ones before it do. */
function failingHunk(source: string, p: StructuredPatch): string {
  for (let k = 1; k <= p.hunks.length; k++) {
    if (applyPatch(source, { ...p, hunks: p.hunks.slice(0, k) }) === false)
      return `hunk ${k} of ${p.hunks.length} (${hunkHeader(p.hunks[k - 1])}) does not match the tree`;
  }
  return `(its hunks do not apply together)`;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PatchError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function withChangedLines(texts: Map<string, { before?: string; after?: string }>): PatchedTree {
  const files = new Map<string, PatchedFile>();
  for (const [file, { before, after }] of texts) {
    if (before === after) continue;
    files.set(file, { file, before, after, ...changedLines(before, after) });
  }
  return { files };
}

/**
 * `--since REV` in the git work tree `tree`: the files `git diff REV` names (paths relative to
 * the tree), before from `git show REV:./path`, after as they are on disk.
 */
export function changesSince(tree: string, rev: string): PatchedTree {
  const git = (...args: string[]) => spawnSync('git', ['-C', tree, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const names = git('diff', '--no-color', '--no-ext-diff', '--no-renames', '--relative', '--name-only', '-z', rev, '--');
  if (names.error) throw new PatchError(`cannot run git: ${names.error.message}`);
  if (names.status !== 0) throw new PatchError(`git diff ${rev} failed in ${tree}: ${names.stderr.trim().split('\n')[0]}`);
  const texts = new Map<string, { before?: string; after?: string }>();
  for (const name of names.stdout.split('\0').filter(Boolean)) {
    const shown = git('show', `${rev}:./${name}`);
    const file = path.join(tree, name);
    texts.set(file, { before: shown.status === 0 ? shown.stdout : undefined, after: readIfExists(file) });
  }
  return withChangedLines(texts);
}

export function readPatchedTree(tree: string, source: PatchSource): PatchedTree {
  return source.kind === 'since' ? changesSince(tree, source.rev) : applySeries(tree, readPatchText(source.from));
}

/** Whether a finding's site or a step of its trace is on one of `lines(file)`. */
export function touchesLines(f: Finding, lines: (file: string) => Set<number> | undefined): boolean {
  const on = (file: string, from: number, to: number) => {
    const set = lines(path.normalize(file));
    if (!set) return false;
    for (let l = from; l <= to; l++) if (set.has(l)) return true;
    return false;
  };
  return on(f.file, f.line, f.endLine) || f.trace.some((s) => s.location !== undefined && on(s.location.file, s.location.line, s.location.endLine));
}

/** Every file a proof job names: its site and the source tags of its programs' operations. */
export function jobFiles(job: ProofJob): Set<string> {
  const files = new Set<string>([path.normalize(job.base.file)]);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'src' && x && typeof (x as { file?: unknown }).file === 'string') files.add(path.normalize((x as { file: string }).file));
        else if (k !== 'edits') walk(x);
      }
    }
  };
  walk(job.plan);
  return files;
}

/** A proof job whose program can touch a file the patch changes: the only ones patch mode explores. */
export function jobTouches(patched: PatchedTree): (job: ProofJob) => boolean {
  return (job) => [...jobFiles(job)].some((f) => patched.files.has(f));
}
