/**
 * The hash a text is known by (the server's cache keys, the indexing workers' report of what
 * they read): sha256 over length-prefixed parts, so ("ab","c") and ("a","bc") differ.
 */
import { createHash } from 'node:crypto';

export function contentHash(...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${part.length}:`);
    hash.update(part);
  }
  return hash.digest('hex');
}
