// /metrics: kerno's Prometheus exposition, on a Registry of its own (never prom-client's global one).
//
// Collector data is read when Prometheus scrapes, not per event: one `collection.metrics()` per scrape,
// shared by every family (and by scrapes that arrive while it is in flight). The kernel's numbers are
// cumulative, so the families here are snapshot metrics — each scrape rebuilds its values from the read —
// implemented as a small class with prom-client's `get()` shape rather than Counter/Histogram, which only
// know how to count up from observations. Histograms arrive as kernel log-linear buckets in ns and leave
// as fixed-bound histograms in seconds (prom-histogram.ts). Every family is capped in unique label sets
// (series-cap.ts); what was folded is counted in kerno_metric_series_folded_total{family}.

import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { emptyHistogram, mergeHistogram, type Histogram } from '../bpf/histogram.js';
import type { CollectorMetrics, MetricFamily, MetricSeries } from '../collectors/types.js';
import type { Logger } from '../runtime/log.js';
import type { CollectorStatus } from '../runtime/types.js';
import { collectorFamilies, METRIC_PREFIX } from './families.js';
import { leLabel, toPromHistogram, LATENCY_BUCKETS_SECONDS } from './prom-histogram.js';
import { DEFAULT_MAX_SERIES_PER_FAMILY, labelKey, SeriesCap, type LabeledValue } from './series-cap.js';
import { shareInFlight } from './share-in-flight.js';

/** What the exporter reads: the Collection (or a test double). */
export interface MetricsSource {
  metrics(): Promise<Map<string, CollectorMetrics>>;
  states(): CollectorStatus[];
}

export interface ExporterOptions {
  registry: Registry;
  source: MetricsSource;
  logger: Logger;
  version: string;
  /** Labels of kerno_build_info (src/build-info.ts); the gauge is left out without them. */
  build?: { revision: string; node: string; libbpf: string };
  /** Unique label sets per family before folding into "[overflow]". Default 500. */
  maxSeriesPerFamily?: number;
  /** Latency bucket bounds in seconds (default 1 µs … 10 s, log-spaced). */
  bucketsSeconds?: readonly number[];
  /** The families to export (default: what the registered collectors declare). */
  families?: readonly MetricFamily[];
  /** Node process metrics (process_*, nodejs_*) via collectDefaultMetrics. Default true. */
  defaultMetrics?: boolean;
  /**
   * A rendered exposition is reused for this long after it completes (default 500 ms). Reading the
   * kernel's per-CPU maps costs tens of ms of CPU; without a floor, anyone able to reach /metrics could
   * keep a core busy by scraping in a loop. Prometheus scrapes every 15-60 s, so it never sees the reuse;
   * 0 disables it (tests).
   */
  cacheMs?: number;
  now?: () => number;
}

export interface Rendered {
  contentType: string;
  /** Encoded once per render, so a reused exposition is not re-encoded per scrape. */
  body: Buffer;
}

/** prom-client's value shape (`metricName` set for a histogram's _bucket/_sum/_count lines). */
interface PromValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

/** One family's series after merging duplicates and capping, ready for prom-client's formatter. */
type Prepared = Map<string, PromValue[]>;

interface Family {
  def: MetricFamily;
  cap: SeriesCap;
  folded: number;
}

export const SELF_METRIC_NAMES = [
  'kerno_info',
  'kerno_build_info',
  'kerno_bpf_programs_loaded',
  'kerno_bpf_programs_expected',
  'kerno_collector_events_total',
  'kerno_collector_errors_total',
  'kerno_metric_series_folded_total',
] as const;

export class Exporter {
  readonly registry: Registry;
  readonly #families = new Map<string, Family>();
  readonly #logger: Logger;
  readonly #bounds: readonly number[];
  readonly #source: MetricsSource;
  readonly #warned = new Set<string>();
  readonly #read: () => Promise<Prepared>;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #last: { value: Promise<Rendered>; doneAt?: number } | undefined;

