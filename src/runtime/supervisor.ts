// The fault boundary around every collector. A fault — ctx.fault from its loop or ring-buffer callback, a
// throw from snapshot/reset, a start that throws or hangs — is caught here, logged as one JSON line,
// counted, optionally written to the panic directory, and the instance is stopped (links and maps closed)
// and thrown away. What happens next is the collector's failure policy:
//   restart (default)  a fresh instance from the factory after backoff 1 s → 60 s with jitter; the backoff
//                      resets once an instance has run 5 min without fault; 5 faults in 10 min open the
//                      circuit breaker and disable the collector for the process lifetime
//   isolate            disabled on the first fault; the others go on
//   fail_fast          `fatal` is emitted and the `fatal` promise rejects; bin/ exits non-zero
// An instance is never re-entered after a fault: every callback carries the generation it was issued for,
// and anything arriving from an older generation is ignored.
//
// Start failures whose cause is the environment (not root, no BTF, verifier rejection, missing tracepoint
// or file, memlock) are load failures: state `failed` with a hint, no restart loop — retrying cannot help.
// Any other start failure, including a start that hangs past its timeout, is a runtime fault.
// Under fail_fast, a load failure is fatal too: the operator declared the collector essential.

import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import type {
  Collector,
  CollectorContext,
  CollectorFactory,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
} from '../collectors/types.js';
import type { CollectorCoverage, SignalsPart } from '../signals/types.js';
import { DEFAULT_FAILURE_POLICY, FAILURE_POLICIES } from '../config/failure-policy.js';
import { formatDuration } from '../util/duration.js';
import type { BackoffOptions } from './backoff.js';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
import type { BreakerOptions } from './circuit-breaker.js';
import { DEFAULT_BREAKER, FaultWindow } from './circuit-breaker.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { invoke, systemClock, TimeoutError, withTimeout } from '../util/clock.js';
import type { FaultSpec } from './fault-inject.js';
import { withFaultInjection } from './fault-inject.js';
import type { ClassifyOptions, ErrorKind } from './classify-error.js';
import { classifyError, errorMessage, UNSUPPORTED_KINDS } from './classify-error.js';
import type { Logger } from './log.js';
import { registerRuntimeMetrics } from './metrics.js';
import { PanicRecorder, type FaultFields } from './panic-record.js';
import type { Random } from './random.js';
import type { CollectorState, CollectorStatus, FailurePolicy } from './types.js';
import { DROP_REASONS, dropBreakdown, sumDrops, zeroDrops, type DropCounts } from '../events/stream.js';

const NS_PER_MS = 1_000_000;

export interface SupervisorOptions {
  logger: Logger;
  /** When given, the runtime metrics are registered on it (never the global registry). */
  registry?: Registry;
  clock?: Clock;
  /** Jitter source (tests pass seededRandom). */
  random?: Random;
  /** Panic-record directory (off when undefined); see resolvePanicDir. */
  panicDir?: string;
  /** kerno version, written into panic records. */
  version?: string;
  /** Per-collector policy from config; beats the policy passed to add(). */
  policies?: Readonly<Record<string, FailurePolicy>>;
  defaultPolicy?: FailurePolicy;
  /** Default 10 s. */
  startTimeoutMs?: number;
  /** Default 2 s. */
  stopTimeoutMs?: number;
  /** Default 5 s; a hung snapshot is a fault so snapshotAll never waits forever. */
  snapshotTimeoutMs?: number;
  /** Fault-free running time after which the backoff starts again at 1 s. Default 5 min. */
  healthyResetMs?: number;
  backoff?: Partial<BackoffOptions>;
  breaker?: Partial<BreakerOptions>;
  /** Faults to inject (KERNO_FAULT_INJECT); factories are decorated in add(). */
  faultInject?: FaultSpec;
  /** Passed to classifyError (tests pin the uid). */
  classify?: ClassifyOptions;
}

