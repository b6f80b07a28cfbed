import type { CollectorCoverage, HostInfo, Signals } from '../signals.js';

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

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
  value: number;
  threshold: number;
  process?: string;
  pid?: number;
}

/** A rule: metadata plus a pure function of Signals and thresholds. Rules never touch the kernel or fs. */
export interface Rule<T = Record<string, number>> {
  id: string;
  signal: string;
  description: string;
  defaults: T;
  evaluate(signals: Signals, thresholds: T): Finding[];
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
  signals: Signals;
}
