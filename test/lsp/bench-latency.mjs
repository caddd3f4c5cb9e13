// Latency and memory benchmark of the language server (a measurement, not a timed test):
//   node test/lsp/bench-latency.mjs [--file FILE.c] [--tree DIR] [--edits N]
// 1. Opens a kernel-sized C file (default: virt/kvm/kvm_main.c of linux-source-6.1, 156 KB) and
//    times edit -> diagnostics up to date (the server's `wakeaudit/status` idle notification) over
//    N edits, in two series: edits inside a comment at the top of the file (the file's text changes,
//    so the server re-analyses it: a re-proof unless the analysis reuses proofs), and edits in
//    another open file (nothing this file depends on changes: served from the content cache).
// 2. Indexes a tree (default: virt/, kernel/ and fs/ side by side are three runs) and reports
//    the server's heap and resident memory once indexing and analysis are idle.
// Needs `npm run build` (dist/server.js) and `npx tsc -b` (out/test/lsp/lspClient.js).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { startServer } = require('../../out/test/lsp/lspClient.js');

const kernel = '/work/kernel/linux-source-6.1';
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const file = option('--file', path.join(kernel, 'virt/kvm/kvm_main.c'));
const edits = Number(option('--edits', '100'));
const trees = args.includes('--tree') ? [option('--tree')] : ['virt', 'kernel', 'fs'].map((dir) => path.join(kernel, dir));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function timeEdits(client, uri, label) {
  const samples = [];
  let version = 1;
  for (let i = 0; i < edits; i++) {
    const idle = client.nextIdle(120_000);
    const started = process.hrtime.bigint();
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: ++version },
      contentChanges: [{ range: { start: { line: 0, character: 2 }, end: { line: 0, character: 2 } }, text: 'x' }],
    });
    await idle;
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label}: p50 ${percentile(samples, 50).toFixed(1)} ms, p95 ${percentile(samples, 95).toFixed(1)} ms over ${edits} edits (includes the server's 150 ms debounce)`);
}

// Two series on the same kernel file: as it is, and with a proved finding appended (the
// examples' DMA driver), so that every edit re-runs that proof and its fixes' proofs.
const withFinding = readFileSync(new URL('../../examples/drivers/demo_dma.c', import.meta.url), 'utf8');
for (const [label, extra] of [['as is', ''], ['with a proved finding (re-proved on every edit)', `\n${withFinding}`]]) {
  console.log(`== ${path.basename(file)} ${label}`);
  const client = await startServer({});
  const uri = pathToFileURL(file).href;
  const text = readFileSync(file, 'utf8') + extra;
  const firstIdle = client.nextIdle(300_000);
  const opened = Date.now();
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'c', version: 1, text } });
  await firstIdle;
  const diagnostics = client.diagnostics.get(uri) ?? [];
  console.log(`${path.basename(file)} (${(text.length / 1024).toFixed(0)} KB): first analysis ${Date.now() - opened} ms, ${diagnostics.length} diagnostics (${diagnostics.filter((d) => d.severity === 2).length} proved warnings)`);
  await timeEdits(client, uri, 'edit in the file (re-analysed)');
  const otherUri = pathToFileURL(path.join(path.dirname(file), 'bench-scratch.c')).href;
  const otherIdle = client.nextIdle(60_000);
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: otherUri, languageId: 'c', version: 1, text: '/* */\n' } });
  await otherIdle;
  const before = await client.connection.sendRequest('wakeaudit/stats');
  await timeEdits(client, otherUri, 'edit in another file (this one from the cache)');
  const after = await client.connection.sendRequest('wakeaudit/stats');
  console.log(`  analyses run during those edits: ${after.analysesRun - before.analysesRun} (one per edit of the other file), cache hits ${after.cacheHits - before.cacheHits}`);
  await client.stop();
}

for (const tree of trees) {
  const client = await startServer({ workspaceFolder: tree });
  const started = Date.now();
  // Done when indexing has ended and the analysis pass after it has gone idle.
  while (!(client.progress.some((p) => p.value.kind === 'end') && client.lastStatus?.state === 'idle')) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const stats = await client.connection.sendRequest('wakeaudit/stats');
  console.log(
    `${path.relative(kernel, tree)}/: ${stats.files} files indexed and analysed in ${((Date.now() - started) / 1000).toFixed(1)} s; heap ${(stats.heapUsedBytes / 2 ** 20).toFixed(0)} MiB, RSS ${(rssBytes(client.process.pid) / 2 ** 20).toFixed(0)} MiB`,
  );
  await client.stop();
}
