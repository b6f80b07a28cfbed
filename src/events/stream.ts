// One event stream between a producer (a ring-buffer drain, /dev/kmsg, a UDP receiver) and what reads it:
// an optional Sampler in front of a BoundedQueue. Every push ends in exactly one of
//   kept        — queued (with policy `oldest` that may have evicted an older one: counted as queue_full)
//   dropped     — refused by a full queue (policy `newest`), counted as queue_full
//   sampled_out — refused by the sampler's rate budget: NOT a loss. It is counted apart and folded into the
//                 weight of the latest sampleable event still queued (or, when there is none, of the next
//                 one kept), so the weights of the kept events still add up to what happened.
// Drops the stream does not see itself (records the BPF ring buffer or /dev/kmsg lost before we read them)
// are added under their own reason, so one DropCounts says where every lost event went.
//
// Size, drop policy and sample rate come from the `events` config section (DEFAULT_EVENT_STREAM mirrors its
// defaults). The drop counts reach `kerno_events_dropped_total{collector,reason}` (declared here, fed by
// registerDropSource) and the report's coverage through CollectorStats.

import { Counter, type Registry } from 'prom-client';
import { BoundedQueue, type DropPolicy } from './bounded-queue.js';
import { Sampler } from './sampler.js';
import { DROP_REASONS, type DropReason } from '../signals/types.js';

export type { DropPolicy };

export { DROP_REASONS, type DropReason };
export type DropCounts = Record<DropReason, number>;

export function zeroDrops(): DropCounts {
  return { queue_full: 0, ring_full: 0, map_full: 0, no_start: 0, recursion: 0, unspecified: 0 };
}

export function sumDrops(drops: Partial<DropCounts>): number {
  let n = 0;
  for (const r of DROP_REASONS) n += drops[r] ?? 0;
  return n;
}

/**
 * A full breakdown of `total` drops: the reasons a source named, and whatever it did not name as
 * `unspecified`, so the reasons always add up to the total.
 */
export function dropBreakdown(total: number, byReason: Partial<DropCounts> = {}): DropCounts {
  const out = zeroDrops();
  for (const r of DROP_REASONS) out[r] = Math.max(0, byReason[r] ?? 0);
  out.unspecified += Math.max(0, total - sumDrops(out));
  return out;
}

export interface EventStreamSettings {
  /** Events held at most. */
  queueSize: number;
  /** Which event a full queue gives up: the oldest queued one, or the newest (incoming) one. */
  dropPolicy: DropPolicy;
  /** Sampleable events kept per second; 0 = no sampling. */
  sampleRatePerSec: number;
}

/** The `events` config defaults (src/config/schema.ts), for streams built without a config (tests, CLI). */
export const DEFAULT_EVENT_STREAM: Readonly<EventStreamSettings> = Object.freeze({
  queueSize: 1_024,
  dropPolicy: 'oldest',
  sampleRatePerSec: 0,
});

export interface EventStreamOptions<T> extends Partial<EventStreamSettings> {
  /**
   * Events the sampler may thin out. Absent = nothing in this stream is ever sampled. Only low-severity,
   * repetitive events belong here: a sampled-out OOM kill or panic would be a finding the report never shows.
   */
  sampleable?: (event: T) => boolean;
  /** Milliseconds for the sampler's refill. Default `performance.now`. */
  now?: () => number;
  /** Told about each event the full queue gives up (evicted or refused), e.g. to log its id. */
  onDrop?: (event: T) => void;
}

/** A kept event and how many events it stands for (1 + those sampled out in its name). */
export interface Weighted<T> {
  event: T;
  weight: number;
}

/** Queue entries carry their push order: FIFO, so an entry is still queued iff the oldest one is not newer. */
interface Entry<T> extends Weighted<T> {
  order: number;
}

export type PushOutcome = 'kept' | 'dropped' | 'sampled_out';

export interface EventStreamStats {
  /** Events offered to push(). */
  pushed: number;
  /** Events queued now. */
  queued: number;
  dropped: DropCounts;
  droppedTotal: number;
  /** Events refused by the sampler (not lost: their count is in the weights). */
  sampledOut: number;
}

export class EventStream<T> {
  readonly settings: Readonly<EventStreamSettings>;
  readonly #queue: BoundedQueue<Entry<T>>;
  readonly #sampler: Sampler<T> | undefined;
  readonly #sampleable: (event: T) => boolean;
  readonly #onDrop: ((event: T) => void) | undefined;
  readonly #drops = zeroDrops();
  /** Cumulative counts read from outside (BPF counters): set, not added, so re-reading is harmless. */
  readonly #external: Partial<DropCounts> = {};
  #pushed = 0;
  #sampledOut = 0;
  /** Sampled-out events not yet folded into a kept event's weight. */
  #carry = 0;
  /** The latest sampleable event kept (it may have left the queue since). */
  #lastSampleable: Entry<T> | undefined;

