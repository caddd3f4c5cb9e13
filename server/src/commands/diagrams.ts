/**
 * `check --explain --svg DIR`: one SVG sequence diagram per proved finding (render/traceSvg.ts),
 * named after the finding's file, line and rule (`ring.c-25-waitqueue-active-no-barrier.svg`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../analysis/findings';
import { headline } from '../analysis/headline';
import { traceSvg } from '../render/traceSvg';
import { forOfferedFixes } from '../analysis/traceData';

/** Writes the diagrams; returns the files written. Throws with a one-line reason when DIR cannot be made. */
export function writeDiagrams(findings: Finding[], dir: string, lineText: (file: string, line: number) => string | undefined): string[] {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const written: string[] = [];
  const used = new Set<string>();
  for (const f of findings) {
    if (f.verdict !== 'violated' || !f.diagram) continue;
    const stem = `${path.basename(f.file)}-${f.line}-${f.code}`.replace(/[^\w.-]/g, '_');
    let name = `${stem}.svg`;
    for (let n = 2; used.has(name); n++) name = `${stem}-${n}.svg`;
    used.add(name);
    const file = path.join(dir, name);
    fs.writeFileSync(file, traceSvg(forOfferedFixes(f.diagram, f.fixes), { lineText, title: `${f.file}:${f.line}: ${headline(f.message)} [${f.code}]` }));
    written.push(file);
  }
  return written;
}
