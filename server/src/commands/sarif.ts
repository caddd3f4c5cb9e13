/**
 * SARIF 2.1.0 output (the format GitHub code scanning and most CI viewers read): one run, the
 * rules with links to their pages, results with the trace as a code flow and fixes as
 * artifact changes.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FileProblem, Finding } from '../analysis/findings';
import { RULE_CODES } from '../analysis/rules';

const RULE_SUMMARY: Record<string, string> = {
  'swake-exclusive-multi-waiter': 'Exclusive wake-up where several tasks can sleep and a woken one may not consume or pass on the wakeup',
  'swait-single-waiter': 'swait queue with exactly one sleeper: a task pointer or rcuwait is simpler',
  'swake-all-atomic-context': 'swake_up_all() from hard-IRQ or IRQs-off context',
  'waitqueue-active-no-barrier': 'waitqueue_active()/swait_active() after a condition store without a full barrier',
  'sleep-state-order': 'Condition checked before set_current_state(), or __set_current_state() where a barrier is needed',
  'sleep-in-wake-callback': 'A wait-queue wake function (run under the queue lock, IRQs off) that can sleep',
  'vcpu-kick-unobserved-state': 'A vCPU kick after setting state the runnable predicate never reads',
  'pv-lost-kick': 'A paravirt qspinlock unlock that clears the lock byte without the atomic that sees a halted waiter',
};

const DOCS = 'https://github.com/wakeaudit/wakeaudit/blob/main/docs/rules/';

function uri(file: string): string {
  return path.isAbsolute(file) ? pathToFileURL(file).href : file.split(path.sep).join('/');
}

function region(s: { line: number; column: number; endLine: number; endColumn: number }) {
  return { startLine: s.line, startColumn: s.column, endLine: s.endLine, endColumn: s.endColumn };
}

export function toSarif(findings: Finding[], problems: FileProblem[]) {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'wakeaudit',
            informationUri: 'https://github.com/wakeaudit/wakeaudit',
            rules: RULE_CODES.map((id) => ({ id, shortDescription: { text: RULE_SUMMARY[id] ?? id }, helpUri: `${DOCS}${id}.md` })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.code,
          ruleIndex: (RULE_CODES as readonly string[]).indexOf(f.code),
          level: f.verdict === 'violated' || f.verdict === 'unproved' ? 'warning' : 'note',
          message: { text: f.message },
          locations: [{ physicalLocation: { artifactLocation: { uri: uri(f.file) }, region: region(f) } }],
          properties: { verdict: f.verdict, ...(f.proof ? { proof: f.proof } : {}) },
          ...(f.trace.length
            ? {
                codeFlows: [
                  {
                    threadFlows: [
                      {
                        locations: f.trace.map((step) => ({
                          location: {
                            ...(step.location ? { physicalLocation: { artifactLocation: { uri: uri(step.location.file) }, region: region(step.location) } } : {}),
                            message: { text: `[${step.thread}] ${step.text}` },
                          },
                          executionOrder: step.index,
                        })),
                      },
                    ],
                  },
                ],
              }
            : {}),
          ...(f.fixes.length
            ? {
                fixes: f.fixes.map((fix) => ({
                  description: { text: `${fix.title}${fix.verified ? ' (verified)' : ''}` },
                  artifactChanges: groupByFile(fix.edits).map(([file, edits]) => ({
                    artifactLocation: { uri: uri(file) },
                    replacements: edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
                  })),
                })),
              }
            : {}),
        })),
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: problems.map((p) => ({
              level: 'warning',
              message: { text: p.message },
              locations: [{ physicalLocation: { artifactLocation: { uri: uri(p.file) } } }],
            })),
          },
        ],
      },
    ],
  };
}

function groupByFile<T extends { file: string }>(edits: T[]): Array<[string, T[]]> {
  const m = new Map<string, T[]>();
  for (const e of edits) m.set(e.file, [...(m.get(e.file) ?? []), e]);
  return [...m];
}
