/**
 * Facts: what each function of a file does to wait queues, condition variables, barriers,
 * locks and task states, in source order, as plain data (no tree-sitter objects survive this
 * module). Rules and extraction read only these facts and the index built from them.
 *
 * Order is source order inside a function. That is what a reader means by "the store before
 * the wake"; branches are kept as events (`check`) so a rule can see that a condition was
 * tested, but the walk does not split paths.
 */
import type { Language, Node, TreeCursor } from 'web-tree-sitter';
import type { ParsedFile } from './parser';
import {
  ACTIVE_MACROS,
  ActiveMacro,
  ALLOC_CALLS,
  BARRIERS,
  CALLBACK_REGISTRARS,
  classifyAtomic,
  IRQ_MACROS,
  GUARD_CLASSES,
  LOCK_MACROS,
  SCHEDULE_CALLS,
  SLEEPING_CALLS,
  STATE_SETTERS,
  STORE_MACROS,
  WAIT_MACROS,
  WaitMacro,
  WAKE_MACROS,
  WakeMacro,
  AtomicOrdering,
  BIT_WAITS,
  BIT_WAKE,
  BIT_QUEUE_FIELD,
  FIXED_BIT,
  VAR_WAITS,
  VAR_WAKE,
  VAR_QUEUE_FIELD,
  BIT_ATOMIC,
  BRANCH_HINT,
  CONDITION_CALLS,
  DECLARING_MACRO,
  exitsOfTaskState,
  QUEUE_WAKES_IN_TEXT,
  SIGNATURE_CONTEXTS,
  SLEEP_REASONS,
  SLEEPING_GFP,
  SNAPSHOT_READS,
  VCPU_REQUESTS,
  WAKES_IN_TEXT,
} from './wrappers';
import { fileShape, findFunctionDeclarator, relevantFunctions } from './shape';
import { FactNeeds, FactsPolicy, factsPolicy, FunctionSelection } from './factsPolicy';

/** 1-based lines and columns (as Finding), plus 0-based offsets into the text. */
export interface Span {
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** Leading whitespace of the start line, so an inserted line lines up with its neighbours. */
  indent?: string;
}

export interface VarDecl {
  name: string;
  /** `struct kvm_vcpu` for `struct kvm_vcpu *vcpu`; the type name otherwise. */
  type: string;
  structName?: string;
  pointer: boolean;
  isStatic: boolean;
  /**
   * A pointer local initialised straight from a parameter (`struct foo *f = arg;`, with or
   * without a cast) and never assigned again: that parameter's object.
   */
  initFrom?: string;
  /** Dropped once facts are collected (memory): declarations are found by name. */
  span?: Span;
}

/** An lvalue or queue expression reduced to root + member chain: `vcpu->arch.wq`. */
export interface AccessPath {
  text: string;
  root: string;
  rootKind: 'param' | 'local' | 'global' | 'unknown';
  /** Struct type of the root, when declared as one. */
  rootStruct?: string;
  /** Type name of the root when it is not a struct (e.g. `wait_queue_head_t`). */
  rootType?: string;
  fields: string[];
  /** Taken by address (`&x->wq`): the object itself, not a pointer value. */
  addressOf: boolean;
}

export interface EventContext {
  irqsOff: boolean;
  /** Normalised texts of the spin locks held (not sleeping locks). */
  locksHeld: string[];
  loopDepth: number;
  /** Inside the then/else of an if (the event may not run on every path). */
  conditional: boolean;
  /**
   * The if-arms the event sits in, outermost first: `<if offset>t` / `<if offset>e` joined by
   * `/`. Two events in different arms of one if never run on the same path (see onOnePath).
   */
  branch?: string;
  /**
   * How many `return`, `goto`, `break` and `continue` statements of the function come before the
   * event in source order (absent: none). Two events with different counts may have a jump
   * between them, so the later one may not run after the earlier.
   */
  exitsBefore?: number;
}

/** Can the two events run on one path through their function (no if sends them apart)? */
export function onOnePath(a: EventContext, b: EventContext): boolean {
  if (!a.branch || !b.branch) return true;
  const arms = new Map(a.branch.split('/').map((s) => [s.slice(0, -1), s.slice(-1)]));
  return b.branch.split('/').every((s) => {
    const arm = arms.get(s.slice(0, -1));
    return arm === undefined || arm === s.slice(-1);
  });
}

interface EventBase {
  span: Span;
  ctx: EventContext;
  /**
   * Stores, atomics and wakeups that are a statement of their own in a block, alone on their
   * lines (`x->done = 1;`): the statement's span, where a fix can insert or delete whole lines.
   */
  statement?: Span;
}

export type FactEvent =
  | (EventBase & { kind: 'store'; via: string; target: AccessPath; value?: string; fullBarrierAfter: boolean; release: boolean })
  | (EventBase & { kind: 'atomic'; name: string; target?: AccessPath; returning: boolean; ordering: AtomicOrdering })
  | (EventBase & { kind: 'barrier'; name: string; barrier: string })
  | (EventBase & { kind: 'lock'; name: string; lock: string; action: 'lock' | 'unlock'; irq: string; raw: boolean; sleeps: boolean })
  | (EventBase & { kind: 'irq'; name: string; action: 'off' | 'on' })
  | (EventBase & { kind: 'wait'; name: string; queue?: AccessPath; info: WaitMacro; condition?: Condition; stateArg?: string })
  | (EventBase & {
      kind: 'wake';
      name: string;
      queue?: AccessPath;
      info: WakeMacro;
      /** The text of `statement` (see EventBase): what moving the wakeup moves. */
      statementText?: string;
    })
  | (EventBase & {
      kind: 'active';
      name: string;
      queue?: AccessPath;
      info: ActiveMacro;
      guardsWake: boolean;
      /** `if (check)` with no else, up to the statement it guards: what dropping the test deletes. */
      guard?: Span;
    })
  | (EventBase & { kind: 'state'; name: string; barrier: boolean; state: string })
  | (EventBase & { kind: 'schedule'; name: string })
  | (EventBase & { kind: 'sleep'; name: string; why: string })
  /** exits: the branch leaves the loop/function; exitWhen: on the condition being true (if) or false (while). */
  | (EventBase & { kind: 'check'; condition: Condition; exits: boolean; exitWhen: boolean })
  | (EventBase & { kind: 'call'; name: string; arg0?: AccessPath })
  /** `seq = READ_ONCE(d->seq);`: a local that holds a snapshot of shared state. */
  | (EventBase & { kind: 'snapshot'; local: string; source: AccessPath; order: 'plain' | 'once' | 'acquire' })
  /**
   * `diff = r->alloc - atomic_read(&r->free);`: a local given a value (kept in single-return
   * helpers only, which a condition may inline through it). No value: assigned in a way the
   * model does not follow (`+=`, `++`, a long expression), so the local's value is not known.
   */
  | (EventBase & { kind: 'local-value'; local: string; value?: Condition });

export interface Condition {
  /** The user's text of the condition expression. */
  text: string;
  /** Shared locations it reads (locals left out). */
  reads: AccessPath[];
  /** It also reads a local variable (a loop counter, a snapshot): not a wait condition alone. */
  usesLocal?: boolean;
  span: Span;
}

export type FunctionContext = 'process' | 'hardirq' | 'softirq' | 'wake-callback' | 'kthread';

export interface FunctionFacts {
  name: string;
  isStatic: boolean;
  span: Span;
  /** The name's span (where a finding about the whole function points). */
  nameSpan: Span;
  returnType: string;
  params: VarDecl[];
  locals: VarDecl[];
  events: FactEvent[];
  /** The expressions it returns (a helper used in a wait condition is inlined through them). */
  returns: Condition[];
  /** What the signature alone says (irqreturn_t handler, wait-queue callback, hrtimer). */
  signatureContext?: FunctionContext;
}

