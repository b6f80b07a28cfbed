// Report → ViewModel: every word, number format and ordering decision of the human-readable outputs is made
// here, once. plain/, md and ink/ only lay the ViewModel out, so the three always say the same thing.
import type { Finding, Report, RuleError, Severity, Timeline } from '../doctor/types.js';
import type { CollectorCoverage, HostEnvironment, SelfCost } from '../signals/types.js';
import { formatCount, formatEta, formatNs, formatPct, formatValue } from '../doctor/format.js';
import {
  judgeCoverage,
  type CollectorJudgement,
  type CoverageJudgement,
  type CoverageShortfall,
} from '../doctor/coverage.js';
import { OFF_ICON, OK_ICON, SEVERITY_STYLE, type Tone } from './tone.js';

export type { Tone } from './tone.js';

export interface ViewModelOptions {
  /** --only-critical: show critical findings only, and say how many others were hidden. */
  onlyCritical?: boolean;
}

export interface LabelledValue {
  label: string;
  value: string;
}

export interface HeaderView {
  /** Literal "KERNO DOCTOR": scripts grep for it. */
  title: string;
  subtitle: string;
  rows: LabelledValue[];
}

export interface NoticeView {
  tone: Tone;
  icon: string;
  title: string;
  text: string;
}

export interface TriageView {
  /** One mark per shown finding, in rank order; a single ✓ when there are none. */
  marks: { icon: string; tone: Tone }[];
  counts: string;
  window: string;
  /** Set when --only-critical hid findings. */
  hidden: string | null;
}

export interface MeasureView {
  metric: string;
  value: string;
  threshold: string;
  /** "1.8×": value ÷ threshold. */
  ratio: string;
  /** Bar geometry in [0, 1]: where the value bar ends and where the threshold mark sits. */
  fill: number;
  mark: number;
}

export interface FindingView {
  rank: number;
  rule: string;
  severity: Severity;
  label: string;
  icon: string;
  tone: Tone;
  title: string;
  /** "~4m", or null when the finding has no reliable estimate. */
  eta: string | null;
  /** Subject, Process, Signal — only the rows that have something to say. */
  rows: LabelledValue[];
  evidence: string[];
  measure: MeasureView | null;
  cause: string;
  impact: string;
  fix: string[];
}

export interface ActionView {
  rank: number;
  /** "NOW" for critical, "SOON" for warning. */
  tag: string;
  tone: Tone;
  title: string;
  /** Who it is about (process or subject), "" when host-wide. */
  context: string;
  /** The first fix command, or null when the finding has none. */
  command: string | null;
}

export interface CoverageLineView {
  name: string;
  tone: Tone;
  icon: string;
  /** "disk: failed to load — <hint>", "tcp: restarted 2×", … */
  text: string;
}

export interface CoverageRowView {
  tone: Tone;
  cells: string[];
}

/** kerno's own probes: one line for the totals, then a row per program that ran. */
export interface SelfCostView {
  tone: Tone;
  icon: string;
  /** "kerno's own probes: 1,234,567 runs, 312ms of CPU = 1.04% of one CPU over the window" */
  line: string;
  table: { head: string[]; rows: CoverageRowView[] };
}

export interface CoverageView {
  /** Every collector ran the whole window with nothing dropped, restarted or missing. */
  complete: boolean;
  tone: Tone;
  icon: string;
  headline: string;
  /** One line per collector with something to report, not-observed first. */
  lines: CoverageLineView[];
  table: { head: string[]; rows: CoverageRowView[] };
  /** kerno's own cost; null when the report has none (nothing loaded, an older producer). */
  selfCost: SelfCostView | null;
}

export interface TimelineEventView {
  /** "10:00:04" (UTC, as the header's window). */
  time: string;
  /** "+4s" from the window start. */
  offset: string;
  icon: string;
  tone: Tone;
  /** Title and value: "I/O Pressure Stall · 31%". */
  text: string;
  /** One line per plausible cause: "after Disk I/O Bottleneck on vda (+2s, 85%): <why>". */
  causes: string[];
}

export interface TimelineView {
  title: string;
  /** Each causal chain ending in a finding with no effect of its own, as one line: "10:00:04 a → 10:00:06 b". */
  chains: string[];
  events: TimelineEventView[];
  /** How to read it: what an onset is, what a link claims. */
  note: string;
}

export interface SummaryView {
  rows: LabelledValue[];
  hints: LabelledValue[];
}