export interface SnapshotResult {
  /** One part per collector that produced one, in add() order. */
  parts: SignalsPart[];
  coverage: CollectorCoverage[];
}

/** Raised (event `fatal`, rejected `fatal` promise) when a fail_fast collector faults or cannot load. */
export class CollectorFatalError extends Error {
  override readonly name = 'CollectorFatalError';
  constructor(
    readonly collector: string,
    cause: unknown,
  ) {
    super(`collector ${collector} failed (policy fail_fast): ${errorMessage(cause)}`, { cause });
  }
}

export interface SupervisorEvents {
  state: [status: CollectorStatus];
  fatal: [error: CollectorFatalError];
}

type Phase =
  | 'start'
  | 'start-timeout'
  | 'loop'
  | 'snapshot'
  | 'snapshot-timeout'
  | 'live'
  | 'live-timeout'
  | 'reset'
  | 'stats';

const snapshotPhase = (err: unknown): Phase =>
  err instanceof TimeoutError ? 'snapshot-timeout' : 'snapshot';
const livePhase = (err: unknown): Phase => (err instanceof TimeoutError ? 'live-timeout' : 'live');

const ZERO_STATS: CollectorStats = Object.freeze({
  programsLoaded: 0,
  programsTotal: 0,
  events: 0,
  eventsDropped: 0,
});

interface Slot {
  readonly name: string;
  readonly factory: CollectorFactory;
  readonly policy: FailurePolicy;
  state: CollectorState;
  since: number;
  /** Bumped whenever the current instance is retired; callbacks from older generations are ignored. */
  generation: number;
  started: boolean;
  instance?: Collector;
  abort?: AbortController;
  attachedAt?: number;
  restarts: number;
  faults: number;
  abandoned: number;
  /** Consecutive-fault exponent for the backoff. */
  attempt: number;
  readonly window: FaultWindow;
  lastError?: string;
  hint?: string;
  errorKind?: ErrorKind;
  nextRestartAt?: number;
  restartTimer?: TimerHandle;
  /** The bounded stop of the last retired instance; a restart waits for it. Never rejects. */
  stopping?: Promise<void>;
  lastStats: CollectorStats;
  /** programsTotal survives the instance so a failed collector still counts in "loaded X of Y". */
  programsTotal: number;
  retiredEvents: number;
  /** Drops and sampled-out counts of retired instances, so the totals stay monotonic across restarts. */
  retiredDrops: DropCounts;
  retiredSampledOut: number;
  windowBaseEvents: number;
  windowBaseDrops: DropCounts;
  windowBaseSampledOut: number;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  /** Rejects with CollectorFatalError on the first fail_fast failure; never resolves. */
  readonly fatal: Promise<never>;

