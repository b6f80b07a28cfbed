// At most N requests per rolling minute, counted across processes: the send times live in a file next to
// the cache, because a limiter held in memory would reset on every `kerno explain` and limit nothing for a
// script calling it in a loop. Two processes racing may both pass once; this is a cost guard, not a lock.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const WINDOW_MS = 60_000;

export class RateLimited extends Error {
  constructor(
    readonly limit: number,
    readonly retryAfterMs: number,
  ) {
    super(
      `AI rate limit reached: ${limit} request${limit === 1 ? '' : 's'} per minute (ai.rate_limit_per_minute); retry in ${Math.ceil(retryAfterMs / 1000)}s`,
    );
    this.name = 'RateLimited';
  }
}

export class RateLimiter {
  private readonly file: string;

  constructor(
    dir: string,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.file = join(dir, 'ratelimit.json');
  }

  /** Records one request, or throws RateLimited when the last minute already holds `perMinute` of them. */
  take(): void {
    if (this.perMinute <= 0) return;
    const now = this.now();
    const recent = this.read().filter((t) => t <= now && now - t < WINDOW_MS);
    if (recent.length >= this.perMinute) {
      const oldest = Math.min(...recent);
      throw new RateLimited(this.perMinute, WINDOW_MS - (now - oldest));
    }
    recent.push(now);
    this.write(recent);
  }

  private read(): number[] {
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      return Array.isArray(v) ? v.filter((t): t is number => typeof t === 'number') : [];
    } catch {
      return [];
    }
  }

  private write(times: number[]): void {
    mkdirSync(join(this.file, '..'), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(times), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