  constructor(opts: ExporterOptions) {
    this.registry = opts.registry;
    this.#cacheMs = opts.cacheMs ?? 500;
    this.#now = opts.now ?? Date.now;
    this.#logger = opts.logger;
    this.#source = opts.source;
    this.#bounds = opts.bucketsSeconds ?? LATENCY_BUCKETS_SECONDS;
    const limit = opts.maxSeriesPerFamily ?? DEFAULT_MAX_SERIES_PER_FAMILY;
    for (const def of opts.families ?? collectorFamilies()) {
      if (this.#families.has(def.name)) throw new Error(`exporter: family ${def.name} is declared twice`);
      this.#families.set(def.name, { def, cap: new SeriesCap(def.labels, limit), folded: 0 });
    }
    this.#read = shareInFlight(() => this.#prepare());

    for (const family of this.#families.values()) this.#registerFamily(family);
    this.#registerSelfMetrics(opts.version, opts.build);
    if (opts.defaultMetrics !== false) registerProcessMetrics(opts.registry);
  }

  /**
   * The exposition text and its Content-Type (what GET /metrics answers). Scrapes that arrive while a
   * render is in flight share it; a completed render is reused for `cacheMs`.
   */
  render(): Promise<Rendered> {
    const last = this.#last;
    if (last && (last.doneAt === undefined || this.#now() - last.doneAt < this.#cacheMs)) return last.value;
    const entry: { value: Promise<Rendered>; doneAt?: number } = {
      value: this.registry
        .metrics()
        .then((text) => ({ contentType: this.registry.contentType, body: Buffer.from(text, 'utf8') })),
    };
    this.#last = entry;
    entry.value.then(
      () => {
        entry.doneAt = this.#now();
      },
      () => {
        if (this.#last === entry) this.#last = undefined;
      },
    );
    return entry.value;
  }

  // ------------------------------------------------------------------------------------------- families

  #registerFamily(family: Family): void {
    const { def } = family;
    const name = METRIC_PREFIX + def.name;
    const metric = {
      name,
      help: def.help,
      type: def.type,
      aggregator: 'sum' as const,
      get: async () => ({
        name,
        help: def.help,
        type: def.type,
        aggregator: 'sum' as const,
        values: (await this.#read()).get(def.name) ?? [],
      }),
      // Values are rebuilt on every scrape; there is no state to reset.
      reset: () => {},
    };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  async #prepare(): Promise<Prepared> {
    const raw = await this.#source.metrics();
    const grouped = new Map<string, Map<string, LabeledValue<number | Histogram>>>();
    for (const [collector, m] of raw) {
      this.#group(grouped, collector, 'histogram', m.histograms);
      this.#group(grouped, collector, 'counter', m.counters);
      this.#group(grouped, collector, 'gauge', m.gauges);
    }
    const out: Prepared = new Map();
    for (const [name, byKey] of grouped) {
      const family = this.#families.get(name)!;
      const { kept, folded, newlyFolded } = family.cap.apply([...byKey.values()]);
      family.folded += newlyFolded;
      const series = [...kept];
      if (folded.length > 0) {
        if (newlyFolded > 0)
          this.#logger.warn('metric family over its series cap; extra label sets folded into "[overflow]"', {
            family: METRIC_PREFIX + name,
            limit: family.cap.limit,
            folded: folded.length,
          });
        series.push({
          labels: family.cap.overflowLabels(),
          value: fold(
            family.def,
            folded.map((s) => s.value),
          ),
        });
      }
      out.set(name, this.#toProm(family.def, series));
    }
    return out;
  }

  /** Adds one collector's series of one kind to `grouped`, merging duplicate label sets. */
  #group<T extends number | Histogram>(
    grouped: Map<string, Map<string, LabeledValue<number | Histogram>>>,
    collector: string,
    type: MetricFamily['type'],
    families: Record<string, MetricSeries<T>[]> | undefined,
  ): void {
    for (const [name, list] of Object.entries(families ?? {})) {
      const def = this.#families.get(name)?.def;
      if (!def || def.type !== type) {
        this.#warnOnce(
          `${collector}:${name}:${type}`,
          'collector reported a metric family the exporter does not know; not exported',
          {
            collector,
            family: name,
            type,
            expected: def?.type ?? 'none',
          },
        );
        continue;
      }
      let byKey = grouped.get(name);
      if (!byKey) grouped.set(name, (byKey = new Map()));
      for (const s of list) {
        const labels = Object.fromEntries(def.labels.map((l) => [l, String(s.labels[l] ?? '')]));
        const key = labelKey(def.labels, labels);
        const prev = byKey.get(key);
        byKey.set(key, { labels, value: prev ? fold(def, [prev.value, s.value]) : copyValue(s.value) });
      }
    }
  }

  #toProm(def: MetricFamily, series: LabeledValue<number | Histogram>[]): PromValue[] {
    const name = METRIC_PREFIX + def.name;
    const out: PromValue[] = [];
    for (const { labels, value } of series) {
      if (def.type !== 'histogram') {
        out.push({ labels, value: value as number });
        continue;
      }
      const h = toPromHistogram(value as Histogram, this.#bounds);
      for (let i = 0; i < h.bounds.length; i++)
        out.push({
          metricName: `${name}_bucket`,
          labels: { ...labels, le: leLabel(h.bounds[i]!) },
          value: h.buckets[i]!,
        });
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
      out.push({ metricName: `${name}_sum`, labels, value: h.sum });
      out.push({ metricName: `${name}_count`, labels, value: h.count });
    }
    return out;
  }

  #warnOnce(key: string, msg: string, fields: Record<string, unknown>): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#logger.warn(msg, fields);
  }

  // ----------------------------------------------------------------------------------------- self metrics

  #registerSelfMetrics(version: string, build: ExporterOptions['build']): void {
    const registers = [this.registry];
    const states = (): CollectorStatus[] => this.#source.states();
    new Gauge({
      name: 'kerno_info',
      help: 'kerno build information (value 1).',
      labelNames: ['version'],
      registers,
    }).set({ version }, 1);
    if (build) {
      new Gauge({
        name: 'kerno_build_info',
        help: 'What this kerno is built from and runs on: version, git revision, Node, libbpf (value 1).',
        labelNames: ['version', 'revision', 'node', 'libbpf'],
        registers,
      }).set({ version, ...build }, 1);
    }
    new Gauge({
      name: 'kerno_bpf_programs_loaded',
      help: 'BPF programs loaded and attached now, across collectors.',
      registers,
      collect() {
        this.set(states().reduce((n, s) => n + s.programsLoaded, 0));
      },
    });
    new Gauge({
      name: 'kerno_bpf_programs_expected',
      help: 'BPF programs the enabled collectors would attach.',
      registers,
      collect() {
        this.set(states().reduce((n, s) => n + s.programsTotal, 0));
      },
    });
    new Counter({
      name: 'kerno_collector_events_total',
      help: 'Events aggregated by each collector since kerno started (across restarts).',
      labelNames: ['collector'],
      registers,
      collect() {
        this.reset();
        for (const s of states()) this.inc({ collector: s.name }, s.events);
      },
    });
    new Counter({
      name: 'kerno_collector_errors_total',
      help: 'Collector errors: runtime faults plus a start that failed (reason in the log and /healthz).',
      labelNames: ['collector'],
      registers,
      collect() {
        this.reset();
        for (const s of states()) this.inc({ collector: s.name }, s.faults + (s.state === 'failed' ? 1 : 0));
      },
    });
    const families = this.#families;
    const read = this.#read;
    const foldedName = 'kerno_metric_series_folded_total';
    const foldedHelp =
      'Label sets folded into a family\'s "[overflow]" series because the family hit its series cap.';
    const folded = {
      name: foldedName,
      help: foldedHelp,
      type: 'counter',
      aggregator: 'sum' as const,
      get: async () => {
        // Fold counts are updated by the scrape's read; wait for it so this scrape reports its own folds.
        await read();
        const values: PromValue[] = [];
        for (const f of families.values())
          if (f.def.labels.length > 0)
            values.push({ labels: { family: METRIC_PREFIX + f.def.name }, value: f.folded });
        return { name: foldedName, help: foldedHelp, type: 'counter', aggregator: 'sum' as const, values };
      },
      reset: () => {},
    };
    this.registry.registerMetric(folded as unknown as Metric);
  }
}

