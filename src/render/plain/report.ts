// Plain-text report (non-TTY stdout, CI logs, `| less`): the ViewModel laid out with chalk and cli-table3.
// Same sections as the Ink report, in the same order.
import Table from 'cli-table3';
import type { Report } from '../../doctor/types.js';
import { makePalette, type Palette } from './palette.js';
import { padEnd, repeat, wrap } from './layout.js';
import {
  toViewModel,
  type ActionView,
  type CoverageView,
  type FindingView,
  type LabelledValue,
  type MeasureView,
  type SummaryView,
  type TimelineView,
  type ViewModel,
} from '../view-model.js';

export interface PlainOptions {
  color: boolean;
  /** false for --no-banner: no title box and metadata header. */
  banner: boolean;
  /** Total line width; default 80, at least 76 (the coverage table's width). */
  width?: number;
  onlyCritical?: boolean;
}

export function renderPlain(report: Report, opts: PlainOptions): string {
  return renderPlainView(toViewModel(report, { onlyCritical: opts.onlyCritical }), opts);
}

/** The --quiet line, or null when the report has a warning/critical finding and must be shown in full. */
export function renderQuietLine(report: Report, opts: { onlyCritical?: boolean } = {}): string | null {
  return toViewModel(report, opts).quietLine;
}

const MIN_WIDTH = 76;
const INDENT = '  ';
const LABEL_WIDTH = 10;
const BAR_CELLS = 24;

interface Ctx {
  p: Palette;
  width: number;
}

export function renderPlainView(vm: ViewModel, opts: PlainOptions): string {
  const ctx: Ctx = { p: makePalette(opts.color), width: Math.max(MIN_WIDTH, opts.width ?? 80) };
  const out: string[] = [];
  if (opts.banner) out.push(...header(vm, ctx), '');
  if (vm.partial) {
    const { p } = ctx;
    const title = `${vm.partial.icon} ${vm.partial.title}`;
    const body = wrap(vm.partial.text, ctx.width - INDENT.length - title.length - 2);
    body.forEach((line, i) => {
      const lead = i === 0 ? p.bold(p.tone(vm.partial!.tone, title)) : repeat(' ', title.length);
      out.push(`${INDENT}${lead}  ${line}`);
    });
    out.push('');
  }
  out.push(...triage(vm, ctx), '');
  if (vm.timeline) out.push(...timeline(vm.timeline, ctx), '');
  if (vm.noFindings) out.push(`${INDENT}${ctx.p.tone('ok', '✓')} ${vm.noFindings}`, '');
  for (const f of vm.findings) out.push(...findingCard(f, ctx), '');
  if (vm.actions.length) out.push(...actions(vm.actions, ctx), '');
  out.push(...coverage(vm.coverage, ctx), '');
  out.push(...summary(vm.summary, ctx));
  out.push(ctx.p.dim(repeat('═', ctx.width)));
  return out.join('\n') + '\n';
}

function section(title: string, right: string, ctx: Ctx): string {
  const { p } = ctx;
  const lead = ` ${title} `;
  const tail = right ? ` ${right}` : '';
  const fill = repeat('─', ctx.width - lead.length - tail.length);
  return p.bold(lead) + p.dim(fill) + tail;
}

function header(vm: ViewModel, ctx: Ctx): string[] {
  const { p } = ctx;
  const inner = ctx.width - 2;
  const rest = `  ·  ${vm.header.subtitle}`;
  const used = 2 + vm.header.title.length + rest.length;
  return [
    p.dim('╭' + repeat('─', inner) + '╮'),
    p.dim('│') + '  ' + p.bold(vm.header.title) + rest + repeat(' ', inner - used) + p.dim('│'),
    p.dim('╰' + repeat('─', inner) + '╯'),
    ...labelled(vm.header.rows, ctx),
  ];
}

function labelled(rows: LabelledValue[], ctx: Ctx, indent = INDENT): string[] {
  const out: string[] = [];
  for (const row of rows)
    out.push(...labelledBlock(row.label, wrap(row.value, valueWidth(ctx, indent)), ctx, indent));
  return out;
}

function valueWidth(ctx: Ctx, indent: string): number {
  return ctx.width - indent.length - LABEL_WIDTH;
}

