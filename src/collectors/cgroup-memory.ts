// cgroup_memory: per-container memory pressure from cgroup files (no BPF, no root needed to read).
//
// Scans every memory hierarchy present (cgroup v1 `memory` and/or cgroup2 with the memory controller) to a
// depth of 8, every 5 s plus at start and at snapshot, and reports limited cgroups leaf-only: a cgroup with
// its own limit is reported only when none of its descendants has one, so a Kubernetes pod yields one entry
// per container, not one per hierarchy level (kubepods → QoS → pod → container). The output is bounded to
// the `maxEntries` (256) fullest cgroups by used%. Rates are deltas between a cgroup's first sample in the
// window and the snapshot's sample.

import type { CgroupMemoryEntry, CgroupMemorySignals, SignalsPart } from '../signals/types.js';
import { notePathIdentity } from '../k8s/cgroup-path.js';
import { findMemoryHierarchies, type MemoryHierarchy } from './procfs/cgroup-mounts.js';
import { readMemorySample, readOwnLimit, type CgroupMemorySample } from './procfs/cgroup-memory-files.js';
import { walkCgroupTree } from './procfs/cgroup-walk.js';
import { psiWindow, type PsiStats } from './procfs/psi.js';
import { mapSliced } from './procfs/sliced.js';
import { UnsupportedError } from './procfs/unsupported.js';
import {
  type CollectorDef,
  CGROUP_LABELS,
  type Collector,
  type CollectorContext,
  type CollectorMetrics,
  type CollectorStats,
  type LiveReading,
  type MetricFamily,
} from './types.js';
import { compareText } from '../util/compare.js';

export const CGROUP_ROOT_ENV = 'KERNO_CGROUP_ROOT';

export interface CgroupMemoryOptions {
  /** Where to look for memory hierarchies; default: $KERNO_CGROUP_ROOT, else the mounts in mountinfo. */
  root?: string;
  pollIntervalMs?: number;
  /** Directory depth bound below each hierarchy root. */
  maxDepth?: number;
  /** At most this many entries are reported, the highest used% first. */
  maxEntries?: number;
  /** Monotonic clock in ns (tests). */
  nowNs?: () => number;
}

export const CGROUP_MEMORY_DEFAULTS = { pollIntervalMs: 5000, maxDepth: 8, maxEntries: 256 } as const;

interface LeafSample {
  key: string;
  hierarchy: MemoryHierarchy;
  rel: string;
  sample: CgroupMemorySample;
  atNs: number;
}

interface Baseline {
  atNs: number;
  currentBytes: number;
  failcnt: number;
  eventsHigh: number;
  psi?: PsiStats;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const CGROUP_MEMORY_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'cgroup_memory_usage_bytes',
    type: 'gauge',
    labels: CGROUP_LABELS,
    help: 'Memory used by a memory-limited cgroup.',
    fold: 'sum',
  },
  {
    name: 'cgroup_memory_limit_bytes',
    type: 'gauge',
    labels: CGROUP_LABELS,
    help: 'Memory limit of a memory-limited cgroup.',
    fold: 'sum',
  },
  {
    name: 'cgroup_memory_used_ratio',
    type: 'gauge',
    labels: CGROUP_LABELS,
    help: 'Memory used ÷ limit of a memory-limited cgroup (0-1); the overflow series holds the maximum.',
    fold: 'max',
  },
];

export const cgroupMemoryDef: CollectorDef = {
  name: 'cgroup_memory',
  bpf: false,
  create: (opts) => new CgroupMemoryCollector({ root: opts.cgroupRoot }),
  description: 'memory-limited cgroups (v1 and v2)',
  families: CGROUP_MEMORY_FAMILIES,
};

export class CgroupMemoryCollector implements Collector {
  readonly name = 'cgroup_memory';
  private readonly opts: Required<Omit<CgroupMemoryOptions, 'root'>> & Pick<CgroupMemoryOptions, 'root'>;
  private hierarchies: MemoryHierarchy[] = [];
  private baselines = new Map<string, Baseline>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<LeafSample[]> | undefined;
  private ctx: CollectorContext | undefined;
  private samplesRead = 0;
  /** The latest scan's fullest cgroup (the 5 s timer's, or a snapshot's), for the live view. */
  private fullest: { rel: string; pct: number } | undefined;
  private truncatedWarned = false;

