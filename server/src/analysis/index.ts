/**
 * The workspace index: queue identity -> wait, wake and active-check sites across all files;
 * struct field types; callback registrations (which function runs in which context); call
 * sites (for following a helper one level). Files are added and replaced one at a time; the
 * aggregate maps are rebuilt lazily on the next query, which costs a pass over the facts, not
 * a re-parse.
 */
import { createHash } from 'node:crypto';
import type { AccessPath, FactEvent, FileFacts, FunctionContext, FunctionFacts, StructField } from './facts';

export interface Site<E extends FactEvent = FactEvent> {
  file: string;
  fn: FunctionFacts;
  event: E;
  /** Normalised queue identity (`struct kvm_vcpu.wq`, `global my_wq`, `file.c:local`). */
  queue: string;
}

type WaitEvent = Extract<FactEvent, { kind: 'wait' }>;
type WakeEvent = Extract<FactEvent, { kind: 'wake' }>;
type ActiveEvent = Extract<FactEvent, { kind: 'active' }>;
type CallEvent = Extract<FactEvent, { kind: 'call' }>;

/** What the files declare, by name: cheap to build (no identities), asked for while indexing goes on. */
interface Declarations {
  fields: Map<string, StructField>;
  functions: Map<string, Array<{ file: string; fn: FunctionFacts }>>;
  contexts: Map<string, FunctionContext>;
  globalsByName: Map<string, { file: string; structName?: string; isStatic: boolean }>;
  /** Numeric macros and enumerators by name, the first file's value when several define one. */
  defines: Map<string, number>;
  /** Single-bit masks by name: mask -> the bit's name (facts.ts MASK_OF_BIT). */
  bitMasks: Map<string, string>;
  /** Struct typedefs: `pg_data_t` -> `pglist_data`. */
  typedefs: Map<string, string>;
}

/** The sites of the whole workspace, by queue identity or callee: needs the declarations. */
interface Sites {
  waits: Map<string, Array<Site<WaitEvent>>>;
  wakes: Map<string, Array<Site<WakeEvent>>>;
  actives: Map<string, Array<Site<ActiveEvent>>>;
  calls: Map<string, Array<{ file: string; fn: FunctionFacts; event: CallEvent; index: number }>>;
  /** Functions that can wake a task, in file order (wakingFunctions()). */
  wakers: Array<WakingFunction>;
}

/**
 * A function that wakes a task or a wait queue, or calls a function of its own file that
 * wakes a task (`audit_schedule_prune()` standing for its wake_up_process()).
 */
export interface WakingFunction {
  file: string;
  fn: FunctionFacts;
  /** The functions of `file` that wake a task: a call of one stands for the wake. */
  taskWakingHelpers: Set<string>;
}

export class WorkspaceIndex {
  private readonly files = new Map<string, FileFacts>();
  // Both rebuilt lazily after a change. The helper-header pass of check asks for functions and
  // macros by name between rounds of indexing: the declarations alone, a fraction of the sites'
  // cost (every wait, wake and check needs its queue's identity).
  private declarations: Declarations | undefined;
  private sitesByQueue: Sites | undefined;

  /** Each file's place in file order (the order of every list in the maps), while the set of files stays the same. */
  private ranks: Map<string, number> | undefined;

  /**
   * Adds or replaces a file. Replacing a file whose declarations (struct fields, globals,
   * macros, masks, typedefs, registrations) did not change (an edit inside function bodies, a
   * fix's text) updates the built maps in place, the file's entries put where a rebuild would
   * put them; anything else drops the maps for a rebuild on the next query.
   */
  set(facts: FileFacts): void {
    const previous = this.files.get(facts.file);
    this.files.set(facts.file, facts);
    if (previous && this.declarations && declarationsKey(previous) === declarationsKey(facts)) this.replaceSites(previous, facts);
    else this.changed();
  }

  remove(file: string): void {
    if (this.files.delete(file)) this.changed();
  }

  private changed(): void {
    this.declarations = undefined;
    this.sitesByQueue = undefined;
    this.ranks = undefined;
  }

