// Synthetic Signals for rule tests. `quietSignals()` is a complete, valid snapshot of an idle 2-CPU host
// over a 30 s window, including the benign noise that real idle hosts show and that the original kerno
// fired on: blocking syscalls with second-long latencies, EAGAIN from event loops, stat() ENOENT probes,
// one slow read of a terminal, a couple of retransmitted keepalives, a few slow journal flushes.
// Tests take a fresh copy and change the one thing they exercise.
import {
  COLLECTOR_NAMES,
  SCHEMA_VERSION,
  type CgroupCpuEntry,
  type CgroupMemoryEntry,
  type CollectorCoverage,
  type CollectorName,
  type DiskDevice,
  type FdEntry,
  type OomEvent,
  type Percentiles,
  type PsiWindow,
  type Signals,
  type SyscallEntry,
  type TcpConnection,
  type TcpNamespace,
} from '../../../src/signals/types.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../../../src/doctor/thresholds.js';
import type { Finding } from '../../../src/doctor/types.js';

export const WINDOW_NS = 30e9;
export const MS = 1e6;
export const US = 1e3;
export const S = 1e9;
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export function pctl(count: number, p50: number, p95: number, p99: number, max = p99): Percentiles {
  return { count, p50, p95, p99, max };
}

export function psiWindow(somePct: number, fullPct: number, durationNs = WINDOW_NS): PsiWindow {
  return {
    someStallNs: Math.round((somePct / 100) * durationNs),
    somePct,
    fullStallNs: Math.round((fullPct / 100) * durationNs),
    fullPct,
    someAvg10: somePct,
    fullAvg10: fullPct,
  };
}

export function coverage(
  name: CollectorName | string,
  over: Partial<CollectorCoverage> = {},
): CollectorCoverage {
  return {
    name,
    state: 'ok',
    programsLoaded: 1,
    programsTotal: 1,
    events: 100,
    eventsDropped: 0,
    restarts: 0,
    faults: 0,
    ...over,
  };
}

export function syscallEntry(over: Partial<SyscallEntry> = {}): SyscallEntry {
  return {
    nr: 0,
    name: 'read',
    comm: 'app',
    count: 1000,
    errors: 0,
    errnos: [],
    latency: pctl(1000, 2 * US, 10 * US, 40 * US, 200 * US),
    blocking: false,
    ...over,
  };
}

export const HOST_NETNS = 4026531840;

/** A namespace's TCP; the rate follows segmentsOut / retransSegs unless given. */
export function tcpNamespace(over: Partial<TcpNamespace> = {}): TcpNamespace {
  const ns: TcpNamespace = {
    netns: HOST_NETNS,
    host: true,
    pid: 1,
    comm: 'systemd',
    cgroupPath: '/init.scope',
    mib: true,
    segmentsOut: 0,
    retransSegs: 0,
    retransmitRatePct: 0,
    retransmitEvents: 0,
    tracedRetransSegs: 0,
    resetsSent: 0,
    resetsReceived: 0,
    slowRttSamples: 0,
    ...over,
  };
  if (over.retransmitRatePct === undefined && ns.segmentsOut > 0)
    ns.retransmitRatePct = (ns.retransSegs / ns.segmentsOut) * 100;
  return ns;
}

export function tcpConn(over: Partial<TcpConnection> = {}): TcpConnection {
  return {
    family: 4,
    srcAddr: '10.0.0.1',
    dstAddr: '10.0.0.2',
    srcPort: 43210,
    dstPort: 80,
    netns: HOST_NETNS,
    pid: 4242,
    comm: 'curl',
    retransSegs: 1,
    srttNs: 300 * US,
    ...over,
  };
}

export function fdEntry(over: Partial<FdEntry> = {}): FdEntry {
  return {
    pid: 700,
    comm: 'sshd',
    opens: 10,
    closes: 9,
    netDelta: 1,
    growthRatePerSec: 1 / 30,
    currentFds: 12,
    fdLimit: 1024,
    ...over,
  };
}

export function cgroupEntry(over: Partial<CgroupMemoryEntry> = {}): CgroupMemoryEntry {
  return {
    cgroupPath: '/kerno-test/app',
    version: 1,
    currentBytes: 64 * MIB,
    limitBytes: 256 * MIB,
    highBytes: 0,
    usedPct: 25,
    growthRateBytesPerSec: 0,
    highEventRatePerSec: 0,
    failcnt: 0,
    failcntRatePerSec: 0,
    events: { low: 0, high: 0, max: 0, oom: 0, oomKill: 0 },
    underOom: false,
    ...over,
  };
}

/** A cgroup at `pct` % of `limit`, with the bytes consistent with the percentage. */
export function cgroupAt(
  pct: number,
  over: Partial<CgroupMemoryEntry> = {},
  limit = 256 * MIB,
): CgroupMemoryEntry {
  return cgroupEntry({
    limitBytes: limit,
    currentBytes: Math.round((limit * pct) / 100),
    usedPct: pct,
    ...over,
  });
}

