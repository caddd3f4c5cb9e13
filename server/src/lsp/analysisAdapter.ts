// Adapts the C analysis (server/src/analysis/) to the server's Analyzer interface.
//
// The analysis does not export an entry point yet (only the Finding shape in findings.ts), so
// there is no C analyzer to hand out: createCAnalyzer() answers undefined, the server analyses
// only litmus files, and it says so in its initialize result (experimental.wakeaudit.analyses),
// where clients and tests read it. Wiring the analysis is this one function: wrap its
// "workspace files in, findings of one file out" entry point as an Analyzer.
import type { Analyzer } from './analyzer';

export function createCAnalyzer(): Analyzer | undefined {
  return undefined;
}
