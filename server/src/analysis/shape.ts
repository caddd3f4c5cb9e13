/**
 * A file's shape, found cheaply: its function definitions, file-scope declarations, structs,
 * enums and numeric macros (one tree-cursor walk that skips function bodies), and which
 * functions a rule can be about, decided on their text alone (relevantFunctions()).
 */
import type { Node } from 'web-tree-sitter';
import { phaseClock } from './phases';
import { RELEVANT_NAMES, SETUP_NAMES } from './wrappers';

/** Bounds the walk on pathological nesting (the rest of the file still counts). */
const MAX_DEPTH = 400;

export interface FileShape {
  functions: Node[];
  /** Declarations at file scope (also inside `#ifdef` blocks). */
  globals: Node[];
  structs: Node[];
  enums: Node[];
  defines: Node[];
  /** `typedef struct pglist_data { ... } pg_data_t;` and the like, at file scope. */
  typedefs: Node[];
}

/** Nodes whose children are still at file scope. */
const FILE_SCOPE_CONTAINERS = new Set([
  'translation_unit',
  'preproc_if',
  'preproc_ifdef',
  'preproc_else',
  'preproc_elif',
  'preproc_elifdef',
  'linkage_specification',
  'declaration_list',
  'ERROR',
]);
/**
 * Leaves of the shape walk: nothing below them is part of the file's shape. Initialiser lists
 * (a driver's static tables: often most of a file's nodes outside bodies), prototypes'
 * parameter lists and declarators hold no definition the shape collects (a declaration's
 * names are read from the declaration node); registrations in them are found by text
 * (facts.ts).
 */
const SHAPE_LEAVES = new Set([
  'comment',
  'string_literal',
  'char_literal',
  'number_literal',
  'identifier',
  'type_identifier',
  'field_identifier',
  'primitive_type',
  'preproc_include',
  'preproc_function_def',
  'preproc_call',
  'expression_statement',
  'initializer_list',
  'parameter_list',
  'init_declarator',
  'pointer_declarator',
  'function_declarator',
  'array_declarator',
  'bitfield_clause',
  'attribute_specifier',
]);

/**
 * One walk over everything but function bodies (most of a file's nodes), with a tree cursor
 * (one wasm call per step, no node objects): the function definitions, file-scope
 * declarations, struct/union definitions, enumerations and object-like macros. A query per
 * kind visited every node of the tree once per query, bodies included: 5 passes instead of a
 * fraction of one.
 */
export function fileShape(root: Node): FileShape {
  const started = performance.now();
  const shape: FileShape = { functions: [], globals: [], structs: [], enums: [], defines: [], typedefs: [] };
  const cursor = root.walk();
  // atFileScope[d]: the node at depth d sits directly in a file-scope container.
  const atFileScope: boolean[] = [false];
  let depth = 0;
  try {
    for (;;) {
      const type = cursor.nodeType;
      let descend = depth < MAX_DEPTH && !SHAPE_LEAVES.has(type);
      switch (type) {
        case 'function_definition':
          shape.functions.push(cursor.currentNode);
          descend = false;
          break;
        case 'declaration':
          if (atFileScope[depth]) shape.globals.push(cursor.currentNode);
          break;
        case 'struct_specifier':
        case 'union_specifier':
          shape.structs.push(cursor.currentNode);
          break;
        case 'type_definition':
          // Walked into as well: the struct it names may be defined inside it.
          if (atFileScope[depth]) shape.typedefs.push(cursor.currentNode);
          break;
        case 'enumerator_list':
          shape.enums.push(cursor.currentNode);
          descend = false;
          break;
        case 'preproc_def':
          shape.defines.push(cursor.currentNode);
          descend = false;
          break;
        default:
          break;
      }
      if (descend && cursor.gotoFirstChild()) {
        depth++;
        atFileScope[depth] = (depth === 1 || atFileScope[depth - 1]) && FILE_SCOPE_CONTAINERS.has(type);
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return shape;
        depth--;
      }
    }
  } finally {
    cursor.delete();
    phaseClock.shape += performance.now() - started;
  }
}

export interface FunctionText {
  name?: string;
  start: number;
  bodyStart: number;
  end: number;
}

/**
 * Which functions get their body walked, decided on the text alone:
 *   - those whose text (signature included) names a primitive a rule is about (RELEVANT_NAMES:
 *     waits, wakes, active checks, task states, schedule, kicks, PV halting, wait-queue
 *     entries, qspinlock);
 *   - the functions those name (helpers inlined into conditions, callees of wake callbacks,
 *     callbacks they install), two levels down;
 *   - those that call a function of the first kind (a waker whose store precedes a call of a
 *     static helper that wakes; the callers that decide a static helper's context);
 *   - set-up functions (SETUP_NAMES: callback registrars, queue initialisers), for what they
 *     register and initialise; what they call is not followed;
 *   - short single-return helpers a wait condition may inline: any reachable from those
 *     through other such helpers (a chain `ready() -> deeper() -> deepest()`), and, in a header
 *     or when not static, every one (a condition in another file may call it).
 * Everything the rules read lies inside this set, so findings are the same as walking every
 * function (a test compares the two on the fixtures); on drivers/net/ethernet it is about one
 * function in ten.
 */
