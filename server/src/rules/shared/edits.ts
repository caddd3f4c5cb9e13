/** Text edits of the rules' fixes, made from the facts' spans (1-based, end exclusive). */
import type { Span } from '../../analysis/facts';
import type { TextEdit } from '../../analysis/findings';

export function nameEdit(file: string, span: Span, oldName: string, newName: string): TextEdit {
  return { file, range: { line: span.line, column: span.column, endLine: span.line, endColumn: span.column + oldName.length }, newText: newName };
}

export function replaceSpan(file: string, span: Span, newText: string): TextEdit {
  return { file, range: { line: span.line, column: span.column, endLine: span.endLine, endColumn: span.endColumn }, newText };
}

export function insertLineBefore(file: string, span: Span, text: string): TextEdit {
  return { file, range: { line: span.line, column: 1, endLine: span.line, endColumn: 1 }, newText: `${span.indent ?? '\t'}${text}\n` };
}

export function insertLineAfter(file: string, span: Span, text: string): TextEdit {
  return { file, range: { line: span.endLine + 1, column: 1, endLine: span.endLine + 1, endColumn: 1 }, newText: `${span.indent ?? '\t'}${text}\n` };
}