  constructor(options: EventStreamOptions<T> = {}) {
    this.settings = {
      queueSize: options.queueSize ?? DEFAULT_EVENT_STREAM.queueSize,
      dropPolicy: options.dropPolicy ?? DEFAULT_EVENT_STREAM.dropPolicy,
      sampleRatePerSec: options.sampleRatePerSec ?? DEFAULT_EVENT_STREAM.sampleRatePerSec,
    };
    this.#queue = new BoundedQueue({
      capacity: this.settings.queueSize,
      dropPolicy: this.settings.dropPolicy,
    });
    this.#onDrop = options.onDrop;
    const sampleable = options.sampleable;
    this.#sampleable = sampleable ?? (() => false);
    if (sampleable && this.settings.sampleRatePerSec > 0) {
      const samplerOptions: ConstructorParameters<typeof Sampler<T>>[0] = {
        ratePerSec: this.settings.sampleRatePerSec,
        keep: (e) => !sampleable(e),
      };
      if (options.now) samplerOptions.now = options.now;
      this.#sampler = new Sampler<T>(samplerOptions);
    } else if (!(Number.isFinite(this.settings.sampleRatePerSec) && this.settings.sampleRatePerSec >= 0)) {
      throw new RangeError(`event stream sample rate must be >= 0, got ${this.settings.sampleRatePerSec}`);
    }
  }

  push(event: T): PushOutcome {
    this.#pushed++;
    if (this.#sampler && !this.#sampler.offer(event)) {
      this.#sampledOut++;
      const last = this.#lastSampleable;
      const oldest = this.#queue.peekOldest();
      if (last && oldest && oldest.order <= last.order) last.weight++;
      else this.#carry++;
      return 'sampled_out';
    }
    const entry: Entry<T> = { event, weight: 1, order: this.#pushed };
    const sampleable = this.#sampleable(event);
    if (sampleable) {
      entry.weight += this.#carry;
      this.#carry = 0;
    }
    const full = this.#queue.size === this.#queue.capacity;
    const victim = full
      ? this.settings.dropPolicy === 'oldest'
        ? this.#queue.peekOldest()
        : entry
      : undefined;
    const accepted = this.#queue.push(entry);
    if (victim) {
      this.#drops.queue_full++;
      this.#onDrop?.(victim.event);
    }
    if (!accepted) {
      // The sampled-out events it stood for wait for the next one kept.
      if (sampleable) this.#carry = entry.weight - 1;
      return 'dropped';
    }
    if (sampleable) this.#lastSampleable = entry;
    return 'kept';
  }

  /** Count `n` events lost before they reached the stream. */
  addDropped(reason: DropReason, n = 1): void {
    if (n > 0) this.#drops[reason] += n;
  }

  /** Record a cumulative loss counter kept elsewhere (a BPF map); the stream keeps the highest value seen. */
  setDroppedTotal(reason: DropReason, total: number): void {
    this.#external[reason] = Math.max(this.#external[reason] ?? 0, total);
  }

  /** The queued events with their weights, oldest first (copies: later folding does not change them). */
  entries(): Weighted<T>[] {
    return this.#queue.toArray().map((e) => ({ event: e.event, weight: e.weight }));
  }

  /** Remove and return the oldest queued event. */
  shift(): Weighted<T> | undefined {
    const e = this.#queue.shift();
    return e && { event: e.event, weight: e.weight };
  }

  get size(): number {
    return this.#queue.size;
  }

  /** Forget the queued events (a new window); every counter stays, they feed monotonic metrics. */
  clear(): void {
    this.#queue.clear();
    this.#carry = 0;
    this.#lastSampleable = undefined;
  }

  stats(): EventStreamStats {
    const dropped = { ...this.#drops };
    for (const r of DROP_REASONS) dropped[r] += this.#external[r] ?? 0;
    return {
      pushed: this.#pushed,
      queued: this.#queue.size,
      dropped,
      droppedTotal: sumDrops(dropped),
      sampledOut: this.#sampledOut,
    };
  }
}

// ------------------------------------------------------------------------------------------------ metric

export const EVENTS_DROPPED_METRIC = 'kerno_events_dropped_total';

export interface DropSeries {
  /** A collector name, or another bounded stream name ("netconsole"). */
  collector: string;
  reason: DropReason;
  /** Cumulative (monotonic) count. */
  value: number;
}

export type DropSource = () => Iterable<DropSeries>;

const dropSources = new WeakMap<Registry, DropSource[]>();

/**
 * Add a source of drop counts to `registry`'s kerno_events_dropped_total. The counter is declared once per
 * registry, on the first source; every scrape rebuilds it from all sources (each one monotonic), so the
 * supervisor's collectors and the netconsole receiver share one family without knowing about each other.
 */
export function registerDropSource(registry: Registry, source: DropSource): void {
  let sources = dropSources.get(registry);
  if (!sources) {
    const list: DropSource[] = [];
    sources = list;
    dropSources.set(registry, list);
    new Counter({
      name: EVENTS_DROPPED_METRIC,
      help: 'Events lost before analysis, by collector (or stream) and reason: queue_full (kerno bounded queue), ring_full (kernel ring buffer), map_full (BPF map), no_start (end event whose start was not seen), recursion (kernel skipped a kerno program already running on that CPU), unspecified.',
      labelNames: ['collector', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const src of list)
          for (const s of src()) this.inc({ collector: s.collector, reason: s.reason }, s.value);
      },
    });
  }
  sources.push(source);
}
