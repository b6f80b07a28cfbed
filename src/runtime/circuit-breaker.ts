// Sliding-window fault counter: `maxFaults` faults within `windowMs` open the breaker. Only timestamps
// inside the window are kept, so memory stays bounded however long the process runs.

export interface BreakerOptions {
  maxFaults: number;
  windowMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { maxFaults: 5, windowMs: 10 * 60_000 };

export class FaultWindow {
  private times: number[] = [];

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {}

  /** Record a fault at `now`; returns true when this fault opens the breaker. */
  record(now: number): boolean {
    this.times.push(now);
    this.prune(now);
    return this.times.length >= this.options.maxFaults;
  }

  /** Faults within the window ending at `now`. */
  count(now: number): number {
    this.prune(now);
    return this.times.length;
  }

  private prune(now: number): void {
    // A fault exactly `windowMs` old has left the window ("within 10 minutes" is strict).
    while (this.times.length > 0 && now - (this.times[0] as number) >= this.options.windowMs)
      this.times.shift();
  }
}
