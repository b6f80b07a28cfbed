// cgroup_cpu: CPU throttling of quota-limited cgroups (CFS bandwidth control), from cgroup files (no BPF).
//
// A cgroup with a CPU quota may use `quota` µs of CPU per `period` µs; once it has, its tasks wait for the
// next period even on an idle machine. Nothing logs it, the host looks healthy, and the workload's latency
// grows by up to a period per request: the throttled periods and the throttled time say it happened.
//
// Leaf-only like cgroup_memory: a cgroup with its own quota is reported only when none of its descendants
// has one (a Kubernetes pod yields one entry per container). The counters are cumulative, so no timer is
// needed: every cgroup of each hierarchy is read at start and at reset() (the baseline), and the quota'd
// leaves again at snapshot. A quota'd leaf with no baseline was created during the window and counts from
// zero; a counter below its baseline means the cgroup was recreated under the same path (from zero too).
// Output bounded to `maxEntries` (256), the most throttled first.

import type { CgroupCpuEntry, CgroupCpuSignals, SignalsPart } from '../signals/types.js';
import { CGROUP_ROOT_ENV, limitedLeaves } from './cgroup-memory.js';
import {
  findCpuHierarchies,
  readCpuCounters,
  readOwnQuota,
  type CpuCounters,
  type CpuHierarchy,
  type CpuQuota,
} from './procfs/cgroup-cpu-files.js';
import { notePathIdentity } from '../k8s/cgroup-path.js';
import { walkCgroupTree } from './procfs/cgroup-walk.js';
import { mapSliced } from './procfs/sliced.js';
import { UnsupportedError } from './procfs/unsupported.js';
import {
  type CollectorDef,
  CGROUP_LABELS,
  type Collector,
  type CollectorContext,
  type CollectorMetrics,
  type CollectorStats,
  type MetricFamily,
} from './types.js';
import { compareText } from '../util/compare.js';

export interface CgroupCpuOptions {
  /** Where to look for cpu hierarchies; default: $KERNO_CGROUP_ROOT, else the mounts in mountinfo. */
  root?: string;
  /** Directory depth bound below each hierarchy root. */
  maxDepth?: number;
  /** At most this many entries are reported, the most throttled first. */
  maxEntries?: number;
  /** Monotonic clock in ns (tests). */
  nowNs?: () => number;
}

export const CGROUP_CPU_DEFAULTS = { maxDepth: 8, maxEntries: 256 } as const;

interface Baseline extends CpuCounters {
  atNs: number;
}

/** One read of a quota'd leaf. */
interface LeafSample {
  key: string;
  hierarchy: CpuHierarchy;
  rel: string;
  quota: CpuQuota;
  counters: CpuCounters;
  atNs: number;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const CGROUP_CPU_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'cgroup_cpu_periods_total',
    type: 'counter',
    labels: CGROUP_LABELS,
    help: 'CFS enforcement periods elapsed with runnable tasks in a CPU-quota cgroup (nr_periods).',
  },
  {
    name: 'cgroup_cpu_throttled_periods_total',
    type: 'counter',
    labels: CGROUP_LABELS,
    help: 'Periods in which a CPU-quota cgroup used up its quota and was throttled (nr_throttled).',
  },
  {
    name: 'cgroup_cpu_throttled_seconds_total',
    type: 'counter',
    labels: CGROUP_LABELS,
    help: 'Time the runqueues of a CPU-quota cgroup spent throttled, summed over CPUs.',
  },
  {
    name: 'cgroup_cpu_quota_cores',
    type: 'gauge',
    labels: CGROUP_LABELS,
    help: 'CPU quota of a cgroup in cores (quota ÷ period).',
    fold: 'sum',
  },
];

export const cgroupCpuDef: CollectorDef = {
  name: 'cgroup_cpu',
  bpf: false,
  create: (opts) => new CgroupCpuCollector({ root: opts.cgroupRoot }),
  description: 'CPU throttling of cgroups with a CPU quota (v1 and v2)',
  families: CGROUP_CPU_FAMILIES,
};

