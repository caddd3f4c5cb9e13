/**
 * Applying findings' fixes to texts, as `check --fix` does and as the fixture goldens record:
 * each finding's preferred verified fix, edits of one file applied from the end, an edit that
 * overlaps a later one dropped (the later one kept).
 */
import type { Finding } from './findings';

/** The 0-based offset of a 1-based line and column in `text` (clamped to its end). */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + column - 1);
}

/** The files the preferred verified fixes change: their new text and the fixes applied, in file order of `texts`. */
export function applyPreferredFixes(findings: Finding[], texts: ReadonlyMap<string, string>): Map<string, { text: string; applied: string[] }> {
  const editsByFile = new Map<string, Array<{ start: number; end: number; newText: string; title: string }>>();
  for (const f of findings) {
    const fix = f.fixes.find((x) => x.preferred && x.verified);
    if (!fix) continue;
    for (const e of fix.edits) {
      const text = texts.get(e.file);
      if (text === undefined) continue;
      const start = offsetOf(text, e.range.line, e.range.column);
      const end = offsetOf(text, e.range.endLine, e.range.endColumn);
      const list = editsByFile.get(e.file) ?? [];
      list.push({ start, end, newText: e.newText, title: fix.title });
      editsByFile.set(e.file, list);
    }
  }
  const out = new Map<string, { text: string; applied: string[] }>();
  for (const [file, edits] of editsByFile) {
    let text = texts.get(file)!;
    edits.sort((a, b) => b.start - a.start);
    let lastStart = Infinity;
    const applied: string[] = [];
    for (const e of edits) {
      if (e.end > lastStart) continue; // overlapping edits: keep the later one only
      text = text.slice(0, e.start) + e.newText + text.slice(e.end);
      lastStart = e.start;
      applied.push(e.title);
    }
    out.set(file, { text, applied: [...new Set(applied)] });
  }
  return out;
}
