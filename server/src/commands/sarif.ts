/**
 * SARIF 2.1.0 output (the format GitHub code scanning and most CI viewers read): one run, the
 * rules with links to their pages, results with the trace as a code flow and fixes as
 * artifact changes.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FileProblem, Finding } from '../analysis/findings';
import { RULE_CODES, RULES, rulePagePath } from '../rules/registry';
import { FINGERPRINT_KEY } from './baseline';

/** Where a rule's page is read online: its folder's README.md in the repository. */
const REPOSITORY = 'https://github.com/wakeaudit/wakeaudit/blob/main/';

function uri(file: string): string {
  return path.isAbsolute(file) ? pathToFileURL(file).href : file.split(path.sep).join('/');
}

function region(s: { line: number; column: number; endLine: number; endColumn: number }) {
  return { startLine: s.line, startColumn: s.column, endLine: s.endLine, endColumn: s.endColumn };
}

/**
 * `fingerprints[i]`: findings[i]'s baseline fingerprint (baseline.ts), as SARIF's
 * partialFingerprints; `baselineStates[i]`: against a baseline or a patch's tree before it,
 * whether the finding is `new` or `updated` (a finding the patch changed).
 */
export function toSarif(findings: Finding[], problems: FileProblem[], fingerprints?: string[], baselineStates?: Array<'new' | 'updated' | undefined>) {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'wakeaudit',
            informationUri: 'https://github.com/wakeaudit/wakeaudit',
            rules: RULES.map((r) => ({ id: r.code, shortDescription: { text: r.summary }, helpUri: `${REPOSITORY}${rulePagePath(r.code)}` })),
          },
        },
        results: findings.map((f, i) => ({
          ruleId: f.code,
          ...(fingerprints ? { partialFingerprints: { [FINGERPRINT_KEY]: fingerprints[i] } } : {}),
          ...(baselineStates?.[i] ? { baselineState: baselineStates[i] } : {}),
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
                            ...(step.location
                              ? { physicalLocation: { artifactLocation: { uri: uri(step.location.file) }, region: region(step.location) } }
                              : {}),
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
