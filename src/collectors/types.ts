import type { CollectorName, SignalsPart } from '../signals/types.js';
import type { Histogram } from '../bpf/histogram.js';
import type { DropCounts, EventStreamSettings } from '../events/stream.js';

/** Context handed to a collector at start. */
export interface CollectorContext {
  /** Aborted when the collector must stop (window end, shutdown, supervisor teardown). */
  signal: AbortSignal;
  /**
   * Report an asynchronous fault (an exception in a timer, a ring-buffer callback, a decode error storm).
   * The supervisor tears the collector down and recreates it from its factory; the collector must not
   * continue after calling this.
   */
  fault(err: unknown): void;
  /** Structured log line (one JSON object per line on stderr in daemon mode). */
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

/** Self-reported counters, read by the supervisor for coverage and metrics. */
export interface CollectorStats {
  programsLoaded: number;
  programsTotal: number;
  events: number;
  /** Events lost, all reasons together (cumulative for this instance). */
  eventsDropped: number;
  /** `eventsDropped` by reason; what it leaves unnamed counts as `unspecified`. */
  droppedByReason?: Partial<DropCounts>;
  /** Events a sampler thinned out (not lost: kept events carry their weight). */
  sampledOut?: number;
}

/**
 * One collector per signal. Lifecycle: factory() → start(ctx) → snapshot()* → stop(). A collector instance
 * is never restarted: after a fault the supervisor stops it and builds a fresh one from the factory, so an
 * instance never has to repair half-updated state.
 */
export interface Collector {
  readonly name: string;
  /** Load and attach BPF programs / open files. Throw with a contextual message on failure. */
  start(ctx: CollectorContext): Promise<void>;
  /**
   * Read maps / files and return this collector's part of Signals for the window that began at start
   * (or at the last reset). `windowNs` is the elapsed window. Must not mutate kernel state except resets.
   */
  snapshot(windowNs: number): Promise<SignalsPart>;
  /**
   * Begin a new window (continuous mode). BPF maps are never cleared: the collector records a baseline and
   * later snapshots subtract it, so metrics() stays cumulative for Prometheus while windows stay exact.
   */
  reset?(): Promise<void>;
  stats(): CollectorStats;
  /**
   * What the doctor's live view shows every frame (4 times a second): events so far and the current top
   * offender. Must be cheap — a per-CPU counter array or a small map, never the full snapshot's walk — and
   * must not count as activity (coverage events stay what the window did). Optional: without it the view
   * shows stats().events and no offender.
   */
  live?(): LiveReading | Promise<LiveReading>;
  /** Cumulative raw data for /metrics (optional; procfs collectors report through Signals gauges). */
  metrics?(): Promise<CollectorMetrics>;
  /** Detach links, close maps and file handles. Idempotent. */
  stop(): Promise<void>;
}

export type CollectorFactory = () => Collector;

/** What the registry hands every collector definition's factory (from the configuration). */
export interface RegistryOptions {
  cgroupRoot?: string;
  /** Queue size, drop policy and sample rate of the event streams (OOM kills, kernel-log reports). */
  events?: EventStreamSettings;
}

/**
 * A collector module's registry entry, exported as `export const <x>: CollectorDef = …` beside the collector:
 * scripts/gen-registries.mjs finds it, so no list needs a new line (like prom-client's defaultMetrics).
 */
export interface CollectorDef {
  name: CollectorName;
  /** Loads BPF programs (needs root / CAP_BPF+CAP_PERFMON); the others read procfs/cgroupfs/sysfs. */
  bpf: boolean;
  create: (opts: RegistryOptions) => Collector;
  description: string;
  /** What its metrics() reports; the daemon exports these families and logs (once) anything else. */
  families: readonly MetricFamily[];
}

/** The worst thing a collector has seen so far in the window, in one line: "fsync · postgres (4242)" 412 ms. */
export interface LiveTop {
  label: string;
  value: number;
  /** How the view formats `value`: ns, bytes, % (already ×100), /s, or a count noun ("segs", "fds", "I/Os"). */
  unit: string;
}

export interface LiveReading {
  /** The same cumulative count stats().events reports (this instance, since start), read now. */
  events: number;
  top?: LiveTop;
}

/**
 * Cumulative (since start, never reset) raw data for Prometheus, read at scrape time. Histograms are the
 * kernel's log-linear buckets in ns; the exporter converts them to seconds-based cumulative buckets.
 * Label values are bounded by the collector (a top set plus "[other]"); the exporter caps unique label sets
 * again per family.
 */
export interface MetricSeries<T> {
  labels: Record<string, string>;
  value: T;
}

export interface CollectorMetrics {
  /** family name without prefix, e.g. "syscall_duration_seconds" → series of histograms (ns). */
  histograms?: Record<string, MetricSeries<Histogram>[]>;
  /** e.g. "syscall_errors_total" → monotonic counts. */
  counters?: Record<string, MetricSeries<number>[]>;
  /** e.g. "memory_used_bytes" → current values (read when scraped). */
  gauges?: Record<string, MetricSeries<number>[]>;
}

/**
 * A metric family a collector reports through metrics(): declared by the collector, next to the code that
 * makes its values, and listed in its registry row (the daemon exports what the registry declares).
 */
export interface MetricFamily {
  /** Without the kerno_ prefix, as metrics() reports it. Names carry units; histograms are in seconds. */
  name: string;
  type: 'histogram' | 'counter' | 'gauge';
  labels: readonly string[];
  help: string;
  /** How folded (over-the-cap) gauge series combine into the overflow series; counters/histograms sum. */
  fold?: 'sum' | 'max';
}

/**
 * Labels of a per-cgroup family: the cgroup path and, when it belongs to a pod the kubelet knows, its
 * namespace, pod and container (filled in by the collection from the pod list, not by the collector).
 */
export const CGROUP_LABELS = ['cgroup', 'namespace', 'pod', 'container'] as const;

export interface MetricsCapable {
  metrics(): Promise<CollectorMetrics>;
}
