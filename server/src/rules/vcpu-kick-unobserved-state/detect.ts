/**
 * vcpu-kick-unobserved-state, detection: a waker that sets per-vCPU state and kicks the vCPU,
 * raised when the runnable predicate may not read that state (the proof decides).
 */
import type { FunctionFacts } from '../../analysis/facts';
import type { WorkspaceIndex } from '../../analysis/index';
import type { Candidate, E } from '../rule';

export const CODE = 'vcpu-kick-unobserved-state';

export interface VcpuKickSubject {
  file: string;
  fn: FunctionFacts;
  kick: E<'call'>;
  /** The per-vCPU state the waker sets before the kick. */
  store: E<'store' | 'atomic'>;
  predicate: { file: string; fn: FunctionFacts };
}

export function detectVcpuKicks(index: WorkspaceIndex, file: string, functions: FunctionFacts[]): Array<Candidate<VcpuKickSubject>> {
  const out: Array<Candidate<VcpuKickSubject>> = [];
  for (const fn of functions) vcpuKicks(index, file, fn, out);
  return out;
}

export const KICKS = ['kvm_vcpu_kick', 'kvm_vcpu_wake_up'];
const KICK_SET = new Set(KICKS);
/** The runnable predicates a blocking vCPU loop re-checks after every wakeup. */
export const RUNNABLE_PREDICATES = ['kvm_arch_vcpu_runnable', 'kvm_vcpu_check_block'];

/**
 * The architecture directory of a file: `arch/<arch>/...`, or `virt/kvm/<arch>/...` (arm's KVM
 * code of 4.x, shared by arm and arm64, lived there).
 */
const ARCH_DIR = /(?:^|\/)(?:arch|virt\/kvm)\/([^/]+)\//;

function archOf(file: string): string | undefined {
  const arch = ARCH_DIR.exec(file)?.[1];
  return arch === 'arm64' ? 'arm' : arch;
}

/**
 * The runnable predicate the vCPU woken by a kick in `kickFile` re-checks: the first of the
 * predicates with one definition in the workspace (the generic kvm_vcpu_check_block() of newer
 * releases wraps the architecture's kvm_arch_vcpu_runnable() and more: when it can be read it is
 * the loop's test); else, where every architecture defines its own, the one of the kick's
 * architecture (a kick in generic code, with several, has none).
 */
export function runnablePredicate(index: WorkspaceIndex, kickFile: string): { file: string; fn: FunctionFacts } | undefined {
  const defsOf = (name: string) => index.functionsNamed(name).filter((d) => d.fn.returns.length > 0);
  for (const name of RUNNABLE_PREDICATES) {
    const defs = defsOf(name);
    if (defs.length === 1) return defs[0];
  }
  const arch = archOf(kickFile);
  if (arch === undefined) return undefined;
  for (const name of RUNNABLE_PREDICATES) {
    const own = defsOf(name).filter((d) => archOf(d.file) === arch);
    if (own.length === 1) return own[0];
  }
  return undefined;
}

/**
 * A waker that sets per-vCPU state and kicks: the candidate is raised when the state is not
 * among what the runnable predicate reads (the proof decides); a request made before the kick
 * (kvm_make_request) is what the predicate is supposed to see instead.
 */
function vcpuKicks(index: WorkspaceIndex, file: string, fn: FunctionFacts, out: Array<Candidate<VcpuKickSubject>>): void {
  const predicate = runnablePredicate(index, file);
  if (!predicate) return;
  let from = 0;
  fn.events.forEach((e, i) => {
    if (e.kind !== 'call' || !KICK_SET.has(e.name)) return;
    const stretch = fn.events.slice(from, i);
    from = i + 1;
    const store = [...stretch]
      .reverse()
      .find(
        (x): x is E<'store' | 'atomic'> =>
          (x.kind === 'store' || (x.kind === 'atomic' && !!x.target)) && !(x.kind === 'store' && x.target.rootKind === 'local' && x.target.fields.length === 0),
      );
    if (!store) return;
    const target = store.kind === 'store' ? store.target : store.target!;
    out.push({
      code: CODE,
      file,
      span: e.span,
      message: `${e.name}() after setting ${target.text} (line ${store.span.line}): if ${predicate.fn.name}() does not read that state, the vCPU wakes, finds itself not runnable and halts again with the work pending`,
      subject: { file, fn, kick: e, store, predicate },
    });
  });
}