function labelledBlock(label: string, lines: string[], ctx: Ctx, indent: string): string[] {
  return lines.map(
    (line, i) => indent + (i === 0 ? ctx.p.dim(padEnd(label, LABEL_WIDTH)) : repeat(' ', LABEL_WIDTH)) + line,
  );
}

function triage(vm: ViewModel, ctx: Ctx): string[] {
  const { p } = ctx;
  const marks = vm.triage.marks.map((m) => p.tone(m.tone, m.icon)).join(' ');
  const lines = [section('FINDINGS', vm.triage.window, ctx), `${INDENT}${marks}  ${vm.triage.counts}`];
  if (vm.triage.hidden) lines.push(`${INDENT}${p.dim(vm.triage.hidden)}`);
  return lines;
}

function timeline(t: TimelineView, ctx: Ctx): string[] {
  const { p } = ctx;
  const out = [section(t.title, '', ctx)];
  const chainLead = '⇢ ';
  for (const chain of t.chains) {
    wrap(chain, ctx.width - INDENT.length - chainLead.length).forEach((line, i) => {
      out.push(INDENT + (i === 0 ? p.bold(chainLead) : repeat(' ', chainLead.length)) + line);
    });
  }
  if (t.chains.length) out.push('');
  const offsetWidth = Math.max(...t.events.map((e) => e.offset.length));
  for (const e of t.events) {
    const lead = `${INDENT}${e.time} ${padEnd(e.offset, offsetWidth)} `;
    const mark = `${e.icon} `;
    const pad = repeat(' ', lead.length + mark.length);
    wrap(e.text, ctx.width - pad.length).forEach((line, i) => {
      out.push(i === 0 ? `${p.dim(lead)}${p.tone(e.tone, mark)}${line}` : pad + line);
    });
    for (const c of e.causes) {
      wrap(c, ctx.width - pad.length - 2).forEach((line, i) => {
        out.push(pad + p.dim((i === 0 ? '↳ ' : '  ') + line));
      });
    }
  }
  for (const line of wrap(t.note, ctx.width - INDENT.length)) out.push(INDENT + p.dim(line));
  return out;
}

function findingCard(f: FindingView, ctx: Ctx): string[] {
  const { p } = ctx;
  const inner = ctx.width - 4;
  const badge = `${f.icon} ${f.label}`;
  const eta = f.eta ? `ETA ${f.eta}` : '';
  // ┃ + space + badge + 2 spaces + title [+ 2 spaces + eta] + space + ┃
  const titleWidth = inner - 2 - badge.length - 2 - (eta ? eta.length + 2 : 0);
  const titleLines = wrap(f.title, titleWidth);
  const out = [' ' + p.tone(f.tone, '┏' + repeat('━', inner) + '┓')];
  titleLines.forEach((t, i) => {
    const lead = i === 0 ? p.bold(p.tone(f.tone, badge)) : repeat(' ', badge.length);
    const right = i === 0 && eta ? '  ' + p.tone(f.tone, eta) : eta ? repeat(' ', eta.length + 2) : '';
    const body = ` ${lead}  ${p.bold(padEnd(t, titleWidth))}${right} `;
    out.push(' ' + p.tone(f.tone, '┃') + body + p.tone(f.tone, '┃'));
  });
  out.push(' ' + p.tone(f.tone, '┗' + repeat('━', inner) + '┛'));
  const indent = '   ';
  const vw = valueWidth(ctx, indent);
  out.push(...labelled(f.rows, ctx, indent));
  if (f.evidence.length) {
    const lines = f.evidence.flatMap((e) => wrap(e, vw - 2).map((l, i) => (i === 0 ? '• ' : '  ') + l));
    out.push(...labelledBlock('Evidence', lines, ctx, indent));
  }
  if (f.measure) out.push(...labelledBlock('Value', measureLines(f.measure, f, ctx, vw), ctx, indent));
  out.push(...labelled([{ label: 'Cause', value: f.cause }], ctx, indent));
  out.push(...labelled([{ label: 'Impact', value: f.impact }], ctx, indent));
  if (f.fix.length) {
    // Commands go on their own lines and are never wrapped, so a triple-click copies exactly one command.
    out.push(indent + p.dim('Fix'));
    for (const cmd of f.fix) out.push(indent + '  ' + p.tone('ok', cmd));
  }
  return out;
}