export interface StructField {
  struct: string;
  field: string;
  type: string;
  structName?: string;
  pointer: boolean;
  span?: Span;
  /** The type's span (`struct swait_queue_head`), for an edit that changes it (queue types only). */
  typeSpan?: Span;
}

export interface Registration {
  /** The function installed as a callback. */
  callee: string;
  context: FunctionContext;
  via: string;
  span: Span;
}

export interface FileFacts {
  file: string;
  functions: FunctionFacts[];
  structFields: StructField[];
  globals: VarDecl[];
  registrations: Registration[];
  /** Object-like macros whose value is a number (`#define ACC_PROBING 1`, `BIT(3)`). */
  defines?: Record<string, number>;
  /** Masks of one named bit (`#define F_BUSY (1 << F_BUSY_BIT)`, `BIT(F_BUSY_BIT)`): mask -> bit. */
  bitMasks?: Record<string, string>;
  /** Type names that stand for a struct (`typedef struct pglist_data pg_data_t`): alias -> struct. */
  typedefs?: Record<string, string>;
  /** ERROR/MISSING nodes left in the tree (after sanitizing). */
  parseErrors: number;
}

/** Node types whose subtrees hold no event (see BodyWalker.visit). */
const LEAF_TYPES = new Set([
  'identifier',
  'field_identifier',
  'type_identifier',
  'number_literal',
  'string_literal',
  'char_literal',
  'concatenated_string',
  'comment',
  'primitive_type',
  'true',
  'false',
  'null',
  'statement_identifier',
  'sizeof_expression',
  'break_statement',
  'continue_statement',
  'goto_statement',
]);

/** Node types BodyWalker.visit() handles itself; the cursor walk hands it these as node objects. */
const VISITED_TYPES = new Set([
  'declaration',
  'call_expression',
  'update_expression',
  'assignment_expression',
  'return_statement',
  'if_statement',
  'while_statement',
  'for_statement',
  'do_statement',
  'switch_statement',
]);

/** What the body walk does with a node of a type: skip it (anonymous or a leaf), visit it, or walk into it. */
const enum Step {
  Skip,
  Visit,
  Descend,
  /** A jump out of the statement list (goto, break, continue): counted, nothing below it. */
  Jump,
}
const JUMP_TYPES = new Set(['goto_statement', 'break_statement', 'continue_statement']);
/** By node type id: the walk's step, and the type's name (asking a node for it costs a call into the WebAssembly). */
interface StepTable {
  steps: Step[];
  names: string[];
}
const STEPS = new WeakMap<Language, StepTable>();

/** The walk's step for every node type id of the grammar (ERROR and other ids past it: walk into). */
function stepsFor(language: Language): StepTable {
  let table = STEPS.get(language);
  if (!table) {
    table = { steps: [], names: [] };
    for (let id = 0; id < language.nodeTypeCount; id++) {
      const type = language.nodeTypeForId(id) ?? '';
      table.names.push(type);
      table.steps.push(
        !language.nodeTypeIsNamed(id)
          ? Step.Skip
          : JUMP_TYPES.has(type)
            ? Step.Jump
            : LEAF_TYPES.has(type)
              ? Step.Skip
              : VISITED_TYPES.has(type)
                ? Step.Visit
                : Step.Descend,
      );
    }
    STEPS.set(language, table);
  }
  return table;
}

/** Field types a fix may rewrite (the task-pointer conversion of a queue). */
const QUEUE_TYPE = /wait_queue_head|swait_queue_head|rcuwait|completion/;

/** Bounds that keep one pathological file from stalling the run (the rest goes on). */
const MAX_DEPTH = 400;

/**
 * `detachStrings: false` leaves the facts' strings as slices of the file's text: for facts that
 * are about to be copied to another thread anyway (the copy is detached; see indexer.ts).
 */
