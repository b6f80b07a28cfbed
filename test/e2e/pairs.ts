// The induce-to-detect table, derived: how each chaos scenario is run for the paired-rule e2e test and how a
// finding of each paired rule is matched to the scenario's subject live in the scenario (`verify`), which
// threshold a finding quotes in the rule (`judgedBy`). Pure (no kernel): test/unit/chaos/rule-table.test.ts
// checks it against the scenario registry and the rules.
import type { ChaosSubject, Inducer, Intensity, SubjectMatcher } from '../../src/chaos/types.js';
import { SCENARIOS } from '../../src/chaos/registry.js';
import { ALL_RULES } from '../../rules/index.js';
import { DEFAULT_THRESHOLDS, type ThresholdKey } from '../../src/doctor/thresholds.js';
import type { Finding, Report } from '../../src/doctor/types.js';

export interface PairCase {
  scenario: string;
  intensity: Intensity;
  /** Every scenario runs with kerno's worker; those that support it also with stress-ng. */
  inducer: Inducer;
  /** Nominal length; the test stops the scenario with SIGTERM as soon as doctor is done. */
  seconds: number;
  /** The subject whose announcement means the whole incident is under way. */
  ready: (s: ChaosSubject) => boolean;
  /** Wait after `ready` before doctor starts, so the window sees the incident at full strength. */
  settleMs: number;
}

/** One run per scenario and inducer it supports, kerno-worker first, from each scenario's `verify`. */
export const PAIR_CASES: readonly PairCase[] = SCENARIOS.flatMap((s) =>
  (s.inducers ?? ['kerno-worker']).map((inducer): PairCase => {
    const ready = s.verify.ready[inducer];
    if (ready === undefined) throw new Error(`scenario ${s.name}: verify.ready has no ${inducer} entry`);
    return {
      scenario: s.name,
      inducer,
      intensity: s.verify.intensity,
      seconds: s.verify.seconds,
      ready,
      settleMs: s.verify.settleMs,
    };
  }),
);

/**
 * A group of SCENARIO_EXPECT that cannot fire on this machine for a reason outside the rule's threshold.
 * The test asserts the reason (the load was real, the blocking fact holds) instead of the finding, and fails
 * once the group does fire, so the table cannot go stale.
 */
export interface KnownGap {
  scenario: string;
  group: readonly string[];
  why: string;
  /** Problems with the stated reason (empty = the reason holds in this report). */
  check: (report: Report, subjects: readonly ChaosSubject[]) => string[];
}

// Empty since the disk collector measures what writers wait for (queueing included, REQ_SYNC writes in the
// sync class): cascade's disk stage now fires disk_io_bottleneck (sync p99 ~120 ms) even while its cpu
// stage keeps io "full" pressure at 0 %. Kept so a future gap is stated, checked and cannot go stale.
export const KNOWN_GAPS: readonly KnownGap[] = [];

// ------------------------------------------------------------------------------------------ subject matching

/** Per paired rule: does the finding name the scenario's subject (each scenario's `verify.match`)? */
export const SUBJECT_MATCHERS: Readonly<Record<string, SubjectMatcher>> = Object.assign(
  {},
  ...SCENARIOS.map((s) => s.verify.match),
);

// ------------------------------------------------------------------------------------------ thresholds

/** The DEFAULT_THRESHOLDS key a finding of this rule and severity (and metric) is judged against. */
export function thresholdKeyFor(f: Pick<Finding, 'rule' | 'severity' | 'metric'>): ThresholdKey | undefined {
  return ALL_RULES.find((r) => r.id === f.rule)?.judgedBy?.(f);
}

/**
 * The production threshold a finding must quote: proof that doctor ran with the defaults (a looser config
 * would show a smaller number). oom_kill_occurred has no threshold key and always quotes 1 kill.
 */
export function expectedThreshold(f: Finding): number | undefined {
  const key = thresholdKeyFor(f);
  if (key !== undefined) return DEFAULT_THRESHOLDS[key];
  return f.rule === 'oom_kill_occurred' ? 1 : undefined;
}
