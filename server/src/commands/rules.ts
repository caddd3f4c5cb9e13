/**
 * `wakeaudit rules`: the registry's rules, as text, JSON or the README's Markdown table (the
 * table in README.md is this command's output; test/rulesTable.test.ts keeps them equal).
 */
import { OTHER_RULES, rulePagePath, RULES } from '../rules/registry';

interface Out {
  write(s: string): unknown;
}

const USAGE = 'usage: wakeaudit rules [--format text|json|markdown]';

function listed() {
  return [...RULES, ...OTHER_RULES].map((r) => ({ code: r.code, severity: r.severity, summary: r.summary, fixes: r.fixSummary, page: rulePagePath(r.code) }));
}

/** The README's table: one row per rule, its page linked. */
export function rulesMarkdown(): string {
  const rows = listed().map((r) => `| [\`${r.code}\`](${r.page}) | ${r.severity} | ${r.summary} | ${r.fixes} |`);
  return ['| rule | severity | finds | fixes offered (each re-verified) |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}

export function runRulesCommand(args: string[], out: Out, err: Out): number {
  let format = 'text';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--format' && ['text', 'json', 'markdown'].includes(args[i + 1] ?? '')) format = args[++i];
    else if (args[i] === '--help' || args[i] === '-h') {
      out.write(`${USAGE}\n`);
      return 0;
    } else {
      err.write(`wakeaudit rules: unexpected argument ${JSON.stringify(args[i])}\n${USAGE}\n`);
      return 2;
    }
  }
  if (format === 'json') out.write(`${JSON.stringify(listed(), null, 1)}\n`);
  else if (format === 'markdown') out.write(rulesMarkdown());
  else {
    const width = Math.max(...listed().map((r) => r.code.length));
    for (const r of listed()) out.write(`${r.code.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.summary}\n`);
  }
  return 0;
}
