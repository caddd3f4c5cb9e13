/**
 * The one way wakeaudit reaches the file system for source text: `check`'s tree walk and file
 * reads (on this thread or an indexing worker), `simulate FILE`, `litmus FILE|DIR`, and the
 * language server's workspace walk and file loads all go through here, so one policy holds for
 * every input, however hostile the tree:
 *
 * - Only regular files are read. A FIFO, a socket, a character or block device, or a symbolic
 *   link to one is skipped with a reason and never opened: opening a FIFO blocks until a writer
 *   comes, reading /dev/zero never ends. The file is opened with O_NONBLOCK and checked again
 *   after opening (fstat), so a FIFO swapped in between the two cannot block the run.
 * - The read is bounded: a file over the size cap (`--max-file-mb`, `wakeaudit.maxFileMb`) is
 *   skipped, and no read goes past the cap + 1 byte, whatever the size stat reported (a file
 *   that grows while it is read, a /proc-like file that reports 0 bytes).
 * - Every directory is walked once, known by device + inode: a directory symlink is followed
 *   at most once and a loop (`a/loop -> ..`) ends, with a reason. The walk is iterative, so a
 *   deep directory tree costs no stack.
 */
import { closeSync, constants, Dirent, fstatSync, lstatSync, openSync, readdirSync, readSync, Stats, statSync } from 'node:fs';
import * as path from 'node:path';
import type { FileProblem } from './findings';

/** The default size cap of one file, in MiB (CLI `--max-file-mb`, editor `wakeaudit.maxFileMb`). */
export const DEFAULT_MAX_FILE_MB = 64;
export const MIB = 1024 * 1024;

/** One line: a file over the cap, as `check` and the editor report it. */
export function overLimitMessage(bytes: number, maxFileBytes: number): string {
  return `skipped: ${bytes > maxFileBytes + 1 ? `${(bytes / MIB).toFixed(1)} MB is` : 'it is'} over the ${formatMb(maxFileBytes)} MB limit for one file (--max-file-mb, wakeaudit.maxFileMb)`;
}

function formatMb(bytes: number): string {
  const mb = bytes / MIB;
  return Number.isInteger(mb) ? String(mb) : mb.toFixed(2).replace(/\.?0+$/, '');
}

/** What a file that is not a regular file is, for the reason it is skipped. */
function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isDirectory()) return 'a directory';
  return 'not a regular file';
}