export interface ViewModel {
  header: HeaderView;
  /** Set when the window was ended early; every format states it. */
  partial: NoticeView | null;
  triage: TriageView;
  findings: FindingView[];
  /** Shown instead of finding cards when there are none. */
  noFindings: string | null;
  actions: ActionView[];
  /** Findings in order of onset with causal links; null unless more than one shown finding has an onset. */
  timeline: TimelineView | null;
  coverage: CoverageView;
  summary: SummaryView;
  /** The --quiet line, or null when a warning/critical finding means the full report must be shown. */
  quietLine: string | null;
}

export function toViewModel(report: Report, opts: ViewModelOptions = {}): ViewModel {
  const shown = opts.onlyCritical
    ? report.findings.filter((f) => f.severity === 'critical')
    : report.findings;
  const hiddenCount = report.findings.length - shown.length;
  const judged = judgeCoverage(report.coverage, report.ruleErrors ?? []);
  const coverage = coverageView(judged, report.host.environment, report.selfCost);
  const windowText = windowLabel(report);
  return {
    header: headerView(report, judged),
    partial: report.partial
      ? {
          tone: 'warning',
          icon: SEVERITY_STYLE.warning.icon,
          title: 'PARTIAL WINDOW',
          text: `The window was ended early after ${formatNs(report.durationNs)}; findings reflect partial data.`,
        }
      : null,
    triage: {
      marks: shown.length
        ? shown.map((f) => ({ icon: SEVERITY_STYLE[f.severity].icon, tone: SEVERITY_STYLE[f.severity].tone }))
        : [{ icon: OK_ICON, tone: 'ok' }],
      counts: severityCounts(shown),
      window:
        `${windowText} · ${plural(report.summary.eventsCollected, 'event')}` +
        (report.selfCost?.counted ? ` · kerno's probes used ${selfCostShare(report.selfCost)}` : ''),
      hidden:
        hiddenCount > 0 ? `${plural(hiddenCount, 'non-critical finding')} hidden (--only-critical)` : null,
    },
    findings: shown.map((f, i) => findingView(f, i + 1)),
    noFindings: shown.length
      ? null
      : coverage.complete
        ? 'No findings: every kernel signal stayed within its thresholds.'
        : 'No findings in the signals that were observed; see COVERAGE for what was not.',
    actions: actionsView(shown),
    timeline: report.timeline ? timelineView(report.timeline, shown) : null,
    coverage,
    summary: summaryView(report, shown, judged),
    quietLine: quietLine(report, judged, shown, hiddenCount, windowText),
  };
}

// ---------------------------------------------------------------------------------------------- header

function headerView(report: Report, judged: CoverageJudgement): HeaderView {
  const { loaded, total } = programCounts(report.coverage);
  return {
    title: 'KERNO DOCTOR',
    subtitle: 'Kernel Diagnostic Report',
    rows: [
      { label: 'Host', value: report.host.hostname },
      { label: 'Kernel', value: `${report.host.kernelRelease} · ${report.host.arch}` },
      ...(report.host.environment !== undefined
        ? [{ label: 'Runs on', value: environmentLabel(report.host.environment) }]
        : []),
      {
        label: 'Window',
        value: `${windowLabel(report)} · ${timeRange(report.windowStart, report.windowEnd)}`,
      },
      { label: 'Events', value: plural(report.summary.eventsCollected, 'event') + ' seen' },
      {
        label: 'Probes',
        value: `${loaded}/${total} eBPF programs loaded · ${observingRatio(judged)} collectors observing`,
      },
      { label: 'Version', value: `${report.tool.name} ${report.tool.version}` },
    ],
  };
}

const ENVIRONMENT_TEXT: Record<HostEnvironment['kind'], string> = {
  kubernetes: 'Kubernetes',
  container: 'container',
  systemd: 'systemd host',
  'bare-metal': 'bare metal',
};

/** "Kubernetes · node node-a1 · 42 pods named", "systemd host". */
function environmentLabel(env: HostEnvironment): string {
  const parts = [ENVIRONMENT_TEXT[env.kind]];
  if (env.nodeName !== undefined) parts.push(`node ${env.nodeName}`);
  if (env.podNames?.state === 'ok') parts.push(`${plural(env.podNames.pods, 'pod')} named by the kubelet`);
  return parts.join(' · ');
}

