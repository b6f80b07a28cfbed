// Causal timeline (reference §4.5, issue 18): when each finding began (its onset) and which findings
// plausibly caused which. Pure: onsets are observed by the caller (src/runtime/onset-sampler.ts evaluates
// the same rules on the window's 1-s cumulative snapshots) and handed in as epoch ms.
import type { Finding, Timeline, TimelineEvent, TimelineLink } from './types.js';

/** A finding's identity across snapshots: the engine keeps one finding per (rule, subject). */
export function findingKey(f: Pick<Finding, 'rule' | 'subject'>): string {
  return `${f.rule}\u0000${f.subject}`;
}

/** First time each (rule, subject) was seen, epoch ms. */
export class OnsetTracker {
  readonly #first = new Map<string, number>();

  /** Records `findings` as present at `atMs`; an earlier sighting wins. */
  observe(findings: readonly Pick<Finding, 'rule' | 'subject'>[], atMs: number): void {
    for (const f of findings) {
      const key = findingKey(f);
      const seen = this.#first.get(key);
      if (seen === undefined || atMs < seen) this.#first.set(key, atMs);
    }
  }

  onsetMs(f: Pick<Finding, 'rule' | 'subject'>): number | undefined {
    return this.#first.get(findingKey(f));
  }

  get size(): number {
    return this.#first.size;
  }
}

/**
 * The findings with `onset` set: the tracker's first sighting, else `fallbackMs` (a finding that appeared
 * only on the final snapshot began in the last second of the window). Order is kept.
 */
export function withOnsets(
  findings: readonly Finding[],
  tracker: OnsetTracker,
  fallbackMs: number,
): Finding[] {
  return findings.map((f) => ({ ...f, onset: new Date(tracker.onsetMs(f) ?? fallbackMs).toISOString() }));
}

/** Which findings can cause which. `cause`/`effect` match a rule id, or any rule of a signal. */
export interface CausalRule {
  cause: { rule?: string; signal?: string };
  effect: { rule?: string; signal?: string };
  /** Longest cause → effect gap that still counts, ms. */
  maxGapMs: number;
  /** Confidence at a short gap; it decays linearly past half of maxGap (reference §4.5). */
  base: number;
  /** Both findings name a process and it must be the same one. */
  samePid?: boolean;
  why: string;
}

const S = 1000;

/**
 * The reference's signal table (§4.5), narrowed where kerno's rules are finer than its signals, plus rows
 * for rules the reference did not have (PSI, kernel hung tasks, cgroup reclaim, fd exhaustion). A link is
 * a hint for the reader ("look at the disk first"), never a proof; the table only holds pairs with a known
 * kernel mechanism.
 */
export const CAUSAL_RULES: readonly CausalRule[] = [
  {
    cause: { signal: 'disk' },
    effect: { rule: 'io_pressure_stall' },
    maxGapMs: 10 * S,
    base: 0.85,
    why: 'slow device I/O keeps tasks waiting on I/O, which the io PSI counts',
  },
  {
    cause: { signal: 'disk' },
    effect: { rule: 'syscall_latency_high' },
    maxGapMs: 10 * S,
    base: 0.85,
    why: 'read/write/fsync block on the slow device',
  },
  {
    cause: { rule: 'io_pressure_stall' },
    effect: { rule: 'syscall_latency_high' },
    maxGapMs: 10 * S,
    base: 0.8,
    why: 'tasks stalled on I/O return late from their syscalls',
  },
  {
    cause: { signal: 'disk' },
    effect: { rule: 'kernel_hung_task' },
    maxGapMs: 150 * S,
    base: 0.8,
    why: 'hung tasks sit in D state, most often waiting for block I/O',
  },
  {
    cause: { rule: 'syscall_latency_high' },
    effect: { signal: 'tcp' },
    maxGapMs: 15 * S,
    base: 0.8,
    why: 'a process slow in its syscalls drains its sockets late',
  },
  {
    cause: { signal: 'tcp' },
    effect: { signal: 'sched' },
    maxGapMs: 20 * S,
    base: 0.75,
    why: 'retransmit and softirq work competes for the CPUs',
  },
  {
    cause: { signal: 'disk' },
    effect: { signal: 'sched' },
    maxGapMs: 20 * S,
    base: 0.72,
    why: 'I/O completion and writeback work competes for the CPUs',
  },
  {
    cause: { rule: 'oom_imminent' },
    effect: { rule: 'oom_kill_occurred' },
    maxGapMs: 120 * S,
    base: 0.9,
    why: 'host memory ran out',
  },
  {
    cause: { signal: 'cgroupMemory' },
    effect: { rule: 'oom_kill_occurred' },
    maxGapMs: 120 * S,
    base: 0.9,
    why: 'the cgroup reached its memory limit',
  },
  {
    cause: { rule: 'memory_pressure_stall' },
    effect: { rule: 'oom_kill_occurred' },
    maxGapMs: 120 * S,
    base: 0.85,
    why: 'reclaim could not keep up, then the OOM killer ran',
  },
  {
    cause: { signal: 'cgroupMemory' },
    effect: { rule: 'memory_pressure_stall' },
    maxGapMs: 30 * S,
    base: 0.85,
    why: 'reclaim at the cgroup limit stalls the tasks allocating',
  },
  {
    cause: { rule: 'oom_imminent' },
    effect: { rule: 'memory_pressure_stall' },
    maxGapMs: 30 * S,
    base: 0.85,
    why: 'reclaim on a full host stalls the tasks allocating',
  },
  {
    cause: { rule: 'fd_leak' },
    effect: { rule: 'syscall_error_rate' },
    maxGapMs: 60 * S,
    base: 0.8,
    samePid: true,
    why: 'a leaking process that reaches its fd limit fails open/accept with EMFILE',
  },
];

