/**
 * swake-all-atomic-context, detection: swake_up_all() (a wakeup that needs interrupts on) called
 * with interrupts disabled, from a hard-IRQ handler or from a wake callback.
 */
import type { FunctionFacts } from '../../analysis/facts';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';

export const CODE = 'swake-all-atomic-context';

export interface AtomicWakeSubject {
  wake: Site<E<'wake'>>;
  why: string;
  waits: Array<Site<E<'wait'>>>;
}

export function detectAtomicWakes(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<AtomicWakeSubject>> {
  const out: Array<Candidate<AtomicWakeSubject>> = [];
  for (const fn of functions) {
    for (const e of fn.events) {
      if (e.kind !== 'wake' || !e.queue || !e.info.needsIrqsOn) continue;
      const queue = index.identity(file, fn, e.queue);
      const wake: Site<E<'wake'>> = { file, fn, event: e, queue };
      const waits = index.waitsOn(queue);
      const ctx = index.contextOf(fn);
      const why = e.ctx.irqsOff
        ? 'with interrupts disabled'
        : ctx === 'hardirq'
          ? 'from a hard-IRQ handler'
          : ctx === 'wake-callback'
            ? 'from a wait-queue wake callback (queue lock held, interrupts off)'
            : undefined;
      if (!why) continue;
      out.push({
        code: CODE,
        file,
        span: e.span,
        message: `${e.name}() called ${why}: it drops and retakes the queue lock with raw_spin_lock_irq(), which re-enables interrupts, and it may wake an unbounded number of tasks`,
        subject: { wake, why, waits },
      });
    }
  }
  return out;
}
