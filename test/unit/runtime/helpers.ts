// Test doubles for the runtime: a manual clock, a log capture, and collectors that are plain TS objects
// standing in for collector code (not for the kernel).

import type { Collector, CollectorContext, CollectorStats } from '../../../src/collectors/types.js';
import type { Clock, TimerHandle } from '../../../src/util/clock.js';
import type { Logger } from '../../../src/runtime/log.js';
import { createLogger } from '../../../src/runtime/log.js';
import type { SignalsPart } from '../../../src/signals/types.js';
import type { DropCounts } from '../../../src/events/stream.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Manual clock: time moves only in advance(); due timers fire in order, with microtasks flushed between. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const due = this.timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = target;
    await flush();
  }
}

/** Let every queued promise chain run (they only wait on each other, never on I/O). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface LogCapture {
  logger: Logger;
  lines: string[];
  records(): Record<string, unknown>[];
}

export function captureLog(): LogCapture {
  const lines: string[] = [];
  return {
    logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface TestBehaviour {
  startError?: () => unknown;
  snapshotError?: () => unknown;
  hangStop?: boolean;
  programsTotal?: number;
}

/**
 * A collector with internal state that updates in two steps (count, then committed) under a promise lock,
 * like a real collector decoding a ring-buffer batch. A poisoned batch throws between the two steps and
 * leaves the lock held — the half-updated state a recreated instance must not inherit.
 */
export class TestCollector implements Collector {
  ctx: CollectorContext | undefined;
  count = 0;
  committed = 0;
  dropped = 0;
  /** Reported as droppedByReason when set (what it leaves out of `dropped` is unspecified). */
  droppedByReason: Partial<DropCounts> | undefined;
  sampledOut = 0;
  stopCalls = 0;
  private lock: Promise<void> | undefined;

  constructor(
    readonly name: string,
    readonly id: number,
    private readonly behaviour: TestBehaviour = {},
  ) {}

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    const err = this.behaviour.startError?.();
    if (err !== undefined) throw err;
  }

  /** The ring-buffer callback: faults go through ctx.fault, as the contract asks. */
  deliver(batch: string[]): void {
    try {
      let release!: () => void;
      this.lock = new Promise<void>((resolve) => (release = resolve));
      this.count += batch.length;
      if (batch.includes('poison')) throw new Error(`decode ${this.name} event: poisoned record`);
      this.committed += batch.length;
      release();
      this.lock = undefined;
    } catch (err) {
      this.ctx?.fault(err);
    }
  }

  async snapshot(): Promise<SignalsPart> {
    const err = this.behaviour.snapshotError?.();
    if (err !== undefined) throw err;
    await this.lock; // a lock left held by a fault blocks here forever
    return { oom: { count: this.committed, events: [] } };
  }

  async reset(): Promise<void> {
    this.count = 0;
    this.committed = 0;
  }

  stats(): CollectorStats {
    const total = this.behaviour.programsTotal ?? 2;
    const stats: CollectorStats = {
      programsLoaded: total,
      programsTotal: total,
      events: this.committed,
      eventsDropped: this.dropped,
    };
    if (this.droppedByReason) stats.droppedByReason = this.droppedByReason;
    if (this.sampledOut > 0) stats.sampledOut = this.sampledOut;
    return stats;
  }

  async stop(): Promise<void> {
    this.stopCalls++;
    if (this.behaviour.hangStop) await new Promise<void>(() => {});
  }
}

/** A factory that records every instance it builds (instances[i].id === i). */
export function testFactory(name: string, behaviour: TestBehaviour | ((id: number) => TestBehaviour) = {}) {
  const instances: TestCollector[] = [];
  const factory = (): TestCollector => {
    const id = instances.length;
    const c = new TestCollector(name, id, typeof behaviour === 'function' ? behaviour(id) : behaviour);
    instances.push(c);
    return c;
  };
  return {
    factory,
    instances,
    get last(): TestCollector {
      const c = instances[instances.length - 1];
      if (!c) throw new Error(`no ${name} instance built yet`);
      return c;
    },
  };
}

/** An error shaped like the native layer's. */
export function nativeError(
  message: string,
  props: { errno?: number; code?: string; verifierLog?: string },
): Error {
  return Object.assign(new Error(message), props);
}