/**
 * A quota'd cgroup over the 30 s window, throttled in `throttledPeriods` of `periods`, each throttled period
 * costing `throttledMsEach` ms of waiting; the derived percentages are consistent with those counts.
 */
export function cpuCgroup(
  periods: number,
  throttledPeriods: number,
  over: Partial<CgroupCpuEntry> = {},
  throttledMsEach = 50,
): CgroupCpuEntry {
  const throttledSec = (throttledPeriods * throttledMsEach) / 1000;
  return {
    cgroupPath: '/kerno-test/api',
    version: 1,
    quotaCores: 0.5,
    periodUs: 100_000,
    periods,
    throttledPeriods,
    throttledPct: periods > 0 ? (throttledPeriods / periods) * 100 : 0,
    throttledSec,
    throttledTimePct: ((throttledSec * 1e9) / WINDOW_NS) * 100,
    usageCores: 0.3,
    ...over,
  };
}

export function oomEvent(over: Partial<OomEvent> = {}): OomEvent {
  return {
    timestamp: '2025-01-01T00:00:10.000Z',
    pid: 5150,
    comm: 'leaky',
    cgroupId: 1234,
    cgroupPath: '/kerno-test/leaky',
    rssBytes: 240 * MIB,
    totalVmBytes: 512 * MIB,
    oomScoreAdj: 0,
    triggeredPid: 5150,
    triggeredComm: 'leaky',
    ...over,
  };
}

export function diskDevice(over: Partial<DiskDevice> = {}): DiskDevice {
  return {
    dev: '253:0',
    name: 'vda',
    read: pctl(40, 300 * US, 1 * MS, 2 * MS),
    write: pctl(300, 500 * US, 3 * MS, 8 * MS),
    sync: pctl(6, 2 * MS, 80 * MS, 80 * MS),
    readBytes: 1 * MIB,
    writeBytes: 12 * MIB,
    ...over,
  };
}

