// memory: host-wide memory from /proc/meminfo (no BPF, no root). Polled at start, every second and at
// snapshot; growth is used-bytes change from the window's first poll to its last. Memory PSI for the window
// comes from the `total` counter of /proc/pressure/memory read at start and at snapshot.

import type { MemorySignals, SignalsPart } from '../signals/types.js';
import { MEMINFO_PATH, readMeminfo, usedBytes, type Meminfo } from './procfs/meminfo.js';
import { psiPath, psiWindow, readPsi, type PsiStats } from './procfs/psi.js';
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  MetricFamily,
} from './types.js';

export interface MemoryCollectorOptions {
  meminfoPath?: string;
  /** Memory pressure file; a missing file just leaves `psi` out. */
  psiPath?: string;
  pollIntervalMs?: number;
  /** Monotonic clock in ns (tests). */
  nowNs?: () => number;
}

interface Poll {
  atNs: number;
  mem: Meminfo;
}

interface PsiRead {
  atNs: number;
  stats: PsiStats;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const MEMORY_FAMILIES: readonly MetricFamily[] = [
  { name: 'memory_total_bytes', type: 'gauge', labels: [], help: 'Host memory total (MemTotal).' },
  {
    name: 'memory_available_bytes',
    type: 'gauge',
    labels: [],
    help: 'Host memory available for new work without swapping (MemAvailable).',
  },
  {
    name: 'memory_used_bytes',
    type: 'gauge',
    labels: [],
    help: 'Host memory in use (MemTotal - MemAvailable).',
  },
  { name: 'swap_total_bytes', type: 'gauge', labels: [], help: 'Swap space total.' },
  { name: 'swap_used_bytes', type: 'gauge', labels: [], help: 'Swap space in use.' },
];

export const memoryDef: CollectorDef = {
  name: 'memory',
  bpf: false,
  create: () => new MemoryCollector(),
  description: 'host memory (/proc/meminfo, PSI)',
  families: MEMORY_FAMILIES,
};

export class MemoryCollector implements Collector {
  readonly name = 'memory';
  private readonly meminfoPath: string;
  private readonly psiFile: string;
  private readonly pollIntervalMs: number;
  private readonly nowNs: () => number;
  private first: Poll | undefined;
  private psiStart: PsiRead | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private polls = 0;
  private latest: Poll | undefined;

  constructor(opts: MemoryCollectorOptions = {}) {
    this.meminfoPath = opts.meminfoPath ?? MEMINFO_PATH;
    this.psiFile = opts.psiPath ?? psiPath('memory');
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.nowNs = opts.nowNs ?? (() => performance.now() * 1e6);
  }

  async start(ctx: CollectorContext): Promise<void> {
    await this.beginWindow();
    this.timer = setInterval(() => {
      // Skip a tick rather than stack reads if the filesystem is slow.
      if (this.polling) return;
      this.polling = true;
      this.poll()
        .catch((err: unknown) => {
          this.clearTimer();
          ctx.fault(err);
        })
        .finally(() => {
          this.polling = false;
        });
    }, this.pollIntervalMs);
    this.timer.unref();
    ctx.signal.addEventListener('abort', () => this.clearTimer(), { once: true });
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const [last, psiNow] = await Promise.all([this.poll(), this.readPsi()]);
    const first = this.first ?? last;
    const dtSec = (last.atNs - first.atNs) / 1e9;
    const used = usedBytes(last.mem);
    const memory: MemorySignals = {
      totalBytes: last.mem.totalBytes,
      availableBytes: last.mem.availableBytes,
      usedBytes: used,
      usedPct: last.mem.totalBytes > 0 ? (used / last.mem.totalBytes) * 100 : 0,
      swapTotalBytes: last.mem.swapTotalBytes,
      swapUsedBytes: Math.max(0, last.mem.swapTotalBytes - last.mem.swapFreeBytes),
      growthRateBytesPerSec: dtSec > 0 ? (used - usedBytes(first.mem)) / dtSec : 0,
    };
    if (this.psiStart && psiNow) {
      memory.psi = psiWindow(this.psiStart.stats, psiNow.stats, psiNow.atNs - this.psiStart.atNs);
    }
    return { memory };
  }

  async reset(): Promise<void> {
    await this.beginWindow();
  }

  /** Current host memory, read when Prometheus scrapes. */
  async metrics(): Promise<CollectorMetrics> {
    const m = await readMeminfo(this.meminfoPath);
    const g = (value: number) => [{ labels: {}, value }];
    return {
      gauges: {
        memory_total_bytes: g(m.totalBytes),
        memory_available_bytes: g(m.availableBytes),
        memory_used_bytes: g(usedBytes(m)),
        swap_total_bytes: g(m.swapTotalBytes),
        swap_used_bytes: g(Math.max(0, m.swapTotalBytes - m.swapFreeBytes)),
      },
    };
  }

  stats(): CollectorStats {
    return { programsLoaded: 0, programsTotal: 0, events: this.polls, eventsDropped: 0 };
  }

  /** Polls so far and host memory in use at the latest one (the 1 s timer's): no read of its own. */
  live(): LiveReading {
    const m = this.latest?.mem;
    if (!m || m.totalBytes <= 0) return { events: this.polls };
    return {
      events: this.polls,
      top: { label: 'host memory used', value: (usedBytes(m) / m.totalBytes) * 100, unit: '%' },
    };
  }

  async stop(): Promise<void> {
    this.clearTimer();
  }

  private async beginWindow(): Promise<void> {
    const [poll, psi] = await Promise.all([this.poll(), this.readPsi()]);
    this.first = poll;
    this.psiStart = psi;
  }

  private async poll(): Promise<Poll> {
    const mem = await readMeminfo(this.meminfoPath);
    const poll = { atNs: this.nowNs(), mem };
    this.polls++;
    this.latest = poll;
    return poll;
  }

  private async readPsi(): Promise<PsiRead | undefined> {
    const stats = await readPsi(this.psiFile);
    return stats && { atNs: this.nowNs(), stats };
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export function createMemoryCollector(opts: MemoryCollectorOptions = {}): Collector {
  return new MemoryCollector(opts);
}
