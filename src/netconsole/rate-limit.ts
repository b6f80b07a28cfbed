// Token buckets for the netconsole receiver: the socket is unauthenticated UDP, so a flood from one address
// (source ports are free to vary) or from many must cost bounded work. A dropped packet is counted by the
// caller, never silent.

export interface BucketLimits {
  /** Tokens (packets) added per second. */
  ratePerSec: number;
  /** Bucket size: a burst this large passes at once (a panic arrives in one burst). */
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limits: BucketLimits,
    now: number,
  ) {
    this.tokens = limits.burst;
    this.last = now;
  }

  take(now: number): boolean {
    if (now > this.last)
      this.tokens = Math.min(
        this.limits.burst,
        this.tokens + ((now - this.last) / 1000) * this.limits.ratePerSec,
      );
    // A clock that steps back (or a caller's own clock) restarts the refill from here.
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full again: nothing to remember about this key. */
  full(now: number): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.limits.ratePerSec >= this.limits.burst;
  }
}

/** One bucket per key (a sender address), at most `maxKeys` of them (least recently used forgotten). */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: BucketLimits,
    private readonly maxKeys: number,
  ) {}

  take(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
    } else {
      b = new TokenBucket(this.limits, now);
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
    }
    this.buckets.set(key, b);
    return b.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Forget full buckets; if none is full, the least recently used one. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }
}
