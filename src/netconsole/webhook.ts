// Optional webhook: POST every recorded incident as JSON to one URL, at least once, in the order recorded.
//
// The store is the queue of record. The sink keeps a persisted cursor — the byte offset in panics.jsonl up
// to which every incident has been delivered — so incidents recorded while the webhook receiver (or kerno)
// was down are delivered when both are back. In memory it holds a bounded queue; when that is full a new
// incident is dropped from memory only (counted in `dropped`) and re-read from the store once the queue
// drains, so a drop delays a delivery but never loses it. The head of the queue is retried with exponential
// backoff (with jitter, capped) until the receiver answers 2xx; a 4xx other than 408/429 is a permanent
// refusal of that payload, logged and skipped so one bad record cannot block the rest. Each POST carries
// the incident's stable id (body `id`, header `Idempotency-Key`) for deduplication on the receiving side.
// Every attempt has its own timer (AbortSignal.any over AbortSignal.timeout could let the timeout go: the
// first POST after a restart hung 100 s against a silent receiver), and a Retry-After on 429/503 is
// honoured (capped at MAX_RETRY_AFTER_MS) when it asks for longer than the backoff.

import { randomUUID } from 'node:crypto';
import { readFile, rename, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { backoffDelayMs, type BackoffOptions } from '../runtime/backoff.js';
import type { Random } from '../runtime/random.js';
import type { PanicIncident } from './incident.js';
import type { LogFn } from './receiver.js';
import { STATE_FILE_MODE } from './state-dir.js';
import { fsyncDir, type IncidentStore, type StoredIncident } from './store.js';

export const WEBHOOK_CURSOR_FILE = 'panics.webhook-cursor.json';
/** A Retry-After longer than this is capped: the receiver is asked again after at most 10 minutes. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Retry-After (RFC 9110): delay-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Number(v) * 1000);
  const t = Date.parse(v);
  if (!Number.isFinite(t)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, t - now));
}

type PostOutcome = 'delivered' | 'rejected' | { retryAfterMs?: number };

export interface WebhookSinkOptions {
  url: string;
  store: IncidentStore;
  /** Where the cursor file lives; default: next to the store file. */
  stateDir?: string;
  maxQueue?: number;
  backoff?: BackoffOptions;
  timeoutMs?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  random?: Random;
  log?: LogFn;
}

export interface WebhookStats {
  queued: number;
  delivered: number;
  /** Incidents dropped from the in-memory queue (they are re-read from the store later). */
  dropped: number;
  /** Failed attempts (network error, timeout, 5xx, 408, 429). */
  failures: number;
  /** Incidents the receiver refused permanently (4xx) and that were skipped. */
  rejected: number;
  /** Byte offset in panics.jsonl up to which everything is delivered. */
  cursor: number;
  lastError?: string;
}

export interface WebhookCursor {
  deliveredUpTo: number;
  updated: string;
}

export class WebhookSink {
  private readonly queue: StoredIncident[] = [];
  private readonly maxQueue: number;
  private readonly cursorPath: string;
  private readonly doFetch: typeof fetch;
  private readonly random: Random;
  private readonly log: LogFn;
  private cursor = 0;
  /** End offset of the newest incident queued or delivered: anything at or below is not queued twice. */
  private enqueuedUpTo = 0;
  private backlogOnDisk = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly abort = new AbortController();
  private readonly onAppend = (s: StoredIncident) => this.enqueue(s);
  private readonly idleWaiters: (() => void)[] = [];
  private readonly counters = { delivered: 0, dropped: 0, failures: 0, rejected: 0 };
  private lastError: string | undefined;

