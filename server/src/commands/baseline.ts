/**
 * Baselines (`check --write-baseline FILE`, `check --baseline FILE`): the findings a tree already
 * has, so that CI fails only on new ones, as ESLint's and clang-tidy's baselines and code
 * scanning's fingerprints do.
 *
 * A finding's fingerprint survives moving lines: the rule, the file, the enclosing function and
 * the message with every line number taken out (`(line 13)`, `file.c:17`), hashed, plus an
 * occurrence index among findings with the same hash (in line order), so two identical findings
 * in one function stay two. SARIF carries it as `partialFingerprints`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Finding } from '../analysis/findings';

export const FINGERPRINT_KEY = 'wakeaudit/v1';

/** Line numbers out of a message: `(line 13)`, `line 13`, `:17` after a file name. */
export function normalisedMessage(message: string): string {
  return message
    .replace(/\s*\(line \d+\)/g, '')
    .replace(/\blines? \d+(?:\s*(?:-|and|,)\s*\d+)*/g, 'line')
    .replace(/(\.[ch]):\d+(?::\d+)?/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `fs/x.c` whatever the platform's separator. */
function portablePath(file: string): string {
  return file.split('\\').join('/').replace(/^\.\//, '');
}

/**
 * Each finding's fingerprint, in the findings' order. `functionAt` names the function a finding
 * is in (empty at file scope).
 */
export function fingerprints(findings: Finding[], functionAt: (f: Finding) => string | undefined): string[] {
  const keys = findings.map((f) =>
    createHash('sha256')
      .update([f.code, portablePath(f.file), functionAt(f) ?? '', normalisedMessage(f.message)].join('\0'))
      .digest('hex')
      .slice(0, 32),
  );
  const order = findings.map((_, i) => i).sort((a, b) => findings[a].line - findings[b].line || findings[a].column - findings[b].column || a - b);
  const seen = new Map<string, number>();
  const out: string[] = new Array(findings.length);
  for (const i of order) {
    const n = seen.get(keys[i]) ?? 0;
    seen.set(keys[i], n + 1);
    out[i] = `${keys[i]}:${n}`;
  }
  return out;
}

interface BaselineEntry {
  fingerprint: string;
  code: string;
  file: string;
  line: number;
  message: string;
}

export interface BaselineFile {
  tool: 'wakeaudit';
  version: 1;
  findings: BaselineEntry[];
}

export function writeBaseline(file: string, findings: Finding[], prints: string[]): void {
  const content: BaselineFile = {
    tool: 'wakeaudit',
    version: 1,
    findings: findings.map((f, i) => ({ fingerprint: prints[i], code: f.code, file: portablePath(f.file), line: f.line, message: f.message })),
  };
  fs.writeFileSync(file, JSON.stringify(content, null, 2) + '\n');
}

/** The fingerprints a baseline file holds; throws an Error with a one-line reason. */
export function readBaseline(file: string): Set<string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read baseline ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`baseline ${file} is not JSON (write one with --write-baseline)`);
  }
  const entries = (data as Partial<BaselineFile> | null)?.findings;
  if ((data as Partial<BaselineFile> | null)?.tool !== 'wakeaudit' || !Array.isArray(entries) || !entries.every((e) => typeof e?.fingerprint === 'string')) {
    throw new Error(`baseline ${file} is not a wakeaudit baseline (write one with --write-baseline)`);
  }
  return new Set(entries.map((e) => e.fingerprint));
}
