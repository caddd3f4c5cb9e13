/**
 * Parser for C litmus tests as herd7 reads them for the Linux-kernel memory model:
 *
 *   C name
 *   (* doc comment, possibly with "Result: Never" *)
 *   { x=1; int *p=&y; 0:r1=2; }
 *   P0(int *x, spinlock_t *s) { int r0; r0 = READ_ONCE(*x); ... }
 *   locations [0:r0; x]
 *   filter (...)
 *   exists (0:r0=1 /\ ~x=2)        (also ~exists and forall)
 *
 * `(* *)` comments exist everywhere except inside thread bodies, where `(*x)` is C.
 */
import { Expr, InitEntry, LitmusError, LitmusTest, Prop, Quantifier, Scalar, Stmt, ThreadAst } from './ast';

interface Token {
  kind: 'id' | 'num' | 'str' | 'punct' | 'eof';
  text: string;
  line: number;
}

const MULTI_PUNCT = ['/\\', '\\/', '==', '!=', '<=', '>=', '&&', '||', '->', '<<', '>>', '=>'];

interface Comment {
  text: string;
  line: number;
}

function tokenize(text: string, startLine: number): { tokens: Token[]; comments: Comment[] } {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  let line = startLine;
  let depth = 0;
  let inThreadBody = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if ((c === '/' && text[i + 1] === '*') || (c === '(' && text[i + 1] === '*' && !inThreadBody)) {
      const close = c === '/' ? '*/' : '*)';
      const end = text.indexOf(close, i + 2);
      if (end < 0) throw new LitmusError(line, 'unterminated comment');
      const body = text.slice(i + 2, end);
      comments.push({ text: body, line });
      for (const ch of body) if (ch === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      // Only diy7's header has strings (the quoted cycle); a string never spans lines.
      const end = text.indexOf('"', i + 1);
      const eol = text.indexOf('\n', i + 1);
      if (end < 0 || (eol >= 0 && eol < end)) throw new LitmusError(line, 'unterminated string');
      tokens.push({ kind: 'str', text: text.slice(i + 1, end), line });
      i = end + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      tokens.push({ kind: 'id', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9a-fA-FxX]/.test(text[j]!)) j++;
      tokens.push({ kind: 'num', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (MULTI_PUNCT.includes(two)) {
      tokens.push({ kind: 'punct', text: two, line });
      i += 2;
      continue;
    }
    if (c === '{') {
      // A brace right after a parameter list opens a thread body, where (*x) is C.
      if (depth === 0) inThreadBody = tokens.length > 0 && tokens[tokens.length - 1]!.text === ')';
      depth++;
    }
    if (c === '}') {
      depth--;
      if (depth === 0) inThreadBody = false;
    }
    tokens.push({ kind: 'punct', text: c, line });
    i++;
  }
  tokens.push({ kind: 'eof', text: '<end of file>', line });
  return { tokens, comments };
}

const TYPE_WORDS = new Set([
  'int',
  'long',
  'unsigned',
  'signed',
  'short',
  'char',
  'bool',
  'atomic_t',
  'atomic_long_t',
  'spinlock_t',
  'struct',
  'srcu_struct',
  'const',
  'volatile',
  'void',
  'intptr_t',
  'uintptr_t',
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
  'size_t',
]);

/**
 * How deeply parentheses, blocks and prefix operators may nest. Far beyond any real test; the
 * parser is recursive, and a bound gives a one-line error where thousands of levels would
 * exhaust the stack.
 */
export const MAX_NESTING = 200;

class TokenStream {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}
  /** Enters one level of nesting (left with leave()); too deep is an error naming the line. */
  enter(line: number): void {
    if (++this.depth > MAX_NESTING) throw new LitmusError(line, `nesting deeper than ${MAX_NESTING} levels`);
  }
  leave(): void {
    this.depth--;
  }
  /** Skips every token on the given line (a diy7 `Key=Value` line). */
  skipLine(line: number): void {
    while (this.peek().kind !== 'eof' && this.peek().line === line) this.next();
  }
  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  is(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind !== 'eof' && t.text === text;
  }
  accept(text: string): boolean {
    if (this.is(text)) {
      this.next();
      return true;
    }
    return false;
  }
  expect(text: string, what?: string): Token {
    const t = this.peek();
    if (t.kind === 'eof' || t.text !== text) {
      throw new LitmusError(t.line, `expected '${text}'${what ? ` ${what}` : ''}, found '${t.text}'`);
    }
    return this.next();
  }
  ident(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'id') throw new LitmusError(t.line, `expected ${what}, found '${t.text}'`);
    return this.next();
  }
}

export function parseLitmus(text: string): LitmusTest {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  const header = /^\s*C\s+(\S+)/.exec(lines[first] ?? '');
  if (!header) throw new LitmusError(first + 1, "a C litmus test starts with 'C <name>'");
  const name = header[1]!;
  const rest = lines.slice(first + 1).join('\n');
  const { tokens, comments } = tokenize(rest, first + 2);
  let expected: string | undefined;
  for (const c of comments) {
    const m = /Result:\s*([A-Za-z]+)/.exec(c.text);
    if (m) {
      expected = m[1];
      break;
    }
  }
  const ts = new TokenStream(tokens);
  const info = parseHeaderInfo(ts, lines);
  const init = ts.is('{') ? parseInit(ts) : [];
  const threads: ThreadAst[] = [];
  while (ts.peek().kind === 'id' && /^P\d+$/.test(ts.peek().text)) threads.push(parseThread(ts));
  if (threads.length === 0) throw new LitmusError(ts.peek().line, `expected a thread 'P0(...) { ... }', found '${ts.peek().text}'`);
  threads.forEach((t, i) => {
    if (t.index !== i) throw new LitmusError(t.line, `threads must be P0, P1, ... in order; found P${t.index} where P${i} was expected`);
  });
  const locations: Array<{ thread?: number; name: string }> = [];
  let filter: Prop | undefined;
  let quantifier: Quantifier | undefined;
  let condition: Prop | undefined;
  let conditionLine = 0;
  let filterLine = 0;
  while (ts.peek().kind !== 'eof') {
    const t = ts.peek();
    if (t.text === 'locations') {
      ts.next();
      ts.expect('[');
      while (!ts.is(']')) {
        const { thread, name: loc } = parseStateName(ts);
        locations.push(thread === undefined ? { name: loc } : { thread, name: loc });
        if (!ts.accept(';')) break;
      }
      ts.expect(']', 'to close locations');
    } else if (t.text === 'filter') {
      ts.next();
      filterLine = t.line;
      filter = parseProp(ts);
    } else if (t.text === 'exists' || t.text === 'forall' || (t.text === '~' && ts.is('exists', 1))) {
      if (quantifier) throw new LitmusError(t.line, 'a litmus test has one final condition');
      if (t.text === '~') {
        ts.next();
        quantifier = 'not exists';
      } else quantifier = t.text === 'exists' ? 'exists' : 'forall';
      ts.next();
      conditionLine = t.line;
      condition = parseProp(ts);
    } else {
      throw new LitmusError(t.line, `expected 'exists', '~exists', 'forall', 'filter' or 'locations', found '${t.text}'`);
    }
  }
  if (!quantifier || !condition) throw new LitmusError(ts.peek().line, "missing final condition ('exists', '~exists' or 'forall')");
  const test: LitmusTest = { name, info, init, threads, locations, quantifier, condition };
  checkDepth(test, conditionLine, filterLine);
  if (expected !== undefined) test.expected = expected;
  if (filter) test.filter = filter;
  return test;
}

/**
 * diy7's header between the name and the init block: a quoted string (the cycle) and
 * `Key=Value` lines (Cycle=, Relax=, Safe=, Prefetch=, Com=, Orig=, ...). herd7 keeps them as
 * metadata; so do we. A value is the rest of its line, as written.
 */
function parseHeaderInfo(ts: TokenStream, lines: string[]): Record<string, string> {
  const info: Record<string, string> = {};
  for (;;) {
    const t = ts.peek();
    if (t.kind === 'str') {
      info['Cycle'] ??= t.text;
      ts.next();
      continue;
    }
    if (t.kind === 'id' && ts.is('=', 1) && ts.peek(1).line === t.line && !/^P\d+$/.test(t.text)) {
      const raw = lines[t.line - 1] ?? '';
      info[t.text] = raw.slice(raw.indexOf('=') + 1).trim();
      ts.skipLine(t.line);
      continue;
    }
    return info;
  }
}

/**
 * Chains such as `a /\ b /\ c ...` or `1 + 1 + ...` are parsed by loops but make trees as deep
 * as they are long, and the evaluators recurse on them: bounded here, after parsing.
 */
const MAX_TREE_DEPTH = 2_000;

function checkDepth(test: LitmusTest, conditionLine: number, filterLine: number): void {
  const pending: Array<{ node: unknown; depth: number; line: number }> = [];
  const push = (node: unknown, depth: number, line: number): void => {
    if (node && typeof node === 'object') pending.push({ node, depth, line });
  };
  push(test.condition, 1, conditionLine);
  push(test.filter, 1, filterLine);
  for (const t of test.threads) push(t.body, 1, t.line);
  while (pending.length > 0) {
    const { node, depth, line: parentLine } = pending.pop()!;
    const line = typeof (node as { line?: unknown }).line === 'number' ? (node as { line: number }).line : parentLine;
    if (depth > MAX_TREE_DEPTH) throw new LitmusError(line, `expression nested deeper than ${MAX_TREE_DEPTH} levels`);
    for (const child of Object.values(node as object)) push(child, depth + 1, line);
  }
}

function parseInteger(t: Token): number {
  const v = Number(t.text);
  if (!Number.isInteger(v)) throw new LitmusError(t.line, `bad number '${t.text}'`);
  return v;
}

function parseInit(ts: TokenStream): InitEntry[] {
  const entries: InitEntry[] = [];
  ts.expect('{');
  while (!ts.is('}')) {
    if (ts.accept(';')) continue;
    const line = ts.peek().line;
    // Skip a C type: type words and pointer stars.
    while ((ts.peek().kind === 'id' && TYPE_WORDS.has(ts.peek().text)) || ts.is('*')) ts.next();
    let thread: number | undefined;
    if (ts.peek().kind === 'num' && ts.is(':', 1)) {
      thread = parseInteger(ts.next());
      ts.next();
    }
    const name = ts.ident('a location or register name').text;
    let value: Scalar = 0;
    if (ts.accept('=')) value = parseInitValue(ts);
    entries.push(thread === undefined ? { name, value, line } : { thread, name, value, line });
    if (!ts.is('}')) ts.expect(';', 'between init entries');
  }
  ts.expect('}');
  return entries;
}

function parseInitValue(ts: TokenStream): Scalar {
  if (ts.accept('&')) return { address: ts.ident('a location name after &').text };
  if (ts.accept('-')) return -parseInteger(ts.next());
  const t = ts.next();
  if (t.kind === 'num') return parseInteger(t);
  if (t.kind === 'id' && t.text === 'ATOMIC_INIT') {
    ts.expect('(');
    const v = parseInitValue(ts);
    ts.expect(')');
    return v;
  }
  if (t.kind === 'id') return { address: t.text };
  throw new LitmusError(t.line, `expected an initial value, found '${t.text}'`);
}

function parseThread(ts: TokenStream): ThreadAst {
  const head = ts.next();
  const index = Number(head.text.slice(1));
  ts.expect('(');
  const params: string[] = [];
  while (!ts.is(')')) {
    let last: Token | undefined;
    while (!ts.is(',') && !ts.is(')')) {
      const t = ts.next();
      if (t.kind === 'eof') throw new LitmusError(t.line, `unterminated parameter list of ${head.text}`);
      if (t.kind === 'id') last = t;
    }
    if (!last) throw new LitmusError(ts.peek().line, `parameter without a name in ${head.text}`);
    params.push(last.text);
    ts.accept(',');
  }
  ts.expect(')');
  const body = parseBlock(ts);
  return { index, params, body, line: head.line };
}

function parseBlock(ts: TokenStream): Stmt[] {
  ts.enter(ts.expect('{').line);
  const body: Stmt[] = [];
  while (!ts.is('}')) {
    if (ts.peek().kind === 'eof') throw new LitmusError(ts.peek().line, "missing '}'");
    body.push(...parseStatement(ts));
  }
  ts.expect('}');
  ts.leave();
  return body;
}

function isTypeStart(ts: TokenStream): boolean {
  const t = ts.peek();
  return t.kind === 'id' && TYPE_WORDS.has(t.text);
}

function parseStatement(ts: TokenStream): Stmt[] {
  const t = ts.peek();
  if (ts.accept(';')) return [];
  if (ts.is('{')) return [{ kind: 'block', body: parseBlock(ts), line: t.line }];
  if (t.kind === 'id' && t.text === 'if') {
    ts.next();
    ts.expect('(', "after 'if'");
    const test = parseExpr(ts);
    ts.expect(')', 'to close the if condition');
    ts.enter(t.line);
    const then = parseStatement(ts);
    let otherwise: Stmt[] = [];
    if (ts.peek().kind === 'id' && ts.peek().text === 'else') {
      ts.next();
      otherwise = parseStatement(ts);
    }
    ts.leave();
    return [{ kind: 'if', test, then, otherwise, line: t.line }];
  }
  if (t.kind === 'id' && t.text === 'while') {
    ts.next();
    ts.expect('(', "after 'while'");
    const test = parseExpr(ts);
    ts.expect(')', 'to close the while condition');
    ts.enter(t.line);
    const body = parseStatement(ts);
    ts.leave();
    return [{ kind: 'while', test, body, line: t.line }];
  }
  if (t.kind === 'id' && (t.text === 'for' || t.text === 'do' || t.text === 'goto')) {
    throw new LitmusError(t.line, `'${t.text}' is not supported in litmus tests (use while)`);
  }
  if (isTypeStart(ts)) {
    const decls: Stmt[] = [];
    while (isTypeStart(ts)) ts.next();
    for (;;) {
      while (ts.accept('*'));
      const name = ts.ident('a variable name');
      if (ts.accept('=')) decls.push({ kind: 'declare', name: name.text, init: parseAssign(ts), line: name.line });
      else decls.push({ kind: 'declare', name: name.text, line: name.line });
      if (!ts.accept(',')) break;
    }
    ts.expect(';', 'after a declaration');
    return decls;
  }
  const expr = parseExpr(ts);
  ts.expect(';', 'after a statement');
  return [{ kind: 'expr', expr, line: t.line }];
}

function parseExpr(ts: TokenStream): Expr {
  return parseAssign(ts);
}

function parseAssign(ts: TokenStream): Expr {
  const left = parseConditional(ts);
  if (ts.is('=')) {
    const eq = ts.next();
    if (left.kind !== 'name' && left.kind !== 'deref') throw new LitmusError(eq.line, 'the left side of = must be a register or *pointer');
    return { kind: 'assign', target: left, value: parseAssign(ts), line: eq.line };
  }
  return left;
}

function parseConditional(ts: TokenStream): Expr {
  const test = parseBinary(ts, 0);
  if (ts.is('?')) {
    const q = ts.next();
    const then = parseAssign(ts);
    ts.expect(':', 'in a conditional expression');
    const otherwise = parseConditional(ts);
    return { kind: 'conditional', test, then, otherwise, line: q.line };
  }
  return test;
}

const BINARY_LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

function parseBinary(ts: TokenStream, level: number): Expr {
  if (level >= BINARY_LEVELS.length) return parseUnary(ts);
  let left = parseBinary(ts, level + 1);
  for (;;) {
    const t = ts.peek();
    if (t.kind !== 'punct' || !BINARY_LEVELS[level]!.includes(t.text)) return left;
    ts.next();
    const right = parseBinary(ts, level + 1);
    left = { kind: 'binary', op: t.text, left, right, line: t.line };
  }
}

function parseUnary(ts: TokenStream): Expr {
  ts.enter(ts.peek().line);
  const e = parseUnaryAtDepth(ts);
  ts.leave();
  return e;
}

function parseUnaryAtDepth(ts: TokenStream): Expr {
  const t = ts.peek();
  if (ts.accept('*')) return { kind: 'deref', target: parseUnary(ts), line: t.line };
  if (ts.accept('&')) return { kind: 'addressOf', name: ts.ident('a location name after &').text, line: t.line };
  if (ts.accept('!')) return { kind: 'unary', op: '!', operand: parseUnary(ts), line: t.line };
  if (ts.accept('~')) return { kind: 'unary', op: '~', operand: parseUnary(ts), line: t.line };
  if (ts.accept('-')) return { kind: 'unary', op: '-', operand: parseUnary(ts), line: t.line };
  if (ts.accept('+')) return parseUnary(ts);
  if (ts.is('(') && ts.peek(1).kind === 'id' && TYPE_WORDS.has(ts.peek(1).text)) {
    // A cast such as (void) or (int *): types do not matter to the memory model.
    ts.next();
    while (!ts.is(')')) {
      if (ts.peek().kind === 'eof') throw new LitmusError(t.line, 'unterminated cast');
      ts.next();
    }
    ts.next();
    return parseUnary(ts);
  }
  return parsePrimary(ts);
}

function parsePrimary(ts: TokenStream): Expr {
  const t = ts.next();
  if (t.kind === 'num') return { kind: 'num', value: parseInteger(t), line: t.line };
  if (t.kind === 'punct' && t.text === '(') {
    const e = parseExpr(ts);
    ts.expect(')');
    return e;
  }
  if (t.kind === 'id') {
    if (t.text === 'true') return { kind: 'num', value: 1, line: t.line };
    if (t.text === 'false' || t.text === 'NULL') return { kind: 'num', value: 0, line: t.line };
    if (ts.accept('(')) {
      const args: Expr[] = [];
      while (!ts.is(')')) {
        args.push(parseAssign(ts));
        if (!ts.accept(',')) break;
      }
      ts.expect(')', `to close the arguments of ${t.text}`);
      return { kind: 'call', callee: t.text, args, line: t.line };
    }
    return { kind: 'name', name: t.text, line: t.line };
  }
  throw new LitmusError(t.line, `unexpected '${t.text}' in an expression`);
}

function parseStateName(ts: TokenStream): { thread?: number; name: string; line: number } {
  const t = ts.peek();
  if (t.kind === 'num' && ts.is(':', 1)) {
    const thread = parseInteger(ts.next());
    ts.next();
    const name = ts.ident('a register name').text;
    return { thread, name, line: t.line };
  }
  // herd7 also writes a location as [x] (diy7 does, in conditions).
  if (ts.accept('[')) {
    const name = ts.ident('a location name').text;
    ts.expect(']', `to close [${name}`);
    return { name, line: t.line };
  }
  const name = ts.ident('a location or thread:register').text;
  return { name, line: t.line };
}

/** Propositions: ~ binds tightest, then /\, then \/, then =>. */
function parseProp(ts: TokenStream): Prop {
  let left = parsePropOr(ts);
  while (ts.is('=>')) {
    ts.next();
    left = { kind: 'implies', left, right: parsePropOr(ts) };
  }
  return left;
}

function parsePropOr(ts: TokenStream): Prop {
  let left = parsePropAnd(ts);
  while (ts.is('\\/')) {
    ts.next();
    left = { kind: 'or', left, right: parsePropAnd(ts) };
  }
  return left;
}

function parsePropAnd(ts: TokenStream): Prop {
  let left = parsePropAtom(ts);
  while (ts.is('/\\')) {
    ts.next();
    left = { kind: 'and', left, right: parsePropAtom(ts) };
  }
  return left;
}

function parsePropAtom(ts: TokenStream): Prop {
  ts.enter(ts.peek().line);
  const p = parsePropAtomAtDepth(ts);
  ts.leave();
  return p;
}

function parsePropAtomAtDepth(ts: TokenStream): Prop {
  const t = ts.peek();
  if (ts.accept('~') || ts.accept('not')) return { kind: 'not', operand: parsePropAtom(ts) };
  if (ts.accept('(')) {
    const p = parseProp(ts);
    ts.expect(')', 'to close a parenthesised condition');
    return p;
  }
  if (t.kind === 'id' && t.text === 'true') {
    ts.next();
    return { kind: 'true' };
  }
  if (t.kind === 'id' && t.text === 'false') {
    ts.next();
    return { kind: 'false' };
  }
  const { thread, name, line } = parseStateName(ts);
  let negated = false;
  if (ts.accept('!=')) negated = true;
  else if (!ts.accept('=') && !ts.accept('==')) {
    throw new LitmusError(ts.peek().line, `expected '=' after '${thread === undefined ? '' : `${thread}:`}${name}' in the condition`);
  }
  let value: Scalar;
  const v = ts.next();
  if (v.kind === 'num') value = parseInteger(v);
  else if (v.kind === 'punct' && v.text === '-') value = -parseInteger(ts.next());
  else if (v.kind === 'punct' && v.text === '&') value = { address: ts.ident('a location name').text };
  else if (v.kind === 'id') value = { address: v.text };
  else throw new LitmusError(v.line, `expected a value in the condition, found '${v.text}'`);
  const atom: Prop = { kind: 'atom', name, negated, value, line };
  if (thread !== undefined) atom.thread = thread;
  return atom;
}
