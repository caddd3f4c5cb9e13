/**
 * Offset-preserving clean-up of kernel C before tree-sitter sees it.
 *
 * The C grammar knows nothing of the kernel's annotation macros (`__rcu`, `__must_check`,
 * `__acquires(x)`) or of its iterator macros (`list_for_each_entry(pos, head, member) { ... }`),
 * and misparses both: the first into ERROR nodes, the second into a call followed by a stray
 * block, which hides the loop. This pass rewrites them in place without changing the length
 * of the text or moving any newline, so every offset, line and column of the sanitized text is
 * the user's own:
 *   - annotations (and their parenthesised argument) become spaces;
 *   - an iterator macro's name becomes `while` padded with spaces, so
 *     `list_for_each_entry(pos, head, member)` reads as `while (pos, head, member)`: a loop
 *     whose body is the block that follows, which is what the kernel code means.
 * Comments and string literals are left alone (a `__user` inside a comment is not code).
 */

/** Annotations that take no argument. */
const BARE_ANNOTATIONS = new Set([
  '__rcu',
  '__user',
  '__iomem',
  '__percpu',
  '__kernel',
  '__force',
  '__bitwise',
  '__safe',
  '__must_check',
  '__always_inline',
  '__inline',
  '__init',
  '__exit',
  '__initdata',
  '__initconst',
  '__exitdata',
  '__devinit',
  '__devexit',
  '__cold',
  '__hot',
  '__read_mostly',
  '__ro_after_init',
  '__maybe_unused',
  '__always_unused',
  '__used',
  '__visible',
  '__weak',
  '__packed',
  '__pure',
  '__noreturn',
  '__noclone',
  'noinline',
  'notrace',
  'noinstr',
  'asmlinkage',
  '__sched',
  '__lockfunc',
  '__irq_entry',
  '__kprobes',
  '__nocfi',
  '__cpuidle',
  '__latent_entropy',
  '__randomize_layout',
  '__no_randomize_layout',
  '__cacheline_aligned',
  '__cacheline_aligned_in_smp',
  '____cacheline_aligned',
  '____cacheline_aligned_in_smp',
  '__ref',
  '__refdata',
  '__meminit',
  '__mempolicy',
  '__nocast',
  '__iomem_ptr',
  '__deprecated',
  '__flatten',
  '__always_used',
  'fastcall',
  '__attribute_const__',
  '__malloc',
  '__rcu_bh',
  '__private',
  '__counted_by_placeholder',
  '__no_kcsan',
  '__no_sanitize_address',
  '__no_profile',
  '__naked',
  '__ksym',
  'noinline_for_stack',
  '__always_inline_placeholder',
]);

/** Annotations followed by a parenthesised argument list, which is blanked with them. */
const CALL_ANNOTATIONS = new Set([
  '__acquires',
  '__releases',
  '__must_hold',
  '__cond_lock',
  '__aligned',
  '__section',
  '__printf',
  '__scanf',
  '__alias',
  '__counted_by',
  '__designated_init_placeholder',
  '__assume_aligned',
  '__diag_ignore',
  '__nonstring_placeholder',
  '__guarded_by',
  '__pt_guarded_by',
  '__cleanup',
  '__alloc_size',
  '__realloc_size',
  '__cond_acquires',
  '__cond_releases',
]);

/**
 * Iterator macro names: the kernel's `*for_each*` families. A name counts only where it is
 * used as a statement head, i.e. its closing parenthesis is followed by a statement, not by
 * `;`, `,` or `)` (a prototype or a macro definition's use as an expression stays as it is).
 */
const ITERATOR_NAME = /^(?:[a-z0-9_]*for_each[a-z0-9_]*|[a-z0-9_]*_foreach[a-z0-9_]*)$/;

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

export interface SanitizeResult {
  text: string;
  /** How many annotations were blanked and iterator heads rewritten (reported in stats). */
  annotations: number;
  iterators: number;
}

/**
 * Returns text of exactly the same length where annotation macros are blanked and iterator
 * macros read as while loops. Never throws: odd input (unterminated comments or strings,
 * unbalanced parentheses) is left as it is from that point on.
 */
