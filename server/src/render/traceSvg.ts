/**
 * A proved schedule (analysis/traceData.ts) drawn as an SVG sequence diagram: one column per
 * thread, one row per step, an arrow for each read-from between threads, the stale read and the
 * store it missed marked (the missed store's arrow dashed, ending in a cross), and the fix's
 * barrier as a bar where it forbids that read. Labels are short (the C line a step stands for
 * when the caller has the text, else the model's label); the whole step text is each box's
 * `<title>` (the hover in a browser and in the editor's webview). Every text is escaped.
 *
 * The elements carry classes (`column`, `step`, `arrow`, `stale-read`, `missed-store`,
 * `barrier`) and data attributes, so a test can compare a diagram by structure.
 */
import type { DiagramStep, TraceDiagram } from '../analysis/findings';

const COLUMN = 340;
const ROW = 40;
const BOX_W = 290;
const BOX_H = 28;
const TOP = 56;
const LEFT = 50;
const LABEL_CHARS = 32;

export interface SvgOptions {
  /** The C text of a step's source line, when the caller has the file (the label shown). */
  lineText?: (file: string, line: number) => string | undefined;
  /** Heading above the diagram (the finding's one-line message). */
  title?: string;
}

export function escapeXml(text: string): string {
  return text
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function shorten(text: string, max = LABEL_CHARS): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/**
 * The short label: the C line without its comment, else the model's label; a step on the same
 * line as its thread's step before (a wait macro's several steps) shows the model's label.
 */
function labelOf(step: DiagramStep, previous: DiagramStep | undefined, options: SvgOptions): string {
  const sameLine = previous?.location && step.location && previous.location.file === step.location.file && previous.location.line === step.location.line;
  const c = !sameLine && step.location ? options.lineText?.(step.location.file, step.location.line) : undefined;
  const code = c?.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
  return shorten(code || step.label);
}

export function traceSvg(d: TraceDiagram, options: SvgOptions = {}): string {
  const column = new Map(d.threads.map((t, i) => [t, i]));
  const rowOf = new Map(d.steps.map((s, i) => [s.index, i]));
  const threadOfStep = new Map(d.steps.map((s) => [s.index, s.thread]));
  const cx = (thread: string) => LEFT + column.get(thread)! * COLUMN + BOX_W / 2;
  const cy = (index: number) => TOP + rowOf.get(index)! * ROW + BOX_H / 2;
  const width = LEFT * 2 + d.threads.length * COLUMN;
  const height = TOP + d.steps.length * ROW + 40;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="wakeaudit-trace" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12" data-columns="${d.threads.length}" data-rows="${d.steps.length}">`,
  );
  out.push(
    '<defs>',
    '<marker id="rf" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f6feb"/></marker>',
    '<marker id="miss" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="9" markerHeight="9"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#cf222e" stroke-width="2"/></marker>',
    '</defs>',
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title)
    out.push(
      `<text x="${LEFT}" y="18" font-size="13" font-weight="bold" fill="#24292f">${escapeXml(shorten(options.title, Math.floor(width / 7.5)))}<title>${escapeXml(options.title)}</title></text>`,
    );
  // Columns: the thread's name and its lifeline.
  d.threads.forEach((t, i) => {
    const x = LEFT + i * COLUMN + BOX_W / 2;
    out.push(
      `<g class="column" data-thread="${escapeXml(t)}"><text x="${x}" y="${TOP - 14}" text-anchor="middle" font-weight="bold" fill="#24292f">${escapeXml(t)}</text><line x1="${x}" y1="${TOP - 8}" x2="${x}" y2="${height - 20}" stroke="#d0d7de" stroke-width="2"/></g>`,
    );
  });
  // Rows: one box per step, in its thread's column.
  const previous = new Map<string, DiagramStep>();
  for (const s of d.steps) {
    const before = previous.get(s.thread);
    previous.set(s.thread, s);
    const x = LEFT + column.get(s.thread)! * COLUMN;
    const y = TOP + rowOf.get(s.index)! * ROW;
    const isStale = d.stale?.read === s.index;
    const isMissed = d.stale?.missed === s.index;
    const cls = ['step', isStale ? 'stale-read' : '', isMissed ? 'missed-store' : ''].filter(Boolean).join(' ');
    const stroke = isStale ? '#cf222e' : isMissed ? '#bf8700' : '#57606a';
    const fill = isStale ? '#ffebe9' : isMissed ? '#fff8c5' : '#f6f8fa';
    const where = s.location ? ` (${s.location.file}:${s.location.line})` : '';
    out.push(
      `<g class="${cls}" data-step="${s.index}" data-thread="${escapeXml(s.thread)}"><title>${escapeXml(`step ${s.index} [${s.thread}] ${s.text}${where}`)}</title>` +
        `<rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="4" fill="${fill}" stroke="${stroke}" stroke-width="${isStale || isMissed ? 2 : 1}"/>` +
        `<text x="${x + 6}" y="${y + 18}" fill="#24292f"><tspan fill="#57606a">${s.index}</tspan> ${escapeXml(labelOf(s, before, options))}</text>` +
        (isStale ? `<text x="${x + BOX_W + 4}" y="${y + 18}" fill="#cf222e" font-weight="bold">stale</text>` : '') +
        (isMissed ? `<text x="${x + BOX_W + 4}" y="${y + 18}" fill="#bf8700" font-weight="bold">missed</text>` : '') +
        '</g>',
    );
  }
  // Arrows: from the writing step's box edge to the reading step's, across columns.
  for (const a of d.arrows) {
    const from = threadOfStep.get(a.from);
    const to = threadOfStep.get(a.to);
    if (from === undefined || to === undefined) continue;
    const right = column.get(to)! > column.get(from)!;
    const x1 = cx(from) + (right ? BOX_W / 2 : -BOX_W / 2);
    const x2 = cx(to) + (right ? -BOX_W / 2 : BOX_W / 2);
    const missed = a.kind === 'missed';
    const what = missed ? `step ${a.to} does not see the store of step ${a.from} to ${a.loc}` : `step ${a.to} reads ${a.loc}=${a.value} from step ${a.from}`;
    out.push(
      `<g class="arrow${missed ? ' missed' : ''}" data-from="${a.from}" data-to="${a.to}" data-loc="${escapeXml(a.loc)}"><title>${escapeXml(what)}</title>` +
        `<line x1="${x1}" y1="${cy(a.from)}" x2="${x2}" y2="${cy(a.to)}" stroke="${missed ? '#cf222e' : '#1f6feb'}" stroke-width="1.5"${missed ? ' stroke-dasharray="5,4" marker-end="url(#miss)"' : ' marker-end="url(#rf)"'}/></g>`,
    );
  }
  if (d.barrier && column.has(d.barrier.thread) && rowOf.has(d.barrier.before)) {
    const x = LEFT + column.get(d.barrier.thread)! * COLUMN;
    const y = TOP + rowOf.get(d.barrier.before)! * ROW - 7;
    out.push(
      `<g class="barrier" data-thread="${escapeXml(d.barrier.thread)}" data-before="${d.barrier.before}"><title>${escapeXml(d.barrier.title)}</title>` +
        `<line x1="${x - 8}" y1="${y}" x2="${x + BOX_W + 8}" y2="${y}" stroke="#1a7f37" stroke-width="4"/>` +
        `<text x="${x + BOX_W + 12}" y="${y + 4}" fill="#1a7f37" font-weight="bold">${escapeXml(shorten(d.barrier.text, 24))}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
