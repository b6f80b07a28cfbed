// Sampling for high-rate streamed events (after the ring-buffer drain, before per-event JS work):
// a token bucket keeps everything up to `ratePerSec` (with bursts up to `burst`); beyond the budget each
// event is kept with probability `overBudgetProbability`. Events matching `keep` are critical (an OOM kill)
// and are never sampled out, nor do they spend budget — a storm of ordinary events cannot hide them.
//
//   const sampler = new Sampler<TcpEvent>({ ratePerSec: 1000, overBudgetProbability: 0.01,
//                                          keep: (e) => e.kind === 'oom_kill' });
//   if (sampler.offer(event)) queue.push(event);

import type { Random } from './random.js';
import { seededRandom } from './random.js';

export interface SamplerOptions<T> {
  /** Events per second kept unconditionally (token refill rate). */
  ratePerSec: number;
  /** Bucket size: how many events a burst may keep at once. Default: `ratePerSec` (at least 1). */
  burst?: number;
  /** Probability of keeping an event once the budget is spent, 0…1. */
  overBudgetProbability: number;
  /** Keep-all rule for critical events. */
  keep?: (event: T) => boolean;
  /** Random source in [0, 1); `seed` builds a deterministic one. Default Math.random. */
  random?: Random;
  seed?: number;
  /** Milliseconds, monotonic enough for refills. Default `performance.now`. */
  now?: () => number;
}

export interface SamplerStats {
  seen: number;
  kept: number;
  /** Events dropped by sampling (not a loss: the budget chose to drop them). */
  sampledOut: number;
  /** Critical events kept by the `keep` rule. */
  critical: number;
}

export class Sampler<T> {
  private readonly rate: number;
  private readonly burst: number;
  private readonly probability: number;
  private readonly keep: ((event: T) => boolean) | undefined;
  private readonly random: Random;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  private readonly counts: SamplerStats = { seen: 0, kept: 0, sampledOut: 0, critical: 0 };

  constructor(options: SamplerOptions<T>) {
    if (!(Number.isFinite(options.ratePerSec) && options.ratePerSec >= 0)) {
      throw new RangeError(`sampler ratePerSec must be a finite number >= 0, got ${options.ratePerSec}`);
    }
    const p = options.overBudgetProbability;
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`sampler overBudgetProbability must be within 0…1, got ${p}`);
    this.rate = options.ratePerSec;
    this.burst = options.burst ?? Math.max(1, options.ratePerSec);
    if (!(Number.isFinite(this.burst) && this.burst >= 0)) {
      throw new RangeError(`sampler burst must be a finite number >= 0, got ${this.burst}`);
    }
    this.probability = p;
    this.keep = options.keep;
    this.random = options.random ?? (options.seed !== undefined ? seededRandom(options.seed) : Math.random);
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Decide for one event: true = keep it. */
  offer(event: T): boolean {
    this.counts.seen++;
    if (this.keep?.(event)) {
      this.counts.critical++;
      this.counts.kept++;
      return true;
    }
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.counts.kept++;
      return true;
    }
    if (this.probability > 0 && this.random() < this.probability) {
      this.counts.kept++;
      return true;
    }
    this.counts.sampledOut++;
    return false;
  }

  stats(): SamplerStats {
    return { ...this.counts };
  }

  private refill(): void {
    const now = this.now();
    const elapsedMs = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.rate);
  }
}