/**
 * Node process metrics (process_*, nodejs_*) from collectDefaultMetrics, minus the gauges prom-client names
 * with a `_total` suffix (nodejs_active_handles_total …): `promtool check metrics` rejects a non-counter
 * named like a counter, and kerno's exposition must lint clean.
 */
function registerProcessMetrics(registry: Registry): void {
  const staging = new Registry();
  // prom-client's event-loop lag monitor is a repeating libuv timer at this resolution (default 10 ms): 100
  // wake-ups a second, each through kerno's own sys_enter/sys_exit programs, were most of an idle daemon's
  // CPU (bench/daemon-footprint/idle-cpu.ts). A blocked loop still shows at one sample a second: the timer
  // fires late by the time it was blocked.
  collectDefaultMetrics({ register: staging, eventLoopMonitoringPrecision: 1000 });
  for (const metric of staging.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; type: unknown };
    if (m.name.endsWith('_total') && String(m.type) !== 'counter') continue;
    registry.registerMetric(metric as unknown as Metric);
  }
}

function copyValue(v: number | Histogram): number | Histogram {
  if (typeof v === 'number') return v;
  const h = emptyHistogram();
  mergeHistogram(h, v);
  return h;
}

/** Combine values of one family: histograms merge, counters sum, gauges sum or take the max. */
function fold(def: MetricFamily, values: (number | Histogram)[]): number | Histogram {
  if (def.type === 'histogram') {
    const h = emptyHistogram();
    for (const v of values) mergeHistogram(h, v as Histogram);
    return h;
  }
  const nums = values as number[];
  if (def.type === 'gauge' && def.fold === 'max') return nums.reduce((a, b) => Math.max(a, b), -Infinity);
  return nums.reduce((a, b) => a + b, 0);
}
