/**
 * A fix is offered only if the fixed code is safe under every rule, not only under the rule
 * that proposed it: a "verified" swake_up_all() that runs under local_irq_save() breaks
 * swake-all-atomic-context, a wakeup moved after a store without its barrier breaks
 * waitqueue-active-no-barrier. Each verified fix's edits are applied to the texts of the files
 * it touches, those files analysed again with every enabled rule (their facts swapped into the
 * index while the candidates are planned, then put back), and the fix is dropped when the fixed
 * files have more proved bugs of some rule than the original files (provedKeys).
 */
import type { FileFacts } from './facts';
import type { Finding, Fix } from './findings';
import { applyEdits } from './fixes';
import type { ProofJob } from './plan';
import { planFiles, PlannedFiles, withDecided } from './prove';
import type { Workspace } from './workspace';

export interface FixCheckHost {
  workspace: Workspace;
  /** The current text of a file (the editor's, or the disk's). */
  textOf(file: string): string | undefined;
  enabled?(code: string): boolean;
  /** Decides proof jobs, in order (inline, or on the proof workers). */
  prove(jobs: ProofJob[]): Promise<Finding[]>;
  /**
   * The findings the caller already has for these files under the current index, when it has
   * them all (check proved every analysed file): no proof is repeated for the comparison.
   */
  known?(files: string[]): Finding[] | undefined;
}

/**
 * Proved bugs of some files, counted by file and rule. Not by message: a fix that renames what a
 * finding it does not fix talks about (swait_active() -> rcuwait_active() in a conversion)
 * changes that finding's text, not the bugs. A proved hint (a queue with one sleeper could be a
 * task pointer) is a suggestion, not a bug a fix may not add.
 */
function provedKeys(findings: Finding[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of findings) {
    if (f.verdict !== 'violated' || f.severity !== 'warning') continue;
    const key = `${f.file}\0${f.code}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

async function decidePlanned(host: FixCheckHost, planned: PlannedFiles): Promise<Finding[]> {
  return withDecided(planned, planned.jobs.length ? await host.prove(planned.jobs) : []);
}

/** `findings` with each verified fix kept only if the fixed files prove nothing new. */
export async function keepFixesSafeUnderEveryRule(host: FixCheckHost, findings: Finding[]): Promise<Finding[]> {
  const baseline = new Map<string, Map<string, number>>();
  const baselineOf = async (files: string[]) => {
    const key = files.join('\0');
    let b = baseline.get(key);
    if (!b) baseline.set(key, (b = provedKeys(host.known?.(files) ?? (await decidePlanned(host, planFiles(host.workspace.index, files, host.enabled))))));
    return b;
  };
  const out: Finding[] = [];
  for (const f of findings) {
    if (!f.fixes.some((x) => x.verified)) {
      out.push(f);
      continue;
    }
    const kept: Fix[] = [];
    for (const fix of f.fixes) {
      if (!fix.verified) kept.push(fix);
      else {
        // A check that fails (a proof that throws) leaves the fix out, not the finding.
        const safe = await isSafeUnderEveryRule(host, fix, baselineOf).catch(() => false);
        if (safe) kept.push(fix);
      }
    }
    const preferred = kept.findIndex((x) => x.verified);
    out.push({ ...f, fixes: kept.map((x, i) => ({ ...x, preferred: i === preferred })) });
  }
  return out;
}

async function isSafeUnderEveryRule(host: FixCheckHost, fix: Fix, baselineOf: (files: string[]) => Promise<Map<string, number>>): Promise<boolean> {
  const files = [...new Set(fix.edits.map((e) => e.file))].sort();
  const index = host.workspace.index;
  const fixed = new Map<string, FileFacts>();
  for (const file of files) {
    const text = host.textOf(file);
    const facts =
      text === undefined
        ? undefined
        : host.workspace.factsOfText(
            file,
            applyEdits(
              text,
              fix.edits.filter((e) => e.file === file),
            ).text,
          );
    // A fix whose text cannot be read or parsed is not offered.
    if (!facts) return false;
    fixed.set(file, facts);
  }
  const before = await baselineOf(files);
  const original = new Map(files.map((file) => [file, index.get(file)]));
  const swap = (to: Map<string, FileFacts | undefined>) => {
    for (const [file, facts] of to) {
      if (facts) index.set(facts);
      else index.remove(file);
    }
  };
  // Planning reads the index; the jobs are plain data, so the originals go back before proving.
  swap(fixed);
  let planned: PlannedFiles;
  try {
    planned = planFiles(index, files, host.enabled);
  } finally {
    swap(original);
  }
  const after = await decidePlanned(host, planned);
  for (const [key, n] of provedKeys(after)) if (n > (before.get(key) ?? 0)) return false;
  return true;
}
