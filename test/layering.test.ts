// The layering of DESIGN.md, checked on the sources: the runtime imports nothing of ours and
// no Node I/O module; the analysis and the rules import nothing from the LSP layer, the
// commands or the client; the front end (sanitize -> parse -> shape -> facts -> index) names
// no rule and reaches none through its imports; and there is no import cycle in the analysis
// and the rules.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const server = join(root, 'server', 'src');
const analysisDir = join(server, 'analysis');
const rulesDir = join(server, 'rules');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module a file imports or re-exports (type-only imports included: they are dependencies of the design). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|require\(|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** A relative import resolved to its source file, or undefined for a package. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = join(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

function graph(files: string[]): Map<string, string[]> {
  return new Map(
    files.map((f) => [
      f,
      imports(f)
        .map((s) => resolveImport(f, s))
        .filter((t): t is string => t !== undefined),
    ]),
  );
}

/** The front end: what turns text into facts and the index. It must not know any rule. */
const FRONT_END = [
  'sanitize',
  'parser',
  'shape',
  'facts',
  'factsPolicy',
  'index',
  'wrappers',
  'contentHash',
  'phases',
  'workspace',
  'indexer',
  'indexWorker',
].map((m) => join(analysisDir, `${m}.ts`));

test('analyzer-runtime imports only itself, and no I/O', () => {
  const dir = join(root, 'analyzer-runtime', 'src');
  for (const file of sources(dir)) {
    for (const spec of imports(file)) {
      const rel = relative(root, file);
      assert.ok(spec.startsWith('.'), `${rel} imports package ${spec}`);
      const target = join(file, '..', spec);
      assert.ok(target.startsWith(dir), `${rel} imports ${spec} from outside the runtime`);
    }
  }
});

test('the analysis and the rules do not import the LSP layer, the commands or the client', () => {
  for (const file of [...sources(analysisDir), ...sources(rulesDir)]) {
    for (const spec of imports(file)) {
      assert.ok(!/vscode-languageserver|vscode-languageclient|^vscode$|client\//.test(spec), `${relative(root, file)} imports ${spec}`);
      const target = resolveImport(file, spec);
      if (target)
        assert.ok(
          target.startsWith(analysisDir) || target.startsWith(rulesDir) || target.startsWith(join(root, 'analyzer-runtime')),
          `${relative(root, file)} imports ${relative(root, target)}`,
        );
    }
  }
});

test('the front end reaches no rule, no extraction and no proof through its imports', () => {
  for (const f of FRONT_END) assert.ok(existsSync(f), `front-end module ${relative(root, f)} is gone: update FRONT_END`);
  const g = graph([...sources(analysisDir), ...sources(rulesDir)]);
  const backEnd = (f: string) =>
    f.startsWith(rulesDir) || ['extract', 'prove', 'decide', 'plan', 'proofPool', 'proofWorker'].some((m) => f === join(analysisDir, `${m}.ts`));
  for (const start of FRONT_END) {
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length) {
      const f = stack.pop()!;
      for (const t of g.get(f) ?? []) {
        assert.ok(!backEnd(t), `${relative(root, start)} reaches ${relative(root, t)} (through ${relative(root, f)})`);
        if (!seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
      }
    }
  }
});

test('no import cycle in the analysis and the rules', () => {
  const g = graph([...sources(analysisDir), ...sources(rulesDir)]);
  // Tarjan's strongly connected components: any component of more than one module is a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(root, w));
      } while (w !== v);
      if (component.length > 1 || (g.get(v) ?? []).includes(v)) cycles.push(component);
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  assert.deepEqual(cycles, []);
});

test('every rule of the registry is a folder of its own with its page and its fixtures', async () => {
  const { RULES } = await import('../server/src/rules/registry');
  for (const rule of RULES) {
    const dir = join(rulesDir, rule.code);
    assert.ok(existsSync(join(dir, 'index.ts')), `${rule.code}: no index.ts`);
    assert.ok(existsSync(join(dir, 'README.md')), `${rule.code}: no README.md (its page)`);
    assert.ok(existsSync(join(dir, 'fixtures')) && readdirSync(join(dir, 'fixtures')).length > 0, `${rule.code}: no fixtures`);
  }
  // And no folder of a rule the registry does not list (shared code and pages of other analyses aside).
  for (const name of readdirSync(rulesDir)) {
    if (!statSync(join(rulesDir, name)).isDirectory() || name === 'shared' || !existsSync(join(rulesDir, name, 'index.ts'))) continue;
    assert.ok(
      RULES.some((r) => r.code === name),
      `rules/${name}/ is not in the registry`,
    );
  }
});