/** Why findings name cgroup paths instead of pods, when the pod lookup is on and could not (fully) help. */
function podNamesLine(env: HostEnvironment | undefined): CoverageLineView | undefined {
  const s = env?.podNames;
  if (s === undefined || (s.state === 'ok' && s.reason === undefined)) return undefined;
  const tone: Tone = s.state === 'unavailable' ? 'warning' : 'info';
  const text =
    s.state === 'ok'
      ? `pod names: ${s.reason} — pods started since are shown as cgroup paths`
      : s.state === 'pending'
        ? 'pod names: the kubelet had not answered yet — findings name cgroup paths'
        : `pod names: unavailable (${s.error ?? 'error'}) — ${s.reason ?? 'no reason given'}; findings name cgroup paths`;
  return {
    name: 'pod names',
    tone,
    icon: SEVERITY_STYLE[tone === 'warning' ? 'warning' : 'info'].icon,
    text,
  };
}

function windowLabel(report: Report): string {
  return `${formatNs(report.durationNs)}${report.partial ? ' partial' : ''} window`;
}

/** "2025-01-15 10:00:00 → 10:00:30 UTC"; the raw strings when they are not timestamps. */
function timeRange(start: string, end: string): string {
  const a = new Date(start);
  const b = new Date(end);
  if (Number.isNaN(a.getTime()) || Number.isNaN(b.getTime())) return `${start} → ${end}`;
  const [aDate, aTime] = isoParts(a);
  const [bDate, bTime] = isoParts(b);
  return aDate === bDate ? `${aDate} ${aTime} → ${bTime} UTC` : `${aDate} ${aTime} → ${bDate} ${bTime} UTC`;
}

function isoParts(d: Date): [string, string] {
  const iso = d.toISOString();
  return [iso.slice(0, 10), iso.slice(11, 19)];
}

// ---------------------------------------------------------------------------------------------- findings

function findingView(f: Finding, rank: number): FindingView {
  const style = SEVERITY_STYLE[f.severity];
  const rows: LabelledValue[] = [];
  const proc = processLabel(f);
  if (f.subject) rows.push({ label: 'Subject', value: f.subject });
  if (proc && proc !== f.subject) rows.push({ label: 'Process', value: proc });
  rows.push({ label: 'Signal', value: `${f.signal} (rule ${f.rule})` });
  return {
    rank,
    rule: f.rule,
    severity: f.severity,
    label: style.label,
    icon: style.icon,
    tone: style.tone,
    title: f.title,
    eta: f.etaNs !== undefined && f.etaNs > 0 ? formatEta(f.etaNs) : null,
    rows,
    evidence: f.evidence,
    measure: measureView(f),
    cause: f.cause,
    impact: f.impact,
    fix: f.fix,
  };
}

function processLabel(f: Finding): string {
  if (f.process && f.pid !== undefined) return `${f.process} (pid ${f.pid})`;
  if (f.process) return f.process;
  if (f.pid !== undefined) return `pid ${f.pid}`;
  return '';
}

/** Where the threshold sits on a value bar: leaves room to show values up to 2.5× the threshold. */
const THRESHOLD_MARK = 0.4;

function measureView(f: Finding): MeasureView | null {
  if (!(f.value > 0) || !(f.threshold > 0)) return null;
  const ratio = f.value / f.threshold;
  return {
    metric: f.metric,
    value: formatInUnit(f.unit, f.value),
    threshold: formatInUnit(f.unit, f.threshold),
    ratio: `${ratio.toFixed(ratio < 10 ? 1 : 0)}×`,
    fill: Math.min(1, ratio * THRESHOLD_MARK),
    mark: THRESHOLD_MARK,
  };
}

/** A finding's value in the unit its rule stated (shared with `kerno doctor --watch`'s evidence diff). */
export const formatInUnit = formatValue;

function actionsView(findings: Finding[]): ActionView[] {
  return findings
    .filter((f) => f.severity !== 'info')
    .map((f, i) => ({
      rank: i + 1,
      tag: f.severity === 'critical' ? 'NOW' : 'SOON',
      tone: SEVERITY_STYLE[f.severity].tone,
      title: f.title,
      context: processLabel(f) || f.subject,
      command: f.fix[0] ?? null,
    }));
}

function severityCounts(findings: Finding[]): string {
  if (!findings.length) return 'no findings';
  const n = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return `${n('critical')} critical · ${n('warning')} warning · ${n('info')} info`;
}

// ---------------------------------------------------------------------------------------------- timeline

/**
 * The timeline restricted to the shown findings (--only-critical hides the others, and their links); null
 * when fewer than two remain, as one event has no order to show.
 */
