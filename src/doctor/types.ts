import type { CollectorCoverage, HostInfo, SelfCost, Signals } from '../signals/types.js';
import type { ThresholdKey, Thresholds } from './thresholds.js';

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * What a finding's `value` and `threshold` count: durations in ns, percent (0–100), events per second,
 * bytes, bytes per second, a plain count, or a bit mask (the kernel's taint flags).
 */
export type MetricUnit = 'ns' | 'percent' | 'per_sec' | 'bytes' | 'bytes_per_sec' | 'count' | 'bitmask';

export interface Finding {
  /** snake_case rule id, e.g. memory_limit_pressure. */
  rule: string;
  severity: Severity;
  title: string;
  /** Signals key the rule read (syscall, tcp, cgroupMemory …). */
  signal: string;
  /** What the finding is about: a pid, a cgroup, a connection, a device; "" for host-wide findings. */
  subject: string;
  cause: string;
  impact: string;
  evidence: string[];
  /** Copy-paste commands / steps. */
  fix: string[];
  /** Time until the bad outcome (FD limit, OOM kill), ns; omitted when no reliable estimate exists. */
  etaNs?: number;
  metric: string;
  /** Unit of `value` and `threshold`; every rule states it, readers of older reports may find it absent. */
  unit: MetricUnit;
  value: number;
  threshold: number;
  process?: string;
  pid?: number;
  /**
   * Additive: when the finding first appeared, RFC 3339 UTC with ms — the first of the window's 1-s
   * cumulative snapshots on which its rule reported it (reference §4.5). Absent where no per-second
   * sampling ran (a daemon window).
   */
  onset?: string;
}

/**
 * Documentation of a rule for `kerno explain --rule` (additive). Methods, not function-valued properties,
 * so a Rule over a subset of the thresholds stays assignable to a Rule over a wider set.
 */
export interface RuleDoc<T = Record<string, number>> {
  /** Severities the rule can produce, e.g. "WARNING, CRITICAL". */
  severity: string;
  /** What makes it fire, in words, with the given thresholds filled in. */
  trigger(thresholds: T): string;
  /** Why an on-call engineer should care. */
  why: string;
  /** Generic fix steps (findings carry the same steps with the real pid / cgroup / device filled in). */
  fix: string[];
  // Which `kerno chaos` scenario induces the condition is declared by the scenario (src/chaos/registry.ts).
}

/** A rule: metadata plus a pure function of Signals and thresholds. Rules never touch the kernel or fs. */
export interface Rule<T = Record<string, number>> {
  id: string;
  signal: string;
  description: string;
  defaults: T;
  evaluate(signals: Signals, thresholds: T): Finding[];
  /** Additive: documentation for `kerno explain --rule`. */
  doc?: RuleDoc<T>;
  /** Additive: run only when every other rule produced no finding and none failed (healthy_system). */
  onlyIfNoFindings?: boolean;
  /**
   * The threshold a finding of this rule quotes, by severity (and metric, for rules with several): the
   * paired-rule e2e test checks the finding quotes that key's production default (one of the rule's own
   * `defaults`: test/unit/chaos/rule-table.test.ts). Rules without thresholds
   * omit it.
   */
  judgedBy?(f: Pick<Finding, 'severity' | 'metric'>): ThresholdKey;
}

/** A rule as the engine sees it: it receives the full thresholds and reads its own keys. */
export type AnyRule = Rule<Partial<Thresholds>>;

/** A rule that threw during evaluation: the run continues, the report says which rule could not judge. */
export interface RuleError {
  rule: string;
  /** Why it failed, without the rule's id (renderers say which rule). */
  error: string;
}

export interface ReportSummary {
  critical: number;
  warning: number;
  info: number;
  eventsCollected: number;
}

export interface Report {
  schemaVersion: number;
  tool: { name: 'kerno'; version: string };
  host: HostInfo;
  windowStart: string;
  windowEnd: string;
  durationNs: number;
  /** True when the window was ended early (Ctrl+C) and the data is partial. */
  partial: boolean;
  findings: Finding[];
  summary: ReportSummary;
  coverage: CollectorCoverage[];
  /** Additive: rules that threw and therefore could not judge their signal (absent when none). */
  ruleErrors?: RuleError[];
  /** Additive: the findings in order of onset with causal links; present when findings carry an onset. */
  timeline?: Timeline;
  /** Additive: what kerno's own BPF programs cost during the window (absent when nothing was loaded). */
  selfCost?: SelfCost;
  /** Additive: the AI summary asked for with `kerno doctor --ai` (absent otherwise). */
  ai?: ReportAi;
  signals: Signals;
}

/** One likely root cause named by the model. */
export interface AiCause {
  description: string;
  /** 0–1, when the model gave one. */
  confidence?: number;
  fix: string[];
}

/** What a model answered, in the shape the prompt asks for (src/ai/answer.ts; plain text → summary only). */
export interface AiAnswer {
  summary: string;
  why?: string;
  impact?: string;
  fix: string[];
  causes: AiCause[];
}

/** The AI section of a report: who was asked, under which privacy mode, and the answer or why there is none. */
export interface ReportAi {
  provider: string;
  model: string;
  privacy: 'full' | 'redacted' | 'summary';
  /** True when the answer came from the local cache (nothing was sent). */
  cached: boolean;
  answer?: AiAnswer;
  /** One line: why no answer (timeout, HTTP status, rate limit). */
  error?: string;
}

/** One finding on the timeline (the finding itself is in `findings`, same rule and subject). */
export interface TimelineEvent {
  rule: string;
  subject: string;
  signal: string;
  severity: Severity;
  title: string;
  /** RFC 3339 UTC with ms, the finding's `onset`. */
  onset: string;
  /** ms from the window start to the onset. */
  offsetMs: number;
  metric: string;
  unit: MetricUnit;
  value: number;
}

/** A plausible cause → effect pair: the cause's onset is not later than the effect's, within the row's gap. */
export interface TimelineLink {
  /** Index into `events` of the cause. */
  cause: number;
  /** Index into `events` of the effect. */
  effect: number;
  /** Effect onset − cause onset, ms (≥ 0). */
  gapMs: number;
  /** 0–1, from the cause → effect table (src/doctor/timeline.ts). */
  confidence: number;
  /** Why the cause can produce the effect, one line. */
  why: string;
}

export interface Timeline {
  /** In order of onset, then rule, then subject. */
  events: TimelineEvent[];
  links: TimelineLink[];
}
