// Lists the files to index under the workspace folders, honouring include/exclude globs.
// Asynchronous and cancellable between directories, so a huge tree never blocks the server.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GlobFilter } from './globs';
import type { IsCancelled } from './analyzer';

export async function listWorkspaceFiles(roots: readonly string[], filter: GlobFilter, isCancelled: IsCancelled): Promise<string[]> {
  const found: string[] = [];
  for (const root of roots) {
    const pending: string[] = [root];
    while (pending.length > 0) {
      if (isCancelled()) return found;
      const dir = pending.pop() as string;
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        // Unreadable directories (permissions, removed meanwhile) are skipped, not fatal.
        continue;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        const relative = path.relative(root, full).split(path.sep).join('/');
        if (entry.isDirectory()) {
          if (!filter.excludes(`${relative}/`)) pending.push(full);
        } else if (entry.isFile() && filter.matches(relative)) {
          found.push(full);
        }
      }
    }
  }
  return found.sort();
}
