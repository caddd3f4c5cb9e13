/**
 * wake-before-condition-store, detection: a wakeup of a queue, then (on the same path of the
 * same function) a store to what that queue's sleepers wait for, and no wakeup of the queue
 * after the store, in the function or in a caller after the call.
 */
import { conditionLocations, ExtractionError, locName, ProgramBuilder, storeLocation, waitCondition } from '../../analysis/extract';
import { onOnePath } from '../../analysis/facts';
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';

export const CODE = 'wake-before-condition-store';

export interface EarlyWakeSubject {
  wake: Site<E<'wake'>>;
  /** The first store after the wakeup to a location a sleeper's condition reads. */
  store: E<'store' | 'atomic'>;
  /** The sleepers whose condition reads the stored location. */
  waits: Array<Site<E<'wait'>>>;
}

/** The location a store or atomic writes, by the name the programs give it. */
export function storedLocation(index: WorkspaceIndex, file: string, fn: FunctionFacts, e: E<'store' | 'atomic'>): string | undefined {
  if (e.kind === 'atomic') return e.target ? locName(index.identity(file, fn, e.target)) : undefined;
  const where = storeLocation(index, file, fn, e);
  return where ? locName(where.id) : undefined;
}

export function detectEarlyWakes(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<EarlyWakeSubject>> {
  const out: Array<Candidate<EarlyWakeSubject>> = [];
  // What each queue's sleepers read, asked once per queue of the file.
  const readsOf = new Map<string, Array<{ wait: Site<E<'wait'>>; reads: Set<string> }>>();
  const sleepersOf = (queue: string) => {
    let r = readsOf.get(queue);
    if (!r) {
      r = [];
      for (const wait of index.waitsOn(queue)) {
        if (!waitCondition(wait)) continue;
        try {
          r.push({ wait, reads: conditionLocations(new ProgramBuilder(index), wait) });
        } catch (error) {
          if (!(error instanceof ExtractionError)) throw error;
        }
      }
      readsOf.set(queue, r);
    }
    return r;
  };
  for (const fn of functions) {
    fn.events.forEach((e, i) => {
      // A wakeup in a loop runs again after a store later in the body: not this shape.
      if (e.kind !== 'wake' || !e.queue || e.ctx.loopDepth > 0 || (e.info.queue !== 'waitqueue' && e.info.queue !== 'swait')) return;
      const queue = index.identity(file, fn, e.queue);
      const sleepers = sleepersOf(queue);
      if (sleepers.length === 0) return;
      const wakesQueue = (x: E<'wake'>) => !!x.queue && index.identity(file, fn, x.queue) === queue;
      let store: E<'store' | 'atomic'> | undefined;
      let waits: Array<Site<E<'wait'>>> = [];
      for (const x of fn.events.slice(i + 1)) {
        if (!onOnePath(x.ctx, e.ctx) || (store && !onOnePath(x.ctx, store.ctx))) continue;
        if (x.kind === 'wake' && wakesQueue(x)) return;
        // The waker sleeps in between (waits for the sleepers, then tidies up): not this shape.
        if (x.kind === 'wait' && !store) return;
        // A return or jump between them (`wake_up(); goto out;`): the store may be on no path after it.
        if (store || x.ctx.loopDepth > 0 || (x.kind !== 'store' && x.kind !== 'atomic') || x.ctx.exitsBefore !== e.ctx.exitsBefore) continue;
        const loc = storedLocation(index, file, fn, x);
        const readers = loc ? sleepers.filter((s) => s.reads.has(loc)) : [];
        if (readers.length === 0) continue;
        store = x;
        // A sleeper that tests and queues itself under a spin lock the waker holds across both
        // the wakeup and the store (wait_event_lock_irq()) either queued before the wakeup or
        // tests after the store: only the others can miss it.
        const held = new Set(e.ctx.locksHeld.filter((l) => x.ctx.locksHeld.includes(l)).map((l) => index.identityOfText(file, fn, l)));
        waits = readers.map((s) => s.wait).filter((w) => !w.event.ctx.locksHeld.some((l) => held.has(index.identityOfText(w.file, w.fn, l))));
        if (waits.length === 0) return;
      }
      if (!store) return;
      // A caller that wakes the queue after calling this function makes the late store good.
      if (
        index
          .callersOf(file, fn)
          .some((c) => c.fn.events.slice(c.index + 1).some((x) => x.kind === 'wake' && !!x.queue && index.identity(c.file, c.fn, x.queue) === queue))
      )
        return;
      const target = (store.target?.text ?? (store.kind === 'atomic' ? store.name : '')).replace(/^&\s*/, '');
      out.push({
        code: CODE,
        file,
        span: e.span,
        message: `${e.name}() runs before the store to ${target.replace(/^(.*)#(\w+)$/, 'bit $2 of $1')} (line ${store.span.line}) that its sleepers wait for, and no wakeup of the queue follows the store: a sleeper that tested the old value and queued itself after the wakeup sleeps on with the condition true`,
        subject: { wake: { file, fn, event: e, queue }, store, waits },
      });
    });
  }
  return out;
}
