// The fixture language: C files under each rule's fixtures/ folder (server/src/rules/CODE/fixtures/)
// carry their expectations inline.
//   /* expect: CODE */            a finding with this code starts on this line
//   /* expect: CODE, CODE2 */     several on one line
//   /* expect-unknown: CODE */    the rule raises a candidate here that the runtime cannot
//                                 decide (e.g. its condition calls code the model lacks): it
//                                 must come out `unknown`, i.e. hidden by default, never a warning
// A plain file is one case (analysed alone); a directory whose name ends in `.case` is one
// case of several files (waiter and waker in different files), analysed as one workspace.
// Lines without an expectation must have no finding: adding a case is adding a file.
// Beside each case, its golden: `foo.golden` for `foo.c`, `case.golden` inside `bar.case/`: every
// finding with its position, severity, verdict, message and fixes; and `x.c.fixed` beside each
// file the preferred verified fixes change, holding the fixed text (not `.c`, so that a check
// of the folder does not read it as a source). A message or a fix whose text
// changes is a test that fails; WAKEAUDIT_UPDATE_GOLDEN=1 rewrites them (review the diff).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The rules' folders: each holds its fixtures in `CODE/fixtures/`. */
export const fixturesRoot = join(__dirname, '..', '..', '..', 'server', 'src', 'rules');

export interface FixtureCase {
  name: string;
  /** The case's file or directory on disk. */
  disk: string;
  /** Its golden (see the header). */
  golden: string;
  /** `path`: as the case names it (`CODE/...`); `disk`: where the file is. */
  files: Array<{ path: string; text: string; disk: string }>;
  /** `relative/path.c:LINE CODE` strings, sorted. */
  expected: string[];
  /** Same, for findings that must come out unknown. */
  expectedUnknown: string[];
}

const EXPECT = /\/[*/]\s*expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/g;
const EXPECT_UNKNOWN = /\/[*/]\s*expect-unknown:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/g;

export function expectationsOf(path: string, text: string, pattern = EXPECT): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(pattern)) for (const code of m[1].split(',')) out.push(`${path}:${i + 1} ${code.trim()}`);
  });
  return out;
}

function sourcesIn(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourcesIn(p));
    else if (/\.[ch]$/.test(name)) out.push(p);
  }
  return out;
}

/**
 * Every case of every rule's fixtures/ folder, named and pathed `CODE/...` (the rule's code,
 * then the case's path inside its fixtures folder).
 */
export function fixtureCases(root = fixturesRoot): FixtureCase[] {
  const cases: FixtureCase[] = [];
  const walk = (dir: string, base: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name.endsWith('.case')) cases.push(makeCase(base, prefix, p, sourcesIn(p)));
        else walk(p, base, prefix);
      } else if (/\.c$/.test(name)) {
        cases.push(makeCase(base, prefix, p, [p]));
      }
    }
  };
  for (const code of readdirSync(root).sort()) {
    const dir = join(root, code, 'fixtures');
    if (existsSync(dir)) walk(dir, dir, code);
  }
  return cases;
}

function makeCase(base: string, prefix: string, casePath: string, files: string[]): FixtureCase {
  const loaded = files.map((f) => ({ path: join(prefix, relative(base, f)), text: readFileSync(f, 'utf8'), disk: f }));
  const isDir = statSync(casePath).isDirectory();
  return {
    name: join(prefix, relative(base, casePath)),
    disk: casePath,
    golden: isDir ? join(casePath, 'case.golden') : casePath.replace(/\.c$/, '.golden'),
    files: loaded,
    expected: loaded.flatMap((f) => expectationsOf(f.path, f.text)).sort(),
    expectedUnknown: loaded.flatMap((f) => expectationsOf(f.path, f.text, EXPECT_UNKNOWN)).sort(),
  };
}

/** Where the golden fixed text of a case's file lives (`x.c` -> `x.c.fixed`, beside it). */
export function fixedTextPath(disk: string): string {
  return `${disk}.fixed`;
}
