// Adapts the analysis (server/src/analysis/) to the server's Analyzer interface.
// TEMPORARY until the analysis lands: it keeps the files and reports that no rules are built
// in, as a FileProblem, instead of pretending a file is clean.
import type { Analyzer } from './analyzer';

export function createWorkspaceAnalyzer(): Analyzer {
  const files = new Map<string, string>();
  return {
    setFile: (file, text) => void files.set(file, text),
    removeFile: (file) => void files.delete(file),
    contextKey: () => '',
    analyzeFile: async (file) => ({ findings: [], problems: files.has(file) ? [] : [{ file, message: 'not indexed' }] }),
  };
}
