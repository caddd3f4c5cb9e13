/**
 * Applying findings' fixes to texts, as `check --fix` does and as the fixture goldens record:
 * each finding's preferred verified fix, edits of one file applied from the end, an edit that
 * overlaps a later one dropped (the later one kept).
 */
import type { Finding, TextEdit } from './findings';

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

/** Edits of one file applied to its text from the end; an edit overlapping a later one is dropped. Returns the text and the edits applied. */
export function applyEdits<E extends TextEdit>(text: string, edits: readonly E[]): { text: string; applied: E[] } {
  const placed = edits.map((e) => ({ e, start: offsetOf(text, e.range.line, e.range.column), end: offsetOf(text, e.range.endLine, e.range.endColumn) }));
  placed.sort((a, b) => b.start - a.start);
  let lastStart = Infinity;
  const applied: E[] = [];
  for (const p of placed) {
    if (p.end > lastStart) continue; // overlapping edits: keep the later one only
    text = text.slice(0, p.start) + p.e.newText + text.slice(p.end);
    lastStart = p.start;
    applied.push(p.e);
  }
  return { text, applied };
}

/** The files the preferred verified fixes change: their new text and the fixes applied, in file order of `texts`. */
export function applyPreferredFixes(findings: Finding[], texts: ReadonlyMap<string, string>): Map<string, { text: string; applied: string[] }> {
  const editsByFile = new Map<string, Array<TextEdit & { title: string }>>();
  for (const f of findings) {
    const fix = f.fixes.find((x) => x.preferred && x.verified);
    if (!fix) continue;
    for (const e of fix.edits) {
      if (!texts.has(e.file)) continue;
      const list = editsByFile.get(e.file) ?? [];
      list.push({ ...e, title: fix.title });
      editsByFile.set(e.file, list);
    }
  }
  const out = new Map<string, { text: string; applied: string[] }>();
  for (const [file, edits] of editsByFile) {
    const { text, applied } = applyEdits(texts.get(file)!, edits);
    out.set(file, { text, applied: [...new Set(applied.map((e) => e.title))] });
  }
  return out;
}