  /** The built maps with `previous`'s entries replaced by `next`'s (same file, same declarations). */
  private replaceSites(previous: FileFacts, next: FileFacts): void {
    if (!this.ranks) this.ranks = new Map([...this.files.keys()].map((f, i) => [f, i]));
    const rank = this.ranks;
    const d = this.declarations!;
    const oldDecls = emptyDeclarations();
    const newDecls = emptyDeclarations();
    addDeclarations(oldDecls, previous);
    addDeclarations(newDecls, next);
    spliceFile(d.functions, oldDecls.functions, newDecls.functions, next.file, rank);
    // The same fields (declarationsKey), but the first-declaration map holds the old objects,
    // whose spans an edit may have moved.
    previous.structFields.forEach((field, i) => {
      const key = `${field.struct}.${field.field}`;
      if (d.fields.get(key) === field) d.fields.set(key, next.structFields[i]);
    });
    if (!this.sitesByQueue) return;
    const oldSites = emptySites();
    const newSites = emptySites();
    // The old file's identities are asked of it while it is still the index's file: set it back for that.
    this.files.set(previous.file, previous);
    this.addSites(oldSites, d, previous);
    this.files.set(next.file, next);
    this.addSites(newSites, d, next);
    const a = this.sitesByQueue;
    spliceFile(a.waits, oldSites.waits, newSites.waits, next.file, rank);
    spliceFile(a.wakes, oldSites.wakes, newSites.wakes, next.file, rank);
    spliceFile(a.actives, oldSites.actives, newSites.actives, next.file, rank);
    spliceFile(a.calls, oldSites.calls, newSites.calls, next.file, rank);
    a.wakers = insertInFileOrder(
      a.wakers.filter((w) => w.file !== next.file),
      newSites.wakers,
      next.file,
      rank,
    );
  }

  get(file: string): FileFacts | undefined {
    return this.files.get(file);
  }

  allFiles(): FileFacts[] {
    return [...this.files.values()];
  }

  /** Builds the cross-file maps now (else the first query after a change builds them). */
  prepare(): void {
    this.sites();
  }

  private decls(): Declarations {
    if (this.declarations) return this.declarations;
    const d = emptyDeclarations();
    this.declarations = d;
    for (const f of this.files.values()) addDeclarations(d, f);
    return d;
  }

  private sites(): Sites {
    if (this.sitesByQueue) return this.sitesByQueue;
    const d = this.decls();
    const a = emptySites();
    this.sitesByQueue = a;
    for (const f of this.files.values()) this.addSites(a, d, f);
    return a;
  }

  /** One file's waits, wakes, checks, calls and waking functions, appended to `a`. */
  private addSites(a: Sites, d: Declarations, f: FileFacts): void {
    let taskWakingHelpers: Set<string> | undefined;
    for (const fn of f.functions) {
      if (fn.events.some((e) => e.kind === 'wake' && e.info.queue === 'task')) (taskWakingHelpers ??= new Set()).add(fn.name);
    }
    const helpers = taskWakingHelpers ?? new Set<string>();
    for (const fn of f.functions) {
      if (
        fn.events.some((e) => (e.kind === 'wake' && (e.info.queue === 'task' || e.info.queue === 'waitqueue')) || (e.kind === 'call' && helpers.has(e.name)))
      ) {
        a.wakers.push({ file: f.file, fn, taskWakingHelpers: helpers });
      }
      fn.events.forEach((e, index) => {
        if (e.kind === 'call') push(a.calls, e.name, { file: f.file, fn, event: e, index });
        if ((e.kind === 'wait' || e.kind === 'wake' || e.kind === 'active') && e.queue) {
          const queue = this.identityIn(d, f.file, fn, e.queue);
          if (e.kind === 'wait') push(a.waits, queue, { file: f.file, fn, event: e, queue });
          if (e.kind === 'wake') push(a.wakes, queue, { file: f.file, fn, event: e, queue });
          if (e.kind === 'active') push(a.actives, queue, { file: f.file, fn, event: e, queue });
        }
      });
    }
  }

  /** The identity two accesses share when they name the same object (same queue, same flag). */
  identity(file: string, fn: FunctionFacts, path: AccessPath): string {
    return this.identityIn(this.decls(), file, fn, path);
  }

  private identityIn(a: Declarations, file: string, fn: FunctionFacts, path: AccessPath): string {
    // A root declared through a struct typedef (`pg_data_t *pgdat`) is that struct's.
    let struct = path.rootStruct ?? (path.rootType ? a.typedefs.get(path.rootType) : undefined);
    if (!struct && (path.rootKind === 'unknown' || path.rootKind === 'global')) struct = a.globalsByName.get(path.root)?.structName;
    let fields = path.fields;
    if (struct && fields.length > 0) {
      // Descend through struct-typed members so `kvm->arch.x` and `arch->x` meet.
      // An array field stays the outer struct's (`wc->wait[dir]` is `struct dm_wc.wait.[]`):
      // descending into the element type made every array of wait queues one queue.
      while (fields.length > 1 && fields[1] !== '[]') {
        const f: StructField | undefined = a.fields.get(`${struct}.${fields[0]}`);
        const next = f?.structName ?? (f ? a.typedefs.get(f.type) : undefined);
        if (!next) break;
        struct = next;
        fields = fields.slice(1);
      }
      return `struct ${struct}.${fields.join('.')}`;
    }
    // A queue reached through a call (`sk_sleep(sk)`) is some object we cannot name: keep it
    // private to the function rather than merging every such queue of the tree into one.
    if (!/^[A-Za-z_]\w*$/.test(path.root)) return `${file}:${fn.name}:${path.text.replace(/^&/, '')}`;
    if (path.rootKind === 'global' || path.rootKind === 'unknown') {
      const g = a.globalsByName.get(path.root);
      const base = g?.isStatic ? `${g.file}:${path.root}` : `global ${path.root}`;
      return fields.length ? `${base}.${fields.join('.')}` : base;
    }
    return `${file}:${fn.name}:${path.text.replace(/^&/, '')}`;
  }

