/**
 * What the facts keep, as the rules declare it. The front end walks a function once and would
 * keep every call and store it sees; over a kernel tree that is millions of events no rule
 * reads (printk, kfree, statistics counters), so it keeps only the events of its own contract
 * (waits, wakes, checks, barriers, locks, states, calls to the file's own functions, stores
 * in functions that do wait/wake work) plus what the rules' `needs` add. The needs are plain
 * data (regular expression sources and selectors) so they travel to the indexing workers.
 */

/** The part of a function's facts a selector looks at (facts.ts FunctionFacts has it). */
export interface SelectableFunction {
  name: string;
  params: ReadonlyArray<{ structName?: string }>;
  events: ReadonlyArray<{ kind: string; name?: string }>;
}

/** Which functions of a file a need applies to: all its conditions hold. */
export interface FunctionSelector {
  /** The function holds an event of this kind. */
  has?: string;
  /** The function is called, by name, by a function of the same file that holds an event of this kind. */
  calledByFunctionWith?: string;
  /** The function's name matches this regular expression (source). */
  name?: string;
  /** One of its parameters is of this struct type. */
  paramStruct?: string;
}

export interface FactNeeds {
  /** Calls kept in every function: regular expressions (sources) of whole callee names. */
  calls?: string[];
  /** Calls whose first argument is kept (the object an initialiser sets up): whole-name sources. */
  callArguments?: string[];
  /** Calls kept only in the selected functions. */
  callsIn?: Array<{ calls: string[]; in: FunctionSelector[] }>;
  /** Functions whose stores are kept even when nothing else in them is (`in` any of these). */
  storesIn?: FunctionSelector[];
  /**
   * Branch tests (`if (cond)`) are kept, with their conditions, in functions that sleep; these
   * event kinds (`'wake'`) keep them in the functions holding one too (a wakeup's path tests).
   */
  checksWith?: string[];
}

/** The needs of several rules as one compiled policy. */
export interface FactsPolicy {
  keepCall: (name: string) => boolean;
  keepCallArgument: (name: string) => boolean;
  callsIn: Array<{ keep: (name: string) => boolean; in: FunctionSelector[] }>;
  storesIn: FunctionSelector[];
  /** Event kinds whose functions keep their branch tests (besides the sleeping ones). */
  checksWith: ReadonlySet<string>;
}

const NOTHING = /(?!)/;

function wholeNames(sources: string[]): RegExp {
  return sources.length ? new RegExp(`^(?:${sources.join('|')})$`) : NOTHING;
}

const compiled = new WeakMap<readonly FactNeeds[], FactsPolicy>();

export function factsPolicy(needs: readonly FactNeeds[]): FactsPolicy {
  let policy = compiled.get(needs);
  if (policy) return policy;
  const calls = wholeNames(needs.flatMap((n) => n.calls ?? []));
  const args = wholeNames(needs.flatMap((n) => n.callArguments ?? []));
  policy = {
    keepCall: (name) => calls.test(name),
    keepCallArgument: (name) => args.test(name),
    callsIn: needs
      .flatMap((n) => n.callsIn ?? [])
      .map((c) => {
        const re = wholeNames(c.calls);
        return { keep: (name: string) => re.test(name), in: c.in };
      }),
    storesIn: needs.flatMap((n) => n.storesIn ?? []),
    checksWith: new Set(needs.flatMap((n) => n.checksWith ?? [])),
  };
  compiled.set(needs, policy);
  return policy;
}

/** The functions of one file a selector picks, given who calls whom in that file. */
export class FunctionSelection {
  /** Per event kind: the names called by a function of the file holding an event of that kind. */
  private readonly calledBy = new Map<string, Set<string>>();

  constructor(private readonly functions: readonly SelectableFunction[]) {}

  private namesCalledByFunctionsWith(kind: string): Set<string> {
    let names = this.calledBy.get(kind);
    if (!names) {
      names = new Set();
      for (const f of this.functions) if (f.events.some((e) => e.kind === kind)) for (const e of f.events) if (e.kind === 'call' && e.name) names.add(e.name);
      this.calledBy.set(kind, names);
    }
    return names;
  }

  /** Must be asked for every kind used before the file's events are filtered (calls are dropped then). */
  prepare(selectors: FunctionSelector[]): void {
    for (const s of selectors) if (s.calledByFunctionWith) this.namesCalledByFunctionsWith(s.calledByFunctionWith);
  }

  matches(fn: SelectableFunction, selectors: FunctionSelector[]): boolean {
    return selectors.some(
      (s) =>
        (!s.has || fn.events.some((e) => e.kind === s.has)) &&
        (!s.calledByFunctionWith || this.namesCalledByFunctionsWith(s.calledByFunctionWith).has(fn.name)) &&
        (!s.name || new RegExp(s.name).test(fn.name)) &&
        (!s.paramStruct || fn.params.some((p) => p.structName === s.paramStruct)),
    );
  }
}
