// Markdown report for Slack threads and incident docs: the ViewModel as headings, a findings table, one
// section per finding with its fix commands in fenced blocks, and the coverage list.
//
// Escaping is deliberately light: Slack shows backslash escapes literally, so free text is left as is and
// only what would break structure is handled (pipes/newlines in table cells, backticks in code).
import type { Report, ReportAi } from '../doctor/types.js';
import { TONE_EMOJI } from './tone.js';
import { toViewModel, type FindingView, type ViewModel } from './view-model.js';

export function renderMarkdown(report: Report, opts: { onlyCritical?: boolean } = {}): string {
  return renderMarkdownView(toViewModel(report, opts));
}

export function renderMarkdownView(vm: ViewModel): string {
  const host = vm.header.rows.find((r) => r.label === 'Host')?.value ?? '';
  const out: string[] = [`## ${vm.header.title}: ${host}`, ''];
  for (const row of vm.header.rows) if (row.label !== 'Host') out.push(`- **${row.label}:** ${row.value}`);
  out.push('');
  if (vm.partial)
    out.push(`> ${TONE_EMOJI[vm.partial.tone]} **${vm.partial.title}:** ${vm.partial.text}`, '');

  out.push(`### Findings: ${vm.triage.counts}`, '');
  if (vm.triage.hidden) out.push(`_${vm.triage.hidden}_`, '');
  if (vm.noFindings) out.push(`${TONE_EMOJI.ok} ${vm.noFindings}`, '');
  if (vm.findings.length) {
    out.push('| # | Severity | Finding | Subject | Value | ETA |', '|--:|---|---|---|---|---|');
    for (const f of vm.findings) {
      const who = f.rows
        .filter((r) => r.label === 'Subject' || r.label === 'Process')
        .map((r) => r.value)
        .join(' · ');
      const value = f.measure ? `${f.measure.value} (threshold ${f.measure.threshold})` : '';
      out.push(
        '| ' +
          [String(f.rank), `${TONE_EMOJI[f.tone]} ${f.label}`, f.title, who, value, f.eta ?? '']
            .map(cell)
            .join(' | ') +
          ' |',
      );
    }
    out.push('');
  }

  if (vm.timeline) {
    out.push('### Causal timeline', '');
    for (const chain of vm.timeline.chains) out.push(`> ${chain}`, '');
    for (const e of vm.timeline.events) {
      out.push(`- \`${e.time}\` (${e.offset}) ${TONE_EMOJI[e.tone]} ${e.text}`);
      for (const c of e.causes) out.push(`  - ↳ ${c}`);
    }
    out.push('', `_${vm.timeline.note}_`, '');
  }

  if (vm.findings.length) {
    for (const f of vm.findings) out.push(...findingSection(f), '');
  }

  if (vm.actions.length) {
    out.push('### Recommended action order', '');
    for (const a of vm.actions) {
      const what = a.context ? `${a.title} · ${a.context}` : a.title;
      out.push(`${a.rank}. **[${a.tag}]** ${what}${a.command ? `: ${inlineCode(a.command)}` : ''}`);
    }
    out.push('');
  }

  out.push('### Coverage', '', `${TONE_EMOJI[vm.coverage.tone]} ${vm.coverage.headline}`, '');
  if (vm.coverage.lines.length) {
    for (const line of vm.coverage.lines) out.push(`- ${TONE_EMOJI[line.tone]} ${line.text}`);
    out.push('');
  }
  const cost = vm.coverage.selfCost;
  if (cost) {
    out.push(`${TONE_EMOJI[cost.tone]} ${cost.line}`, '');
    if (cost.table.rows.length > 0) {
      const cell = (c: string) => c.replace(/\|/g, '\\|');
      out.push(
        `| ${cost.table.head.join(' | ')} |`,
        `|${cost.table.head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
      );
      for (const row of cost.table.rows) out.push(`| ${row.cells.map(cell).join(' | ')} |`);
      out.push('');
    }
  }

  out.push('---', '', vm.summary.rows.map((r) => `**${r.label}:** ${r.value}`).join(' · '));
  return out.join('\n') + '\n';
}

function findingSection(f: FindingView): string[] {
  const out = [`#### ${f.rank}. ${TONE_EMOJI[f.tone]} ${f.label}: ${f.title}`, ''];
  for (const row of f.rows) out.push(`- **${row.label}:** ${row.value}`);
  if (f.measure)
    out.push(`- **Value:** ${f.measure.value} (threshold ${f.measure.threshold}, ${f.measure.ratio})`);
  if (f.eta) out.push(`- **ETA:** ${f.eta}`);
  out.push(`- **Cause:** ${f.cause}`, `- **Impact:** ${f.impact}`);
  if (f.evidence.length) {
    out.push('', '**Evidence**', '');
    for (const e of f.evidence) out.push(`- ${e}`);
  }
  if (f.fix.length) {
    const fence = codeFence(f.fix.join('\n'));
    out.push('', '**Fix**', '', fence + 'sh', ...f.fix, fence);
  }
  return out;
}

/** A table cell: pipes escaped, line breaks flattened (either would end the cell or the row). */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** A code fence longer than any backtick run inside the block, so commands containing ``` stay intact. */
function codeFence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function inlineCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** `kerno doctor --ai -o md`: the AI section after the report. */
export function renderMarkdownAi(ai: ReportAi): string {
  const cached = ai.cached ? ', cached' : '';
  const out = [
    '### AI summary',
    '',
    `_${ai.provider} ${ai.model}, privacy ${ai.privacy}${cached}; check before acting._`,
    '',
  ];
  if (ai.error !== undefined) out.push(`> ⚠️ ${ai.error}`, '');
  const a = ai.answer;
  if (a) {
    out.push(a.summary, '');
    if (a.why) out.push(`- **Why:** ${a.why}`);
    if (a.impact) out.push(`- **Impact:** ${a.impact}`);
    if (a.why || a.impact) out.push('');
    a.causes.forEach((c, i) => {
      const conf = c.confidence !== undefined ? ` (${Math.round(c.confidence * 100)}%)` : '';
      out.push(`${i + 1}. ${c.description}${conf}`);
      for (const f of c.fix) out.push(`   - ${inlineCode(f)}`);
    });
    if (a.causes.length) out.push('');
    if (a.fix.length) {
      const fence = codeFence(a.fix.join('\n'));
      out.push('**Fix**', '', fence + 'sh', ...a.fix, fence, '');
    }
  }
  return out.join('\n') + '\n';
}