/**
 * How far down from a relevant function its callees are walked: two levels (a waiter's helper
 * that calls the one consuming the wakeup: fs/fuse/dax.c is proved a false lost wakeup with one).
 */
const CALLEE_LEVELS = 2;

/** Bodies up to this size with a single return are kept as helpers a condition may inline. */
const INLINABLE_HELPER_CHARS = 600;

/**
 * `header`: the file is a header (its static inline helpers are every includer's); false for a
 * .c file, whose static helpers only its own functions call.
 */
export function relevantFunctions(text: string, fns: FunctionText[], header = true): boolean[] {
  const started = performance.now();
  try {
    return relevant(text, fns, header);
  } finally {
    phaseClock.shape += performance.now() - started;
  }
}

function relevant(text: string, fns: FunctionText[], header: boolean): boolean[] {
  const direct = fns.map((f) => RELEVANT_NAMES.test(text.slice(f.start, f.end)));
  const inlinable = fns.map((f) => f.end - f.bodyStart <= INLINABLE_HELPER_CHARS && text.slice(f.bodyStart, f.end).match(/\breturn\b/g)?.length === 1);
  const walked = [...direct];
  const index = new Map<string, number[]>();
  fns.forEach((f, i) => {
    if (f.name) index.set(f.name, [...(index.get(f.name) ?? []), i]);
  });
  if (index.size > 0) {
    // The file's own function names, found in a body by one regular expression of them: far
    // fewer matches than every identifier of the body, each looked up.
    // (Names with `$` or non-ASCII letters, which the grammar allows, were never found by an
    // identifier scan either: left out, and no metacharacter reaches the expression.)
    const plain = [...index.keys()].filter((n) => /^[A-Za-z_]\w*$/.test(n));
    const ownNames = plain.length ? new RegExp(`\\b(?:${plain.sort((a, b) => b.length - a.length).join('|')})\\b`, 'g') : undefined;
    /** The functions the bodies of `frontier` name that `take` accepts, marked walked. */
    const walkCallees = (frontier: number[], take: (j: number) => boolean): number[] => {
      const next: number[] = [];
      if (!ownNames) return next;
      for (const i of frontier) {
        // A body ends with `}`: a name found before its end lies wholly inside it.
        ownNames.lastIndex = fns[i].bodyStart;
        for (let m = ownNames.exec(text); m && m.index < fns[i].end; m = ownNames.exec(text)) {
          for (const j of index.get(m[0]) ?? []) {
            if (!walked[j] && take(j)) {
              walked[j] = true;
              next.push(j);
            }
          }
        }
      }
      return next;
    };
    let frontier = direct.flatMap((w, i) => (w ? [i] : []));
    for (let level = 0; level < CALLEE_LEVELS && frontier.length > 0; level++) frontier = walkCallees(frontier, () => true);
    // Deeper down, the inlinable helpers an inlinable helper calls, to any depth: a condition
    // inlines the whole chain.
    frontier = walked.flatMap((w, i) => (w && inlinable[i] ? [i] : []));
    while (frontier.length > 0) frontier = walkCallees(frontier, (j) => inlinable[j]);
    const called = [...new Set(fns.flatMap((f, i) => (direct[i] && f.name ? [f.name] : [])))];
    if (called.length > 0) {
      // One regex of the names: the engine scans a body far faster than a token loop in JS.
      const callsOne = new RegExp(`\\b(?:${called.join('|')})\\b`);
      fns.forEach((f, i) => {
        if (!walked[i] && callsOne.test(text.slice(f.bodyStart, f.end))) walked[i] = true;
      });
    }
  }
  fns.forEach((f, i) => {
    if (walked[i]) return;
    // A short helper with one return can be inlined into a wait condition of another file (a
    // header's `static inline bool ready(d) { return READ_ONCE(d->done); }`, a driver's
    // exported accessor): cheap to keep. A .c file's static one is only its own functions'
    // (those that reach it are walked above): on the kernel tree most short helpers are such.
    const exported = header || !/\bstatic\b/.test(text.slice(f.start, f.bodyStart));
    if (SETUP_NAMES.test(text.slice(f.bodyStart, f.end)) || (exported && inlinable[i])) walked[i] = true;
  });
  return walked;
}

export function findFunctionDeclarator(node: Node): Node | undefined {
  let n: Node | null = node;
  for (let guard = 0; n && guard < 20; guard++) {
    if (n.type === 'function_declarator') return n;
    n = n.childForFieldName('declarator');
  }
  return undefined;
}
