// The doctor engine: run every rule over one Signals snapshot, isolate failures, rank and dedupe the
// findings, and assemble the report (reference §4.1, §4.3). Pure: no I/O, no clock. The rules are an input
// (the registry is rules/index.ts, wired by the CLI and the daemon), so the engine depends on no rule.
import { SCHEMA_VERSION, type SelfCost, type Signals } from '../signals/types.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.js';
import { validEtaNs } from './eta.js';
import { buildTimeline } from './timeline.js';
import { SEVERITY_RANK, type AnyRule, type Finding, type Report, type RuleError } from './types.js';

export interface EvaluateOptions {
  /** Called for each rule that throws; the run continues without it. */
  onRuleError?: (error: RuleError, cause: unknown) => void;
}

export interface Evaluation {
  /** Ranked, one per (rule, subject). */
  findings: Finding[];
  /** Rules that threw: they could not judge their signal. */
  ruleErrors: RuleError[];
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Enforces the Finding contract the renderers rely on; a finding with a nonsense ETA loses the ETA. */
function sanitize(f: Finding): Finding {
  if (f.etaNs === undefined) return f;
  const eta = validEtaNs(f.etaNs);
  if (eta === f.etaNs) return f;
  const { etaNs: _dropped, ...rest } = f;
  return eta === undefined ? rest : { ...rest, etaNs: eta };
}

/**
 * Runs the rules and returns ranked findings plus the rules that failed. Rules flagged `onlyIfNoFindings`
 * (healthy_system) run only when every other rule produced nothing and none threw — a rule that could not
 * judge its signal makes a health claim unfounded.
 */
export function evaluateDetailed(
  signals: Signals,
  rules: readonly AnyRule[],
  thresholds: Partial<Thresholds> = {},
  opts: EvaluateOptions = {},
): Evaluation {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const findings: Finding[] = [];
  const ruleErrors: RuleError[] = [];

  const run = (rule: AnyRule): void => {
    try {
      const out = rule.evaluate(signals, t);
      if (!Array.isArray(out)) throw new Error(`returned ${typeof out}, not a Finding[]`);
      for (const f of out) findings.push(sanitize(f));
    } catch (err) {
      const e: RuleError = { rule: rule.id, error: message(err) };
      ruleErrors.push(e);
      opts.onRuleError?.(e, err);
    }
  };

  for (const rule of rules) if (rule.onlyIfNoFindings !== true) run(rule);
  if (findings.length === 0 && ruleErrors.length === 0) {
    for (const rule of rules) if (rule.onlyIfNoFindings === true) run(rule);
  }
  return { findings: dedupeFindings(rankFindings(findings)), ruleErrors };
}

/** Ranked findings, one per (rule, subject); failing rules are reported through `opts.onRuleError`. */
export function evaluate(
  signals: Signals,
  rules: readonly AnyRule[],
  thresholds: Partial<Thresholds> = {},
  opts: EvaluateOptions = {},
): Finding[] {
  return evaluateDetailed(signals, rules, thresholds, opts).findings;
}

function magnitude(f: Finding): number {
  if (!(f.threshold > 0)) return 0;
  const r = f.value / f.threshold;
  return Number.isFinite(r) ? r : 0;
}

/**
 * Ranking (reference §4.1): severity descending; then, when both have an ETA, the sooner first; a finding
 * with an ETA before one without; then value ÷ threshold descending (threshold 0 → 0); then rule id and
 * subject, so the order never depends on the order the rules ran in.
 */
export function compareFindings(a: Finding, b: Finding): number {
  const bySeverity = SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
  if (bySeverity !== 0) return bySeverity;
  const ae = a.etaNs !== undefined;
  const be = b.etaNs !== undefined;
  if (ae && be && a.etaNs !== b.etaNs) return a.etaNs! - b.etaNs!;
  if (ae !== be) return ae ? -1 : 1;
  return magnitude(b) - magnitude(a) || byText(a.rule, b.rule) || byText(a.subject, b.subject);
}

/** Code-point order: deterministic whatever the locale. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A new array in rank order; the input is not modified. Array.prototype.sort is stable. */
export function rankFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

/** One finding per (rule, subject): the first in the given order wins (rank first to keep the worst). */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    const key = `${f.rule}\u0000${f.subject}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

/** `--only-critical`: keep CRITICAL findings only (reference §1.2). */
export function onlyCritical(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'critical');
}

/** The report as `--only-critical` shows it: critical findings only, and a timeline of those alone. */
export function onlyCriticalReport(report: Report): Report {
  const findings = onlyCritical(report.findings);
  const { timeline: _all, ...rest } = report;
  const timeline = _all ? buildTimeline(findings, Date.parse(report.windowStart)) : undefined;
  return timeline ? { ...rest, findings, timeline } : { ...rest, findings };
}

export interface ReportMeta {
  /** kerno version for `tool.version`. */
  version: string;
  /** The window ended early (Ctrl+C): the data is partial. */
  partial?: boolean;
  ruleErrors?: readonly RuleError[];
  /** kerno's own BPF cost over the window (Collection.selfCost()); reported only when programs were loaded. */
  selfCost?: SelfCost;
}

/**
 * The report for one window. When the findings carry onsets (`withOnsets`), the report has their timeline.
 * `eventsCollected` sums every collector's events (the original counted only
 * syscalls and scheduler wakeups). Coverage is copied as-is: renderers show every entry that is not `ok`.
 */
export function buildReport(signals: Signals, findings: readonly Finding[], meta: ReportMeta): Report {
  const summary = { critical: 0, warning: 0, info: 0, eventsCollected: 0 };
  for (const f of findings) summary[f.severity] += 1;
  for (const c of signals.coverage) summary.eventsCollected += Number.isFinite(c.events) ? c.events : 0;
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'kerno', version: meta.version },
    host: signals.host,
    windowStart: signals.windowStart,
    windowEnd: signals.windowEnd,
    durationNs: signals.durationNs,
    partial: meta.partial ?? false,
    findings: [...findings],
    summary,
    coverage: signals.coverage,
    signals,
  };
  if (meta.ruleErrors !== undefined && meta.ruleErrors.length > 0) report.ruleErrors = [...meta.ruleErrors];
  const timeline = buildTimeline(findings, Date.parse(signals.windowStart));
  if (timeline) report.timeline = timeline;
  if (meta.selfCost !== undefined && meta.selfCost.programs.length > 0) report.selfCost = meta.selfCost;
  return report;
}
