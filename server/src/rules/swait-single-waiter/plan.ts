/**
 * swait-single-waiter, proof: the task-pointer form of the same code (the sole sleeper in
 * rcuwait_wait_event(), the wakers in rcuwait_wake_up()) must come out safe: the hint claims the
 * conversion loses nothing. Its fix is the conversion itself, one multi-file edit.
 */
import { ExtractionError, locName, ProgramBuilder, conditionLocations, exitOf, srcOf, waiterCondition } from '../../analysis/extract';
import type { TextEdit } from '../../analysis/findings';
import type { Site, WorkspaceIndex } from '../../analysis/index';
import type { Plan } from '../../analysis/plan';
import type { Candidate, E } from '../rule';
import { nameEdit, replaceSpan } from '../shared/edits';
import { threadContext, wakerPrefix, writesTracked } from '../shared/programs';
import type { SingleWaiterSubject } from './detect';

export function planSingleWaiter(index: WorkspaceIndex, c: Candidate<SingleWaiterSubject>): Plan {
  return singleWaiterPlan(index, c.subject.wait, c.subject.wakes, c.subject.waitSites);
}

function singleWaiterPlan(index: WorkspaceIndex, wait: Site<E<'wait'>>, wakes: Array<Site<E<'wake'>>>, waitSites: number): Plan {
  // The task-pointer form of the same code: the sole sleeper in rcuwait_wait_event(), the
  // wakers in rcuwait_wake_up(). Safe means the conversion loses nothing.
  const b = new ProgramBuilder(index);
  const name = locName(wait.queue);
  const cond = waiterCondition(b, wait);
  const snapshots = b.takeSnapshots();
  const tracked = conditionLocations(b, wait);
  const wake = wakes[0];
  const prefix = wakerPrefix(b, wake, tracked, wake.event.queue?.text ?? '', name);
  if (!writesTracked(prefix)) throw new ExtractionError('the waker does not change what the sleeper tests before waking');
  b.object('rcuwait', name);
  const exit = exitOf(wait.event);
  b.threads.push({
    name: 'waker',
    context: threadContext(index, wake.fn),
    ops: [...prefix, { op: 'rcuwait_wake_up', w: name, src: srcOf(wake.file, wake.event.span) }],
  });
  b.threads.push({
    name: 'waiter',
    context: 'process',
    ops: [...snapshots, { op: 'rcuwait_wait_event', w: name, cond, exit, src: srcOf(wait.file, wait.event.span) }],
  });
  const program = b.build(`task pointer for ${wait.queue}`, { check: ['lost-wakeup'] }, [cond]);
  // The proof runs one sleeper site: a conversion of several sites (each with its own
  // condition) is not what it checked, so none is offered there.
  const edits = waitSites === 1 ? taskPointerEdits(index, wait, wakes) : undefined;
  return {
    program,
    claim: 'safe-alternative',
    fixes: edits
      ? [{ title: `Convert to an rcuwait (task pointer): field, sleeper and ${wakes.length} waker${wakes.length === 1 ? '' : 's'}`, program, edits }]
      : [],
  };
}

/**
 * The conversion Linus describes, as one multi-file edit: the field becomes a struct rcuwait,
 * the sleeper rcuwait_wait_event(), every waker rcuwait_wake_up(), initialisation and
 * swait_active() their rcuwait forms. Undefined when some use cannot be converted (a timeout
 * wait, a field the index does not see declared).
 */
function taskPointerEdits(index: WorkspaceIndex, wait: Site<E<'wait'>>, wakes: Array<Site<E<'wake'>>>): TextEdit[] | undefined {
  const m = /^struct (\w+)\.(\w+)$/.exec(wait.queue);
  if (!m || wait.event.info.exits.includes('timeout')) return undefined;
  const [, struct, fieldName] = m;
  const field = index.fieldOf(struct, fieldName);
  const fieldFile = index.fieldFile(struct, fieldName);
  if (!field?.typeSpan || !fieldFile || field.type !== 'struct swait_queue_head') return undefined;
  const cond = wait.event.condition?.text;
  const queueText = wait.event.queue?.text.replace(/^&/, '');
  if (!cond || !queueText) return undefined;
  const state = wait.event.info.exits.includes('signal')
    ? 'TASK_INTERRUPTIBLE'
    : wait.event.info.exits.includes('fatal-signal')
      ? 'TASK_KILLABLE'
      : 'TASK_UNINTERRUPTIBLE';
  const edits: TextEdit[] = [
    replaceSpan(fieldFile, field.typeSpan, 'struct rcuwait'),
    replaceSpan(wait.file, wait.event.span, `rcuwait_wait_event(&${queueText}, ${cond}, ${state})`),
  ];
  for (const w of wakes) {
    const q = w.event.queue?.text;
    if (!q || w.event.info.queue !== 'swait') return undefined;
    edits.push(replaceSpan(w.file, w.event.span, `rcuwait_wake_up(${q.startsWith('&') ? q : `&${q}`})`));
  }
  for (const init of index.callsOnQueue('init_swait_queue_head', wait.queue))
    edits.push(nameEdit(init.file, init.event.span, 'init_swait_queue_head', 'rcuwait_init'));
  for (const a of index.activesOn(wait.queue)) {
    if (a.event.name !== 'swait_active') return undefined;
    edits.push(nameEdit(a.file, a.event.span, 'swait_active', 'rcuwait_active'));
  }
  return edits;
}