  constructor(opts: CgroupMemoryOptions = {}) {
    this.opts = {
      pollIntervalMs: opts.pollIntervalMs ?? CGROUP_MEMORY_DEFAULTS.pollIntervalMs,
      maxDepth: opts.maxDepth ?? CGROUP_MEMORY_DEFAULTS.maxDepth,
      maxEntries: opts.maxEntries ?? CGROUP_MEMORY_DEFAULTS.maxEntries,
      nowNs: opts.nowNs ?? (() => performance.now() * 1e6),
      root: opts.root ?? (process.env[CGROUP_ROOT_ENV] || undefined),
    };
  }

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    const root = this.opts.root;
    this.hierarchies = await findMemoryHierarchies(root);
    if (this.hierarchies.length === 0) {
      if (root !== undefined) {
        throw new Error(
          `cgroup_memory: no memory cgroup hierarchy at ${root} (looked for cgroup2 with memory in ` +
            `cgroup.controllers, or v1 memory.usage_in_bytes, in ${root}, ${root}/unified and ${root}/memory)`,
        );
      }
      throw new UnsupportedError(
        'cgroup_memory: no memory cgroup controller is mounted (neither cgroup v1 memory nor cgroup2 ' +
          'with memory enabled)',
      );
    }
    ctx.log('debug', 'cgroup_memory: scanning', { hierarchies: this.hierarchies });
    await this.poll();
    this.timer = setInterval(() => {
      this.poll().catch((err: unknown) => {
        this.clearTimer();
        ctx.fault(err);
      });
    }, this.opts.pollIntervalMs);
    this.timer.unref();
    ctx.signal.addEventListener('abort', () => this.clearTimer(), { once: true });
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const leaves = await this.poll();
    const containers = leaves.map((leaf) => this.entry(leaf));
    containers.sort((a, b) => b.usedPct - a.usedPct || compareText(a.cgroupPath, b.cgroupPath));
    const kept = containers.slice(0, this.opts.maxEntries);
    for (const e of kept) notePathIdentity(e);
    const cgroupMemory: CgroupMemorySignals = {
      root: this.hierarchies.map((h) => h.root).join(', '),
      containers: kept,
    };
    return { cgroupMemory };
  }

  /** Usage, limit and used ratio per limited leaf cgroup (bounded by maxEntries), read when scraped. */
  async metrics(): Promise<CollectorMetrics> {
    const { cgroupMemory } = await this.snapshot(0);
    const g = (f: (e: CgroupMemoryEntry) => number) =>
      (cgroupMemory?.containers ?? []).map((e) => ({
        labels: { cgroup: e.cgroupPath },
        value: f(e),
      }));
    return {
      gauges: {
        cgroup_memory_usage_bytes: g((e) => e.currentBytes),
        cgroup_memory_limit_bytes: g((e) => e.limitBytes),
        cgroup_memory_used_ratio: g((e) => (e.limitBytes > 0 ? e.currentBytes / e.limitBytes : 0)),
      },
    };
  }

  async reset(): Promise<void> {
    this.baselines.clear();
    await this.poll();
  }

  stats(): CollectorStats {
    return { programsLoaded: 0, programsTotal: 0, events: this.samplesRead, eventsDropped: 0 };
  }

  /** Samples so far and the cgroup closest to its limit at the latest scan: no cgroupfs read of its own. */
  live(): LiveReading {
    const f = this.fullest;
    if (!f) return { events: this.samplesRead };
    return {
      events: this.samplesRead,
      top: { label: `closest to its limit ${f.rel}`, value: f.pct, unit: '%' },
    };
  }

  async stop(): Promise<void> {
    this.clearTimer();
    await this.inFlight?.catch(() => undefined);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private entry(leaf: LeafSample): CgroupMemoryEntry {
    const s = leaf.sample;
    const base = this.baselines.get(leaf.key);
    const dtSec = base ? (leaf.atNs - base.atNs) / 1e9 : 0;
    const rate = (now: number, then: number | undefined): number =>
      dtSec > 0 && then !== undefined ? (now - then) / dtSec : 0;
    const entry: CgroupMemoryEntry = {
      cgroupPath: leaf.rel,
      version: s.version,
      currentBytes: s.currentBytes,
      limitBytes: s.limitBytes,
      highBytes: s.highBytes,
      usedPct: s.limitBytes > 0 ? (s.currentBytes / s.limitBytes) * 100 : s.currentBytes > 0 ? 100 : 0,
      growthRateBytesPerSec: rate(s.currentBytes, base?.currentBytes),
      // Counters only grow; a drop means the cgroup was recreated under the same path, not negative events.
      highEventRatePerSec: Math.max(0, rate(s.events.high, base?.eventsHigh)),
      failcnt: s.failcnt,
      failcntRatePerSec: Math.max(0, rate(s.failcnt, base?.failcnt)),
      events: s.events,
      underOom: s.underOom,
    };
    if (s.psi && base?.psi && dtSec > 0) entry.psi = psiWindow(base.psi, s.psi, dtSec * 1e9);
    return entry;
  }

  /** One scan; concurrent callers (timer and snapshot) share it. */
  private poll(): Promise<LeafSample[]> {
    this.inFlight ??= this.scan().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async scan(): Promise<LeafSample[]> {
    const perHierarchy = await Promise.all(this.hierarchies.map((h) => this.scanHierarchy(h)));
    const leaves = perHierarchy.flat();
    this.samplesRead += leaves.length;
    this.fullest = undefined;
    for (const { rel, sample } of leaves) {
      if (sample.limitBytes <= 0) continue;
      const pct = (sample.currentBytes / sample.limitBytes) * 100;
      if (pct > (this.fullest?.pct ?? -1)) this.fullest = { rel, pct };
    }
    const live = new Set<string>();
    for (const leaf of leaves) {
      live.add(leaf.key);
      if (!this.baselines.has(leaf.key)) {
        const s = leaf.sample;
        const base: Baseline = {
          atNs: leaf.atNs,
          currentBytes: s.currentBytes,
          failcnt: s.failcnt,
          eventsHigh: s.events.high,
        };
        if (s.psi) base.psi = s.psi;
        this.baselines.set(leaf.key, base);
      }
    }
    // Forget cgroups that vanished or stopped being limited leaves: bounds the map under container churn.
    for (const key of this.baselines.keys()) if (!live.has(key)) this.baselines.delete(key);
    return leaves;
  }

  private async scanHierarchy(h: MemoryHierarchy): Promise<LeafSample[]> {
    const walk = await walkCgroupTree(h.root, this.opts.maxDepth);
    if (walk.truncated && !this.truncatedWarned) {
      this.truncatedWarned = true;
      this.ctx?.log('warn', 'cgroup_memory: cgroup tree too large, scanning a breadth-first prefix', {
        root: h.root,
        dirs: walk.dirs.length,
      });
    }
    const limits = await mapSliced(walk.dirs, (d) => readOwnLimit(h.version, d.abs));
    const limited = walk.dirs.flatMap((d, i) => {
      const limit = limits[i];
      return limit === undefined ? [] : [{ dir: d, limit }];
    });
    const leaves = limitedLeaves(limited.map((l) => l.dir.rel));
    const chosen = limited.filter((l) => leaves.has(l.dir.rel));
    const samples = await mapSliced(chosen, ({ dir, limit }) => {
      const sample = readMemorySample(h.version, dir.abs, limit);
      return (
        sample && {
          key: `${h.version}:${dir.rel}`,
          hierarchy: h,
          rel: dir.rel,
          sample,
          atNs: this.opts.nowNs(),
        }
      );
    });
    return samples.filter((s): s is LeafSample => s !== undefined);
  }
}

/**
 * The limited paths that have no limited descendant. Marking every proper ancestor of each limited path is
 * O(paths × depth) and needs no tree.
 */
export function limitedLeaves(paths: string[]): Set<string> {
  const hasLimitedDescendant = new Set<string>();
  for (const p of paths) {
    for (let cut = p.lastIndexOf('/'); cut > 0; cut = p.lastIndexOf('/', cut - 1)) {
      hasLimitedDescendant.add(p.slice(0, cut));
    }
    if (p !== '/') hasLimitedDescendant.add('/');
  }
  return new Set(paths.filter((p) => !hasLimitedDescendant.has(p)));
}

export function createCgroupMemoryCollector(opts: CgroupMemoryOptions = {}): Collector {
  return new CgroupMemoryCollector(opts);
}
