// What the report could and could not see. "No findings" is only "healthy" when the collectors that matter
// ran; otherwise the report says what was not observed (design §5). Pure: reads Signals.coverage.
import type { CollectorCoverage, CollectorName, Signals } from '../signals/types.js';

/** Collectors that must have run before the doctor may claim the system is healthy. */
export const HEALTHY_REQUIRED: readonly CollectorName[] = ['syscall', 'sched', 'memory'];

const SIGNAL_KEY: Record<CollectorName, keyof Signals> = {
  syscall: 'syscall',
  tcp: 'tcp',
  fd: 'fd',
  memory: 'memory',
  pressure: 'pressure',
  cgroup_memory: 'cgroupMemory',
  oom: 'oom',
  sched: 'sched',
  disk: 'disk',
  kernel: 'kernel',
};

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

/** Every collector that did not run for the window, or ran but lost events. */
export function coverageGaps(signals: Signals): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  for (const c of signals.coverage) {
    if (c.state !== 'ok') gaps.push({ name: c.name, state: c.state, reason: describe(c) });
    else if (c.eventsDropped > 0)
      gaps.push({ name: c.name, state: 'ok', reason: `ran, but dropped ${c.eventsDropped} events` });
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
    else if (signals[SIGNAL_KEY[name]] === undefined) out.push(`${name}: ran but delivered no snapshot`);
  }
  return out;
}