/** Links are kept from this confidence up (reference §4.5). */
export const MIN_LINK_CONFIDENCE = 0.7;

function matches(m: CausalRule['cause'], f: Finding): boolean {
  return (m.rule === undefined || m.rule === f.rule) && (m.signal === undefined || m.signal === f.signal);
}

/** The reference's decay: full base up to maxGap/2, then base × (1 − gap/maxGap). */
export function linkConfidence(row: Pick<CausalRule, 'base' | 'maxGapMs'>, gapMs: number): number {
  if (gapMs < 0 || gapMs > row.maxGapMs) return 0;
  return gapMs > row.maxGapMs / 2 ? row.base * (1 - gapMs / row.maxGapMs) : row.base;
}

/**
 * The timeline of findings that carry an onset; undefined when none does. Events are ordered by onset,
 * then rule, then subject; a pair is linked by its best matching table row when the cause's onset is not
 * later than the effect's and the confidence reaches MIN_LINK_CONFIDENCE. Two findings of one rule are
 * never linked (one condition, several subjects).
 */
export function buildTimeline(
  findings: readonly Finding[],
  windowStartMs: number,
  table: readonly CausalRule[] = CAUSAL_RULES,
): Timeline | undefined {
  const timed = findings
    .map((f) => ({ f, at: f.onset === undefined ? NaN : Date.parse(f.onset) }))
    .filter((x) => Number.isFinite(x.at))
    .sort(
      (a, b) => a.at - b.at || a.f.rule.localeCompare(b.f.rule) || a.f.subject.localeCompare(b.f.subject),
    );
  if (timed.length === 0) return undefined;
  const events: TimelineEvent[] = timed.map(({ f, at }) => ({
    rule: f.rule,
    subject: f.subject,
    signal: f.signal,
    severity: f.severity,
    title: f.title,
    onset: f.onset!,
    offsetMs: Math.max(0, Math.round(at - windowStartMs)),
    metric: f.metric,
    unit: f.unit,
    value: f.value,
  }));
  const links: TimelineLink[] = [];
  for (let c = 0; c < timed.length; c++) {
    for (let e = 0; e < timed.length; e++) {
      if (c === e) continue;
      const cause = timed[c]!;
      const effect = timed[e]!;
      if (cause.f.rule === effect.f.rule) continue;
      const gapMs = effect.at - cause.at;
      if (gapMs < 0) continue;
      let best: { row: CausalRule; confidence: number } | undefined;
      for (const row of table) {
        if (!matches(row.cause, cause.f) || !matches(row.effect, effect.f)) continue;
        if (row.samePid && (cause.f.pid === undefined || cause.f.pid !== effect.f.pid)) continue;
        const confidence = linkConfidence(row, gapMs);
        if (confidence >= MIN_LINK_CONFIDENCE && (!best || confidence > best.confidence))
          best = { row, confidence };
      }
      if (best) {
        links.push({
          cause: c,
          effect: e,
          gapMs: Math.round(gapMs),
          confidence: Math.round(best.confidence * 100) / 100,
          why: best.row.why,
        });
      }
    }
  }
  links.sort((a, b) => a.effect - b.effect || a.cause - b.cause);
  return { events, links };
}