export function sanitize(source: string): SanitizeResult {
  // Edits as [from, to, replacement] in ascending order, applied once at the end: most files
  // need a few dozen, and copying slices is far cheaper than a character array of the file.
  const edits: Array<[number, number, string]> = [];
  const blankRange = (from: number, to: number) => edits.push([from, to, blanked(source.slice(from, to))]);
  let annotations = 0;
  let iterators = 0;
  // One regex step per token that matters: comments and literals are skipped whole, words are
  // looked at, everything else is jumped over by the regex engine.
  const token = TOKEN;
  token.lastIndex = 0;
  for (let m = token.exec(source); m !== null; m = token.exec(source)) {
    const word = m[1];
    // Comments, literals and numbers (a word starting with a digit) are left as they are.
    if (word === undefined || (word.charCodeAt(0) >= 48 && word.charCodeAt(0) <= 57)) continue;
    const i = m.index;
    const j = i + word.length;
    if (BARE_ANNOTATIONS.has(word)) {
      blankRange(i, j);
      annotations++;
      continue;
    }
    if (CALL_ANNOTATIONS.has(word)) {
      const open = skipSpace(source, j);
      const close = source[open] === '(' ? matchParen(source, open) : -1;
      blankRange(i, close >= 0 ? close + 1 : j);
      annotations++;
      if (close >= 0) token.lastIndex = close + 1;
      continue;
    }
    if (word === 'static' && isStaticDeclarationMacro(source, j)) {
      // `static DEVICE_ATTR(name, mode, show, store);`: a macro that expands to a
      // definition. With several arguments the grammar cannot read it as a declarator;
      // without `static` it is a call statement, which it can.
      blankRange(i, j);
      annotations++;
      continue;
    }
    if ((word === 'struct' || word === 'union') && isBareTypeArgument(source, i, j)) {
      // container_of(p, struct kvm_vcpu, arch): a type where the grammar wants an
      // expression. Without the keyword the argument is an identifier and the call parses.
      blankRange(i, j);
      annotations++;
      continue;
    }
    if (word === 'scoped_guard' && source[skipSpace(source, j)] === '(' && !isDefinitionName(source, i)) {
      // scoped_guard(mutex, &m) { ... }: the statement runs once, under the lock (facts.ts
      // reads the guard from the user's text). As `switch (mutex, &m) { ... }`, or `if (...)`
      // before a single statement (a switch needs a block), it parses as a statement with a
      // body; facts.ts walks that body on the path, neither a branch nor a loop.
      const close = matchParen(source, skipSpace(source, j));
      const block = close >= 0 && source[skipSpaceAndComments(source, close + 1)] === '{';
      edits.push([i, j, (block ? 'switch' : 'if') + ' '.repeat(j - i - (block ? 6 : 2))]);
      continue;
    }
    if (word.length >= 5 && ITERATOR_NAME.test(word)) {
      const open = skipSpace(source, j);
      if (source[open] === '(') {
        const close = matchParen(source, open);
        if (close >= 0 && !isDefinitionName(source, i)) {
          const next = skipSpaceAndComments(source, close + 1);
          const follower = source[next];
          if (follower !== undefined && follower !== ';' && follower !== ',' && follower !== ')' && !isOperator(follower)) {
            edits.push([i, j, 'while' + ' '.repeat(j - i - 5)]);
            iterators++;
          }
        }
      }
    }
  }
  if (edits.length === 0) return { text: source, annotations, iterators };
  const parts: string[] = [];
  let at = 0;
  for (const [from, to, text] of edits) {
    parts.push(source.slice(at, from), text);
    at = to;
  }
  parts.push(source.slice(at));
  return { text: parts.join(''), annotations, iterators };
}

/**
 * A block comment (to its end or the file's end), a line comment, a string or character
 * literal (to its closing quote, or the line's end when unterminated, as the compiler reads
 * it), or a word (group 1; a number is a word starting with a digit).
 */