function notRegularMessage(stat: Stats, viaLink: boolean): string {
  return `skipped: ${viaLink ? 'a symbolic link to ' : ''}${kindOf(stat)}, not a regular file (never read)`;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/**
 * A file's bytes, or why they were not read: `skipped` (the policy: not a regular file, over
 * the cap) or `unreadable` (an I/O error: missing, no permission).
 */
export type SourceRead = { bytes: Buffer } | { skipped: string } | { unreadable: string };

/** First chunk of a read whose size stat does not tell (a /proc-like file says 0). */
const FIRST_CHUNK = 64 * 1024;

/** Reads one source file under the policy above. */
export function readSourceFile(file: string, maxFileBytes: number): SourceRead {
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (error) {
    return { unreadable: `cannot read: ${errorCode(error)}` };
  }
  if (!stat.isFile()) return { skipped: notRegularMessage(stat, isSymlink(file)) };
  if (stat.size > maxFileBytes) return { skipped: overLimitMessage(stat.size, maxFileBytes) };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch (error) {
    return { unreadable: `cannot read: ${errorCode(error)}` };
  }
  try {
    // Checked again on what was opened: the path may name another file by now.
    const opened = fstatSync(fd);
    if (!opened.isFile()) return { skipped: notRegularMessage(opened, false) };
    if (opened.size > maxFileBytes) return { skipped: overLimitMessage(opened.size, maxFileBytes) };
    const bound = maxFileBytes + 1;
    let buffer = Buffer.allocUnsafe(Math.min(bound, Math.max(opened.size + 1, FIRST_CHUNK)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length >= bound) break;
        const larger = Buffer.allocUnsafe(Math.min(bound, length * 2));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxFileBytes) return { skipped: overLimitMessage(length, maxFileBytes) };
    return { bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { unreadable: `cannot read: ${errorCode(error)}` };
  } finally {
    closeSync(fd);
  }
}

/** A file's text (UTF-8, as an editor reads it), or why it was not read. */
export type SourceTextRead = { text: string } | { skipped: string } | { unreadable: string };

export function readUtf8Source(file: string, maxFileBytes: number): SourceTextRead {
  const r = readSourceFile(file, maxFileBytes);
  return 'bytes' in r ? { text: r.bytes.toString('utf8') } : r;
}

/** The message of a read that gave no bytes (skipped or unreadable). */
export function readProblem(r: { skipped: string } | { unreadable: string }): string {
  return 'skipped' in r ? r.skipped : r.unreadable;
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** What a walk wants: files by name, and whether to enter a directory. Paths are full paths. */
export interface TreeFilter {
  /** A file found inside a walked directory (a root that is a file is always wanted). */
  wantsFile(file: string, root: string): boolean;
  /** A directory inside a root; default: every one. */
  entersDirectory?(dir: string, root: string): boolean;
}

/** What a walk found: wanted regular files in walk order, and one line per thing skipped. */
export interface TreeListing {
  files: string[];
  /** Skipped by the policy (special files, directories walked already): the run goes on. */
  skipped: FileProblem[];
  /** I/O errors (a root that does not exist, a directory that cannot be listed). */
  unreadable: FileProblem[];
}

/**
 * A walk over roots, one directory per step(): depth-first in name order (a directory's
 * entries sorted, each subdirectory walked where its name falls), every directory at most once;
 * links to directories last.
 */
export class SourceTreeWalk {
  readonly listing: TreeListing = { files: [], skipped: [], unreadable: [] };
  /** `dev:ino` of every directory entered. */
  private readonly visited = new Set<string>();
  /** Entries still to visit, the next on top. */
  private readonly pending: Array<{ full: string; root: string; entry?: Dirent; deferred?: boolean }> = [];
  /**
   * Links to directories, walked once the rest is: a directory is then walked by its own path
   * and a link to it is what is skipped (`drivers/foo -> ../bar` never hides `bar`).
   */
  private readonly deferred: Array<{ full: string; root: string; entry?: Dirent; deferred?: boolean }> = [];

  constructor(
    roots: readonly string[],
    private readonly filter: TreeFilter,
  ) {
    for (let i = roots.length - 1; i >= 0; i--) this.pending.push({ full: roots[i]!, root: roots[i]! });
  }

  /** Visits entries up to and including the next directory listed; false once the walk is over. */
  step(): boolean {
    for (;;) {
      if (this.pending.length === 0) {
        const link = this.deferred.shift();
        if (!link) return false;
        this.pending.push({ ...link, deferred: true });
      }
      if (this.visit(this.pending.pop()!)) return true;
    }
  }

  /** Visits one entry; true when it listed a directory. */
  private visit(item: { full: string; root: string; entry?: Dirent; deferred?: boolean }): boolean {
    const { full, root, entry } = item;
    const isRoot = entry === undefined;
    // Regular files and directories as readdir typed them need no stat until they are read or
    // entered; a symbolic link (or an unknown type) is looked through.
    if (entry?.isFile()) {
      if (this.filter.wantsFile(full, root)) this.listing.files.push(full);
      return false;
    }
    if (entry && !entry.isDirectory() && !entry.isSymbolicLink() && !isUnknown(entry)) {
      // A FIFO, socket or device found in a directory: only worth a word if its name is wanted.
      if (this.filter.wantsFile(full, root))
        this.listing.skipped.push({ file: full, message: `skipped: ${direntKind(entry)}, not a regular file (never read)` });
      return false;
    }
    const viaLink = entry?.isSymbolicLink() ?? false;
    let stat: Stats;
    try {
      stat = statSync(full);
    } catch (error) {
      if (isRoot || this.filter.wantsFile(full, root)) this.listing.unreadable.push({ file: full, message: `cannot read: ${errorCode(error)}` });
      return false;
    }
    if (stat.isDirectory()) {
      if (!isRoot && this.filter.entersDirectory && !this.filter.entersDirectory(full, root)) return false;
      if (viaLink && !item.deferred) {
        this.deferred.push(item);
        return false;
      }
      const id = `${stat.dev}:${stat.ino}`;
      if (this.visited.has(id)) {
        this.listing.skipped.push({
          file: full,
          message: `skipped: ${viaLink ? 'a symbolic link to a directory' : 'a directory'} already walked (a link loop or a second path to it)`,
        });
        return false;
      }
      this.visited.add(id);
      let entries: Dirent[];
      try {
        entries = readdirSync(full, { withFileTypes: true });
      } catch (error) {
        this.listing.unreadable.push({ file: full, message: `cannot list directory: ${errorCode(error)}` });
        return true;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (let i = entries.length - 1; i >= 0; i--) this.pending.push({ full: path.join(full, entries[i]!.name), root, entry: entries[i]! });
      return true;
    }
    if (!isRoot && !this.filter.wantsFile(full, root)) return false;
    if (stat.isFile()) this.listing.files.push(full);
    else this.listing.skipped.push({ file: full, message: notRegularMessage(stat, viaLink || (isRoot && isSymlink(full))) });
    return false;
  }
}

function isUnknown(entry: Dirent): boolean {
  return (
    !entry.isFile() &&
    !entry.isDirectory() &&
    !entry.isSymbolicLink() &&
    !entry.isFIFO() &&
    !entry.isSocket() &&
    !entry.isCharacterDevice() &&
    !entry.isBlockDevice()
  );
}

function direntKind(entry: Dirent): string {
  if (entry.isFIFO()) return 'a FIFO';
  if (entry.isSocket()) return 'a socket';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** The whole walk at once (the command line). */
export function walkSourceTree(roots: readonly string[], filter: TreeFilter): TreeListing {
  const walk = new SourceTreeWalk(roots, filter);
  while (walk.step());
  return walk.listing;
}

/**
 * The walk a few directories at a time, yielding to the event loop in between (the language
 * server keeps answering), stopping when `isCancelled()` says so.
 */
export async function walkSourceTreeAsync(roots: readonly string[], filter: TreeFilter, isCancelled: () => boolean): Promise<TreeListing> {
  const walk = new SourceTreeWalk(roots, filter);
  for (let n = 1; !isCancelled() && walk.step(); n++) {
    if (n % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return walk.listing;
}
