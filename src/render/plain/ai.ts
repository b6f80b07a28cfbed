// The AI section (kerno doctor --ai, kerno explain <message>): printed after the report, in the report's
// plain layout. Markdown has its own (md.ts); JSON carries the same object as the report's `ai` field.
import type { ReportAi } from '../../doctor/types.js';
import { repeat, wrap } from './layout.js';
import { makePalette } from './palette.js';

const INDENT = '  ';
const LABEL = 10;

export function renderAiSection(
  ai: ReportAi,
  opts: { color: boolean; width?: number; title: string; note: string },
): string {
  const p = makePalette(opts.color);
  const width = Math.max(60, opts.width ?? 80);
  const body = width - INDENT.length - LABEL;
  const pad = INDENT + ' '.repeat(LABEL);
  const source = `${ai.provider} ${ai.model} · privacy ${ai.privacy}${ai.cached ? ' · cached' : ''}`;
  const out = [`${INDENT}${p.bold(opts.title)}  ${p.dim(source)}`, p.dim(repeat('─', width))];
  const field = (label: string, lines: string[]): void =>
    lines.forEach((l, i) => out.push(i === 0 ? `${INDENT}${p.bold(label.padEnd(LABEL))}${l}` : pad + l));
  if (ai.error !== undefined)
    field(
      'Error',
      wrap(ai.error, body).map((l) => p.tone('warning', l)),
    );
  const a = ai.answer;
  if (a) {
    field('Summary', wrap(a.summary, body));
    if (a.why) field('Why', wrap(a.why, body));
    if (a.impact) field('Impact', wrap(a.impact, body));
    a.causes.forEach((c, i) => {
      const conf = c.confidence !== undefined ? ` (${Math.round(c.confidence * 100)}%)` : '';
      field(i === 0 ? 'Causes' : '', wrap(`${i + 1}. ${c.description}${conf}`, body));
      // Commands are printed verbatim (wrapping would break them for copy and paste).
      for (const f of c.fix) out.push(`${pad}   → ${f}`);
    });
    // Fix steps are commands to copy: never re-wrapped.
    a.fix.forEach((f, i) => field(i === 0 ? 'Fix' : '', [`→ ${f}`]));
  }
  out.push(p.dim(repeat('─', width)));
  for (const l of wrap(opts.note, width - INDENT.length)) out.push(INDENT + p.dim(l));
  return out.join('\n') + '\n';
}
