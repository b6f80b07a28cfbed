// `kerno doctor --watch` frames: one per window. The WatchView decides every word (Ink and plain lay it
// out); JSON is one compact object per line (NDJSON) so `jq` can follow the stream.
import type { Report, Severity } from '../doctor/types.js';
import { countByStatus, type WatchEntry, type WatchState, type WatchStatus } from '../doctor/watch-diff.js';
import { formatNs, formatValue } from '../doctor/format.js';
import { judgeCoverage } from '../doctor/coverage.js';
import { OK_ICON, SEVERITY_STYLE, type Tone } from './tone.js';
import { makePalette } from './plain/palette.js';
import { wrap } from './plain/layout.js';

export interface WatchFrame {
  state: WatchState;
  /** The report of the window that just ended. */
  report: Report;
  /** Epoch ms the watch started (uptime). */
  startedAtMs: number;
  /** Window length, ns. */
  intervalNs: number;
}

export interface WatchRowView {
  status: WatchStatus;
  /** "NEW", "ONGOING", "RESOLVED". */
  label: string;
  /** "+", "~", "−" (reference §4.7). */
  mark: string;
  /** Tone of the status (new: the severity's, resolved: ok, ongoing: the severity's). */
  tone: Tone;
  severity: Severity;
  icon: string;
  title: string;
  /** "180ms (threshold 100ms)". */
  value: string;
  /** "for 30s", "since this window", "resolved 10s ago". */
  age: string;
  /** "value 120ms → 180ms", one per change. */
  changes: string[];
}

export interface WatchView {
  title: string;
  /** "cycle 3 · up 30s · 10s windows · window ended 10:00:30 UTC". */
  status: string;
  /** "1 new · 2 ongoing · 1 resolved" or "no findings". */
  counts: string;
  rows: WatchRowView[];
  /** Shown when there are no rows. */
  empty: string | null;
  /** Collectors not observing (so "nothing" is read correctly); null when all observe. */
  coverage: string | null;
  partial: boolean;
  footer: string;
}

const STATUS: Record<WatchStatus, { label: string; mark: string }> = {
  new: { label: 'NEW', mark: '+' },
  ongoing: { label: 'ONGOING', mark: '~' },
  resolved: { label: 'RESOLVED', mark: '−' },
};

export function toWatchView(frame: WatchFrame): WatchView {
  const { state, report } = frame;
  const endMs = Date.parse(report.windowEnd);
  const counts = countByStatus(state);
  const judged = judgeCoverage(report.coverage, report.ruleErrors ?? []);
  const missing = judged.notObserved.map((a) => a.entry.name);
  return {
    title: 'KERNO DOCTOR — WATCH',
    status: [
      `cycle ${state.cycle}`,
      `up ${formatNs(Math.max(0, Math.round((endMs - frame.startedAtMs) / 1000)) * 1e9)}`,
      `${formatNs(frame.intervalNs)} windows`,
      `window ended ${Number.isFinite(endMs) ? new Date(endMs).toISOString().slice(11, 19) + ' UTC' : report.windowEnd}`,
    ].join(' · '),
    counts: state.entries.length
      ? `${counts.new} new · ${counts.ongoing} ongoing · ${counts.resolved} resolved`
      : 'no findings',
    rows: state.entries.map((e) => rowView(e, endMs)),
    empty: state.entries.length ? null : `${OK_ICON} no findings in this window`,
    coverage: missing.length ? `not observed: ${missing.join(', ')}` : null,
    partial: report.partial,
    footer: '[Ctrl+C] quit',
  };
}

function rowView(e: WatchEntry, endMs: number): WatchRowView {
  const f = e.finding;
  const style = SEVERITY_STYLE[f.severity];
  const ago = (ms: number) => formatNs(Math.max(0, Math.round((endMs - ms) / 1000)) * 1e9);
  const age =
    e.status === 'resolved'
      ? `resolved ${e.resolvedAtMs === endMs ? 'in this window' : `${ago(e.resolvedAtMs ?? endMs)} ago`}`
      : e.status === 'new'
        ? 'since this window'
        : `for ${ago(e.sinceMs)}`;
  return {
    status: e.status,
    label: STATUS[e.status].label,
    mark: STATUS[e.status].mark,
    tone: e.status === 'resolved' ? 'ok' : style.tone,
    severity: f.severity,
    icon: style.icon,
    title: f.title,
    value:
      f.threshold > 0
        ? `${formatValue(f.unit, f.value)} (threshold ${formatValue(f.unit, f.threshold)})`
        : formatValue(f.unit, f.value),
    age,
    changes: e.changes.map((c) =>
      c.from === ''
        ? `${c.what}: ${c.to}`
        : c.to === ''
          ? `${c.what} gone: ${c.from}`
          : `${c.what} ${c.from} → ${c.to}`,
    ),
  };
}

/** One window as a plain-text block (non-TTY stdout with -o plain). */
export function renderWatchPlain(frame: WatchFrame, opts: { color: boolean; width?: number }): string {
  const v = toWatchView(frame);
  const p = makePalette(opts.color);
  const width = Math.max(60, opts.width ?? 80);
  const out = [
    `${p.bold(v.title)}  ${p.dim(v.status)}`,
    `  ${v.counts}${v.partial ? ' (partial window)' : ''}`,
  ];
  if (v.empty) out.push(`  ${p.tone('ok', v.empty)}`);
  const labelWidth = Math.max(...v.rows.map((r) => r.label.length), 0);
  for (const r of v.rows) {
    const lead = `  ${r.mark} ${r.label.padEnd(labelWidth)} `;
    const text = `${r.icon} ${r.title} · ${r.value} · ${r.age}`;
    const pad = ' '.repeat(lead.length);
    wrap(text, width - lead.length).forEach((line, i) => {
      out.push(i === 0 ? p.tone(r.tone, lead) + (r.status === 'resolved' ? p.dim(line) : line) : pad + line);
    });
    for (const c of r.changes) {
      wrap(c, width - pad.length - 2).forEach((line, i) =>
        out.push(pad + p.dim((i === 0 ? '  ' : '    ') + line)),
      );
    }
  }
  if (v.coverage) out.push(`  ${p.tone('warning', v.coverage)}`);
  return out.join('\n') + '\n\n';
}

/** One window as one JSON line: the diff, each finding in full with its status, and what was not observed. */
export function renderWatchJson(frame: WatchFrame): string {
  const { state, report } = frame;
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const doc = {
    cycle: state.cycle,
    windowStart: report.windowStart,
    windowEnd: report.windowEnd,
    durationNs: report.durationNs,
    partial: report.partial,
    counts: countByStatus(state),
    findings: state.entries.map((e) => ({
      status: e.status,
      since: iso(e.sinceMs),
      lastSeen: iso(e.lastSeenMs),
      resolvedAt: iso(e.resolvedAtMs),
      changes: e.changes,
      finding: e.finding,
    })),
    coverage: report.coverage
      .filter((c) => c.state !== 'ok')
      .map((c) => ({ name: c.name, state: c.state, hint: c.hint })),
    ...(report.timeline ? { timeline: report.timeline } : {}),
  };
  return JSON.stringify(doc) + '\n';
}