/** The bar and its numbers on one line, or on two when the line would not fit. */
function measureLines(m: MeasureView, f: FindingView, ctx: Ctx, width: number): string[] {
  const { p } = ctx;
  const filled = Math.round(m.fill * BAR_CELLS);
  const markAt = Math.min(BAR_CELLS - 1, Math.round(m.mark * BAR_CELLS));
  let bar = '';
  for (let i = 0; i < BAR_CELLS; i++) {
    if (i === markAt) bar += p.bold('│');
    else bar += i < filled ? p.tone(f.tone, '█') : p.dim('░');
  }
  const numbers = `${m.value} (threshold ${m.threshold}, ${m.ratio})`;
  return BAR_CELLS + 2 + numbers.length <= width ? [`${bar}  ${numbers}`] : [bar, numbers];
}

function actions(list: ActionView[], ctx: Ctx): string[] {
  const { p } = ctx;
  const out = [section('RECOMMENDED ACTION ORDER', '', ctx)];
  const tagWidth = Math.max(...list.map((a) => a.tag.length)) + 2;
  for (const a of list) {
    const num = `${a.rank}.`;
    const lead = `${INDENT}${num} `;
    const tag = padEnd(`[${a.tag}]`, tagWidth);
    const text = a.context ? `${a.title} · ${a.context}` : a.title;
    const pad = repeat(' ', lead.length + tagWidth + 1);
    wrap(text, ctx.width - pad.length).forEach((line, i) => {
      out.push(i === 0 ? `${lead}${p.bold(p.tone(a.tone, tag))} ${line}` : pad + line);
    });
    if (a.command) out.push(pad + p.tone('ok', a.command));
  }
  return out;
}

function coverage(cov: CoverageView, ctx: Ctx): string[] {
  const { p } = ctx;
  const out = [section('COVERAGE', '', ctx)];
  const head = `${cov.icon} `;
  wrap(cov.headline, ctx.width - INDENT.length - head.length).forEach((line, i) => {
    out.push(INDENT + (i === 0 ? p.tone(cov.tone, head) : repeat(' ', head.length)) + line);
  });
  const table = new Table({
    head: cov.table.head.map((h) => p.bold(h)),
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right'],
  });
  for (const row of cov.table.rows) table.push(row.cells.map((cell) => p.tone(row.tone, cell)));
  out.push(...indentBlock(table.toString()));
  for (const line of cov.lines) {
    const lead = `${line.icon} `;
    wrap(line.text, ctx.width - INDENT.length - lead.length).forEach((l, i) => {
      out.push(
        INDENT + (i === 0 ? p.tone(line.tone, lead) : repeat(' ', lead.length)) + p.tone(line.tone, l),
      );
    });
  }
  if (cov.selfCost) {
    const c = cov.selfCost;
    const lead = `${c.icon} `;
    wrap(c.line, ctx.width - INDENT.length - lead.length).forEach((l, i) => {
      out.push(INDENT + (i === 0 ? p.tone(c.tone, lead) : repeat(' ', lead.length)) + p.tone(c.tone, l));
    });
    if (c.table.rows.length > 0) {
      const t = new Table({
        head: c.table.head.map((h) => p.bold(h)),
        style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
        colAligns: ['left', 'right', 'right', 'right', 'right'],
      });
      for (const row of c.table.rows) t.push(row.cells.map((cell) => p.tone(row.tone, cell)));
      out.push(...indentBlock(t.toString()));
    }
  }
  return out;
}

function summary(s: SummaryView, ctx: Ctx): string[] {
  const { p } = ctx;
  const out = [section('SYSTEM SUMMARY', '', ctx)];
  const table = new Table({
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1, compact: true },
  });
  for (const row of s.rows) table.push([p.dim(row.label), row.value]);
  out.push(...indentBlock(table.toString()));
  const hintWidth = Math.max(...s.hints.map((h) => h.label.length)) + 2;
  for (const h of s.hints)
    out.push(`${INDENT}${p.tone('info', padEnd(h.label, hintWidth))}${p.dim(h.value)}`);
  return out;
}

function indentBlock(block: string): string[] {
  return block.split('\n').map((l) => INDENT + l);
}
