// Onsets for the causal timeline (issue 18, reference §4.5): once per second during a doctor window, take
// the window's cumulative snapshot (collectors' snapshot() is non-destructive: it reads maps and files
// against the window's baseline and resets nothing) and run the same rules over it. The first second at
// which a (rule, subject) appears is its onset — exactly what the report would have said had the window
// ended then. Rules stay pure; only this loop touches the collectors.
//
// Bounded cost: ticks never overlap, a tick that used c of CPU is followed by at least 4c of rest (at most
// 20 % of a core, ~7 % measured at 1 Hz; bench/onset-sampling measures the real cost), no tick starts so close to
// the window end that it could still be running then (the final snapshot must not wait for it), and an
// abort (Ctrl+C, window end) stops the loop at once — only a tick already in flight is awaited, and it is
// bounded by the supervisor's snapshot timeout like any snapshot.
import { OnsetTracker, withOnsets } from '../doctor/timeline.js';
import type { Finding } from '../doctor/types.js';
import type { Signals } from '../signals/types.js';
import { sleepUntilAborted } from '../util/sleep.js';

export interface OnsetSamplerOptions {
  snapshot(): Promise<Signals>;
  /** The rules over one snapshot (the doctor's engine with its thresholds). */
  evaluate(signals: Signals): readonly Pick<Finding, 'rule' | 'subject'>[];
  /** Epoch ms of the window start: tick k runs at startMs + k × periodMs. */
  startMs: number;
  /** Epoch ms the window is due to end; undefined: until aborted. */
  endMs?: number;
  /** Default 1000. */
  periodMs?: number;
  signal: AbortSignal;
  /** Epoch ms clock (tests). */
  now?: () => number;
  /** CPU time this process has used, ms (tests); default process.cpuUsage(). */
  cpuMs?: () => number;
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface SamplerTick {
  /** The snapshot's window end, epoch ms: the onset of what first appears on it. */
  atMs: number;
  snapshotMs: number;
  evaluateMs: number;
  /** CPU this process used during the tick (snapshot + rules, and whatever else ran meanwhile), ms. */
  cpuMs: number;
  findings: number;
}

/** Largest share of wall time the sampling may spend snapshotting and evaluating. */
const MAX_DUTY = 0.2;

/** Smallest margin kept between the last tick's start and the window end. */
const MIN_GUARD_MS = 100;

export class OnsetSampler {
  readonly tracker = new OnsetTracker();
  readonly ticks: SamplerTick[] = [];
  /** Ticks whose snapshot or evaluation threw (the supervisor has already faulted the collector). */
  errors = 0;
  #running: Promise<void> | undefined;
  readonly #opts: OnsetSamplerOptions;
  readonly #now: () => number;
  readonly #cpuMs: () => number;

  constructor(opts: OnsetSamplerOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#cpuMs = opts.cpuMs ?? processCpuMs;
  }

  /** Starts the loop (idempotent); resolves when it has stopped, after `signal` aborts or the window ends. */
  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  /** The findings with their onsets; one never seen on a tick began at `fallbackMs` (the final snapshot). */
  withOnsets(findings: readonly Finding[], fallbackMs: number): Finding[] {
    return withOnsets(findings, this.tracker, fallbackMs);
  }

  /** Twice the slowest tick so far, at least MIN_GUARD_MS. */
  #guardMs(): number {
    let worst = 0;
    for (const t of this.ticks) worst = Math.max(worst, t.snapshotMs + t.evaluateMs);
    return Math.max(MIN_GUARD_MS, 2 * worst);
  }

  async #loop(): Promise<void> {
    const { startMs, endMs, signal } = this.#opts;
    const period = this.#opts.periodMs ?? 1000;
    let k = 1;
    while (!signal.aborted) {
      const due = startMs + k * period;
      // A tick due within the guard of the window end would only delay the final snapshot: stop now.
      if (endMs !== undefined && due + this.#guardMs() >= endMs) break;
      await sleepUntilAborted(Math.max(0, due - this.#now()), signal);
      if (signal.aborted) break;
      if (endMs !== undefined && this.#now() + this.#guardMs() >= endMs) break;
      const cpu0 = this.#cpuMs();
      await this.#tick();
      // Duty-cycle cap: after a tick that used c ms of CPU, rest 4c before the next, so sampling never
      // takes more than 20 % of a core (when it would, the onsets get coarser instead). CPU, not wall
      // time: on a host whose CPUs are busy the wall time of a tick stretches with the wait for a CPU,
      // not with the work. A tick that overran its period skips the seconds it covered.
      // The first tick is exempt: it pays the one-off cold cost (code compiled, files first read) that the
      // final snapshot would otherwise pay, not a cost that repeats.
      const rest = this.ticks.length <= 1 ? 0 : (this.#cpuMs() - cpu0) * (1 / MAX_DUTY - 1);
      const earliest = this.#now() + rest;
      k = Math.max(k + 1, Math.ceil((earliest - startMs) / period));
    }
  }

  async #tick(): Promise<void> {
    try {
      const cpu0 = this.#cpuMs();
      const t0 = performance.now();
      const signals = await this.#opts.snapshot();
      const t1 = performance.now();
      const findings = this.#opts.evaluate(signals);
      const t2 = performance.now();
      const atMs = Date.parse(signals.windowEnd);
      this.tracker.observe(findings, Number.isFinite(atMs) ? atMs : this.#now());
      this.ticks.push({
        atMs,
        snapshotMs: t1 - t0,
        evaluateMs: t2 - t1,
        cpuMs: this.#cpuMs() - cpu0,
        findings: findings.length,
      });
    } catch {
      // A collector that threw was faulted by the supervisor and shows in coverage; the final snapshot
      // still decides the findings. A missed second only makes later onsets coarser.
      this.errors++;
    }
  }
}

export interface OnsetSampling {
  readonly sampler: OnsetSampler;
  /** Stops the loop and waits for a tick in flight; call before the window's final snapshot. */
  stop(): Promise<void>;
}

/** Starts sampling now; `signal` (Ctrl+C, a fatal collector) stops it too. */
export function startOnsetSampling(
  opts: Omit<OnsetSamplerOptions, 'signal'> & { signal?: AbortSignal },
): OnsetSampling {
  const stopper = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stopper.signal]) : stopper.signal;
  const sampler = new OnsetSampler({ ...opts, signal });
  const done = sampler.run();
  return {
    sampler,
    stop: async () => {
      stopper.abort();
      await done;
    },
  };
}
