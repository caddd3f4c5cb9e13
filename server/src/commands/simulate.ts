/**
 * `wakeaudit simulate FILE [--format text|json] [--max-candidates N] [--max-work N] [--timeout MS] [--loop-bound N]`:
 * runs the runtime's explorer on a program (.wake text or .json IR) and prints the verdict, the
 * property violated, the statistics and the numbered trace. A .litmus file is answered by the
 * litmus engine instead.
 *
 * The work budget (`--max-work`, the proofs' default) decides when a search ends undecided, the
 * same on every machine; the clock (`--timeout`) is only a safety net behind it.
 *
 * Exit status: 0 safe, 1 violated, 3 unknown (a budget ran out), 2 usage, I/O or program errors.
 */
import * as path from 'node:path';
import {
  explore,
  ExploreOptions,
  ExploreResult,
  LitmusError,
  parseProgram,
  Program,
  ProgramError,
  runLitmus,
  TraceStep,
  validateProgram,
} from '../../../analyzer-runtime/src';
import { DEFAULT_PROOF_BOUNDS } from '../analysis/bounds';
import { DEFAULT_MAX_FILE_MB, MIB, readProblem, readUtf8Source } from '../analysis/sourceTree';

const USAGE = `usage: wakeaudit simulate FILE.wake|FILE.json|FILE.litmus [--format text|json] [--max-candidates N] [--max-work N (default ${DEFAULT_PROOF_BOUNDS.maxWork})] [--timeout MS] [--loop-bound N]`;

export interface SimulateIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Reads a program from .wake text or .json IR. */
export function loadProgram(file: string, text: string): Program {
  if (file.endsWith('.json')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ProgramError('', `not JSON: ${(e as Error).message}`);
    }
    return validateProgram(json);
  }
  return parseProgram(text);
}

function where(s: TraceStep): string {
  if (!s.src) return '';
  return `${s.src.file ? `${s.src.file}:` : 'line '}${s.src.line}`;
}

/** The human-readable report. */
export function formatResult(program: Program, r: ExploreResult): string {
  const lines: string[] = [];
  const head = r.verdict === 'violated' ? `VIOLATED (${r.property!.kind})` : r.verdict === 'safe' ? 'SAFE' : 'UNKNOWN';
  lines.push(`${program.name}: ${head}`);
  if (r.property) lines.push(`  ${r.property.message}`);
  if (r.reason) lines.push(`  ${r.reason}`);
  if (r.trace.length > 0) {
    lines.push('', 'trace:');
    const width = String(r.trace.length).length;
    const threadWidth = Math.max(...r.trace.map((s) => s.thread.length));
    for (const s of r.trace) {
      const effects: string[] = [];
      for (const rd of s.reads ?? []) effects.push(`reads ${rd.loc}=${rd.value} (from ${rd.from === 'init' ? 'init' : `step ${rd.from}`})`);
      for (const w of s.writes ?? []) effects.push(`writes ${w.loc}=${w.value}`);
      const loc = where(s);
      lines.push(
        `  ${String(s.index).padStart(width)}. ${s.thread.padEnd(threadWidth)}  ${s.op}${loc ? `   [${loc}]` : ''}${effects.length ? `   ${effects.join(', ')}` : ''}`,
      );
      if (s.note) lines.push(`  ${' '.repeat(width + 2)}${' '.repeat(threadWidth)}  -- ${s.note}`);
    }
  }
  const st = r.stats;
  lines.push(
    '',
    `stats: ${st.paths} paths, ${st.combinations} combinations, ${st.candidates} candidate executions (${st.judged} judged by LKMM, ${st.allowed} allowed), ` +
      `${st.loopBoundHits} paths beyond the loop bound, ${st.milliseconds} ms`,
  );
  return `${lines.join('\n')}\n`;
}

function positiveInt(v: string | undefined, flag: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
  return n;
}

export async function runSimulateCommand(args: string[], io: SimulateIo): Promise<number> {
  if (args.length === 0 || args.some((a) => a === '-h' || a === '--help')) {
    io.stdout.write(`${USAGE}\n`);
    return args.length === 0 ? 2 : 0;
  }
  let format: 'text' | 'json' = 'text';
  const options: ExploreOptions = { maxWork: DEFAULT_PROOF_BOUNDS.maxWork };
  const files: string[] = [];
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      const value = () => inline ?? args[++i];
      switch (flag) {
        case '--format': {
          const f = value();
          if (f !== 'text' && f !== 'json') throw new Error('--format is text or json');
          format = f;
          break;
        }
        case '--max-candidates':
          options.maxCandidates = positiveInt(value(), flag);
          break;
        case '--max-work':
          options.maxWork = positiveInt(value(), flag);
          break;
        case '--timeout':
          options.timeoutMs = positiveInt(value(), flag);
          break;
        case '--loop-bound':
          options.loopBound = positiveInt(value(), flag);
          break;
        default:
          if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
          files.push(a);
      }
    }
    if (files.length !== 1) throw new Error('give exactly one file');
  } catch (e) {
    io.stderr.write(`wakeaudit simulate: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const file = files[0]!;
  const read = readUtf8Source(file, DEFAULT_MAX_FILE_MB * MIB);
  if (!('text' in read)) {
    io.stderr.write(`wakeaudit simulate: ${file}: ${readProblem(read)}\n`);
    return 2;
  }
  const text = read.text;
  if (file.endsWith('.litmus')) {
    try {
      const r = runLitmus(text, { maxCandidates: options.maxCandidates, timeoutMs: options.timeoutMs });
      if (format === 'json') io.stdout.write(`${JSON.stringify({ file, ...r }, null, 2)}\n`);
      else {
        const flags = r.flags.length > 0 ? `, flags: ${r.flags.join(',')}` : '';
        io.stdout.write(`${r.name}: ${r.verdict} (${r.positive}+/${r.negative}-, ${r.candidates} candidates${flags}, ${r.milliseconds} ms)\n`);
        if (r.reason) io.stdout.write(`  ${r.reason}\n`);
        for (const s of r.states) io.stdout.write(`  ${s}\n`);
      }
      if (r.verdict === 'Unknown') return 3;
      return 0;
    } catch (e) {
      if (!(e instanceof LitmusError)) throw e;
      io.stderr.write(`wakeaudit simulate: ${file}:${e.line}: ${e.message.replace(/^line \d+: /, '')}\n`);
      return 2;
    }
  }
  let program: Program;
  try {
    program = loadProgram(file, text);
  } catch (e) {
    if (e instanceof ProgramError) {
      const at = e.line !== undefined ? `${file}:${e.line}` : file;
      io.stderr.write(`wakeaudit simulate: ${at}: ${e.message.replace(/^line \d+: /, '')}\n`);
      return 2;
    }
    throw e;
  }
  let result: ExploreResult;
  try {
    result = explore(program, options);
  } catch (e) {
    io.stderr.write(`wakeaudit simulate: ${path.basename(file)}: ${(e as Error).message}\n`);
    return 2;
  }
  if (format === 'json') io.stdout.write(`${JSON.stringify({ file, program: program.name, ...result }, null, 2)}\n`);
  else io.stdout.write(formatResult(program, result));
  return result.verdict === 'safe' ? 0 : result.verdict === 'violated' ? 1 : 3;
}