  /**
   * The identity of an object named by its text in a function (`&pool->lock`, `dev->lock`,
   * `my_lock`), as identity() gives it for the access path: how two functions' lock texts meet.
   */
  identityOfText(file: string, fn: FunctionFacts, text: string): string {
    const t = text
      .replace(/\s+/g, '')
      .replace(/^&/, '')
      .replace(/^\((.*)\)$/, '$1');
    const m = /^([A-Za-z_]\w*)((?:(?:->|\.)[A-Za-z_]\w*)*)$/.exec(t);
    if (!m) return `${file}:${fn.name}:${t}`;
    const root = m[1];
    const fields = m[2].split(/->|\./).filter(Boolean);
    const param = fn.params.find((p) => p.name === root);
    const local = param ? undefined : fn.locals.find((l) => l.name === root);
    const decl = param ?? local;
    const path: AccessPath = {
      text: t,
      root,
      rootKind: param ? 'param' : local ? 'local' : 'global',
      ...(decl?.structName ? { rootStruct: decl.structName } : decl ? { rootType: decl.type } : {}),
      fields,
      addressOf: false,
    };
    return this.identity(file, fn, path);
  }

  fieldOf(struct: string, field: string): StructField | undefined {
    return this.decls().fields.get(`${struct}.${field}`);
  }

  /** The file declaring `struct S { ... field ... }`. */
  fieldFile(struct: string, field: string): string | undefined {
    for (const f of this.files.values()) if (f.structFields.some((x) => x.struct === struct && x.field === field)) return f.file;
    return undefined;
  }

  /** The bit a single-bit mask macro names (`F_BUSY` -> `F_BUSY_BIT`), this file's definition first. */
  bitOfMask(file: string, mask: string): string | undefined {
    return this.files.get(file)?.bitMasks?.[mask] ?? this.decls().bitMasks.get(mask);
  }

  /** A numeric macro's value: this file's definition first, else one defined elsewhere. */
  macroValue(file: string, name: string): number | undefined {
    const own = this.files.get(file)?.defines?.[name];
    if (own !== undefined) return own;
    return this.decls().defines.get(name);
  }

  /** Calls of `name` (e.g. init_swait_queue_head) whose first argument is this queue. */
  callsOnQueue(name: string, queue: string): Array<{ file: string; fn: FunctionFacts; event: CallEvent }> {
    return (this.sites().calls.get(name) ?? []).filter((c) => c.event.arg0 && this.identity(c.file, c.fn, c.event.arg0) === queue);
  }

  waitsOn(queue: string): Array<Site<WaitEvent>> {
    return this.sites().waits.get(queue) ?? [];
  }

  wakesOn(queue: string): Array<Site<WakeEvent>> {
    return this.sites().wakes.get(queue) ?? [];
  }

  activesOn(queue: string): Array<Site<ActiveEvent>> {
    return this.sites().actives.get(queue) ?? [];
  }

  /** Every function that can wake a task or a queue (see WakingFunction), in file order. */
  wakingFunctions(): readonly WakingFunction[] {
    return this.sites().wakers;
  }

  functionsNamed(name: string): Array<{ file: string; fn: FunctionFacts }> {
    return this.decls().functions.get(name) ?? [];
  }

  /** Call sites of a function (by name; a static function only from its own file). */
  callersOf(file: string, fn: FunctionFacts): Array<{ file: string; fn: FunctionFacts; event: CallEvent; index: number }> {
    const sites = this.sites().calls.get(fn.name) ?? [];
    return fn.isStatic ? sites.filter((s) => s.file === file) : sites;
  }

  /** The context a function runs in: its signature, or what registered it as a callback. */
  contextOf(fn: FunctionFacts, depth = 0): FunctionContext {
    // A registration says how the function is really called (a threaded IRQ handler returns
    // irqreturn_t but runs in a kthread), so it wins over the signature.
    const registered = this.decls().contexts.get(fn.name);
    if (registered) return registered;
    if (fn.signatureContext) return fn.signatureContext;
    // A static helper called only from hard-IRQ code runs in hard-IRQ context (one level).
    if (fn.isStatic && depth === 0) {
      const file = this.functionFile(fn);
      const callers = file ? this.callersOf(file, fn) : [];
      if (callers.length > 0 && callers.every((c) => this.contextOf(c.fn, depth + 1) === 'hardirq')) return 'hardirq';
    }
    return 'process';
  }