  private readonly slots: Slot[] = [];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly panic: PanicRecorder | undefined;
  private readonly backoff: BackoffOptions;
  private readonly breaker: BreakerOptions;
  private readonly startTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly snapshotTimeoutMs: number;
  private readonly healthyResetMs: number;
  private rejectFatal!: (err: CollectorFatalError) => void;
  private fatalRaised = false;
  private startRequested = false;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.panic = options.panicDir ? new PanicRecorder(options.panicDir, this.logger) : undefined;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.breaker = { ...DEFAULT_BREAKER, ...options.breaker };
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 2_000;
    this.snapshotTimeoutMs = options.snapshotTimeoutMs ?? 5_000;
    this.healthyResetMs = options.healthyResetMs ?? 5 * 60_000;
    if (options.defaultPolicy !== undefined) checkPolicy('defaultPolicy', options.defaultPolicy);
    for (const [name, policy] of Object.entries(options.policies ?? {}))
      checkPolicy(`policy for ${name}`, policy);
    this.fatal = new Promise<never>((_, reject) => {
      this.rejectFatal = reject;
    });
    // Handled here so an unobserved fatal never becomes an unhandledRejection; awaiting it still rejects.
    this.fatal.catch(() => {});
    if (options.registry) registerRuntimeMetrics(options.registry, this);
  }

  /**
   * Register a collector. Policy precedence: config (`options.policies[name]`) > `policy` > defaultPolicy >
   * restart. Added after startAll(), it starts at once.
   */
  add(name: string, factory: CollectorFactory, policy?: FailurePolicy): void {
    if (this.stopPromise) throw new Error(`add ${name}: supervisor is stopped`);
    if (this.slots.some((s) => s.name === name))
      throw new Error(`add ${name}: a collector with this name is already supervised`);
    const chosen =
      this.options.policies?.[name] ?? policy ?? this.options.defaultPolicy ?? DEFAULT_FAILURE_POLICY;
    checkPolicy(`policy for ${name}`, chosen);
    const slot: Slot = {
      name,
      factory: withFaultInjection(name, factory, this.options.faultInject, { clock: this.clock }),
      policy: chosen,
      state: 'loading',
      since: this.clock.now(),
      generation: 0,
      started: false,
      restarts: 0,
      faults: 0,
      abandoned: 0,
      attempt: 0,
      window: new FaultWindow(this.breaker),
      lastStats: ZERO_STATS,
      programsTotal: 0,
      retiredEvents: 0,
      retiredDrops: zeroDrops(),
      retiredSampledOut: 0,
      windowBaseEvents: 0,
      windowBaseDrops: zeroDrops(),
      windowBaseSampledOut: 0,
    };
    this.slots.push(slot);
    if (this.startRequested) {
      slot.started = true;
      void this.startSlot(slot);
    }
  }

  /** Start every collector once; resolves when each has attached, failed or timed out. Never rejects. */
  async startAll(): Promise<void> {
    if (this.stopPromise) return;
    this.startRequested = true;
    const pending = this.slots.filter((s) => !s.started);
    for (const slot of pending) slot.started = true;
    await Promise.all(pending.map((slot) => this.startSlot(slot)));
  }

  /**
   * Snapshot every attached collector concurrently. A collector that throws (or hangs past the snapshot
   * timeout) is faulted and contributes nothing to this call; the others are unaffected.
   */
  async snapshotAll(windowNs: number): Promise<SnapshotResult> {
    const parts = await this.eachAttached(
      'snapshot',
      (instance) => () => instance.snapshot(windowNs),
      snapshotPhase,
    );
    return {
      parts: parts.map(([, part]) => part),
      coverage: this.slots.map((slot) => this.coverageOf(slot)),
    };
  }

  /**
   * Cumulative raw metrics of every attached collector that offers them (read at scrape time). A throwing
   * or hung metrics() is a fault like a throwing snapshot; the others still answer.
   */
  async metricsAll(): Promise<Map<string, CollectorMetrics>> {
    const metrics = await this.eachAttached(
      'metrics',
      (instance) => (instance.metrics ? () => instance.metrics!() : undefined),
      snapshotPhase,
    );
    return new Map(metrics.map(([slot, m]) => [slot.name, m]));
  }

  /**
   * What the live view shows each frame: every attached collector's events (cumulative across its
   * instances, like CollectorStatus.events) and its top offender. Collectors without live() answer from
   * stats(). A throwing, hung or nonsensical live() faults that collector only, like a snapshot.
   */
  async liveAll(): Promise<Map<string, LiveReading>> {
    const readings = await this.eachAttached(
      'live',
      (instance) =>
        instance.live
          ? async () => checkLive(await instance.live!())
          : () => Promise.resolve<LiveReading>({ events: instance.stats().events }),
      livePhase,
    );
    return new Map(
      readings.map(([slot, r]) => [
        slot.name,
        r.top
          ? { events: slot.retiredEvents + r.events, top: r.top }
          : { events: slot.retiredEvents + r.events },
      ]),
    );
  }

  /** Begin a new window (continuous mode): reset every attached collector; a throwing reset is a fault. */
  async resetAll(): Promise<void> {
    await this.eachAttached(
      'reset',
      (instance) => (instance.reset ? () => instance.reset!() : undefined),
      () => 'reset',
    );
    for (const slot of this.slots) {
      const stats = this.readStats(slot);
      slot.windowBaseEvents = slot.retiredEvents + stats.events;
      slot.windowBaseDrops = addDrops(slot.retiredDrops, statsDrops(stats));
      slot.windowBaseSampledOut = slot.retiredSampledOut + (stats.sampledOut ?? 0);
    }
  }

  /**
   * Run one call on every attached collector that has it, concurrently, each bounded by the snapshot
   * timeout. A throw or hang faults that collector only. A result from an instance that faulted while the
   * call ran is dropped (its data may be half-updated). Results come back in registration order.
   */
  private async eachAttached<T>(
    what: string,
    pick: (instance: Collector) => (() => Promise<T>) | undefined,
    phaseOf: (err: unknown) => Phase,
  ): Promise<Array<readonly [Slot, T]>> {
    const results = await Promise.all(
      this.slots.map(async (slot): Promise<readonly [Slot, T] | undefined> => {
        const call = slot.state === 'attached' && slot.instance ? pick(slot.instance) : undefined;
        if (!call) return undefined;
        const generation = slot.generation;
        try {
          const value = await withTimeout(
            invoke(call),
            this.snapshotTimeoutMs,
            `${what} ${slot.name}`,
            this.clock,
          );
          return generation === slot.generation ? [slot, value] : undefined;
        } catch (err) {
          this.fault(slot, generation, phaseOf(err), err);
          return undefined;
        }
      }),
    );
    return results.filter((r) => r !== undefined);
  }

  /**
   * Stop every collector concurrently, each bounded by the stop timeout (a hung one is abandoned and
   * reported), and cancel pending restarts. Idempotent; never rejects.
   */
  stopAll(): Promise<void> {
    this.stopPromise ??= (async () => {
      const waits = this.slots.map((slot) => {
        if (slot.restartTimer !== undefined) this.clock.clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        slot.nextRestartAt = undefined;
        const active = slot.state === 'loading' || slot.state === 'attached' || slot.state === 'restarting';
        this.retire(slot);
        if (active) this.setState(slot, 'stopped');
        return slot.stopping ?? Promise.resolve();
      });
      await Promise.all(waits);
    })();
    return this.stopPromise;
  }

  /** Current status of every collector, in add() order (health endpoints, live UI, metrics). */
  states(): CollectorStatus[] {
    return this.slots.map((slot) => this.statusOf(slot));
  }

  status(name: string): CollectorStatus | undefined {
    const slot = this.slots.find((s) => s.name === name);
    return slot ? this.statusOf(slot) : undefined;
  }

  /** Subscribe to state changes; returns the unsubscribe function (fits React's useSyncExternalStore). */
  onStateChange(listener: (status: CollectorStatus) => void): () => void {
    this.on('state', listener);
    return () => this.off('state', listener);
  }

  // ------------------------------------------------------------------------------------------ lifecycle

  private async startSlot(slot: Slot): Promise<void> {
    if (this.stopPromise) return;
    const generation = ++slot.generation;
    let instance: Collector;
    try {
      instance = slot.factory();
    } catch (err) {
      this.setState(slot, 'loading');
      this.startFailed(slot, generation, err);
      return;
    }
    const abort = new AbortController();
    slot.instance = instance;
    slot.abort = abort;
    slot.lastStats = ZERO_STATS;
    this.setState(slot, 'loading');
    const log = this.logger.child({ collector: slot.name });
    const ctx: CollectorContext = {
      signal: abort.signal,
      fault: (err) => this.fault(slot, generation, 'loop', err),
      log: (level, msg, fields) => log.log(level, msg, fields),
    };
    try {
      await withTimeout(
        invoke(() => instance.start(ctx)),
        this.startTimeoutMs,
        `start ${slot.name}`,
        this.clock,
      );
    } catch (err) {
      if (generation === slot.generation) this.startFailed(slot, generation, err);
      return;
    }
    if (generation !== slot.generation) {
      // Retired while starting (a fault during start, or stopAll): the start may have attached links after
      // the retiring stop ran, so stop again (stop is idempotent).
      void this.stopInstance(slot, instance);
      return;
    }
    slot.attachedAt = this.clock.now();
    slot.hint = undefined;
    this.readStats(slot);
    this.setState(slot, 'attached');
    if (slot.restarts > 0) log.info('collector restarted', { restartCount: slot.restarts });
  }

  private startFailed(slot: Slot, generation: number, err: unknown): void {
    const timedOut = err instanceof TimeoutError;
    if (timedOut) slot.abandoned++;
    const cls = classifyError(err, this.options.classify);
    if (!cls.permanent) {
      this.fault(slot, generation, timedOut ? 'start-timeout' : 'start', err);
      return;
    }
    this.retire(slot);
    slot.lastError = errorMessage(err);
    slot.hint = cls.hint;
    slot.errorKind = cls.kind;
    this.logger.warn('collector failed to start', {
      collector: slot.name,
      error: slot.lastError,
      errorKind: cls.kind,
      hint: cls.hint,
    });
    this.setState(slot, 'failed');
    if (slot.policy === 'fail_fast') this.raiseFatal(slot, err);
  }

  private fault(slot: Slot, generation: number, phase: Phase, err: unknown): void {
    if (generation !== slot.generation || this.stopPromise) {
      this.logger.debug('fault from a retired collector instance ignored', {
        collector: slot.name,
        phase,
        error: errorMessage(err),
      });
      return;
    }
    const now = this.clock.now();
    if (slot.attachedAt !== undefined && now - slot.attachedAt >= this.healthyResetMs) slot.attempt = 0;
    slot.faults++;
    const tripped = slot.window.record(now);
    const cls = classifyError(err, this.options.classify);
    slot.lastError = errorMessage(err);
    slot.errorKind = cls.kind;
    this.retire(slot);
    const fields: FaultFields = {
      collector: slot.name,
      phase,
      error: slot.lastError,
      stack: err instanceof Error ? err.stack : undefined,
      restartCount: slot.restarts,
      faults: slot.faults,
      policy: slot.policy,
    };
    this.logger.error('collector fault', { ...fields });
    this.panic?.write(
      { time: new Date(now).toISOString(), ...fields, pid: process.pid, version: this.options.version },
      now,
    );

    if (slot.policy === 'fail_fast') {
      slot.hint = `stopped after a fault (policy fail_fast): ${slot.lastError}`;
      this.setState(slot, 'failed');
      this.raiseFatal(slot, err);
      return;
    }
    if (slot.policy === 'isolate' || tripped) {
      slot.hint =
        slot.policy === 'isolate'
          ? 'disabled after a fault (policy isolate)'
          : `disabled after ${this.breaker.maxFaults} faults in ${formatDuration(this.breaker.windowMs * NS_PER_MS)}`;
      this.logger.error('collector disabled for the process lifetime', {
        collector: slot.name,
        reason: slot.policy === 'isolate' ? 'isolate policy' : 'circuit breaker open',
        faults: slot.faults,
        restartCount: slot.restarts,
        error: slot.lastError,
      });
      this.setState(slot, 'disabled');
      return;
    }
    slot.attempt++;
    const delay = backoffDelayMs(slot.attempt, this.random, this.backoff);
    slot.nextRestartAt = now + delay;
    slot.hint = `restarting after a fault (${slot.faults} so far); next attempt in ${formatDuration(delay * NS_PER_MS, { significant: 3 })}`;
    slot.restartTimer = this.clock.setTimeout(
      () => {
        slot.restartTimer = undefined;
        void this.restart(slot);
      },
      delay,
      { unref: true },
    );
    this.setState(slot, 'restarting');
  }

  private async restart(slot: Slot): Promise<void> {
    // The previous instance's stop is bounded, so this wait is too; links must close before new ones open.
    await slot.stopping;
    if (this.stopPromise || slot.state !== 'restarting') return;
    slot.restarts++;
    slot.nextRestartAt = undefined;
    await this.startSlot(slot);
  }

  private raiseFatal(slot: Slot, err: unknown): void {
    if (this.fatalRaised) return;
    this.fatalRaised = true;
    const fatal = new CollectorFatalError(slot.name, err);
    this.logger.error('fatal collector failure (policy fail_fast)', {
      collector: slot.name,
      error: errorMessage(err),
    });
    this.emit('fatal', fatal);
    this.rejectFatal(fatal);
  }

  /** Detach the current instance from the slot (no callback of it is honoured again) and stop it, bounded. */
  private retire(slot: Slot): void {
    slot.generation++;
    const instance = slot.instance;
    slot.instance = undefined;
    slot.abort?.abort();
    slot.abort = undefined;
    slot.attachedAt = undefined;
    if (!instance) return;
    const last = safeStats(instance) ?? slot.lastStats;
    slot.retiredEvents += last.events;
    slot.retiredDrops = addDrops(slot.retiredDrops, statsDrops(last));
    slot.retiredSampledOut += last.sampledOut ?? 0;
    slot.programsTotal = Math.max(slot.programsTotal, last.programsTotal);
    slot.lastStats = ZERO_STATS;
    slot.stopping = this.stopInstance(slot, instance);
  }

  private stopInstance(slot: Slot, instance: Collector): Promise<void> {
    return withTimeout(
      invoke(() => instance.stop()),
      this.stopTimeoutMs,
      `stop ${slot.name}`,
      this.clock,
    ).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof TimeoutError) {
          slot.abandoned++;
          this.logger.warn('collector stop timed out; instance abandoned', {
            collector: slot.name,
            timeoutMs: this.stopTimeoutMs,
          });
        } else {
          this.logger.warn('collector stop failed', {
            collector: slot.name,
            error: errorMessage(err),
            stack: err instanceof Error ? err.stack : undefined,
          });
        }
      },
    );
  }

  // ------------------------------------------------------------------------------------------ reporting

  private setState(slot: Slot, state: CollectorState): void {
    slot.state = state;
    slot.since = this.clock.now();
    const status = this.statusOf(slot);
    try {
      this.emit('state', status);
    } catch (err) {
      // A subscriber's bug must not break supervision.
      this.logger.error('state listener threw', { collector: slot.name, error: errorMessage(err) });
    }
  }

  /** The live instance's stats, or the last good ones. A throwing stats() is a fault, raised off this stack. */
  private readStats(slot: Slot): CollectorStats {
    const instance = slot.instance;
    if (!instance) return slot.lastStats;
    try {
      const stats = instance.stats();
      slot.lastStats = stats;
      slot.programsTotal = Math.max(slot.programsTotal, stats.programsTotal);
    } catch (err) {
      const generation = slot.generation;
      queueMicrotask(() => this.fault(slot, generation, 'stats', err));
    }
    return slot.lastStats;
  }

  private statusOf(slot: Slot): CollectorStatus {
    const stats = this.readStats(slot);
    const live = slot.state === 'loading' || slot.state === 'attached';
    const drops = addDrops(slot.retiredDrops, statsDrops(stats));
    const status: CollectorStatus = {
      name: slot.name,
      state: slot.state,
      policy: slot.policy,
      restarts: slot.restarts,
      faults: slot.faults,
      abandoned: slot.abandoned,
      since: slot.since,
      programsLoaded: live ? stats.programsLoaded : 0,
      programsTotal: slot.programsTotal,
      events: slot.retiredEvents + stats.events,
      eventsDropped: sumDrops(drops),
      eventsDroppedByReason: drops,
      eventsSampledOut: slot.retiredSampledOut + (stats.sampledOut ?? 0),
    };
    if (slot.lastError !== undefined) status.lastError = slot.lastError;
    if (slot.hint !== undefined) status.hint = slot.hint;
    if (slot.errorKind !== undefined) status.errorKind = slot.errorKind;
    if (slot.nextRestartAt !== undefined) status.nextRestartAt = slot.nextRestartAt;
    return status;
  }

  private coverageOf(slot: Slot): CollectorCoverage {
    const status = this.statusOf(slot);
    const coverage: CollectorCoverage = {
      name: slot.name,
      state: 'ok',
      programsLoaded: status.programsLoaded,
      programsTotal: status.programsTotal,
      events: Math.max(0, status.events - slot.windowBaseEvents),
      eventsDropped: 0,
      restarts: status.restarts,
      faults: status.faults,
    };
    // Optional fields only when there is something to say: reports of a loss-free window look as before.
    const byReason: Partial<DropCounts> = {};
    for (const r of DROP_REASONS) {
      const n = Math.max(0, (status.eventsDroppedByReason?.[r] ?? 0) - slot.windowBaseDrops[r]);
      if (n > 0) byReason[r] = n;
      coverage.eventsDropped += n;
    }
    if (coverage.eventsDropped > 0) coverage.eventsDroppedByReason = byReason;
    const sampledOut = Math.max(0, (status.eventsSampledOut ?? 0) - slot.windowBaseSampledOut);
    if (sampledOut > 0) coverage.eventsSampledOut = sampledOut;
    switch (slot.state) {
      case 'attached':
        return coverage;
      case 'disabled':
        coverage.state = 'disabled';
        break;
      case 'failed':
        coverage.state = slot.errorKind && UNSUPPORTED_KINDS.has(slot.errorKind) ? 'unsupported' : 'failed';
        break;
      case 'loading':
        coverage.state = 'failed';
        coverage.hint = 'still loading at the end of the window';
        break;
      case 'restarting':
        coverage.state = 'failed';
        break;
      case 'stopped':
        coverage.state = 'failed';
        coverage.hint = 'stopped before the snapshot';
        break;
    }
    if (coverage.hint === undefined && status.hint !== undefined) coverage.hint = status.hint;
    if (status.lastError !== undefined) coverage.error = status.lastError;
    return coverage;
  }
}

