/** The syntax tree of a C litmus test (the kernel's tools/memory-model format). */

/** A run-time value: an integer, or the address of a named shared location. */
export type Scalar = number | { address: string };

export type Expr =
  | { kind: 'num'; value: number; line: number }
  | { kind: 'name'; name: string; line: number }
  | { kind: 'deref'; target: Expr; line: number }
  | { kind: 'addressOf'; name: string; line: number }
  | { kind: 'unary'; op: '!' | '-' | '~'; operand: Expr; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'conditional'; test: Expr; then: Expr; otherwise: Expr; line: number }
  | { kind: 'assign'; target: Expr; value: Expr; line: number }
  | { kind: 'call'; callee: string; args: Expr[]; line: number };

export type Stmt =
  | { kind: 'declare'; name: string; init?: Expr; line: number }
  | { kind: 'expr'; expr: Expr; line: number }
  | { kind: 'if'; test: Expr; then: Stmt[]; otherwise: Stmt[]; line: number }
  | { kind: 'while'; test: Expr; body: Stmt[]; line: number }
  | { kind: 'block'; body: Stmt[]; line: number };

export interface ThreadAst {
  index: number;
  /** Parameter names: each names the shared location it points to. */
  params: string[];
  body: Stmt[];
  line: number;
}

/** One init entry: a shared location or a thread's register with its initial value. */
export interface InitEntry {
  thread?: number;
  name: string;
  value: Scalar;
  line: number;
}

/** Propositions of the final condition and of filter. */
export type Prop =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'atom'; thread?: number; name: string; negated: boolean; value: Scalar; line: number }
  | { kind: 'not'; operand: Prop }
  | { kind: 'and'; left: Prop; right: Prop }
  | { kind: 'or'; left: Prop; right: Prop }
  | { kind: 'implies'; left: Prop; right: Prop };

export type Quantifier = 'exists' | 'not exists' | 'forall';

export interface LitmusTest {
  name: string;
  /** The `Result:` word of the doc comment, when there is one. */
  expected?: string;
  /**
   * diy7's header metadata, as herd7 keeps it: `Cycle` (also the quoted cycle string), `Relax`,
   * `Safe`, `Prefetch`, `Com`, `Orig`, ... Empty for hand-written tests.
   */
  info: Record<string, string>;
  init: InitEntry[];
  threads: ThreadAst[];
  locations: Array<{ thread?: number; name: string }>;
  filter?: Prop;
  quantifier: Quantifier;
  condition: Prop;
}

export class LitmusError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
    this.name = 'LitmusError';
  }
}