function timelineView(timeline: Timeline, shown: Finding[]): TimelineView | null {
  const keep = new Set(shown.map((f) => `${f.rule}\u0000${f.subject}`));
  const index = new Map<number, number>();
  const events = timeline.events.filter((e, i) => {
    if (!keep.has(`${e.rule}\u0000${e.subject}`)) return false;
    index.set(i, index.size);
    return true;
  });
  if (events.length < 2) return null;
  const links = timeline.links
    .filter((l) => index.has(l.cause) && index.has(l.effect))
    .map((l) => ({ ...l, cause: index.get(l.cause)!, effect: index.get(l.effect)! }));
  const label = (i: number): string => {
    const e = events[i]!;
    // A count or a bit mask says nothing without its metric's name; the title already does.
    const measured = e.value > 0 && e.unit !== 'count' && e.unit !== 'bitmask';
    return measured ? `${e.title} · ${formatInUnit(e.unit, e.value)}` : e.title;
  };
  const time = (i: number): string => clockTime(events[i]!.onset);
  const views: TimelineEventView[] = events.map((e, i) => ({
    time: time(i),
    offset: `+${formatNs(Math.round(e.offsetMs / 1000) * 1e9)}`,
    icon: SEVERITY_STYLE[e.severity].icon,
    tone: SEVERITY_STYLE[e.severity].tone,
    text: label(i),
    causes: links
      .filter((l) => l.effect === i)
      .sort((a, b) => b.confidence - a.confidence || a.cause - b.cause)
      .map(
        (l) =>
          `after ${events[l.cause]!.title} (+${formatNs(Math.round(l.gapMs / 1000) * 1e9)}, ${Math.round(l.confidence * 100)}%): ${l.why}`,
      ),
  }));
  return {
    title: 'CAUSAL TIMELINE',
    chains: causalChains(events.length, links).map((path) =>
      path.map((i) => `${time(i)} ${label(i)}`).join(' → '),
    ),
    events: views,
    note: 'Onset: the first second the rule fired. A link is a known mechanism with the right order and gap: a lead, not proof.',
  };
}

/**
 * One chain per end of a causal path (an event that is an effect and causes nothing): the longest path of
 * links leading to it (ties: the more confident), in order of the end's onset.
 */
function causalChains(
  n: number,
  links: readonly { cause: number; effect: number; confidence: number }[],
): number[][] {
  const memo = new Map<number, { path: number[]; score: number }>();
  const longest = (i: number, visiting: Set<number>): { path: number[]; score: number } => {
    const hit = memo.get(i);
    if (hit) return hit;
    let best = { path: [i], score: 1 };
    visiting.add(i);
    for (const l of links) {
      if (l.effect !== i || visiting.has(l.cause)) continue;
      const sub = longest(l.cause, visiting);
      const cand = { path: [...sub.path, i], score: sub.score * l.confidence };
      if (
        cand.path.length > best.path.length ||
        (cand.path.length === best.path.length && cand.score > best.score)
      )
        best = cand;
    }
    visiting.delete(i);
    memo.set(i, best);
    return best;
  };
  const chains: number[][] = [];
  for (let end = 0; end < n; end++) {
    const isEffect = links.some((l) => l.effect === end);
    if (!isEffect || links.some((l) => l.cause === end)) continue;
    chains.push(longest(end, new Set()).path);
  }
  return chains;
}

/** "10:00:04" (UTC) from an RFC 3339 timestamp; the raw text when it is not one. */
function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}

// ---------------------------------------------------------------------------------------------- coverage

function shortfallText(s: CoverageShortfall): string {
  switch (s.kind) {
    case 'failed':
      return 'failed to load';
    case 'disabled':
      return s.faults > 0 ? `disabled after ${plural(s.faults, 'fault')}` : 'disabled';
    case 'unsupported':
      return 'not supported on this machine';
    case 'off':
      return 'off in config';
    case 'programs':
      return `${s.loaded}/${s.total} programs loaded`;
    case 'restarted':
      return `restarted ${s.times}×`;
    case 'dropped':
      return `${plural(s.events, 'event')} dropped`;
  }
}

/** "failed to load", "restarted 2×, 3 events dropped" */
function reasons(j: CollectorJudgement): string {
  return j.shortfalls.map(shortfallText).join(', ');
}

/** Programs shown by name; the rest are summed into one row (a report stays readable with 40 programs). */
const SELF_COST_ROWS = 8;

