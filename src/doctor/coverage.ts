// What the report could and could not see. "No findings" is only "healthy" when the collectors that matter
// ran; otherwise the report says what was not observed (design §5). Pure: reads Signals.coverage. This is
// the one place that judges coverage; the renderers put the judgement into words.
import {
  COLLECTOR_SIGNALS,
  type CollectorCoverage,
  type CollectorName,
  type Signals,
} from '../signals/types.js';
import type { RuleError } from './types.js';

/** Collectors that must have run before the doctor may claim the system is healthy. */
export const HEALTHY_REQUIRED: readonly CollectorName[] = ['syscall', 'sched', 'memory'];

/** States in which a collector saw nothing of the window. */
const NOT_OBSERVED_STATES: ReadonlySet<CollectorCoverage['state']> = new Set([
  'failed',
  'disabled',
  'unsupported',
  'off',
]);

/** One way a collector fell short of observing the whole window. */
export type CoverageShortfall =
  | { kind: 'failed' }
  | { kind: 'disabled'; faults: number }
  | { kind: 'unsupported' }
  | { kind: 'off' }
  | { kind: 'programs'; loaded: number; total: number }
  | { kind: 'restarted'; times: number }
  | { kind: 'dropped'; events: number };

export interface CollectorJudgement {
  entry: CollectorCoverage;
  /** It observed (part of) the window. */
  observed: boolean;
  /** Empty when the collector observed the whole window with nothing lost. */
  shortfalls: CoverageShortfall[];
}

export function judgeCollector(c: CollectorCoverage): CollectorJudgement {
  const shortfalls: CoverageShortfall[] = [];
  switch (c.state) {
    case 'failed':
      shortfalls.push({ kind: 'failed' });
      break;
    case 'disabled':
      shortfalls.push({ kind: 'disabled', faults: c.faults });
      break;
    case 'unsupported':
      shortfalls.push({ kind: 'unsupported' });
      break;
    case 'off':
      shortfalls.push({ kind: 'off' });
      break;
    case 'ok':
      if (c.programsLoaded < c.programsTotal)
        shortfalls.push({ kind: 'programs', loaded: c.programsLoaded, total: c.programsTotal });
      if (c.restarts > 0) shortfalls.push({ kind: 'restarted', times: c.restarts });
      break;
  }
  if (c.eventsDropped > 0) shortfalls.push({ kind: 'dropped', events: c.eventsDropped });
  return { entry: c, observed: !NOT_OBSERVED_STATES.has(c.state), shortfalls };
}

export interface CoverageJudgement {
  /** Every collector, in the report's order. */
  collectors: CollectorJudgement[];
  /** Collectors that saw nothing of the window. */
  notObserved: CollectorJudgement[];
  /** Collectors that observed the window but not all of it (programs missing, restarts, drops). */
  incomplete: CollectorJudgement[];
  /** Rules that threw: their signal was observed but not judged. */
  ruleErrors: RuleError[];
  /** No collector reported coverage at all: nothing was observed. */
  empty: boolean;
  /** Everything was observed and judged: only then does "no findings" mean "no problem". */
  complete: boolean;
}

export function judgeCoverage(
  coverage: readonly CollectorCoverage[],
  ruleErrors: readonly RuleError[] = [],
): CoverageJudgement {
  const collectors = coverage.map(judgeCollector);
  const notObserved = collectors.filter((j) => !j.observed);
  const incomplete = collectors.filter((j) => j.observed && j.shortfalls.length > 0);
  const empty = collectors.length === 0;
  return {
    collectors,
    notObserved,
    incomplete,
    ruleErrors: [...ruleErrors],
    empty,
    complete: !empty && !notObserved.length && !incomplete.length && !ruleErrors.length,
  };
}

export interface CoverageGap {
  name: string;
  state: CollectorCoverage['state'] | 'missing';
  /** One line: why it was not (fully) observed. */
  reason: string;
}

function describe(c: CollectorCoverage): string {
  const detail = c.hint ?? c.error;
  return detail !== undefined && detail !== '' ? `${c.state}: ${detail}` : c.state;
}

/** " (queue_full 3, ring_full 2)" when the collector said why; the reasons add up to eventsDropped. */
function why(c: CollectorCoverage): string {
  const parts = Object.entries(c.eventsDroppedByReason ?? {})
    .filter(([, n]) => n !== undefined && n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Every collector that did not run for the window, or ran but lost events. */
export function coverageGaps(signals: Signals): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const { entry: c, observed } of signals.coverage.map(judgeCollector)) {
    if (!observed) gaps.push({ name: c.name, state: c.state, reason: describe(c) });
    else if (c.eventsDropped > 0)
      gaps.push({ name: c.name, state: 'ok', reason: `ran, but dropped ${c.eventsDropped} events${why(c)}` });
  }
  return gaps;
}

/**
 * Why a healthy claim is not possible: one line per required collector that is absent from coverage, not
 * `ok`, or `ok` without having delivered its part of the snapshot. Empty when the claim is allowed.
 */
export function healthyClaimBlockers(
  signals: Signals,
  required: readonly CollectorName[] = HEALTHY_REQUIRED,
): string[] {
  const out: string[] = [];
  for (const name of required) {
    const c = signals.coverage.find((x) => x.name === name);
    if (c === undefined) out.push(`${name}: no coverage entry (collector not registered)`);
    else if (c.state !== 'ok') out.push(`${name}: ${describe(c)}`);
    else if (signals[COLLECTOR_SIGNALS[name]] === undefined)
      out.push(`${name}: ran but delivered no snapshot`);
  }
  return out;
}
