/**
 * swait-single-waiter, detection: an swait queue only one task can ever sleep on (a per-task
 * object, a kthread's own queue, a queue on the sleeper's stack), with wakers: Linus's "save
 * the single process pointer" (seed 000).
 */
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';
import { singleOwner } from '../shared/sleepers';

export const CODE = 'swait-single-waiter';

export interface SingleWaiterSubject {
  queue: string;
  wait: Site<E<'wait'>>;
  wakes: Array<Site<E<'wake'>>>;
  owner: string;
  /** How many wait sites the one sleeper has (a kthread waiting at several sites of its loop). */
  waitSites: number;
}

export function detectSingleWaiters(index: WorkspaceIndex, file: string): Array<Candidate<SingleWaiterSubject>> {
  const out: Array<Candidate<SingleWaiterSubject>> = [];
  // This file's own swait sleepers (walking every wait of the workspace for each file made
  // a whole-tree run quadratic in the number of waits).
  const seen = new Set<string>();
  const sleepers: Array<Site<E<'wait'>>> = [];
  for (const fn of index.get(file)?.functions ?? []) {
    for (const event of fn.events) {
      if (event.kind === 'wait' && event.queue && event.info.queue === 'swait')
        sleepers.push({ file, fn, event, queue: index.identity(file, fn, event.queue) });
    }
  }
  for (const w of sleepers) {
    if (seen.has(w.queue)) continue;
    seen.add(w.queue);
    const waits = index.waitsOn(w.queue);
    const owner = singleOwner(index, w.queue, waits);
    if (!owner) continue;
    const wakes = index.wakesOn(w.queue);
    if (wakes.length === 0) continue;
    out.push({
      code: CODE,
      file,
      span: w.event.span,
      message: `only one task ever sleeps on ${w.event.queue?.text ?? 'this queue'} (${owner}): a task pointer woken with wake_up_process(), or an rcuwait, is simpler and cheaper than an swait queue`,
      subject: { queue: w.queue, wait: w, wakes, owner, waitSites: waits.length },
    });
  }
  return out;
}
