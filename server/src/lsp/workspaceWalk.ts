// Lists the files to index under the workspace folders, honouring include/exclude globs, through
// the analysis' one file-system policy (analysis/sourceTree.ts: regular files only, every
// directory once, so a link loop or a FIFO in the workspace costs a log line, not the server).
// Cancellable and yielding between directories, so a huge tree never blocks the server.
import * as path from 'node:path';
import type { FileProblem } from '../analysis/findings';
import { walkSourceTreeAsync } from '../analysis/sourceTree';
import { GlobFilter } from './globs';
import type { IsCancelled } from './analyzer';

function relativeTo(root: string, full: string): string {
  return path.relative(root, full).split(path.sep).join('/');
}

/** The files to index, sorted, and one line per entry the walk skipped or could not list. */
export async function listWorkspaceFiles(
  roots: readonly string[],
  filter: GlobFilter,
  isCancelled: IsCancelled,
): Promise<{ files: string[]; skipped: FileProblem[] }> {
  const listing = await walkSourceTreeAsync(
    roots,
    {
      wantsFile: (file, root) => filter.matches(relativeTo(root, file)),
      entersDirectory: (dir, root) => !filter.excludes(`${relativeTo(root, dir)}/`),
    },
    isCancelled,
  );
  // A root that is gone or unreadable is not worth a word per root; what is inside them is.
  const rootSet = new Set(roots);
  return { files: listing.files.sort(), skipped: [...listing.skipped, ...listing.unreadable.filter((p) => !rootSet.has(p.file))] };
}