  constructor(private readonly opts: WebhookSinkOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new Error(`invalid webhook URL ${JSON.stringify(opts.url)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new Error(
        `invalid webhook URL ${JSON.stringify(opts.url)}: only http:// and https:// are supported`,
      );
    }
    this.maxQueue = opts.maxQueue ?? 1_000;
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 1)
      throw new Error(`webhook maxQueue must be >= 1, got ${opts.maxQueue}`);
    this.cursorPath = join(opts.stateDir ?? dirname(opts.store.path), WEBHOOK_CURSOR_FILE);
    this.doFetch = opts.fetch ?? fetch;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? (() => undefined);
  }

  /** Load the cursor, queue everything recorded after it, and start delivering. */
  async start(): Promise<void> {
    if (this.running) return;
    this.cursor = await readCursor(this.cursorPath);
    this.enqueuedUpTo = this.cursor;
    this.running = true;
    // Appends that race with the first read of the store are left to it: the loop starts with a refill.
    this.backlogOnDisk = true;
    this.opts.store.on('append', this.onAppend);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.store.off('append', this.onAppend);
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  stats(): WebhookStats {
    const s: WebhookStats = { queued: this.queue.length, ...this.counters, cursor: this.cursor };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Resolves when everything recorded so far is delivered (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.backlogOnDisk && this.cursor >= this.opts.store.endOffset)
      return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(s: StoredIncident): void {
    if (s.end <= this.enqueuedUpTo) return;
    // Already behind: the refill will read this one from the store, in order.
    if (this.backlogOnDisk) return;
    if (this.queue.length >= this.maxQueue) {
      this.counters.dropped++;
      this.backlogOnDisk = true;
      return;
    }
    this.queue.push(s);
    this.enqueuedUpTo = s.end;
    this.wake?.();
  }

  private async refill(): Promise<void> {
    const from = Math.max(this.cursor, this.enqueuedUpTo);
    let records: StoredIncident[];
    try {
      records = await this.opts.store.readFrom(from);
    } catch (err) {
      this.backlogOnDisk = true;
      this.lastError = (err as Error).message;
      this.log('error', 'webhook: could not read incident store', { error: this.lastError });
      return;
    }
    if (records.length > 0 && records[0] !== undefined && records[0].offset < from) {
      // The file is shorter than our cursor: it was replaced. Deliver it from the start (at least once).
      this.cursor = 0;
      this.enqueuedUpTo = 0;
    }
    for (const r of records) {
      if (this.queue.length >= this.maxQueue) break;
      if (r.end <= this.enqueuedUpTo) continue;
      this.queue.push(r);
      this.enqueuedUpTo = r.end;
    }
    // Appends during the read were deferred to us; if any landed past what we read, read again later.
    this.backlogOnDisk = this.opts.store.endOffset > this.enqueuedUpTo;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (this.running) {
      const head = this.queue[0];
      if (!head) {
        if (this.backlogOnDisk) {
          await this.refill();
          if (this.queue.length === 0 && this.backlogOnDisk) await this.sleep(1_000);
          continue;
        }
        for (const w of this.idleWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const outcome = await this.post(head.incident);
      if (!this.running) return;
      if (typeof outcome === 'object') {
        attempt++;
        this.counters.failures++;
        const backoff = backoffDelayMs(attempt, this.random, this.opts.backoff);
        await this.sleep(Math.max(backoff, outcome.retryAfterMs ?? 0));
        continue;
      }
      attempt = 0;
      if (outcome === 'delivered') this.counters.delivered++;
      else this.counters.rejected++;
      this.queue.shift();
      await this.advance(head.end);
    }
  }

  private async post(incident: PanicIncident): Promise<PostOutcome> {
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    const attempt = new AbortController();
    const onStop = (): void => attempt.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(
      () => attempt.abort(new Error(`no answer within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    let res: Response;
    try {
      res = await this.doFetch(this.opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': incident.id,
          'x-kerno-incident-id': incident.id,
          'x-kerno-delivery': randomUUID(),
          ...this.opts.headers,
        },
        body: JSON.stringify(incident),
        signal: attempt.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      const why = attempt.signal.aborted && !this.abort.signal.aborted ? attempt.signal.reason : err;
      this.lastError = `POST ${this.opts.url}: ${(why as Error).message}`;
      this.log('warn', 'webhook: delivery failed, will retry', { id: incident.id, error: this.lastError });
      return {};
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onStop);
    }
    if (res.ok) return 'delivered';
    this.lastError = `POST ${this.opts.url}: HTTP ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      this.log('error', 'webhook: receiver refused incident, skipping it', {
        id: incident.id,
        status: res.status,
      });
      return 'rejected';
    }
    const retryAfterMs =
      res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
    this.log('warn', 'webhook: delivery failed, will retry', {
      id: incident.id,
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    return retryAfterMs === undefined ? {} : { retryAfterMs };
  }

  private async advance(end: number): Promise<void> {
    if (end <= this.cursor) return;
    this.cursor = end;
    try {
      await writeCursor(this.cursorPath, { deliveredUpTo: end, updated: new Date().toISOString() });
    } catch (err) {
      // The delivery happened; a cursor not saved only means a redelivery after restart (at least once).
      this.lastError = `save webhook cursor ${this.cursorPath}: ${(err as Error).message}`;
      this.log('error', 'webhook: could not save cursor', { error: this.lastError });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}

export async function readCursor(path: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new Error(`read webhook cursor ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const v = JSON.parse(text) as Partial<WebhookCursor>;
    return typeof v.deliveredUpTo === 'number' &&
      Number.isSafeInteger(v.deliveredUpTo) &&
      v.deliveredUpTo >= 0
      ? v.deliveredUpTo
      : 0;
  } catch {
    // A corrupt cursor means "deliver everything again": duplicates, never loss.
    return 0;
  }
}

/** Write-to-temp, fsync, rename: the cursor is either the old value or the new one, never torn. */
export async function writeCursor(path: string, cursor: WebhookCursor): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', STATE_FILE_MODE);
  try {
    // A temp file left by an older version may exist with wider permissions; the mode applies on creation only.
    await fh.chmod(STATE_FILE_MODE);
    await fh.writeFile(JSON.stringify(cursor) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  fsyncDir(dirname(path));
}
