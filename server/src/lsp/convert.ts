// Finding (the analysis' shape, 1-based, end exclusive) -> LSP diagnostics and code actions
// (0-based, end exclusive). Pure functions: no connection, no I/O, so they are tested directly.
import {
  CodeAction,
  CodeActionKind,
  Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  Range,
  TextEdit as LspTextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { Finding, Fix, SourceSpan, TextEdit } from '../analysis/findings';
import { headline } from '../analysis/headline';

export const DIAGNOSTIC_SOURCE = 'wakeaudit';

/** Maps between the analysis' file names and the URIs the client uses. */
export interface FileNames {
  uriOf(file: string): string;
}

/** What a diagnostic carries back to the server in codeAction requests (Diagnostic.data). */
export interface DiagnosticData {
  /** Key of the finding in the server's finding table (see findingKey). */
  findingKey: string;
}

export function toRange(span: Omit<SourceSpan, 'file'>): Range {
  const startLine = Math.max(0, span.line - 1);
  const startCharacter = Math.max(0, span.column - 1);
  const endLine = Math.max(startLine, span.endLine - 1);
  const endCharacter = Math.max(0, span.endColumn - 1);
  // A span that ends before it starts (a bad location) still shows, as an empty range at its start.
  const endsBeforeStart = endLine === startLine && endCharacter < startCharacter;
  return {
    start: { line: startLine, character: startCharacter },
    end: endsBeforeStart ? { line: startLine, character: startCharacter } : { line: endLine, character: endCharacter },
  };
}

/** Stable identity of a finding across runs: the same bug at the same place has the same key. */
export function findingKey(finding: Finding): string {
  return [finding.code, finding.file, finding.line, finding.column, finding.endLine, finding.endColumn].join(':');
}

/** Severity by verdict: proved bugs warn, undecided ones inform when asked for, the rest never show. */
export function severityOf(finding: Finding, showUnknown: boolean): DiagnosticSeverity | undefined {
  switch (finding.verdict) {
    case 'violated':
      return DiagnosticSeverity.Warning;
    case 'unknown':
      return showUnknown ? DiagnosticSeverity.Information : undefined;
    case 'safe':
    case 'unproved':
      return undefined;
  }
}

export interface DiagnosticOptions {
  showUnknown: boolean;
  /** URL of a rule's page, e.g. a file: URI into the extension's dist/rules/. */
  ruleDocUrl(code: string): string | undefined;
}

export function toDiagnostic(finding: Finding, names: FileNames, options: DiagnosticOptions): Diagnostic | undefined {
  const severity = severityOf(finding, options.showUnknown);
  if (severity === undefined) return undefined;
  const relatedInformation: DiagnosticRelatedInformation[] = [];
  // The list shows the one-line form; the whole message is the first related entry (and the hover).
  const short = headline(finding.message);
  if (short !== finding.message) relatedInformation.push({ location: { uri: names.uriOf(finding.file), range: toRange(finding) }, message: finding.message });
  for (const step of finding.trace) {
    if (!step.location) continue;
    relatedInformation.push({
      location: { uri: names.uriOf(step.location.file), range: toRange(step.location) },
      message: `step ${step.index + 1}: ${step.thread}: ${step.text}`,
    });
  }
  const href = options.ruleDocUrl(finding.code);
  const data: DiagnosticData = { findingKey: findingKey(finding) };
  // The analysis says why a finding is unknown ("(not proved: the condition calls ...)",
  // "(undecided: ...)"); a generic note only where it did not.
  const saysWhy = /\((?:not proved|undecided): /.test(finding.message);
  const verdictNote = finding.verdict === 'unknown' && !saysWhy ? ' (not proved: the explorer could not decide within its bounds)' : '';
  return {
    range: toRange(finding),
    severity,
    source: DIAGNOSTIC_SOURCE,
    code: finding.code,
    ...(href ? { codeDescription: { href } } : {}),
    message: short + verdictNote,
    ...(relatedInformation.length > 0 ? { relatedInformation } : {}),
    data,
  };
}

/**
 * The hover over a finding: the whole message, the schedule step by step (the thread, what it
 * does, its line) and the verified fixes, as Markdown.
 */
export function toHoverMarkdown(finding: Finding): string {
  const escape = (text: string) => text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`);
  const lines = [`**${escape(finding.code)}** (${finding.verdict}): ${escape(finding.message)}`];
  if (finding.trace.length) {
    lines.push('', 'Schedule:');
    for (const step of finding.trace)
      lines.push(`${step.index + 1}. \`${step.thread}\` ${escape(step.text)}${step.location ? ` (line ${step.location.line})` : ''}`);
  }
  const fixes = finding.fixes.filter((f) => f.verified);
  if (fixes.length) lines.push('', `Verified fix${fixes.length === 1 ? '' : 'es'}: ${fixes.map((f) => escape(f.title)).join('; ')}`);
  return lines.join('\n');
}

/** One WorkspaceEdit for all files a fix touches, edits of a file in the order given. */
export function toWorkspaceEdit(edits: readonly TextEdit[], names: FileNames): WorkspaceEdit {
  const changes: Record<string, LspTextEdit[]> = {};
  for (const edit of edits) {
    const uri = names.uriOf(edit.file);
    (changes[uri] ??= []).push({ range: toRange(edit.range), newText: edit.newText });
  }
  return { changes };
}

/** Quick fixes for one finding; only fixes whose fixed program was re-proved safe are offered. */
export function toCodeActions(finding: Finding, diagnostic: Diagnostic, names: FileNames): CodeAction[] {
  return finding.fixes
    .filter((fix: Fix) => fix.verified && fix.edits.length > 0)
    .map((fix) => ({
      title: fix.title,
      kind: CodeActionKind.QuickFix,
      isPreferred: fix.preferred,
      diagnostics: [diagnostic],
      edit: toWorkspaceEdit(fix.edits, names),
    }));
}

export function rangesOverlap(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}
