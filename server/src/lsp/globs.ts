// Include/exclude globs of the `wakeaudit.include` / `wakeaudit.exclude` settings, matched
// against workspace-relative paths with forward slashes. Supports what settings use in practice:
// `**` (any number of directories), `*` and `?` (within one segment), `{a,b}` alternatives and
// `[...]` classes. Written here because the server bundle ships no glob dependency.

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole directories; a trailing `**` matches everything below.
        const followedBySlash = glob[i + 2] === '/';
        source += followedBySlash ? '(?:[^/]*/)*' : '.*';
        i += followedBySlash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '{') {
      braceDepth++;
      source += '(?:';
    } else if (char === '}' && braceDepth > 0) {
      braceDepth--;
      source += ')';
    } else if (char === ',' && braceDepth > 0) {
      source += '|';
    } else if (char === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) {
        source += '\\[';
      } else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`);
}

export class GlobFilter {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(include: readonly string[], exclude: readonly string[]) {
    this.include = include.map(globToRegExp);
    this.exclude = exclude.map(globToRegExp);
  }

  /** `relativePath` uses `/` separators and is relative to a workspace folder. */
  matches(relativePath: string): boolean {
    return this.include.some((re) => re.test(relativePath)) && !this.excludes(relativePath);
  }

  /** Also used on directories (with a trailing `/`) so excluded trees are never walked. */
  excludes(relativePath: string): boolean {
    return this.exclude.some((re) => re.test(relativePath));
  }
}
