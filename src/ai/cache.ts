// Answers kept on disk, keyed by a hash of exactly what would be sent (provider, URL, model and the
// redacted body): a CLI run is one process per call, so a memory cache would never be hit again. Files
// are private to the user (0600 in a 0700 directory): in `full` mode an answer repeats host details.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AiAnswer } from '../doctor/types.js';
import type { HttpRequest } from './providers.js';

/** The key never covers headers: the API key must not decide (or leak through) a cache file's name. */
export function cacheKey(provider: string, model: string, req: HttpRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([provider, model, req.url, req.body]))
    .digest('hex');
}

interface Entry {
  storedAt: number;
  answer: AiAnswer;
}

export class AnswerCache {
  constructor(
    private readonly dir: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): AiAnswer | undefined {
    if (this.ttlMs <= 0) return undefined;
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(this.file(key), 'utf8')) as Entry;
    } catch {
      return undefined; // absent or unreadable: ask again
    }
    const age = this.now() - entry.storedAt;
    return age >= 0 && age < this.ttlMs && entry.answer ? entry.answer : undefined;
  }

  set(key: string, answer: AiAnswer): void {
    if (this.ttlMs <= 0) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(key)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ storedAt: this.now(), answer } satisfies Entry), { mode: 0o600 });
    renameSync(tmp, this.file(key));
  }

  private file(key: string): string {
    return join(this.dir, `${key}.json`);
  }
}