/** A complete, quiet snapshot of an idle host. Every call returns a fresh object. */
export function quietSignals(): Signals {
  const vda = diskDevice();
  return {
    schemaVersion: SCHEMA_VERSION,
    windowStart: '2025-01-01T00:00:00.000Z',
    windowEnd: '2025-01-01T00:00:30.000Z',
    durationNs: WINDOW_NS,
    host: { hostname: 'kerno-test-host', kernelRelease: '6.18.0', arch: 'x86_64', bootId: 'b00t' },
    coverage: COLLECTOR_NAMES.map((n) => coverage(n)),
    syscall: {
      totalCount: 20_000,
      totalErrors: 4_300,
      blockingSyscalls: ['poll', 'futex', 'epoll_wait', 'nanosleep', 'clock_nanosleep'],
      entries: [
        // Blocking by design: seconds-long waits are their job.
        syscallEntry({
          nr: 202,
          name: 'futex',
          comm: 'containerd',
          count: 3000,
          errors: 900,
          blocking: true,
          errnos: [{ errno: 110, name: 'ETIMEDOUT', count: 900 }],
          latency: pctl(3000, 1 * MS, 2 * S, 5 * S, 10 * S),
        }),
        syscallEntry({
          nr: 232,
          name: 'epoll_wait',
          comm: 'systemd',
          count: 40,
          blocking: true,
          latency: pctl(40, 1 * S, 5 * S, 10 * S),
        }),
        syscallEntry({
          nr: 230,
          name: 'clock_nanosleep',
          comm: 'sleep',
          count: 30,
          blocking: true,
          latency: pctl(30, 1 * S, 1 * S, 1 * S),
        }),
        // One slow read of a terminal: an interactive shell waiting for a keystroke.
        syscallEntry({
          nr: 0,
          name: 'read',
          comm: 'bash',
          count: 4,
          latency: pctl(4, 20 * US, 2 * S, 2 * S),
        }),
        // Event loop: EAGAIN is "nothing yet", not a failure.
        syscallEntry({
          nr: 0,
          name: 'read',
          comm: 'sshd',
          count: 5000,
          errors: 3000,
          errnos: [{ errno: 11, name: 'EAGAIN', count: 3000 }],
        }),
        // Existence probes: ENOENT is the answer.
        syscallEntry({
          nr: 262,
          name: 'newfstatat',
          comm: 'systemd',
          count: 2000,
          errors: 400,
          errnos: [{ errno: 2, name: 'ENOENT', count: 400 }],
        }),
        // Start-up of a short-lived process: some ENOENT from the dynamic loader's library search.
        syscallEntry({
          nr: 257,
          name: 'openat',
          comm: 'cron',
          count: 200,
          errors: 20,
          errnos: [{ errno: 2, name: 'ENOENT', count: 20 }],
        }),
        syscallEntry({
          nr: 16,
          name: 'ioctl',
          comm: 'bash',
          count: 50,
          errors: 30,
          errnos: [{ errno: 25, name: 'ENOTTY', count: 30 }],
        }),
        syscallEntry({ nr: 1, name: 'write', comm: 'journald', count: 400 }),
      ],
    },
    tcp: {
      retransmitEvents: 3,
      tracedRetransSegs: 3,
      segmentsOut: 120,
      retransSegs: 3,
      retransmitRatePct: 2.5,
      rtt: pctl(3, 300 * US, 40 * MS, 40 * MS),
      resetsSent: 0,
      resetsReceived: 0,
      stateChanges: 4,
      activeConnections: 2,
      topRetransmitters: [tcpConn({ retransSegs: 3, comm: 'sshd', pid: 700, dstPort: 22 })],
      namespaces: [
        tcpNamespace({ segmentsOut: 120, retransSegs: 3, retransmitEvents: 3, tracedRetransSegs: 3 }),
      ],
      otherNamespaces: { count: 0, segmentsOut: 0, retransSegs: 0, tracedRetransSegs: 0 },
      namespacesSeen: 1,
    },
    fd: {
      totalOpens: 400,
      totalCloses: 396,
      netDelta: 4,
      growthRatePerSec: 4 / 30,
      entries: [
        fdEntry(),
        fdEntry({
          pid: 1,
          comm: 'systemd',
          opens: 300,
          closes: 297,
          netDelta: 3,
          growthRatePerSec: 0.1,
          fdLimit: 0,
        }),
      ],
    },
    memory: {
      totalBytes: 8 * GIB,
      availableBytes: 4.8 * GIB,
      usedBytes: 3.2 * GIB,
      usedPct: 40,
      swapTotalBytes: 0,
      swapUsedBytes: 0,
      growthRateBytesPerSec: 20 * 1024,
      psi: psiWindow(0, 0),
    },
    pressure: {
      cpu: psiWindow(1.2, 0),
      memory: psiWindow(0, 0),
      io: psiWindow(0.5, 0.1),
    },
    cgroupMemory: {
      root: '/sys/fs/cgroup/memory',
      containers: [
        cgroupAt(30, { cgroupPath: '/kerno-test/app', failcnt: 3, failcntRatePerSec: 0.1 }),
        cgroupAt(
          60,
          {
            cgroupPath: '/kubepods/burstable/pod123/ctr',
            version: 2,
            pod: 'web-0',
            namespace: 'shop',
            highBytes: 200 * MIB,
            psi: psiWindow(0.3, 0),
          },
          512 * MIB,
        ),
      ],
    },
    // A busy API server under its 0.5-core quota (never throttled), and a cron job that woke for 5 periods
    // and hit its quota in 3 of them: a blip, not an incident.
    cgroupCpu: {
      root: '/sys/fs/cgroup/unified, /sys/fs/cgroup/cpu,cpuacct',
      cgroups: [
        cpuCgroup(5, 3, { cgroupPath: '/system.slice/logrotate.service', unit: 'logrotate.service' }, 80),
        cpuCgroup(300, 0, { usageCores: 0.45 }),
      ],
    },
    oom: { count: 0, events: [] },
    sched: {
      totalCount: 20_000,
      runqDelay: pctl(20_000, 8 * US, 120 * US, 800 * US, 6 * MS),
      topDelayed: [
        { pid: 1, comm: 'systemd', runqDelay: pctl(500, 8 * US, 100 * US, 700 * US), totalDelayNs: 9 * MS },
        { pid: 700, comm: 'sshd', runqDelay: pctl(200, 10 * US, 300 * US, 1 * MS), totalDelayNs: 5 * MS },
      ],
    },
    disk: {
      totalReads: vda.read.count,
      totalWrites: vda.write.count,
      totalSyncs: vda.sync.count,
      readBytes: vda.readBytes,
      writeBytes: vda.writeBytes,
      readLatency: vda.read,
      writeLatency: vda.write,
      syncLatency: vda.sync,
      devices: [vda],
    },
    kernel: {
      oopsCount: 0,
      oopsDelta: 0,
      warnCount: 0,
      warnDelta: 0,
      taint: 0,
      taintFlags: [],
      messages: [],
      pstore: [],
    },
  };
}

/** Marks a collector's coverage (and drops its part of the snapshot unless the state is ok). */
export function withCoverage(
  s: Signals,
  name: CollectorName,
  state: CollectorCoverage['state'],
  hint?: string,
): Signals {
  s.coverage = s.coverage.map((c) =>
    c.name === name ? coverage(name, { state, ...(hint ? { hint } : {}), programsLoaded: 0 }) : c,
  );
  if (state !== 'ok') {
    const key =
      ({ cgroup_memory: 'cgroupMemory', cgroup_cpu: 'cgroupCpu' } as Record<string, keyof Signals>)[name] ??
      (name as keyof Signals);
    delete (s as unknown as Record<string, unknown>)[key];
  }
  return s;
}

/** Recursively freezes a value, so a rule that mutates its input throws in strict mode. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}

/** Runs one rule with the default thresholds, optionally overridden, as the engine would. */
export function runRule(
  rule: { evaluate(s: Signals, t: Thresholds): Finding[] },
  s: Signals,
  over: Partial<Thresholds> = {},
): Finding[] {
  return rule.evaluate(s, { ...DEFAULT_THRESHOLDS, ...over });
}
