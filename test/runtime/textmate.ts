// Reading a TextMate grammar in tests: its rules, their regexes as JS regexes, and a check that
// every regex of the grammar compiles (shared by the .wake and .litmus grammar tests).
import * as fs from 'node:fs';

export interface Rule {
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  patterns?: Rule[];
  [key: string]: unknown;
}

export interface Grammar {
  scopeName: string;
  repository: Record<string, Rule>;
}

export function loadGrammar(file: string): Grammar {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Grammar;
}

/** TextMate regexes are Oniguruma; the ones used here only differ from JS by \A. */
export function js(source: string): RegExp {
  return new RegExp(source.replace(/\\A/g, '^'));
}

/** Compiles every match/begin/end regex of the grammar (throws on the first that does not). */
export function compileEveryRegex(grammar: Grammar): void {
  const walk = (r: unknown): void => {
    if (!r || typeof r !== 'object') return;
    const rule = r as Rule;
    for (const key of ['match', 'begin', 'end'] as const) if (typeof rule[key] === 'string') js(rule[key]);
    Object.values(rule).forEach(walk);
  };
  walk(grammar);
}