/** A live() answer the view can show; anything else is the collector's bug, handled as a fault. */
function checkLive(r: LiveReading): LiveReading {
  if (typeof r !== 'object' || r === null || !Number.isFinite(r.events) || r.events < 0)
    throw new Error(`live(): bad events count ${String((r as LiveReading | null)?.events)}`);
  const t = r.top;
  if (
    t !== undefined &&
    (typeof t.label !== 'string' || !Number.isFinite(t.value) || typeof t.unit !== 'string')
  )
    throw new Error(`live(): bad top offender ${JSON.stringify(t)}`);
  return r;
}

function checkPolicy(what: string, policy: unknown): asserts policy is FailurePolicy {
  if (!(FAILURE_POLICIES as readonly unknown[]).includes(policy)) {
    throw new Error(`invalid ${what}: ${String(policy)} (want ${FAILURE_POLICIES.join('|')})`);
  }
}

/** A collector's drops by reason; what it does not name is `unspecified`. */
function statsDrops(stats: CollectorStats): DropCounts {
  return dropBreakdown(stats.eventsDropped, stats.droppedByReason);
}

function addDrops(a: DropCounts, b: DropCounts): DropCounts {
  const out = zeroDrops();
  for (const r of DROP_REASONS) out[r] = a[r] + b[r];
  return out;
}

function safeStats(instance: Collector): CollectorStats | undefined {
  try {
    return instance.stats();
  } catch {
    return undefined;
  }
}