const TOKEN = /\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n]*|"(?:\\[\s\S]|[^"\\\n])*"?|'(?:\\[\s\S]|[^'\\\n])*'?|([A-Za-z0-9_]+)/g;

/** Spaces for every character but line ends, so lines never move. */
function blanked(s: string): string {
  return s.replace(/[^\r\n]/g, ' ');
}

/** `static UPPER_CASE(a, b, ...);` at the start of a line: a declaring macro with arguments. */
function isStaticDeclarationMacro(s: string, wordEnd: number): boolean {
  const q = skipSpace(s, wordEnd);
  let r = q;
  while (r < s.length && /[A-Z0-9_]/.test(s[r])) r++;
  if (r === q || !/[A-Z]/.test(s[q]) || s[r] !== '(') return false;
  const close = matchParen(s, r);
  if (close < 0) return false;
  const next = skipSpace(s, close + 1);
  if (s[next] !== ';') return false;
  let depth = 0;
  for (let k = r; k < close; k++) {
    if (s[k] === '(') depth++;
    else if (s[k] === ')') depth--;
    else if (s[k] === ',' && depth === 1) return true;
  }
  return false;
}

/** `struct NAME` directly between `(`/`,` and `,`/`)`: a macro argument that is a type. */
function isBareTypeArgument(s: string, start: number, wordEnd: number): boolean {
  let p = start - 1;
  while (p >= 0 && (s[p] === ' ' || s[p] === '\t' || s[p] === '\n')) p--;
  if (s[p] !== '(' && s[p] !== ',') return false;
  let q = skipSpace(s, wordEnd);
  if (!IDENT_START.test(s[q] ?? '')) return false;
  while (q < s.length && IDENT_PART.test(s[q])) q++;
  q = skipSpace(s, q);
  if (s[q] !== ',' && s[q] !== ')') return false;
  // sizeof(struct foo) and casts parse already; only macro-style calls need the help.
  let r = p - 1;
  while (r >= 0 && (s[r] === ' ' || s[r] === '\t')) r--;
  let w = r;
  while (w >= 0 && IDENT_PART.test(s[w])) w--;
  const callee = s.slice(w + 1, r + 1);
  return s[p] === ',' || (callee !== 'sizeof' && callee !== '' && callee !== '_Alignof');
}

function skipLiteral(s: string, i: number): number {
  const quote = s[i];
  let j = i + 1;
  while (j < s.length) {
    const c = s[j];
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) return j + 1;
    // An unterminated literal ends at the line's end, as the compiler would report it.
    if (c === '\n') return j;
    j++;
  }
  return j;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r' || s[i] === '\\')) i++;
  return i;
}

function skipSpaceAndComments(s: string, i: number): number {
  for (;;) {
    i = skipSpace(s, i);
    if (s[i] === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) return s.length;
      i = end + 2;
    } else if (s[i] === '/' && s[i + 1] === '/') {
      const end = s.indexOf('\n', i + 2);
      if (end < 0) return s.length;
      i = end;
    } else {
      return i;
    }
  }
}

function isOperator(c: string): boolean {
  return '=+-*/%&|^<>?.[:!'.includes(c);
}

/** `#define list_for_each_entry(pos, ...)`: the macro's own definition is not a loop. */
function isDefinitionName(s: string, i: number): boolean {
  const lineStart = s.lastIndexOf('\n', i - 1) + 1;
  return /^\s*#\s*define\s+$/.test(s.slice(lineStart, i));
}

/** Index of the `)` matching the `(` at `open`, skipping literals and comments; -1 if none. */
export function matchParen(s: string, open: number): number {
  let depth = 0;
  let i = open;
  // Bounded: a macro argument list longer than this is not an iterator head we can trust.
  const limit = Math.min(s.length, open + 20_000);
  while (i < limit) {
    const c = s[i];
    if (c === '"' || c === "'") {
      i = skipLiteral(s, i);
      continue;
    }
    if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 2;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    } else if (c === ';' || c === '{' || c === '}') {
      // Statements inside an argument list mean this is not a macro call we understand.
      if (depth > 0 && c !== ';') return -1;
    }
    i++;
  }
  return -1;
}
