// The trace webview: the verdict on top, the server's sequence diagram of the schedule (columns
// of threads, read-from arrows, the stale read, the fix's barrier; hover a box for its whole
// text), then one lane (column) per thread and one row per step, so the interleaving reads top
// to bottom. Each step is a link that reveals its source line.
// The page runs no remote code: a strict CSP allows only our nonce'd inline script and style.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { TraceResult } from './protocol';

const VIEW_TYPE = 'wakeaudit.trace';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const VERDICT_LABEL: Record<TraceResult['verdict'], string> = {
  violated: 'violated: proved by the simulator',
  safe: 'safe within the exploration bound',
  unknown: 'unknown: not decided within the bound',
  unproved: 'not proved',
};

export function renderTraceHtml(trace: TraceResult, nonce: string, cspSource: string): string {
  const lanes = trace.threads.length > 0 ? trace.threads : ['(no threads)'];
  // The CSP forbids style attributes, so grid positions are classes defined in the nonce'd sheet.
  const rowCount = Math.max(1, trace.steps.length);
  const placement = [
    ...lanes.map((_, column) => `.col-${column + 1} { grid-column: ${column + 1}; }`),
    ...Array.from({ length: rowCount + 1 }, (_, row) => `.row-${row + 1} { grid-row: ${row + 1}; }`),
    `.lane { grid-row: 2 / span ${rowCount}; }`,
  ].join('\n  ');
  const header = lanes.map((thread, column) => `<div class="lane-head col-${column + 1} row-1">${escapeHtml(thread)}</div>`).join('');
  const laneBodies = lanes.map((thread, column) => `<div class="lane col-${column + 1}" data-thread="${escapeHtml(thread)}"></div>`).join('');
  const steps = trace.steps
    .map((step, row) => {
      const column = Math.max(0, lanes.indexOf(step.thread)) + 1;
      const where = step.range ? ` title="line ${step.range.start.line + 1}"` : '';
      const label = `<span class="step-number">${step.index + 1}</span> ${escapeHtml(step.text)}`;
      const body = step.uri ? `<a href="#" class="step-link" data-step="${row}"${where}>${label}</a>` : `<span class="step-model">${label}</span>`;
      return `<div class="step col-${column} row-${row + 2}" data-thread="${escapeHtml(step.thread)}">${body}</div>`;
    })
    .join('');
  // The server's diagram (every text in it escaped there); anything that is not one plain <svg>
  // element without scripts is left out rather than trusted.
  const svg =
    trace.svg && /^<svg [^>]*class="wakeaudit-trace"/.test(trace.svg) && !/<script|<foreignObject|\son\w+=|javascript:/i.test(trace.svg)
      ? trace.svg
      : undefined;
  const diagram = svg ? `<div class="diagram">${svg}</div>` : '';
  const proof = trace.proof
    ? `<div class="proof">${trace.proof.states} states, ${trace.proof.milliseconds} ms${trace.proof.bound ? `, bound ${escapeHtml(trace.proof.bound)}` : ''}</div>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(trace.title)}</title>
<style nonce="${nonce}">
  body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 12px; }
  .verdict { margin: 12px 0 4px; padding: 6px 10px; border-left: 4px solid var(--vscode-textLink-foreground); background: var(--vscode-textBlockQuote-background); font-weight: bold; }
  .verdict.violated { border-color: var(--vscode-editorError-foreground); }
  .verdict.safe { border-color: var(--vscode-testing-iconPassed, var(--vscode-terminal-ansiGreen)); }
  .verdict.unknown, .verdict.unproved { border-color: var(--vscode-editorWarning-foreground); }
  .message { margin: 4px 0 12px; }
  .proof { color: var(--vscode-descriptionForeground); margin-bottom: 12px; }
  .lanes { display: grid; grid-template-columns: repeat(${lanes.length}, minmax(160px, 1fr)); column-gap: 12px; row-gap: 4px; }
  .lane-head { font-weight: bold; padding: 4px; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-editorWidget-border)); }
  .lane { background: var(--vscode-editorWidget-background); border-radius: 3px; opacity: 0.5; }
  .step { position: relative; padding: 3px 6px; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  .step-link { color: var(--vscode-textLink-foreground); text-decoration: none; }
  .step-link:hover, .step-link:focus { color: var(--vscode-textLink-activeForeground); text-decoration: underline; }
  .step-model { color: var(--vscode-descriptionForeground); font-style: italic; }
  .step-number { display: inline-block; min-width: 1.6em; color: var(--vscode-descriptionForeground); }
  .empty { color: var(--vscode-descriptionForeground); }
  .diagram { overflow-x: auto; margin-bottom: 16px; }
  .diagram svg { background: #ffffff; border-radius: 4px; max-width: 100%; height: auto; }
  ${placement}
</style>
</head>
<body>
<div class="verdict ${trace.verdict}" data-verdict="${trace.verdict}">${escapeHtml(trace.code ? `${trace.code}: ` : '')}${escapeHtml(VERDICT_LABEL[trace.verdict])}</div>
<div class="message">${escapeHtml(trace.message)}</div>
${proof}
${diagram}
${trace.steps.length > 0 ? `<div class="lanes">${header}${laneBodies}${steps}</div>` : '<div class="empty">No schedule to show.</div>'}
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  for (const link of document.querySelectorAll('.step-link')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      vscode.postMessage({ type: 'reveal', step: Number(link.dataset.step) });
    });
  }
</script>
</body>
</html>`;
}

/** One trace panel, reused: showing a new trace replaces the old one. */
export class TracePanel {
  private panel: vscode.WebviewPanel | undefined;
  private trace: TraceResult | undefined;

  constructor(private readonly output: vscode.OutputChannel) {}

  show(trace: TraceResult): void {
    this.trace = trace;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        VIEW_TYPE,
        trace.title,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        {
          enableScripts: true,
          // The page loads nothing from disk: everything is inline.
          localResourceRoots: [],
        },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((message: unknown) => void this.onMessage(message));
    }
    this.panel.title = trace.title;
    this.panel.webview.html = renderTraceHtml(trace, randomBytes(16).toString('base64'), this.panel.webview.cspSource);
    this.panel.reveal(undefined, true);
  }

  private async onMessage(message: unknown): Promise<void> {
    if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type !== 'reveal') return;
    const step = this.trace?.steps[Number((message as { step?: unknown }).step)];
    if (!step?.uri || !step.range) return;
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(step.uri));
      const range = new vscode.Range(step.range.start.line, step.range.start.character, step.range.end.line, step.range.end.character);
      await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection: range });
    } catch (error) {
      this.output.appendLine(`cannot reveal step ${step.index + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
