/**
 * `wakeaudit litmus PATH...`: runs every .litmus file under the given files and directories
 * through the runtime's LKMM checker and compares each verdict with the file's `Result:` line.
 *
 * Exit status: 0 when every file matches, 1 when some file mismatches, has no Result line or
 * cannot be parsed, 2 on usage or I/O errors.
 */
import * as path from 'node:path';
import { runLitmus, LitmusError } from '../../../analyzer-runtime/src';
import { DEFAULT_MAX_FILE_MB, MIB, readProblem, readUtf8Source, walkSourceTree } from '../analysis/sourceTree';

const USAGE = 'usage: wakeaudit litmus FILE_OR_DIRECTORY...';

export async function runLitmusCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  if (args.length === 0 || args.some((a) => a === '-h' || a === '--help')) {
    out.write(`${USAGE}\n`);
    return 2;
  }
  // Every .litmus file under the given paths, directories searched recursively (sourceTree.ts:
  // each directory once, only regular files read); a path named is taken whatever its name.
  const listing = walkSourceTree(args, { wantsFile: (file) => file.endsWith('.litmus') });
  for (const p of listing.skipped) out.write(`wakeaudit litmus: ${p.file}: ${p.message}\n`);
  if (listing.unreadable.length > 0) {
    for (const p of listing.unreadable) out.write(`wakeaudit litmus: ${p.file}: ${p.message}\n`);
    return 2;
  }
  const files = listing.files;
  if (files.length === 0) {
    out.write(`wakeaudit litmus: no .litmus files under ${args.join(' ')}\n`);
    return 2;
  }
  const started = Date.now();
  let matched = 0;
  const width = Math.max(...files.map((f) => path.basename(f).length));
  for (const file of files) {
    const read = readUtf8Source(file, DEFAULT_MAX_FILE_MB * MIB);
    if (!('text' in read)) {
      out.write(`wakeaudit litmus: ${file}: ${readProblem(read)}\n`);
      return 2;
    }
    const text = read.text;
    const label = path.basename(file).padEnd(width);
    try {
      const r = runLitmus(text);
      if (r.verdict === 'Unknown') {
        out.write(`UNKNOWN  ${label}  ${file}: no verdict: ${r.reason}\n`);
        continue;
      }
      const expected = r.expected ?? '(no Result line)';
      const ok = r.expected === r.verdict;
      if (ok) matched++;
      const flags =
        (r.flags.length > 0 ? `  flags: ${r.flags.join(',')}` : '') + (r.unrollLimitHit ? '  (loop unrolling limit hit: outcomes may be missing)' : '');
      out.write(
        `${ok ? 'ok      ' : 'MISMATCH'} ${label}  expected ${expected.padEnd(9)} got ${r.verdict.padEnd(9)} ` +
          `(${r.positive}+/${r.negative}-, ${r.candidates} candidates) ${r.milliseconds} ms${flags}\n`,
      );
    } catch (e) {
      if (!(e instanceof LitmusError)) throw e;
      out.write(`ERROR    ${label}  ${file}:${e.line}: ${e.message.replace(/^line \d+: /, '')}\n`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  out.write(`${matched}/${files.length} match in ${seconds.toFixed(2)} s\n`);
  return matched === files.length ? 0 : 1;
}
