// Rate sampling for streamed events: a token bucket keeps everything up to `ratePerSec` (with bursts up to
// `burst`) and refuses the rest. Events matching `keep` are critical (an OOM kill, a panic) and are never
// sampled out, nor do they spend budget — a storm of ordinary events cannot hide them. What is refused is
// not a loss: EventStream folds it into the weight of a kept event, so counts stay honest.
//
//   const sampler = new Sampler<KernelMessage>({ ratePerSec: 100, keep: (m) => m.kind !== 'warning' });
//   if (sampler.offer(message)) queue.push(message);

export interface SamplerOptions<T> {
  /** Events per second kept (token refill rate). */
  ratePerSec: number;
  /** Bucket size: how many events a burst may keep at once. Default: `ratePerSec` (at least 1). */
  burst?: number;
  /** Keep-all rule for critical events. */
  keep?: (event: T) => boolean;
  /** Milliseconds, monotonic enough for refills. Default `performance.now`. */
  now?: () => number;
}

export interface SamplerStats {
  seen: number;
  kept: number;
  /** Events refused by the budget (not a loss: the budget chose to drop them). */
  sampledOut: number;
  /** Critical events kept by the `keep` rule. */
  critical: number;
}

export class Sampler<T> {
  private readonly rate: number;
  private readonly burst: number;
  private readonly keep: ((event: T) => boolean) | undefined;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  private readonly counts: SamplerStats = { seen: 0, kept: 0, sampledOut: 0, critical: 0 };

  constructor(options: SamplerOptions<T>) {
    if (!(Number.isFinite(options.ratePerSec) && options.ratePerSec >= 0)) {
      throw new RangeError(`sampler ratePerSec must be a finite number >= 0, got ${options.ratePerSec}`);
    }
    this.rate = options.ratePerSec;
    this.burst = options.burst ?? Math.max(1, options.ratePerSec);
    if (!(Number.isFinite(this.burst) && this.burst >= 0)) {
      throw new RangeError(`sampler burst must be a finite number >= 0, got ${this.burst}`);
    }
    this.keep = options.keep;
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