  private functionFile(fn: FunctionFacts): string | undefined {
    return this.decls()
      .functions.get(fn.name)
      ?.find((x) => x.fn === fn)?.file;
  }

  /**
   * A key that changes when anything another file contributes to `file`'s findings changes:
   * the sites on the queues it uses, the callers of its functions, the contexts of its functions.
   */
  contextKey(file: string): string {
    const facts = this.files.get(file);
    if (!facts) return '';
    const a = this.decls();
    const hash = createHash('sha1');
    const queues = new Set<string>();
    for (const fn of facts.functions) {
      for (const e of fn.events)
        if ((e.kind === 'wait' || e.kind === 'wake' || e.kind === 'active') && e.queue) queues.add(this.identityIn(a, file, fn, e.queue));
      hash.update(`ctx ${fn.name} ${this.contextOf(fn)}\n`);
      for (const c of this.callersOf(file, fn)) if (c.file !== file) hash.update(`caller ${c.file}:${c.event.span.line} ${c.fn.name}\n`);
    }
    for (const q of [...queues].sort()) {
      for (const s of [...this.waitsOn(q), ...this.wakesOn(q), ...this.activesOn(q)]) {
        if (s.file === file) continue;
        hash.update(`${q} ${s.file}:${s.event.span.line} ${s.event.kind} ${s.event.name} ${JSON.stringify(s.fn.events.length)}\n`);
      }
    }
    return hash.digest('hex');
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function emptyDeclarations(): Declarations {
  return {
    fields: new Map(),
    functions: new Map(),
    contexts: new Map(),
    globalsByName: new Map(),
    defines: new Map(),
    bitMasks: new Map(),
    typedefs: new Map(),
  };
}

function emptySites(): Sites {
  return { waits: new Map(), wakes: new Map(), actives: new Map(), calls: new Map(), wakers: [] };
}

/** One file's declarations added to `d`: the first file to declare a name keeps it. */
function addDeclarations(d: Declarations, f: FileFacts): void {
  for (const field of f.structFields) {
    const key = `${field.struct}.${field.field}`;
    if (!d.fields.has(key)) d.fields.set(key, field);
  }
  for (const g of f.globals)
    if (!g.isStatic || !d.globalsByName.has(g.name)) d.globalsByName.set(g.name, { file: f.file, structName: g.structName, isStatic: g.isStatic });
  for (const [name, value] of Object.entries(f.defines ?? {})) if (!d.defines.has(name)) d.defines.set(name, value);
  for (const [mask, bit] of Object.entries(f.bitMasks ?? {})) if (!d.bitMasks.has(mask)) d.bitMasks.set(mask, bit);
  for (const [alias, struct] of Object.entries(f.typedefs ?? {})) if (!d.typedefs.has(alias)) d.typedefs.set(alias, struct);
  for (const r of f.registrations) {
    // Hard-IRQ wins over anything else: a function registered both ways must obey both.
    const prev = d.contexts.get(r.callee);
    if (!prev || r.context === 'hardirq') d.contexts.set(r.callee, r.context);
  }
  for (const fn of f.functions) push(d.functions, fn.name, { file: f.file, fn });
}

/** What decides the first-declaration maps: equal keys, equal contributions (spans left out, an edit moves them). */
function declarationsKey(f: FileFacts): string {
  return JSON.stringify([
    f.structFields.map((x) => [x.struct, x.field, x.type, x.structName, x.pointer]),
    f.globals.map((g) => [g.name, g.structName, g.isStatic]),
    f.defines ?? {},
    f.bitMasks ?? {},
    f.typedefs ?? {},
    f.registrations.map((r) => [r.callee, r.context]),
  ]);
}

/** `list` without `file`'s entries, with `entries` where file order puts them. */
function insertInFileOrder<T extends { file: string }>(list: T[], entries: T[], file: string, rank: Map<string, number>): T[] {
  if (entries.length === 0) return list;
  const r = rank.get(file)!;
  let at = list.findIndex((x) => (rank.get(x.file) ?? Infinity) > r);
  if (at < 0) at = list.length;
  return [...list.slice(0, at), ...entries, ...list.slice(at)];
}

/** In a map of lists in file order: `file`'s old entries (keys of `before`) replaced by `after`'s. */
function spliceFile<T extends { file: string }>(
  map: Map<string, T[]>,
  before: Map<string, T[]>,
  after: Map<string, T[]>,
  file: string,
  rank: Map<string, number>,
): void {
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const rest = (map.get(key) ?? []).filter((x) => x.file !== file);
    const next = insertInFileOrder(rest, after.get(key) ?? [], file, rank);
    if (next.length) map.set(key, next);
    else map.delete(key);
  }
}