export class CgroupCpuCollector implements Collector {
  readonly name = 'cgroup_cpu';
  private readonly opts: Required<Omit<CgroupCpuOptions, 'root'>> & Pick<CgroupCpuOptions, 'root'>;
  private hierarchies: CpuHierarchy[] = [];
  private baselines = new Map<string, Baseline>();
  private windowStartNs = 0;
  private ctx: CollectorContext | undefined;
  private samplesRead = 0;
  private truncatedWarned = false;

  constructor(opts: CgroupCpuOptions = {}) {
    this.opts = {
      maxDepth: opts.maxDepth ?? CGROUP_CPU_DEFAULTS.maxDepth,
      maxEntries: opts.maxEntries ?? CGROUP_CPU_DEFAULTS.maxEntries,
      nowNs: opts.nowNs ?? (() => performance.now() * 1e6),
      root: opts.root ?? (process.env[CGROUP_ROOT_ENV] || undefined),
    };
  }

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    const root = this.opts.root;
    this.hierarchies = await findCpuHierarchies(root);
    if (this.hierarchies.length === 0) {
      if (root !== undefined) {
        throw new Error(
          `cgroup_cpu: no cpu cgroup hierarchy at ${root} (looked for cgroup2 with cpu in cgroup.controllers, ` +
            `or v1 cpu.cfs_quota_us, in ${root}, ${root}/unified, ${root}/cpu,cpuacct and ${root}/cpu)`,
        );
      }
      throw new UnsupportedError(
        'cgroup_cpu: no cpu cgroup controller is mounted (neither cgroup v1 cpu nor cgroup2 with cpu enabled)',
      );
    }
    ctx.log('debug', 'cgroup_cpu: scanning', { hierarchies: this.hierarchies });
    await this.takeBaselines();
  }

  async reset(): Promise<void> {
    await this.takeBaselines();
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const leaves = await this.scanLeaves();
    const entries = leaves.map((leaf) => this.entry(leaf));
    entries.sort(
      (a, b) =>
        b.throttledPct - a.throttledPct ||
        b.throttledSec - a.throttledSec ||
        compareText(a.cgroupPath, b.cgroupPath),
    );
    const kept = entries.slice(0, this.opts.maxEntries);
    for (const e of kept) notePathIdentity(e);
    const cgroupCpu: CgroupCpuSignals = {
      root: this.hierarchies.map((h) => h.root).join(', '),
      cgroups: kept,
    };
    return { cgroupCpu };
  }

  /** Cumulative counters and the quota per quota'd leaf (bounded by maxEntries), read when scraped. */
  async metrics(): Promise<CollectorMetrics> {
    const leaves = await this.scanLeaves();
    const pct = (c: CpuCounters) => (c.periods > 0 ? c.throttledPeriods / c.periods : 0);
    leaves.sort((a, b) => pct(b.counters) - pct(a.counters) || compareText(a.rel, b.rel));
    const kept = leaves.slice(0, this.opts.maxEntries);
    // Namespace, pod and container are filled in from the cgroup label (src/k8s/enrich.ts nameMetrics).
    const series = (f: (l: LeafSample) => number) =>
      kept.map((l) => ({
        labels: { cgroup: l.rel },
        value: f(l),
      }));
    return {
      counters: {
        cgroup_cpu_periods_total: series((l) => l.counters.periods),
        cgroup_cpu_throttled_periods_total: series((l) => l.counters.throttledPeriods),
        cgroup_cpu_throttled_seconds_total: series((l) => l.counters.throttledNs / 1e9),
      },
      gauges: { cgroup_cpu_quota_cores: series((l) => l.quota.quotaUs / l.quota.periodUs) },
    };
  }

  stats(): CollectorStats {
    return { programsLoaded: 0, programsTotal: 0, events: this.samplesRead, eventsDropped: 0 };
  }

  async stop(): Promise<void> {
    // Nothing held open between reads.
  }

  private entry(leaf: LeafSample): CgroupCpuEntry {
    const now = leaf.counters;
    let base: Baseline | undefined = this.baselines.get(leaf.key);
    // Counters only grow; one below its baseline means the cgroup was removed and created again.
    if (
      base !== undefined &&
      (now.periods < base.periods ||
        now.throttledPeriods < base.throttledPeriods ||
        now.throttledNs < base.throttledNs ||
        (now.usageNs !== undefined && base.usageNs !== undefined && now.usageNs < base.usageNs))
    )
      base = undefined;
    const from: Baseline = base ?? {
      atNs: this.windowStartNs,
      periods: 0,
      throttledPeriods: 0,
      throttledNs: 0,
      usageNs: 0,
    };
    const windowNs = Math.max(0, leaf.atNs - from.atNs);
    const periods = now.periods - from.periods;
    const throttledPeriods = now.throttledPeriods - from.throttledPeriods;
    const throttledNs = now.throttledNs - from.throttledNs;
    const entry: CgroupCpuEntry = {
      cgroupPath: leaf.rel,
      version: leaf.hierarchy.version,
      quotaCores: leaf.quota.quotaUs / leaf.quota.periodUs,
      periodUs: leaf.quota.periodUs,
      periods,
      throttledPeriods,
      throttledPct: periods > 0 ? (throttledPeriods / periods) * 100 : 0,
      throttledSec: throttledNs / 1e9,
      throttledTimePct: windowNs > 0 ? (throttledNs / windowNs) * 100 : 0,
    };
    // A baseline read before cpuacct was readable has no usage: then the window's usage is unknown too.
    if (now.usageNs !== undefined && from.usageNs !== undefined && windowNs > 0)
      entry.usageCores = (now.usageNs - from.usageNs) / windowNs;
    return entry;
  }

  /** Baselines for every cgroup of every hierarchy: one that gets a quota later still has its usage so far. */
  private async takeBaselines(): Promise<void> {
    const next = new Map<string, Baseline>();
    for (const h of this.hierarchies) {
      const walk = await this.walk(h);
      const read = await mapSliced(walk, (d) => ({
        d,
        c: readCpuCounters(h, d.rel),
        atNs: this.opts.nowNs(),
      }));
      for (const { d, c, atNs } of read) if (c !== undefined) next.set(key(h, d.rel), { ...c, atNs });
      this.samplesRead += read.length;
    }
    this.baselines = next;
    this.windowStartNs = this.opts.nowNs();
  }

  private async scanLeaves(): Promise<LeafSample[]> {
    const perHierarchy = await Promise.all(this.hierarchies.map((h) => this.scanHierarchy(h)));
    const leaves = perHierarchy.flat();
    this.samplesRead += leaves.length;
    return leaves;
  }

  private async scanHierarchy(h: CpuHierarchy): Promise<LeafSample[]> {
    const dirs = await this.walk(h);
    const quotas = await mapSliced(dirs, (d) => readOwnQuota(h, d.abs));
    const limited = dirs.flatMap((d, i) => {
      const quota = quotas[i];
      return quota === undefined ? [] : [{ rel: d.rel, quota }];
    });
    const leaves = limitedLeaves(limited.map((l) => l.rel));
    const samples = await mapSliced(
      limited.filter((l) => leaves.has(l.rel)),
      ({ rel, quota }): LeafSample | undefined => {
        const counters = readCpuCounters(h, rel);
        return counters && { key: key(h, rel), hierarchy: h, rel, quota, counters, atNs: this.opts.nowNs() };
      },
    );
    return samples.filter((s): s is LeafSample => s !== undefined);
  }

  private async walk(h: CpuHierarchy) {
    const walk = await walkCgroupTree(h.root, this.opts.maxDepth);
    if (walk.truncated && !this.truncatedWarned) {
      this.truncatedWarned = true;
      this.ctx?.log('warn', 'cgroup_cpu: cgroup tree too large, scanning a breadth-first prefix', {
        root: h.root,
        dirs: walk.dirs.length,
      });
    }
    return walk.dirs;
  }
}

function key(h: CpuHierarchy, rel: string): string {
  return `${h.version}:${rel}`;
}

export function createCgroupCpuCollector(opts: CgroupCpuOptions = {}): Collector {
  return new CgroupCpuCollector(opts);
}
