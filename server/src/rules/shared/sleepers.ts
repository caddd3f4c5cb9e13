/**
 * What the rules know about the sleepers of a queue: whether a woken sleeper consumes what it
 * waited for, whether only one task can ever sleep there, which mutex serialises them, and the
 * first one whose condition the model can read.
 */
import { LIST_REMOVAL, QUEUE_EMPTY_TEST } from '../../analysis/wrappers';
import { ExtractionError, waitCondition } from '../../analysis/extract';
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Plan } from '../../analysis/plan';
import type { E } from '../rule';

/** Does the waiter change what it waited for after waking (take the item, reset the flag)? */
export function consumes(index: WorkspaceIndex, wait: Site<E<'wait'>>): boolean {
  const cond = wait.event.condition;
  if (!cond) return false;
  const ids = new Set(cond.reads.map((r) => index.identity(wait.file, wait.fn, r)));
  const writes = (file: string, fn: FunctionFacts) =>
    fn.events.some((e) => {
      if (e.kind === 'store') return ids.has(index.identity(file, fn, e.target));
      if (e.kind === 'atomic' && e.target) return ids.has(index.identity(file, fn, e.target));
      return false;
    });
  // In the waiting function (a retry loop consumes at its top) or a helper of its file it calls.
  if (writes(wait.file, wait.fn)) return true;
  // Waiting for a list to be non-empty and then taking an entry off a list (the entry's own
  // node is written, not the head the condition reads): consumed.
  if (QUEUE_EMPTY_TEST.test(cond.text) && wait.fn.events.some((e) => e.kind === 'call' && LIST_REMOVAL.test(e.name) && e.span.start > wait.event.span.start))
    return true;
  return wait.fn.events.some(
    (e) => e.kind === 'call' && index.functionsNamed(e.name).some((c) => c.file === wait.file && c.fn !== wait.fn && writes(c.file, c.fn)),
  );
}

/** Objects owned by one task: a per-vCPU queue is only ever slept on by that vCPU's thread. */
const SINGLE_OWNER_STRUCTS = new Set(['kvm_vcpu', 'task_struct']);

/**
 * Proof obligations for "exactly one sleeper": one wait site, on a per-task object, in a
 * kthread, or on an object that lives on the sleeping function's own stack (a local struct,
 * not a pointer: no other task can be running that function's frame).
 */
export function singleOwner(index: WorkspaceIndex, queue: string, waits: Array<Site<E<'wait'>>>): string | undefined {
  const struct = /^struct (\w+)\./.exec(queue)?.[1];
  if (waits.length > 1) {
    // Several wait sites, each on the queue of the object a kthread was started with: one
    // kthread per object, so one sleeper per object's queue, whichever site it sleeps at.
    const owners = new Set(waits.map((x) => kthreadOwning(index, x)));
    const [owner] = owners;
    return struct && owners.size === 1 && owner
      ? `the kthread ${owner}(), one per struct ${struct} it is started with, the only task sleeping on its own object's queue`
      : undefined;
  }
  const w = waits[0];
  if (!w) return undefined;
  if (struct && SINGLE_OWNER_STRUCTS.has(struct)) return `struct ${struct}`;
  if (index.contextOf(w.fn) === 'kthread') return `the kthread ${w.fn.name}()`;
  const kthread = kthreadOwning(index, w);
  if (kthread) return `the kthread ${kthread}(), one per struct ${w.event.queue?.rootStruct} it is started with`;
  const q = w.event.queue;
  const local = q?.rootKind === 'local' && q.fields.length > 0 ? w.fn.locals.find((l) => l.name === q.root) : undefined;
  if (local && !local.pointer && !local.isStatic && local.structName)
    return `the sleeper's own stack: ${local.name} is a local struct ${local.structName} of ${w.fn.name}()`;
  return undefined;
}

/**
 * The kthread whose own object the wait's queue belongs to: the queue's root is the kthread
 * function's data parameter (or a local taken straight from it), or the first parameter of a
 * static helper every caller of which passes such an object (up to three calls deep). The
 * queue must be a field of that object, not of an object reached from it.
 */
