/**
 * tree-sitter's C grammar through the WebAssembly build, loaded from the extension's own files
 * (dist/ beside the bundle; node_modules only when running from the compiled tests), plus
 * incremental re-parse: an edit is applied to the old tree and the parser reuses what did not
 * change. Every parse sees the sanitized text (see sanitize.ts), which has the user's offsets.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Language, Node, Parser, Tree } from 'web-tree-sitter';
import { phaseClock } from './phases';
import { sanitize } from './sanitize';

/** Files we ship beside the bundles: the two wasm files. */
export function locateAsset(name: string): string {
  const candidates = [join(__dirname, name)];
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    // Compiled tests before a bundle exists: the packages themselves.
    if (name === 'tree-sitter-c.wasm') return require.resolve('tree-sitter-c/tree-sitter-c.wasm');
    if (name === 'tree-sitter.wasm') return join(dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm');
  } catch {
    // fall through to the error below
  }
  throw new Error(`wakeaudit: cannot find ${name} beside ${__dirname}; the installation is incomplete`);
}

export interface CParser {
  language: Language;
  /** Parses the sanitized form of `text`; `previous` (same document, edited) enables reuse. */
  /** Throws (with a one-line reason) when the parse runs past `timeoutMs`. */
  parse(text: string, previous?: ParsedFile, timeoutMs?: number): ParsedFile;
}

export interface ParsedFile {
  /** The user's text. */
  text: string;
  /** Same length as text; what the grammar saw. */
  sanitized: string;
  tree: Tree;
  annotationsBlanked: number;
  iteratorsRewritten: number;
}

let loading: Promise<CParser> | undefined;

/** One parser per process: the wasm module is loaded once. */
export function loadCParser(): Promise<CParser> {
  loading ??= load();
  return loading;
}

async function load(): Promise<CParser> {
  const runtimeWasm = locateAsset('tree-sitter.wasm');
  await Parser.init({ locateFile: () => runtimeWasm });
  const language = await Language.load(locateAsset('tree-sitter-c.wasm'));
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    language,
    parse(text, previous, timeoutMs = 5_000) {
      const sanitizing = performance.now();
      const s = sanitize(text);
      phaseClock.sanitize += performance.now() - sanitizing;
      let old: Tree | undefined;
      if (previous) {
        const edit = diffEdit(previous.sanitized, s.text);
        if (edit) {
          old = previous.tree.copy();
          old.edit(edit);
        } else {
          return { ...previous, text };
        }
      }
      const deadline = performance.now() + timeoutMs;
      // The callback's declared type is void, but returning true cancels the parse.
      const progressCallback = (() => performance.now() > deadline) as unknown as (state: unknown) => void;
      const parsing = performance.now();
      const tree = parser.parse(s.text, old ?? null, { progressCallback });
      phaseClock.parse += performance.now() - parsing;
      old?.delete();
      if (!tree) {
        parser.reset();
        throw new Error(`parsing took longer than ${timeoutMs} ms; file skipped`);
      }
      return { text, sanitized: s.text, tree, annotationsBlanked: s.annotations, iteratorsRewritten: s.iterators };
    },
  };
}

/**
 * The single edit turning `before` into `after` (common prefix and suffix kept), in the form
 * tree-sitter wants. Indices are UTF-16 code units, as web-tree-sitter uses for JS strings.
 */
export function diffEdit(before: string, after: string) {
  if (before === after) return undefined;
  let start = 0;
  const min = Math.min(before.length, after.length);
  while (start < min && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  return {
    startIndex: start,
    oldEndIndex: endBefore,
    newEndIndex: endAfter,
    startPosition: pointAt(before, start),
    oldEndPosition: pointAt(before, endBefore),
    newEndPosition: pointAt(after, endAfter),
  };
}

function pointAt(text: string, index: number) {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/** ERROR and MISSING nodes of a tree (the measure of how well the grammar understood it). */
export function countErrors(root: Node): number {
  let count = 0;
  const cursor = root.walk();
  let descend = true;
  for (;;) {
    if (descend) {
      const node = cursor.currentNode;
      if (node.type === 'ERROR' || node.isMissing) count++;
      if (node.hasError && cursor.gotoFirstChild()) continue;
    }
    if (cursor.gotoNextSibling()) {
      descend = true;
      continue;
    }
    if (!cursor.gotoParent()) break;
    descend = false;
  }
  cursor.delete();
  return count;
}