export function collectFacts(
  file: string,
  parsed: ParsedFile,
  parseErrors: number,
  options: { needs: readonly FactNeeds[]; walkEveryFunction?: boolean; keepUnwalked?: boolean; detachStrings?: boolean },
): FileFacts {
  const policy = factsPolicy(options.needs);
  const lines = lineStarts(parsed.text);
  const span = (n: Node): Span => {
    const s = spanOf(lines, n.startIndex, n.endIndex);
    const lineStart = lines[s.line - 1];
    // Indentation is only needed where a fix inserts a line; it is short and interned.
    let k = lineStart;
    while (parsed.text[k] === ' ' || parsed.text[k] === '\t') k++;
    if (k > lineStart) s.indent = parsed.text.slice(lineStart, k);
    return s;
  };
  const userText = (n: Node, end: Node = n) => parsed.text.slice(n.startIndex, end.endIndex);
  const root = parsed.tree.rootNode;

  const shape = fileShape(root);

  const globals: VarDecl[] = [];
  for (const declaration of shape.globals) {
    const type = declaration.childForFieldName('type');
    if (!type) continue;
    const isStatic = declaration.namedChildren.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static');
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      if (!declarator) continue;
      for (const d of declaratorNames(declarator)) {
        if (d.isFunction) continue;
        globals.push({ name: d.name, ...typeInfo(type, d.pointer), isStatic, span: span(declarator) });
      }
    }
  }
  const globalsByName = new Map<string, VarDecl>();
  for (const g of globals) if (!globalsByName.has(g.name)) globalsByName.set(g.name, g);

  const structFields: StructField[] = [];
  for (const struct of shape.structs) {
    const name = struct.childForFieldName('name');
    const body = struct.childForFieldName('body');
    if (!name || name.type !== 'type_identifier' || !body || body.type !== 'field_declaration_list') continue;
    for (const field of body.namedChildren) {
      if (!field || field.type !== 'field_declaration') continue;
      const type = field.childForFieldName('type');
      if (!type) continue;
      for (const declarator of field.childrenForFieldName('declarator')) {
        if (!declarator) continue;
        for (const d of declaratorNames(declarator)) {
          const t = typeInfo(type, d.pointer);
          // The type's place is needed only for a queue a fix may change (task-pointer conversion).
          structFields.push({
            struct: name.text,
            field: d.name,
            type: t.type,
            structName: t.structName,
            pointer: t.pointer,
            ...(QUEUE_TYPE.test(t.type) ? { typeSpan: span(type) } : {}),
          });
        }
      }
    }
  }

  const typedefs: Record<string, string> = {};
  for (const def of shape.typedefs) {
    const type = def.childForFieldName('type');
    if (!type || (type.type !== 'struct_specifier' && type.type !== 'union_specifier')) continue;
    const struct = type.childForFieldName('name');
    if (!struct) continue;
    // A plain alias only: `typedef struct foo *foo_p` names a pointer, not the struct.
    for (const d of def.childrenForFieldName('declarator')) if (d?.type === 'type_identifier') typedefs[d.text] = struct.text;
  }

  const defines: Record<string, number> = {};
  for (const list of shape.enums) {
    let next = 0;
    for (const e of list.namedChildren) {
      if (!e || e.type !== 'enumerator') continue;
      const name = e.childForFieldName('name')?.text;
      const valueText = e.childForFieldName('value')?.text;
      const value = valueText === undefined ? next : (macroNumber(valueText) ?? defines[valueText.trim()]);
      if (value === undefined) break; // a computed enumerator: the rest cannot be counted
      if (name) defines[name] = value;
      next = value + 1;
    }
  }
  const bitMasks: Record<string, string> = {};
  for (const def of shape.defines) {
    const name = def.childForFieldName('name');
    const value = def.childForFieldName('value');
    const n = name?.type === 'identifier' && value?.type === 'preproc_arg' ? macroNumber(value.text) : undefined;
    if (name && n !== undefined) defines[name.text] = n;
    const bit = name?.type === 'identifier' && value?.type === 'preproc_arg' ? MASK_OF_BIT.exec(value.text.replace(/\/\*.*?\*\//g, '').trim()) : null;
    if (name && bit) bitMasks[name.text] = bit[1] ?? bit[2];
  }

  // `.function = f` / `timer->function = f` installs an hrtimer callback (hard-IRQ context).
  // `.func = f` alone says little (many ops tables have a `func`); wake functions are known by
  // their signature (wait_queue_entry_t *, mode, sync, key) or init_waitqueue_func_entry().
  // Found by text wherever it is (a designated initialiser or an assignment), then confirmed
  // to be code rather than a comment or a string.
  const registrations: Registration[] = [];
  for (const m of parsed.sanitized.matchAll(/(?:\.|->)\s*function\s*=\s*([A-Za-z_]\w*)\b(?!\s*[([.]|\s*->)/g)) {
    const at = m.index + m[0].length - m[1].length;
    if (root.descendantForIndex(at, at + m[1].length)?.type !== 'identifier') continue;
    registrations.push({ callee: m[1], context: 'hardirq', via: '.function (hrtimer)', span: spanOf(lines, at, at + m[1].length) });
  }

  // Facts are collected only for the functions a rule can be about, decided on their text
  // before any walk (most of a kernel file's functions mention no wait/wake primitive): see
  // relevantFunctions(). The others are kept with their signature and no events.
  const candidates = shape.functions.map((fn) => {
    const declarator = fn.childForFieldName('declarator');
    const fnDecl = declarator ? findFunctionDeclarator(declarator) : undefined;
    const nameNode = fnDecl?.childForFieldName('declarator');
    return {
      fn,
      declarator,
      fnDecl,
      nameNode: nameNode?.type === 'identifier' ? nameNode : undefined,
      body: fn.childForFieldName('body'),
      returnType: fn.childForFieldName('type'),
    };
  });
  const walked = options.walkEveryFunction
    ? candidates.map(() => true)
    : relevantFunctions(
        parsed.sanitized,
        candidates.map((c) => ({ name: c.nameNode?.text, start: c.fn.startIndex, bodyStart: c.body?.startIndex ?? c.fn.endIndex, end: c.fn.endIndex })),
        !file.endsWith('.c'),
      );
  const functions: FunctionFacts[] = [];
  candidates.forEach(({ fn, declarator, fnDecl, nameNode, body, returnType }, i) => {
    if (!walked[i] && !options.keepUnwalked) return;
    if (!declarator || !body || body.type !== 'compound_statement' || !returnType) return;
    if (!fnDecl || !nameNode) return;
    const params: VarDecl[] = [];
    for (const p of fnDecl.childForFieldName('parameters')?.namedChildren ?? []) {
      if (!p || p.type !== 'parameter_declaration') continue;
      const ptype = p.childForFieldName('type');
      const pdecl = p.childForFieldName('declarator');
      if (!ptype || !pdecl) continue;
      for (const d of declaratorNames(pdecl)) params.push({ name: d.name, ...typeInfo(ptype, d.pointer), isStatic: false, span: span(pdecl) });
    }
    const facts: FunctionFacts = {
      name: nameNode.text,
      isStatic: fn.namedChildren.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static'),
      span: span(fn),
      nameSpan: span(nameNode),
      returnType: returnType.text,
      params,
      locals: [],
      events: [],
      returns: [],
    };
    facts.signatureContext = signatureContext(facts, returnType.text);
    if (!walked[i]) {
      // Kept only on request (the editor: "simulate the function under the cursor" names any
      // function); over a tree, the signatures of functions no rule reads are most of the index.
      if (options.keepUnwalked) functions.push(facts);
      return;
    }
    functions.push(facts);
    // `__must_hold(l)` / `__releases(l)` between the declarator and the body (blanked for the
    // parser, still in the user's text) say the function is entered with that lock held.
    const annotations = parsed.text.slice(declarator.endIndex, body.startIndex);
    const heldOnEntry = [...annotations.matchAll(/__(?:must_hold|releases)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)].map((m) => normaliseText(m[1]));
    // Branch conditions matter only around a sleep (sleep-state-order, open-coded waits);
    // elsewhere they are most of a function's events, so the walk drops them (memory).
    new BodyWalker(facts, globalsByName, span, userText, registrations, policy, heldOnEntry).walk(body);
  });

  // Calls are kept where the analysis follows them: to functions of this file (helpers one level
  // down or up, static helpers' contexts), and those the rules' needs name (factsPolicy.ts). A
  // kernel tree has millions of other calls (printk, kfree...), which would dominate the
  // index's memory.
  const local = new Set(functions.map((f) => f.name));
  const selection = new FunctionSelection(functions);
  selection.prepare([...policy.storesIn, ...policy.callsIn.flatMap((c) => c.in)]);
  for (const f of functions) {
    const keptHere = policy.callsIn.filter((c) => selection.matches(f, c.in));
    f.events = f.events.filter((e) => e.kind !== 'call' || local.has(e.name) || policy.keepCall(e.name) || keptHere.some((c) => c.keep(e.name)));
    // Stores matter before a wake, a check or a kick, after a wait, before a call the analysis
    // follows, and where a rule needs them; elsewhere only ordering events stay.
    if (
      !selection.matches(f, policy.storesIn) &&
      !f.events.some((e) => e.kind === 'wait' || e.kind === 'wake' || e.kind === 'active' || e.kind === 'state' || e.kind === 'schedule' || e.kind === 'call')
    ) {
      f.events = f.events.filter((e) => e.kind !== 'store');
    }
    // Only a single-return helper can be inlined into a condition (through its locals' values):
    // the walk keeps the return and the locals' values of those alone.
    // Declarations are looked up by name and type only.
    for (const v of [...f.params, ...f.locals]) delete (v as Partial<VarDecl>).span;
  }
  const facts: FileFacts = {
    file,
    functions,
    structFields,
    globals,
    registrations,
    parseErrors,
    ...(Object.keys(defines).length ? { defines } : {}),
    ...(Object.keys(bitMasks).length ? { bitMasks } : {}),
    ...(Object.keys(typedefs).length ? { typedefs } : {}),
  };
  // Strings taken from the tree are slices of the whole file's text, which V8 keeps alive for
  // as long as any slice lives: over a kernel tree that is every file's text twice (user's and
  // sanitized). Every string is replaced by an interned copy of its own; shared objects (the
  // event contexts) stay shared.
  if (options.detachStrings !== false) detachStrings(facts);
  return facts;
}

/** `1`, `0x10U`, `(1 << 3)`, `BIT(3)`, `(3U << 0)`: the value of a simple numeric macro. */
/** The location of one fixed bit of the word `word` names: `word#BIT` (a field of its own). */
export function bitOf(word: AccessPath, bit: string): AccessPath {
  return { ...word, fields: [...word.fields, `#${bit}`], text: `${word.text.replace(/^&/, '')}#${bit}` };
}

/** `(1 << NAME)`, `(1UL << (NAME))`, `BIT(NAME)`: the mask of the bit NAME. */
const MASK_OF_BIT = /^\(?\s*(?:1[uUlL]*\s*<<\s*\(?\s*([A-Z_][A-Z0-9_]*)\s*\)?|BIT(?:_ULL)?\s*\(\s*([A-Z_][A-Z0-9_]*)\s*\))\s*\)?$/;

/**
 * A C integer literal's value: decimal, hexadecimal (`0x1F`) or octal (`0644`: a leading 0),
 * with any u/U/l/L suffix; undefined for anything else (`08` is not a number in C).
 */
export function cInteger(text: string): number | undefined {
  const m = /^(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9]\d*))[uUlL]*$/.exec(text.trim());
  if (!m) return undefined;
  if (m[1] !== undefined) return parseInt(m[1], 16);
  if (m[2] !== undefined) return m[2] === '' ? 0 : parseInt(m[2], 8);
  return parseInt(m[3], 10);
}

export function macroNumber(text: string): number | undefined {
  const t = text
    .replace(/\/\*.*?\*\//g, '')
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .trim();
  const num = cInteger;
  const plain = num(t);
  if (plain !== undefined) return plain;
  const shift = /^\(?\s*([0-9xXa-fA-FuUlL]+)\s*\)?\s*<<\s*\(?\s*(\d+)\s*\)?$/.exec(t);
  if (shift) {
    const a = num(shift[1]);
    return a === undefined ? undefined : a * 2 ** Number(shift[2]);
  }
  const bit = /^BIT(?:_ULL)?\(\s*(\d+)\s*\)$/.exec(t);
  return bit ? 2 ** Number(bit[1]) : undefined;
}

/** Placeholder of a check's condition until BodyWalker.finish() computes it. */
const PENDING = { text: '', reads: [], span: { start: 0, end: 0, line: 0, column: 0, endLine: 0, endColumn: 0 } } as Condition;

/** A local's value longer than this is not kept (memory; helpers compute short expressions). */
const MAX_LOCAL_VALUE_CHARS = 200;

const interned = new Map<string, string>();

function internCopy(s: string, copy: boolean): string {
  let v = interned.get(s);
  if (v === undefined) {
    v = copy ? (JSON.parse(JSON.stringify(s)) as string) : s;
    if (interned.size > 2_000_000) interned.clear();
    interned.set(v, v);
  }
  return v;
}

/**
 * Replaces every string of `facts` by an interned copy of its own (see collectFacts).
 * `copy: false` for facts that came from another thread: their strings are already fresh
 * (the structured clone made them), so only repeats are shared.
 */
export function detachStrings(facts: FileFacts, copy = true): void {
  detachIn(facts, new Set(), copy);
}

function detachIn(value: unknown, seen: Set<object>, copy: boolean): void {
  if (typeof value !== 'object' || value === null) return;
  const record = value as Record<string, unknown>;
  // A Span (most objects of the facts: every event has one) holds numbers and its indent;
  // interning it twice changes nothing, so it need not be remembered.
  if (typeof record.endColumn === 'number') {
    if (typeof record.indent === 'string') record.indent = internCopy(record.indent, copy);
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (typeof v === 'string') record[key] = internCopy(v, copy);
    else if (typeof v === 'object' && v !== null) detachIn(v, seen, copy);
  }
}

function sleepReason(name: string): string {
  const why = SLEEP_REASONS.get(name);
  return why ? `${name}() ${why}` : `${name}() may sleep`;
}

function signatureContext(f: FunctionFacts, returnType: string): FunctionContext | undefined {
  if (SIGNATURE_CONTEXTS.hardirqReturn.test(returnType)) return 'hardirq';
  const first = f.params[0];
  if (first && SIGNATURE_CONTEXTS.wakeCallbackEntry.test(first.type) && f.params.length === SIGNATURE_CONTEXTS.wakeCallbackParams) return 'wake-callback';
  return undefined;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class BodyWalker {
  private irqOffDepth = 0;
  private readonly locks: string[] = [];
  private loopDepth = 0;
  private conditionalDepth = 0;
  private readonly arms: string[] = [];
  /** `branch`: an if's consequence, whether it exits is asked only for a check that is kept. */
  private readonly pending: Array<{ event: FactEvent; node: Node; branch?: Node | null }> = [];
  private readonly returnNodes: Node[] = [];
  /**
   * Struct views: a pointer local initialised with a cast of another struct pointer
   * (`struct __qspinlock *l = (void *)lock;`) names the same object through another struct's
   * fields. Local name -> the variable it views, until the local is assigned again.
   */
  private readonly views = new Map<string, string>();

  constructor(
    private readonly fn: FunctionFacts,
    /** The file's globals by name, the first declaration of a name (a header can declare thousands). */
    private readonly globals: Map<string, VarDecl>,
    private readonly span: (n: Node) => Span,
    /** The file's text of a node, or from a node to the end of a later one. */
    private readonly userText: (n: Node, end?: Node) => string,
    private readonly registrations: Registration[],
    private readonly policy: FactsPolicy,
    heldOnEntry: string[] = [],
  ) {
    this.locks.push(...heldOnEntry);
  }

  walk(body: Node): void {
    this.visit(body, 0);
    this.finish();
  }

  private lastCtx: EventContext | undefined;
  /** The returns and jumps walked so far (EventContext.exitsBefore). */
  private jumps = 0;
  /** Scope-based locks held, innermost last: where each scope ends and what releases it. */
  private readonly guards: Array<{ end: number; name: string; lockText: string; span: Span }> = [];

  /** Events in the same context share one context object (memory: a kernel tree has millions). */
  private ctx(): EventContext {
    const c = this.lastCtx;
    const irqsOff = this.irqOffDepth > 0;
    const conditional = this.conditionalDepth > 0;
    const branch = this.arms.length ? this.arms.join('/') : undefined;
    if (
      c &&
      c.irqsOff === irqsOff &&
      c.loopDepth === this.loopDepth &&
      c.conditional === conditional &&
      c.branch === branch &&
      c.exitsBefore === (this.jumps || undefined) &&
      c.locksHeld.length === this.locks.length &&
      c.locksHeld.every((l, i) => l === this.locks[i])
    )
      return c;
    this.lastCtx = {
      irqsOff,
      locksHeld: [...this.locks],
      loopDepth: this.loopDepth,
      conditional,
      ...(branch ? { branch } : {}),
      ...(this.jumps ? { exitsBefore: this.jumps } : {}),
    };
    return this.lastCtx;
  }

  /** `type`: the node's type when the caller knows it already (the cursor walk does). */
  private visit(node: Node, depth: number, type = node.type): void {
    if (depth > MAX_DEPTH) return;
    // Nothing below a literal, a name or a comment is an event: skip asking for its children
    // (half the nodes of a body, one call into the parser's WebAssembly each).
    if (LEAF_TYPES.has(type)) {
      if (JUMP_TYPES.has(type)) this.jumps++;
      return;
    }
    switch (type) {
      case 'declaration':
        this.declaration(node);
        break;
      case 'call_expression': {
        // Arguments first: `wake_up(x)` inside `if (f(y))` happens after f(y).
        const argumentsNode = node.childForFieldName('arguments');
        if (argumentsNode) this.visitChildren(argumentsNode, depth);
        this.call(node, argumentsNode);
        return;
      }
      case 'update_expression': {
        // `q->count--` / `++dev->pending`: a read-modify-write of a shared counter (not atomic).
        const arg = node.childForFieldName('argument');
        const op = node.childForFieldName('operator')?.text ?? (node.text.includes('--') ? '--' : '++');
        if (arg) {
          const target = this.access(arg);
          if (!(target.rootKind === 'local' && target.fields.length === 0) && !(target.rootKind === 'param' && target.fields.length === 0)) {
            this.push({ kind: 'store', via: op, target, value: '1', fullBarrierAfter: false, release: false, span: this.span(node) });
          } else if (target.rootKind === 'local') this.localValue(target.root, null, node);
        }
        return;
      }
      case 'assignment_expression': {
        const right = node.childForFieldName('right');
        if (right) this.visit(right, depth + 1);
        this.assignment(node);
        return;
      }
      case 'switch_statement':
        if (this.scopedGuard(node, node.childForFieldName('body'), depth)) return;
        break;
      case 'return_statement': {
        const value = node.namedChildren.find((c) => c && c.type !== 'comment');
        if (value) {
          this.visit(value, depth + 1);
          this.returnNodes.push(value);
        }
        this.jumps++;
        return;
      }
      case 'if_statement': {
        if (this.scopedGuard(node, node.childForFieldName('consequence'), depth)) return;
        const cond = node.childForFieldName('condition');
        if (cond) {
          this.visit(cond, depth + 1);
          this.later(
            this.push({ kind: 'check', condition: PENDING, exits: false, exitWhen: true, span: this.span(cond) }),
            cond,
            node.childForFieldName('consequence'),
          );
        }
        this.conditionalDepth++;
        for (const field of ['consequence', 'alternative']) {
          const child = node.childForFieldName(field);
          if (!child) continue;
          // A branch that leaves the function (`spin_unlock(); return -EAGAIN;`) does not
          // change the locks and IRQ state of the code after the if.
          const locks = [...this.locks];
          const irqOff = this.irqOffDepth;
          this.arms.push(`${node.startIndex}${field === 'consequence' ? 't' : 'e'}`);
          this.visit(child, depth + 1);
          this.arms.pop();
          if (leavesFunction(child)) {
            this.locks.splice(0, this.locks.length, ...locks);
            this.irqOffDepth = irqOff;
          }
        }
        this.conditionalDepth--;
        return;
      }
      case 'while_statement':
      case 'for_statement':
      case 'do_statement': {
        // A loop condition is a check whose failure leaves the loop: `while (!done) { ... }`.
        const cond = node.childForFieldName('condition');
        // Iterator macros read as `while (pos, head, member)` (see sanitize.ts): not a check.
        const iteratorHead = cond?.namedChildren[0]?.type === 'comma_expression';
        if (cond && type !== 'do_statement' && !iteratorHead) {
          this.visit(cond, depth + 1);
          this.later(this.push({ kind: 'check', condition: PENDING, exits: true, exitWhen: false, span: this.span(cond) }), cond);
        }
        this.loopDepth++;
        if (type !== 'do_statement' && cond) {
          for (const c of node.namedChildren) if (c && c.id !== cond.id) this.visit(c, depth + 1);
          this.loopDepth--;
          return;
        }
        for (const c of node.namedChildren) if (c) this.visit(c, depth + 1);
        this.loopDepth--;
        return;
      }
      default:
        break;
    }
    this.visitChildren(node, depth);
  }

  /**
   * The children of a node no case above handles, walked with one tree cursor: statement lists,
   * expressions and the like are most of a body's nodes, and a cursor step costs one call into
   * the parser's WebAssembly where a node object costs several and an allocation. Only the
   * node types visit() handles become node objects.
   */
  private visitChildren(node: Node, depth: number): void {
    if (node.namedChildCount === 0) return;
    const cursor = node.walk();
    try {
      if (cursor.gotoFirstChild()) this.visitSiblings(cursor, depth + 1, stepsFor(node.tree.language));
    } finally {
      cursor.delete();
    }
  }

  private visitSiblings(cursor: TreeCursor, depth: number, table: StepTable): void {
    do {
      // One call into the WebAssembly per sibling: the type id, looked up in a table made once.
      const id = cursor.nodeTypeId;
      const step = table.steps[id] ?? Step.Descend;
      if (step === Step.Skip) continue;
      if (step === Step.Jump) {
        this.jumps++;
        continue;
      }
      if (step === Step.Visit) {
        this.visit(cursor.currentNode, depth, table.names[id]);
        continue;
      }
      if (depth < MAX_DEPTH && cursor.gotoFirstChild()) {
        this.visitSiblings(cursor, depth + 1, table);
        cursor.gotoParent();
      }
    } while (cursor.gotoNextSibling());
  }

  /** `e` is a fresh object literal at every call: it becomes the event (no copy). */
  /**
   * `call(...);` or `x = v;` as a statement of a block with nothing else on its lines (no
   * neighbour statement or comment starts or ends there): its span and text, else undefined.
   */
  /** A lock macro (spin_lock_irqsave, mutex_unlock...) or an IRQ one (local_irq_save) taking effect here. */
  private lockOrIrq(name: string, lockText: string, span: Span): void {
    const lock = LOCK_MACROS.get(name);
    if (lock) {
      if (lock.action === 'lock') {
        if (lock.sleeps) this.push({ kind: 'sleep', name, why: `${name}() may sleep`, span });
        this.push({ kind: 'lock', name, lock: lockText, action: 'lock', irq: lock.irq, raw: lock.raw, sleeps: lock.sleeps, span });
        if (!lock.sleeps) this.locks.push(lockText);
        if (lock.irq === 'irq' || lock.irq === 'irqsave') this.irqOffDepth++;
      } else {
        if (lock.irq === 'irq' || lock.irq === 'irqsave') this.irqOffDepth = Math.max(0, this.irqOffDepth - 1);
        const at = this.locks.lastIndexOf(lockText);
        if (at >= 0) this.locks.splice(at, 1);
        this.push({ kind: 'lock', name, lock: lockText, action: 'unlock', irq: lock.irq, raw: lock.raw, sleeps: lock.sleeps, span });
      }
      return;
    }
    const irq = IRQ_MACROS.get(name);
    if (!irq) return;
    if (irq === 'off') this.irqOffDepth++;
    else this.irqOffDepth = Math.max(0, this.irqOffDepth - 1);
    this.push({ kind: 'irq', name, action: irq, span });
  }

  /**
   * A scope-based lock (`guard(cls)(&l)`, `scoped_guard(cls, &l) {...}`): its class's acquire
   * here, its release where `scope` ends (the block of the guard, the scoped block), as events
   * of their own (release() emits it before the first event past the scope, or at the end).
   */
  private guard(cls: string, lock: Node | undefined, at: Span, scope: Node): void {
    const meaning = GUARD_CLASSES.get(cls);
    if (!meaning) return;
    const lockText = lock ? normaliseText(this.userText(lock)) : '?';
    this.lockOrIrq(meaning.acquire, lockText, at);
    const s = this.span(scope);
    // The release is at the scope's closing brace.
    this.guards.push({
      end: scope.endIndex,
      name: meaning.release,
      lockText,
      span: { ...s, start: s.end - 1, line: s.endLine, column: s.endColumn - 1, indent: undefined },
    });
  }

  /**
   * scoped_guard(cls, &lock) stmt, which sanitize.ts makes a switch (before a block) or an if:
   * the lock for the body, walked as code on the path. False when `node` is a real switch or if.
   */
  private scopedGuard(node: Node, body: Node | null, depth: number): boolean {
    if (!this.userText(node).startsWith('scoped_guard')) return false;
    const head = node.childForFieldName('condition')?.namedChildren.find((c) => c && c.type !== 'comment');
    const cls = head?.type === 'comma_expression' ? head.childForFieldName('left') : undefined;
    if (cls) this.guard(cls.text, head!.childForFieldName('right') ?? undefined, this.span(node), node);
    if (body) this.visit(body, depth + 1);
    return true;
  }

  /** Releases the guards whose scope ended before `offset` (innermost first). */
  private release(offset: number): void {
    while (this.guards.length && this.guards[this.guards.length - 1].end <= offset) {
      const g = this.guards.pop()!;
      this.lockOrIrq(g.name, g.lockText, g.span);
    }
  }

  private ownStatement(call: Node): { stmt: Node; last: Node } | undefined {
    const stmt = call.parent;
    if (stmt?.type !== 'expression_statement' || stmt.parent?.type !== 'compound_statement') return undefined;
    const before = stmt.previousSibling;
    let last: Node = stmt;
    let after = stmt.nextSibling;
    // Comments that end the statement's last line go with it.
    while (after?.type === 'comment' && after.startPosition.row === stmt.endPosition.row) {
      last = after;
      after = after.nextSibling;
    }
    if (before && before.endPosition.row === stmt.startPosition.row) return undefined;
    if (after && after.startPosition.row === last.endPosition.row) return undefined;
    return { stmt, last };
  }

  /** EventBase.statement of a store or an atomic: `{ statement }` when it is one, else nothing. */
  private statementOf(call: Node): { statement?: Span } {
    const own = this.ownStatement(call);
    return own ? { statement: this.statementSpan(own) } : {};
  }

  /** The same for a wakeup, with the statement's text (what moving it moves). */
  private wakeStatementOf(call: Node): { statement?: Span; statementText?: string } {
    const own = this.ownStatement(call);
    return own ? { statement: this.statementSpan(own), statementText: this.userText(own.stmt, own.last) } : {};
  }

  private statementSpan({ stmt, last }: { stmt: Node; last: Node }): Span {
    const span = this.span(stmt);
    if (last === stmt) return span;
    const end = this.span(last);
    return { ...span, end: end.end, endLine: end.endLine, endColumn: end.endColumn };
  }

  private push(e: DistributiveOmit<FactEvent, 'ctx'>): FactEvent {
    if (this.guards.length) this.release(e.span.start);
    const event = e as FactEvent;
    event.ctx = this.ctx();
    this.fn.events.push(event);
    return event;
  }

  /** The event's condition (or value), computed by finish() if the event is kept. */
  private later(event: FactEvent, node: Node, branch?: Node | null): void {
    this.pending.push({ event, node, branch });
  }

  /**
   * Conditions are computed once the function is walked, only for what is kept: branch checks
   * around a sleep, the return of a single-return helper and its locals' values (a kernel
   * function has many ifs and assignments; most functions keep none of them).
   */
  private finish(): void {
    this.release(Infinity);
    const keepChecks = this.fn.events.some((e) => e.kind === 'state' || e.kind === 'schedule' || e.kind === 'wait' || this.policy.checksWith.has(e.kind));
    const helper = this.returnNodes.length === 1;
    const dropped = new Set<FactEvent>();
    for (const { event, node, branch } of this.pending) {
      if (event.kind === 'check') {
        if (keepChecks) {
          event.condition = this.condition(node);
          if (branch !== undefined) event.exits = !!branch && exits(branch);
        } else dropped.add(event);
      } else if (event.kind === 'local-value') {
        if (helper) event.value = this.condition(node);
        else dropped.add(event);
      }
    }
    for (const e of this.fn.events) if (!keepChecks && e.kind === 'check') dropped.add(e);
    if (dropped.size) this.fn.events = this.fn.events.filter((e) => !dropped.has(e));
    if (helper) this.fn.returns.push(this.condition(this.returnNodes[0]));
  }

  private declaration(node: Node): void {
    const type = node.childForFieldName('type');
    if (!type) return;
    for (const d of node.childrenForFieldName('declarator')) {
      if (!d) continue;
      for (const name of declaratorNames(d)) {
        this.fn.locals.push({ name: name.name, ...typeInfo(type, name.pointer), isStatic: false, span: this.span(d) });
        const init = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
        const local = this.fn.locals[this.fn.locals.length - 1];
        if (init && local.pointer && local.structName) this.viewOf(local, init);
        if (init) {
          this.snapshot(name.name, init);
          this.localValue(name.name, init, d);
        }
      }
      // `DECLARE_SWAITQUEUE(wait);` and friends declare locals through a macro "type".
    }
    if (type.type === 'type_identifier' && DECLARING_MACRO.test(type.text)) {
      for (const d of node.childrenForFieldName('declarator')) {
        if (!d) continue;
        for (const name of declaratorNames(d)) this.fn.locals.push({ name: name.name, type: type.text, pointer: false, isStatic: false, span: this.span(d) });
      }
    }
  }

  private call(node: Node, argumentsNode: Node | null): void {
    const callee = node.childForFieldName('function');
    if (callee?.type === 'call_expression' && callee.childForFieldName('function')?.text === 'guard') {
      // guard(cls)(&lock);: held to the end of the enclosing block.
      const cls = callee.childForFieldName('arguments')?.namedChildren.find((a) => a && a.type !== 'comment');
      let scope = node.parent;
      while (scope && scope.type !== 'compound_statement') scope = scope.parent;
      const lock = argumentsNode?.namedChildren.find((a) => a && a.type !== 'comment') ?? undefined;
      if (cls && scope) this.guard(cls.text, lock, this.span(node), scope);
      return;
    }
    if (!callee || callee.type !== 'identifier') return;
    const name = callee.text;
    // The argument nodes, made only for a call a table knows: most calls (printk, kfree...)
    // need none, and each node object costs calls into the parser's WebAssembly.
    let argCache: Node[] | undefined;
    const args = (): Node[] => (argCache ??= (argumentsNode?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment'));
    const span = this.span(node);
    const wait = WAIT_MACROS.get(name);
    if (wait) {
      const cond = wait.conditionArg !== undefined ? args()[wait.conditionArg] : undefined;
      const stateArg = wait.manual ? args()[2]?.text : undefined;
      const exits = exitsOfTaskState(wait.exits, stateArg);
      this.push({
        kind: 'wait',
        name,
        queue: args()[0] ? this.access(args()[0]) : undefined,
        info: { ...wait, exits },
        condition: cond ? this.condition(cond) : undefined,
        stateArg,
        span,
      });
      return;
    }
    const bitWait = BIT_WAITS.get(name);
    if (bitWait && args()[0] && args()[1]) {
      // The sleeper waits for the bit to be clear: `wait_event(<bit queue>, !test_bit(bit, word))`.
      const exits = exitsOfTaskState(bitWait.exits, args()[2]?.text);
      const bit = this.bitAccess(args()[0], args()[1]);
      const condition: Condition = { text: `!test_bit(${this.userText(args()[1])}, ${this.userText(args()[0])})`, reads: [bit], span };
      this.push({ kind: 'wait', name, queue: this.bitQueue(bit), info: { queue: 'waitqueue', exclusive: bitWait.exclusive, exits }, condition, span });
      return;
    }
    const varWait = VAR_WAITS.get(name);
    if (varWait && args()[0] && args()[1]) {
      this.push({
        kind: 'wait',
        name,
        queue: this.varQueue(args()[0]),
        info: { queue: 'waitqueue', exclusive: false, exits: [...varWait.exits] },
        condition: this.condition(args()[1]),
        span,
      });
      return;
    }
    // wake_up_bit(word, bit) and wake_up_var(var) run __wake_up_bit() on a hashed queue:
    // `if (waitqueue_active(wq)) __wake_up(wq, ...)`, a lockless check and its wakeup.
    const hashedQueue =
      name === BIT_WAKE && args()[0] && args()[1]
        ? this.bitQueue(this.bitAccess(args()[0], args()[1]))
        : name === VAR_WAKE && args()[0]
          ? this.varQueue(args()[0])
          : undefined;
    if (hashedQueue) {
      this.push({
        kind: 'active',
        name,
        queue: hashedQueue,
        info: { queue: 'waitqueue', fullBarrier: false, queueArg: 0, implicit: true },
        guardsWake: true,
        span,
      });
      this.push({
        kind: 'wake',
        name,
        queue: hashedQueue,
        info: { queue: 'waitqueue', nr: name === BIT_WAKE ? 1 : 'all', locked: false, needsIrqsOn: false },
        ...this.wakeStatementOf(node),
        span,
      });
      return;
    }
    const wake = WAKE_MACROS.get(name);
    if (wake) {
      this.push({
        kind: 'wake',
        name,
        queue: args()[0] ? this.access(args()[0]) : undefined,
        info: wake,
        ...this.wakeStatementOf(node),
        span,
      });
      return;
    }
    const active = ACTIVE_MACROS.get(name);
    if (active) {
      const q = args()[active.queueArg];
      const guard = wakeGuard(node);
      const then = guard ? this.span(guard.then) : undefined;
      const guardSpan = guard && then ? { ...this.span(guard.ifNode), end: then.start, endLine: then.line, endColumn: then.column } : undefined;
      this.push({
        kind: 'active',
        name,
        queue: q ? this.access(q) : undefined,
        info: active,
        guardsWake: guardsWake(node),
        ...(guardSpan ? { guard: guardSpan } : {}),
        span,
      });
      return;
    }
    const barrier = BARRIERS.get(name);
    if (barrier) {
      this.push({ kind: 'barrier', name, barrier, span });
      if (SLEEPING_CALLS.has(name)) this.push({ kind: 'sleep', name, why: sleepReason(name), span });
      return;
    }
    const request = VCPU_REQUESTS.get(name);
    if (request && args()[request.vcpuArg]) {
      // A request is a bit in vcpu->requests: a store the runnable predicate can observe.
      const vcpu = this.access(args()[request.vcpuArg]);
      this.push({
        kind: 'store',
        via: name,
        target: { ...vcpu, addressOf: false, fields: [...vcpu.fields, request.field], text: `${vcpu.text}->${request.field}` },
        value: '1',
        fullBarrierAfter: false,
        release: false,
        span,
      });
      return;
    }
    const store = STORE_MACROS.get(name);
    if (store) {
      const loc = args()[store.locArg];
      if (loc) {
        const value = store.valueArg !== undefined ? args()[store.valueArg] : undefined;
        const bit = store.bitArg !== undefined ? args()[store.bitArg] : undefined;
        const target = bit ? this.bitAccess(loc, bit) : this.access(loc);
        this.push({
          kind: 'store',
          via: name,
          target,
          value: value ? this.userText(value) : store.constValue,
          fullBarrierAfter: store.fullBarrierAfter,
          release: !!store.release,
          ...this.statementOf(node),
          span,
        });
      }
      return;
    }
    const atomic = classifyAtomic(name);
    if (atomic) {
      const loc = args()[atomic.locArg];
      // test_and_set_bit(bit, word) and friends: a fixed bit is its own location.
      const target = loc && BIT_ATOMIC.test(name) && args()[0] ? this.bitAccess(loc, args()[0]) : loc ? this.access(loc) : undefined;
      this.push({ kind: 'atomic', name, target, returning: atomic.returning, ordering: atomic.ordering, ...this.statementOf(node), span });
      return;
    }
    if (LOCK_MACROS.has(name) || IRQ_MACROS.has(name)) {
      this.lockOrIrq(name, args()[0] ? normaliseText(this.userText(args()[0])) : '?', span);
      return;
    }
    const state = STATE_SETTERS.get(name);
    if (state) {
      this.push({ kind: 'state', name, barrier: state.barrier, state: args()[0] ? this.userText(args()[0]) : '', span });
      return;
    }
    if (SCHEDULE_CALLS.has(name)) {
      this.push({ kind: 'schedule', name, span });
      this.push({ kind: 'sleep', name, why: `${name}() sleeps`, span });
      return;
    }
    if (SLEEPING_CALLS.has(name)) {
      this.push({ kind: 'sleep', name, why: sleepReason(name), span });
      return;
    }
    const allocFlags = ALLOC_CALLS.get(name);
    if (allocFlags !== undefined) {
      const flags = allocFlags >= 0 ? (args()[allocFlags]?.text ?? '') : 'GFP_KERNEL';
      if (SLEEPING_GFP.test(flags)) this.push({ kind: 'sleep', name, why: `${name}(${flags}) may sleep to reclaim memory`, span });
    }
    const registrar = CALLBACK_REGISTRARS.get(name);
    if (registrar) {
      const cb = args()[registrar.arg];
      if (cb && cb.type === 'identifier') this.registrations.push({ callee: cb.text, context: registrar.context, via: name, span });
      if (registrar.threadArg !== undefined) {
        const threadFn = args()[registrar.threadArg];
        if (threadFn && threadFn.type === 'identifier') this.registrations.push({ callee: threadFn.text, context: 'process', via: `${name} (thread)`, span });
      }
    }
    // Only the first argument is kept, and only where a rule needs it (the object an initialiser
    // sets up); a kernel tree has millions of calls and their text would dominate the index's memory.
    const init = this.policy.keepCallArgument(name) ? args()[0] : undefined;
    this.push({ kind: 'call', name, arg0: init ? this.access(init) : undefined, span });
  }

  private assignment(node: Node): void {
    const left = node.childForFieldName('left');
    if (!left) return;
    const target = this.access(left);
    // Assignments to a plain local are private to the thread: not a store others can see; a
    // local taking a snapshot of shared state is recorded (a wait condition may compare with it).
    if (target.rootKind === 'local' && target.fields.length === 0 && !target.addressOf) {
      this.views.delete(target.root);
      const decl = this.fn.locals.find((l) => l.name === target.root);
      if (decl) delete decl.initFrom;
      const right = node.childForFieldName('right');
      if (right) this.snapshot(target.root, right);
      this.localValue(target.root, node.childForFieldName('operator')?.text === '=' ? right : null, node);
      return;
    }
    if (target.rootKind === 'param' && target.fields.length === 0) return;
    const right = node.childForFieldName('right');
    this.push({
      kind: 'store',
      via: node.childForFieldName('operator')?.text ?? '=',
      target,
      value: right ? this.userText(right) : undefined,
      fullBarrierAfter: false,
      release: false,
      ...this.statementOf(node),
      span: this.span(node),
    });
  }

  /** Every assignment of a local, with its value when the model can read it (see 'local-value'). */
  private localValue(local: string, value: Node | null | undefined, at: Node): void {
    const event = this.push({ kind: 'local-value', local, span: this.span(at) });
    if (value && value.endIndex - value.startIndex <= MAX_LOCAL_VALUE_CHARS) this.later(event, value);
  }

  /** `local = READ_ONCE(x)` / `atomic_read(&x)` / `smp_load_acquire(&x)` / `p->field`. */
  private snapshot(local: string, value: Node): void {
    let n = value;
    let order: 'plain' | 'once' | 'acquire' = 'plain';
    if (n.type === 'call_expression') {
      const fn = n.childForFieldName('function')?.text ?? '';
      const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a);
      if (args.length !== 1) return;
      const read = SNAPSHOT_READS.get(fn);
      if (!read) return;
      order = read;
      n = args[0];
    }
    if (n.type !== 'field_expression' && n.type !== 'pointer_expression' && n.type !== 'identifier') return;
    const source = this.access(n);
    if (source.rootKind === 'local' && source.fields.length === 0) return;
    this.push({ kind: 'snapshot', local, source, order, span: this.span(value) });
  }

  private condition(node: Node): Condition {
    const reads: AccessPath[] = [];
    const seen = new Set<string>();
    let usesLocal = false;
    const visit = (n: Node, depth: number) => {
      if (depth > MAX_DEPTH) return;
      if (n.type === 'call_expression' && CONDITION_CALLS.bitTests.has(n.childForFieldName('function')?.text ?? '')) {
        const [bit, word] = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is Node => !!a && a.type !== 'comment');
        if (bit && word) {
          const a = this.bitAccess(word, bit);
          if (a.text.includes('#') && !seen.has(a.text)) {
            seen.add(a.text);
            reads.push(a);
          }
        }
      }
      if (n.type === 'field_expression' || n.type === 'identifier') {
        if (n.type === 'identifier' && n.parent?.type === 'call_expression' && n.parent.childForFieldName('function')?.id === n.id) return;
        const a = this.access(n);
        if (a.rootKind === 'local' && a.fields.length === 0) usesLocal = true;
        if (a.rootKind !== 'local' || a.fields.length > 0) {
          if (!/^[A-Z_][A-Z0-9_]*$/.test(a.root) && !seen.has(a.text)) {
            seen.add(a.text);
            reads.push(a);
          }
        }
        if (n.type === 'field_expression') return;
      }
      for (const c of n.namedChildren) if (c) visit(c, depth + 1);
    };
    visit(node, 0);
    // An if/while condition node includes its parentheses; a macro argument does not.
    const text = this.userText(node);
    return {
      text: node.type === 'parenthesized_expression' ? text.slice(1, -1).trim() : text.trim(),
      reads,
      ...(usesLocal ? { usesLocal } : {}),
      span: this.span(node),
    };
  }

  /**
   * One bit of a word, `set_bit(FLAG, &x->flags)`: a fixed bit (a constant or macro) is a
   * location of its own (`x->flags#FLAG`), so waiters on one flag are not woken by another; a
   * computed bit (a tag number) stands for the whole word, as bitmap_empty() reads it.
   */
  bitAccess(word: Node, bit: Node): AccessPath {
    const path = this.access(word);
    const b = normaliseText(this.userText(bit));
    return FIXED_BIT.test(b) ? bitOf(path, b) : path;
  }

  /** The hashed wait queue of one bit (wait_on_bit(), wake_up_bit()): an object apart from the bit. */
  bitQueue(bit: AccessPath): AccessPath {
    return { ...bit, fields: [...bit.fields, BIT_QUEUE_FIELD], text: `${bit.text}:${BIT_QUEUE_FIELD}`, addressOf: true };
  }

  /** The hashed wait queue of a variable's address (wait_var_event(), wake_up_var()). */
  varQueue(variable: Node): AccessPath {
    const v = this.access(variable);
    return { ...v, fields: [...v.fields, VAR_QUEUE_FIELD], text: `${v.text.replace(/^&/, '')}:${VAR_QUEUE_FIELD}`, addressOf: true };
  }

  /**
   * A struct pointer local initialised from another pointer variable: records the parameter it
   * comes from (initFrom) and, for a cast of another struct pointer, the view (see `views`).
   */
  private viewOf(local: VarDecl, init: Node): void {
    let v: Node | null = init;
    while (v && (v.type === 'parenthesized_expression' || v.type === 'cast_expression'))
      v = v.type === 'cast_expression' ? v.childForFieldName('value') : (v.namedChildren[0] ?? null);
    if (!v || v.type !== 'identifier') return;
    const name = local.name;
    const source = this.fn.locals.find((l) => l.name === v!.text && l.name !== name) ?? this.fn.params.find((p) => p.name === v!.text);
    if (!source?.pointer) return;
    const param = this.fn.params.includes(source) ? source.name : source.initFrom;
    if (param) local.initFrom = param;
    if (init.type !== 'cast_expression' || !source.structName) return;
    this.views.set(name, this.views.get(source.name) ?? source.name);
  }

  access(node: Node): AccessPath {
    let n: Node = node;
    let addressOf = false;
    for (let guard = 0; guard < 20; guard++) {
      if (n.type === 'parenthesized_expression' && n.namedChildren[0]) n = n.namedChildren[0];
      else if (n.type === 'pointer_expression' && n.child(0)?.type === '&' && n.childForFieldName('argument')) {
        addressOf = true;
        n = n.childForFieldName('argument')!;
      } else if (n.type === 'cast_expression' && n.childForFieldName('value')) n = n.childForFieldName('value')!;
      else break;
    }
    const fields: string[] = [];
    let cur: Node | null = n;
    for (let guard = 0; cur && guard < 50; guard++) {
      if (cur.type === 'field_expression') {
        fields.unshift(cur.childForFieldName('field')?.text ?? '?');
        cur = cur.childForFieldName('argument');
      } else if (cur.type === 'subscript_expression') {
        fields.unshift('[]');
        cur = cur.childForFieldName('argument');
      } else if (cur.type === 'pointer_expression') {
        cur = cur.childForFieldName('argument');
      } else if (cur.type === 'parenthesized_expression') {
        cur = cur.namedChildren[0] ?? null;
      } else break;
    }
    const written = cur && cur.type === 'identifier' ? cur.text : cur ? normaliseText(cur.text) : '?';
    const local0 = this.fn.locals.find((p) => p.name === written);
    const decl = local0 ?? this.fn.params.find((p) => p.name === written) ?? this.globals.get(written);
    // A field through a view is a field of the object viewed: the root is that object's
    // variable; the struct stays the view's, whose fields the path names.
    const root = (fields.length > 0 && this.views.get(written)) || written;
    const param = this.fn.params.find((p) => p.name === root);
    const local = root === written ? local0 : this.fn.locals.find((p) => p.name === root);
    const global = this.globals.get(root);
    return {
      text: normaliseText(this.userText(node)),
      root,
      rootKind: local ? 'local' : param ? 'param' : global ? 'global' : 'unknown',
      rootStruct: decl?.structName,
      rootType: decl && !decl.structName ? decl.type : undefined,
      fields,
      addressOf,
    };
  }
}

/** Does this active check decide whether a wake happens (`if (waitqueue_active(q)) wake_up(q)`)? */
function guardsWake(call: Node): boolean {
  let n: Node | null = call.parent;
  for (let i = 0; n && i < 6; i++, n = n.parent) {
    if (n.type === 'if_statement') {
      const then = n.childForFieldName('consequence');
      return !!then && WAKES_IN_TEXT.test(then.text);
    }
    if (n.type === 'return_statement' || n.type === 'expression_statement') return false;
  }
  return false;
}

/**
 * `if (waitqueue_active(q))` (or `if (unlikely(...))`) with no else: the if and the statement
 * it guards, so a fix can drop the test and keep the wakeup.
 */
function wakeGuard(call: Node): { ifNode: Node; then: Node } | undefined {
  let n: Node | null = call.parent;
  if (n?.type === 'argument_list' && BRANCH_HINT.test(n.parent?.childForFieldName('function')?.text ?? '')) n = n.parent!.parent;
  if (n?.type !== 'parenthesized_expression' || n.namedChildren.filter((c) => c && c.type !== 'comment').length !== 1) return undefined;
  const ifNode = n.parent;
  if (ifNode?.type !== 'if_statement' || ifNode.childForFieldName('alternative')) return undefined;
  const then = ifNode.childForFieldName('consequence');
  return then && QUEUE_WAKES_IN_TEXT.test(then.text) ? { ifNode, then } : undefined;
}

/** Does a branch end in return or goto (it never falls through to the code after it)? */
function leavesFunction(node: Node): boolean {
  if (node.type === 'return_statement' || node.type === 'goto_statement') return true;
  if (node.type === 'compound_statement') {
    // The last statement, asked for alone: a block's children as node objects cost a call
    // into the WebAssembly each.
    let last = node.lastNamedChild;
    while (last && last.type === 'comment') last = last.previousNamedSibling;
    return !!last && leavesFunction(last);
  }
  return false;
}

/** Does a branch leave the loop or function (break, return, goto)? */
function exits(node: Node): boolean {
  if (node.type === 'break_statement' || node.type === 'return_statement' || node.type === 'goto_statement') return true;
  if (node.type === 'compound_statement') return node.namedChildren.some((c) => !!c && exits(c));
  return false;
}

interface DeclaredName {
  name: string;
  pointer: boolean;
  isFunction: boolean;
}

function declaratorNames(node: Node): DeclaredName[] {
  let pointer = false;
  let isFunction = false;
  let n: Node | null = node;
  for (let guard = 0; n && guard < 20; guard++) {
    switch (n.type) {
      case 'identifier':
      case 'field_identifier':
        return [{ name: n.text, pointer, isFunction }];
      case 'pointer_declarator':
        pointer = true;
        n = n.childForFieldName('declarator');
        break;
      case 'init_declarator':
      case 'array_declarator':
      case 'attributed_declarator':
        n = n.childForFieldName('declarator') ?? n.namedChildren[0];
        break;
      case 'function_declarator':
        isFunction = true;
        n = n.childForFieldName('declarator');
        break;
      case 'parenthesized_declarator':
        n = n.namedChildren[0];
        break;
      default:
        return [];
    }
  }
  return [];
}

function typeInfo(type: Node, pointer: boolean): { type: string; structName?: string; pointer: boolean } {
  if (type.type === 'struct_specifier' || type.type === 'union_specifier') {
    const name = type.childForFieldName('name')?.text;
    return { type: `struct ${name ?? '?'}`, structName: name, pointer };
  }
  return { type: normaliseText(type.text), pointer };
}

const WHITESPACE = /\s/;

export function normaliseText(s: string): string {
  // Every rewrite below removes or collapses whitespace: most texts (`dev->lock`) have none.
  if (!WHITESPACE.test(s)) return s;
  return s
    .replace(/\s+/g, ' ')
    .replace(/\s*(->|\.)\s*/g, '$1')
    .replace(/\(\s+/g, '(')
    .replace(/\s+\)/g, ')')
    .trim();
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function spanOf(lines: number[], start: number, end: number): Span {
  const a = positionOf(lines, start);
  const b = positionOf(lines, end);
  return { start, end, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
}

export function positionOf(lines: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lines[lo] + 1 };
}
