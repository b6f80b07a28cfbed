// pressure: host-wide PSI for cpu, memory and io over the window. The kernel's avg10/60/300 are smoothed
// and refresh every 2 s, so the window figure is the delta of each file's cumulative `total` (µs) between
// start (or reset) and snapshot, as a percentage of the elapsed time.

import { access } from 'node:fs/promises';
import type { PressureSignals, SignalsPart } from '../signals/types.js';
import { PSI_DIR, psiWindow, readPsi, type PsiResource, type PsiStats } from './procfs/psi.js';
import { UnsupportedError } from './procfs/unsupported.js';
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  MetricFamily,
} from './types.js';

export const PSI_RESOURCES: readonly PsiResource[] = ['cpu', 'memory', 'io'];

export interface PressureCollectorOptions {
  /** Directory holding cpu/memory/io pressure files (default /proc/pressure). */
  dir?: string;
  /** Monotonic clock in ns (tests). */
  nowNs?: () => number;
}

type Reads = Partial<Record<PsiResource, { atNs: number; stats: PsiStats }>>;

/** The /metrics families metrics() reports, declared where their values are made. */
export const PRESSURE_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'pressure_stall_seconds_total',
    type: 'counter',
    labels: ['resource', 'kind'],
    help: 'Pressure stall time (PSI total) by resource (cpu, memory, io) and kind (some, full).',
  },
];

export const pressureDef: CollectorDef = {
  name: 'pressure',
  bpf: false,
  create: () => new PressureCollector(),
  description: 'pressure stall information (cpu, memory, io)',
  families: PRESSURE_FAMILIES,
};

export class PressureCollector implements Collector {
  readonly name = 'pressure';
  private readonly dir: string;
  private readonly nowNs: () => number;
  private baseline: Reads = {};
  private reads = 0;

  constructor(opts: PressureCollectorOptions = {}) {
    this.dir = opts.dir ?? PSI_DIR;
    this.nowNs = opts.nowNs ?? (() => performance.now() * 1e6);
  }

  async start(_ctx: CollectorContext): Promise<void> {
    try {
      await access(this.dir);
    } catch {
      throw new UnsupportedError(
        `pressure: ${this.dir} does not exist (kernel built without CONFIG_PSI); PSI needs Linux 4.20+`,
      );
    }
    this.baseline = await this.readAll();
    if (Object.keys(this.baseline).length === 0) {
      throw new UnsupportedError(
        `pressure: ${this.dir}/{cpu,memory,io} cannot be read (PSI disabled at boot: add psi=1 to the kernel ` +
          'command line)',
      );
    }
  }

  /** The kernel's cumulative stall time per resource, as a Prometheus counter (rate() gives the share). */
  async metrics(): Promise<CollectorMetrics> {
    const now = await this.readAll();
    const series: NonNullable<CollectorMetrics['counters']>[string] = [];
    for (const r of PSI_RESOURCES) {
      const st = now[r]?.stats;
      if (!st) continue;
      series.push({ labels: { resource: r, kind: 'some' }, value: st.some.totalUs / 1e6 });
      if (st.full) series.push({ labels: { resource: r, kind: 'full' }, value: st.full.totalUs / 1e6 });
    }
    return { counters: { pressure_stall_seconds_total: series } };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const now = await this.readAll();
    const pressure: PressureSignals = {};
    for (const r of PSI_RESOURCES) {
      const before = this.baseline[r];
      const after = now[r];
      if (before && after) pressure[r] = psiWindow(before.stats, after.stats, after.atNs - before.atNs);
    }
    return { pressure };
  }

  async reset(): Promise<void> {
    this.baseline = await this.readAll();
  }

  stats(): CollectorStats {
    return { programsLoaded: 0, programsTotal: 0, events: this.reads, eventsDropped: 0 };
  }

  /**
   * The resource that stalled tasks the most so far in the window (PSI `some`, share of the elapsed time):
   * three small procfs reads, not counted as reads of the window.
   */
  async live(): Promise<LiveReading> {
    const now = await this.readNow();
    let top: LiveReading['top'];
    for (const r of PSI_RESOURCES) {
      const before = this.baseline[r];
      const after = now[r];
      if (!before || !after) continue;
      const pct = psiWindow(before.stats, after.stats, after.atNs - before.atNs).somePct;
      if (top === undefined || pct > top.value) top = { label: `${r} stalled (some)`, value: pct, unit: '%' };
    }
    return top ? { events: this.reads, top } : { events: this.reads };
  }

  async stop(): Promise<void> {}

  private async readAll(): Promise<Reads> {
    const out = await this.readNow();
    this.reads++;
    return out;
  }

  private async readNow(): Promise<Reads> {
    const stats = await Promise.all(PSI_RESOURCES.map((r) => readPsi(`${this.dir}/${r}`)));
    const out: Reads = {};
    PSI_RESOURCES.forEach((r, i) => {
      const s = stats[i];
      if (s) out[r] = { atNs: this.nowNs(), stats: s };
    });
    return out;
  }
}

export function createPressureCollector(opts: PressureCollectorOptions = {}): Collector {
  return new PressureCollector(opts);
}
