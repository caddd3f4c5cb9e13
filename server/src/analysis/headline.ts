/**
 * The one-line form of a finding's message, for lists (the editor's Problems view, gcc-style
 * lines): what is wrong and, when proved, what the proof showed (`Proved: lost wakeup`). The
 * whole message stays the finding's `message`; the editor shows it in related information and on
 * hover, the CLI under `--explain`.
 */

/** Longest headline before it is cut at a clause boundary. */
const MAX_HEADLINE = 160;

export function headline(message: string): string {
  const proofAt = message.indexOf(' Proved: ');
  let head = proofAt >= 0 ? message.slice(0, proofAt) : message;
  // Why a finding is undecided is part of the one line: it is what makes it undecided.
  const reasons = [...head.matchAll(/ \((?:not proved|undecided): [^()]*(?:\([^()]*\)[^()]*)*\)/g)].map((m) => m[0]);
  for (const r of reasons) head = head.replace(r, '');
  // The first sentence, then the clause before its explanation when that is still long.
  const sentence = /\.\s+(?=[A-Z])/.exec(head);
  if (sentence) head = head.slice(0, sentence.index);
  head = head.replace(/\.\s*$/, '');
  for (const boundary of ['; ', ', so ', ': ']) {
    if (head.length <= MAX_HEADLINE) break;
    const at = topLevelIndex(head, boundary, 30);
    if (at > 0) head = head.slice(0, at);
  }
  const proof = proofAt >= 0 ? message.slice(proofAt + ' Proved: '.length) : '';
  const kind = proof ? /^[^:.(]*/.exec(proof)![0].trim() : '';
  return head + reasons.join('') + (proof ? `. Proved: ${kind || 'see the trace'}` : '');
}

/** The first `needle` at or after `from` outside parentheses, or -1. */
function topLevelIndex(text: string, needle: string, from: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && i >= from && text.startsWith(needle, i)) return i;
  }
  return -1;
}