function kthreadOwning(index: WorkspaceIndex, w: Site<E<'wait'>>): string | undefined {
  const q = w.event.queue;
  if (!q || q.fields.length !== 1 || !q.rootStruct || (q.rootKind !== 'param' && q.rootKind !== 'local')) return undefined;
  const owner = (file: string, fn: FunctionFacts, root: string, depth: number): string | undefined => {
    const param = fn.params.find((p) => p.name === root)?.name ?? fn.locals.find((l) => l.name === root)?.initFrom;
    if (!param) return undefined;
    if (index.contextOf(fn) === 'kthread') return fn.params[0]?.name === param && fn.params.length === 1 ? fn.name : undefined;
    if (!fn.isStatic || depth >= 3 || fn.params[0]?.name !== param) return undefined;
    // The facts keep few calls' arguments: without it, the caller's only variable of the
    // parameter's struct type is the one it passes.
    const struct = fn.params[0].structName;
    const passed = (c: { fn: FunctionFacts; event: E<'call'> }): string | undefined => {
      if (c.event.arg0) return c.event.arg0.fields.length === 0 && !c.event.arg0.addressOf ? c.event.arg0.root : undefined;
      const same = [...c.fn.params, ...c.fn.locals].filter((v) => v.pointer && v.structName === struct);
      return same.length === 1 ? same[0].name : undefined;
    };
    const callers = index.callersOf(file, fn);
    const found = new Set(
      callers.map((c) => {
        const root = struct ? passed(c) : undefined;
        return root ? owner(c.file, c.fn, root, depth + 1) : undefined;
      }),
    );
    const [k] = found;
    return found.size === 1 ? k : undefined;
  };
  return owner(w.file, w.fn, q.root, 0);
}

export function firstWaiterWithCondition(waits: Array<Site<E<'wait'>>>, what: string): Site<E<'wait'>> {
  const w = waits.find((x) => waitCondition(x));
  if (!w) throw new ExtractionError(waits.length ? `the waiters on ${what} have no condition the model can read` : `no wait site on ${what} in the workspace`);
  return w;
}

/**
 * A plan per sleeper the model can read, the first one first (up to four): one sleeper whose
 * condition the waker's store can make true is enough for the lost wakeup, so the others are the
 * plan's alternatives, explored when the first comes out safe. When none can be built, the
 * first one's reason is the answer.
 */
export function planEachWaiter(first: Site<E<'wait'>>, waits: Array<Site<E<'wait'>>>, build: (w: Site<E<'wait'>>) => Plan): Plan {
  let reason: ExtractionError | undefined;
  const plans: Plan[] = [];
  for (const w of [first, ...waits.filter((x) => x !== first && waitCondition(x))]) {
    try {
      plans.push(build(w));
    } catch (error) {
      if (!(error instanceof ExtractionError)) throw error;
      reason ??= error;
    }
    if (plans.length === 4) break;
  }
  if (plans.length === 0) throw reason!;
  return { ...plans[0], ...(plans.length > 1 ? { alternatives: plans.slice(1) } : {}) };
}

function lockKey(text: string): string {
  return text
    .replace(/\s+/g, '')
    .replace(/^&/, '')
    .replace(/^\((.*)\)$/, '$1');
}

/**
 * A sleeping lock (mutex) the waiting function holds across the wait, taken directly or by a
 * helper of its file that takes the lock it is passed and returns holding it
 * (`ffs_mutex_lock(&ffs->mutex, nonblock)`). Only a lock of the queue's own object (same root:
 * `ffs->mutex` for `ffs->ev.waitq`) or a file-scope one serialises the sleepers of the site.
 */
export function mutexHeldAcross(index: WorkspaceIndex, site: Site<E<'wait'>>): { text: string; unidentified?: boolean } | undefined {
  const at = site.fn.events.indexOf(site.event);
  const held: string[] = [];
  let viaHelper: string | undefined;
  for (let k = 0; k < at; k++) {
    const e = site.fn.events[k];
    if (e.kind === 'lock' && e.action === 'lock' && e.sleeps) held.push(lockKey(e.lock));
    else if (e.kind === 'lock' && e.action === 'unlock') {
      const i = held.lastIndexOf(lockKey(e.lock));
      if (i >= 0) held.splice(i, 1);
    } else if (e.kind === 'call') {
      const callee = index.functionsNamed(e.name).find((c) => c.file === site.file);
      const param = callee?.fn.params[0]?.name;
      if (!callee || !param) continue;
      const locks = callee.fn.events.filter((x): x is E<'lock'> => x.kind === 'lock' && lockKey(x.lock) === param);
      if (!locks.some((x) => x.action === 'lock' && x.sleeps) || locks.some((x) => x.action === 'unlock')) continue;
      // The facts do not always carry the argument: then which mutex it is stays open.
      if (e.arg0) held.push(lockKey(e.arg0.text));
      else viaHelper = e.name;
    }
  }
  const queue = site.event.queue;
  if (!queue) return undefined;
  const ownRoot = (t: string) => /^[A-Za-z_]\w*/.exec(t)?.[0];
  const isLocal = (name: string) => site.fn.locals.some((l) => l.name === name) || site.fn.params.some((p) => p.name === name);
  const own = held.find((h) => (/^[A-Za-z_]\w*$/.test(h) ? !isLocal(h) : ownRoot(h) === queue.root));
  if (own) return { text: own };
  return viaHelper ? { text: viaHelper, unidentified: true } : undefined;
}