/** "0.31% of one CPU": what kerno's probes took of the window, the figure a person compares with a budget. */
export function selfCostShare(c: SelfCost): string {
  return `${formatPct(c.cpuPctOfOneCore)} of one CPU`;
}

function selfCostView(c: SelfCost): SelfCostView {
  if (!c.counted) {
    return {
      tone: 'muted',
      icon: OFF_ICON,
      line: `kerno's own probes: run time not counted — ${c.reason ?? 'BPF statistics unavailable'}`,
      table: { head: [], rows: [] },
    };
  }
  const misses =
    c.totalRecursionMisses > 0
      ? `; ${plural(c.totalRecursionMisses, 'event')} skipped by the kernel (program already running on that CPU)`
      : '';
  const row = (name: string, runs: number, runTimeNs: number, misses: number): CoverageRowView => ({
    tone: misses > 0 ? 'warning' : 'plain',
    cells: [
      name,
      formatCount(runs),
      runs > 0 ? formatNs(runTimeNs / runs) : '—',
      formatNs(runTimeNs),
      formatCount(misses),
    ],
  });
  const ran = c.programs.filter((p) => p.runs > 0 || p.recursionMisses > 0);
  const rows = ran
    .slice(0, SELF_COST_ROWS)
    .map((p) => row(`${p.object}/${p.program}`, p.runs, p.runTimeNs, p.recursionMisses));
  const rest = ran.slice(SELF_COST_ROWS);
  if (rest.length > 0) {
    const sum = (k: 'runs' | 'runTimeNs' | 'recursionMisses') => rest.reduce((n, p) => n + p[k], 0);
    rows.push(
      row(`${plural(rest.length, 'other program')}`, sum('runs'), sum('runTimeNs'), sum('recursionMisses')),
    );
  }
  return {
    tone: c.totalRecursionMisses > 0 ? 'warning' : 'info',
    icon: c.totalRecursionMisses > 0 ? SEVERITY_STYLE.warning.icon : SEVERITY_STYLE.info.icon,
    line:
      `kerno's own probes: ${plural(c.totalRuns, 'run')}, ${formatNs(c.totalRunTimeNs)} of CPU = ` +
      `${selfCostShare(c)} over the window${misses}`,
    table: { head: ['Program', 'Runs', 'Avg', 'CPU', 'Skipped'], rows },
  };
}

function coverageView(judged: CoverageJudgement, env?: HostEnvironment, cost?: SelfCost): CoverageView {
  const { collectors, notObserved: missing, incomplete, ruleErrors } = judged;
  const line = (a: CollectorJudgement): CoverageLineView => {
    const hint = a.entry.hint || (a.observed ? '' : a.entry.error) || '';
    const off = a.entry.state === 'off';
    return {
      name: a.entry.name,
      tone: off ? 'muted' : a.observed ? 'info' : 'warning',
      icon: off ? OFF_ICON : a.observed ? SEVERITY_STYLE.info.icon : SEVERITY_STYLE.warning.icon,
      text: `${a.entry.name}: ${reasons(a)}${hint ? ` — ${hint}` : ''}`,
    };
  };
  const ruleLine = (e: RuleError): CoverageLineView => ({
    name: e.rule,
    tone: 'warning',
    icon: SEVERITY_STYLE.warning.icon,
    // The engine prefixes errors with "rule <id>: "; the line already names the rule.
    text: `rule ${e.rule}: could not evaluate — ${e.error}`,
  });
  const gaps: string[] = [];
  if (judged.empty) gaps.push('No collector reported coverage: nothing was observed.');
  if (missing.length) gaps.push(`Not observed: ${missing.map((a) => a.entry.name).join(', ')}.`);
  if (ruleErrors.length) gaps.push(`Not evaluated: ${ruleErrors.map((e) => `rule ${e.rule}`).join(', ')}.`);
  let headline: string;
  let tone: Tone;
  if (gaps.length) {
    tone = 'warning';
    headline = `${gaps.join(' ')} No finding there does not mean no problem.`;
  } else if (incomplete.length) {
    tone = 'info';
    headline = `All ${plural(collectors.length, 'collector')} ran; data from ${incomplete.map((a) => a.entry.name).join(', ')} is incomplete.`;
  } else {
    tone = 'ok';
    headline = `All ${plural(collectors.length, 'collector')} observed the whole window.`;
  }
  return {
    complete: judged.complete,
    tone,
    icon:
      tone === 'ok' ? OK_ICON : tone === 'warning' ? SEVERITY_STYLE.warning.icon : SEVERITY_STYLE.info.icon,
    headline,
    lines: [
      ...missing.map(line),
      ...ruleErrors.map(ruleLine),
      ...incomplete.map(line),
      ...[podNamesLine(env)].filter((l): l is CoverageLineView => l !== undefined),
    ],
    table: {
      head: ['Collector', 'State', 'Programs', 'Events', 'Dropped', 'Restarts'],
      rows: collectors.map((a) => ({
        tone: !a.observed
          ? a.entry.state === 'off'
            ? 'muted'
            : 'warning'
          : a.shortfalls.length
            ? 'info'
            : 'plain',
        cells: [
          a.entry.name,
          a.entry.state,
          a.entry.programsTotal > 0 ? `${a.entry.programsLoaded}/${a.entry.programsTotal}` : '—',
          formatCount(a.entry.events),
          formatCount(a.entry.eventsDropped),
          formatCount(a.entry.restarts),
        ],
      })),
    },
    selfCost: cost ? selfCostView(cost) : null,
  };
}

function programCounts(entries: CollectorCoverage[]): { loaded: number; total: number } {
  return entries.reduce(
    (acc, c) => ({ loaded: acc.loaded + c.programsLoaded, total: acc.total + c.programsTotal }),
    { loaded: 0, total: 0 },
  );
}

/** "7/10": collectors that observed (part of) the window, of all collectors. */
function observingRatio(judged: CoverageJudgement): string {
  return `${judged.collectors.length - judged.notObserved.length}/${judged.collectors.length}`;
}

// ---------------------------------------------------------------------------------------------- summary

function summaryView(report: Report, shown: Finding[], judged: CoverageJudgement): SummaryView {
  const { loaded, total } = programCounts(report.coverage);
  const dropped = report.coverage.reduce((n, c) => n + c.eventsDropped, 0);
  return {
    rows: [
      { label: 'Findings', value: severityCounts(shown) },
      { label: 'Events collected', value: formatCount(report.summary.eventsCollected) },
      { label: 'Events dropped', value: formatCount(dropped) },
      { label: 'Window', value: `${formatNs(report.durationNs)}${report.partial ? ' (partial)' : ''}` },
      { label: 'eBPF programs', value: `${loaded}/${total} loaded` },
      { label: 'Collectors', value: `${observingRatio(judged)} observing` },
      { label: 'Coverage', value: judged.complete ? 'complete' : 'incomplete (see COVERAGE)' },
      ...(report.selfCost?.counted
        ? [{ label: "kerno's own cost", value: `probes used ${selfCostShare(report.selfCost)}` }]
        : []),
    ],
    hints: [
      { label: '--output json', value: 'machine-readable report (docs/report-schema.md)' },
      { label: '--output md', value: 'paste into Slack or an incident doc' },
    ],
  };
}

// ---------------------------------------------------------------------------------------------- quiet

/**
 * The --quiet line. It claims "all kernel signals nominal" only when nothing is missing; otherwise it names
 * what was not observed or is incomplete, so "no findings" is never read as "no problem".
 */
function quietLine(
  report: Report,
  judged: CoverageJudgement,
  shown: Finding[],
  hiddenCount: number,
  windowText: string,
): string | null {
  if (shown.some((f) => f.severity !== 'info')) return null;
  const stats = `(${windowText}, ${plural(report.summary.eventsCollected, 'event')})`;
  const { notObserved: missing, incomplete, ruleErrors } = judged;
  const hiddenWarnings = report.findings.some((f) => f.severity === 'warning');
  if (judged.complete && hiddenCount === 0) {
    return `kerno: ${OK_ICON} all kernel signals nominal ${stats}`;
  }
  const parts = [
    `kerno: ${OK_ICON} no ${hiddenWarnings ? 'critical findings' : 'issues'} in observed signals ${stats}`,
  ];
  const describe = (a: CollectorJudgement) => `${a.entry.name} (${reasons(a)})`;
  if (judged.empty) parts.push('not observed: no collector reported coverage');
  if (missing.length) parts.push(`not observed: ${missing.map(describe).join(', ')}`);
  if (ruleErrors.length) parts.push(`not evaluated: ${ruleErrors.map((e) => `rule ${e.rule}`).join(', ')}`);
  if (incomplete.length) parts.push(`incomplete: ${incomplete.map(describe).join(', ')}`);
  if (hiddenCount > 0) parts.push(`${plural(hiddenCount, 'non-critical finding')} hidden by --only-critical`);
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------- numbers

function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}
