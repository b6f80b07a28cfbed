// The Signals snapshot: the single integration point between collectors and everything downstream
// (rules, renderers, exporters). JSON conventions (design §6): camelCase, durations and latencies as integer
// nanoseconds, timestamps as RFC 3339 strings. A missing sub-snapshot means "not observed" — rules skip it,
// and `coverage` says why it is missing.

// 2: TCP counts every network namespace (per-namespace breakdown), and its names say what they count
//    (retransmitEvents, tracedRetransSegs; a connection's retransSegs).
export const SCHEMA_VERSION = 2;

/** Latency distribution summary. All values are integer nanoseconds; `count` is the number of samples. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface HostInfo {
  hostname: string;
  kernelRelease: string;
  arch: string;
  bootId: string;
  /** Additive: where kerno runs, and whether cgroups could be named as pods and containers. */
  environment?: HostEnvironment;
}

/** kubernetes: a node (kerno in a pod); container: some other container; systemd: a systemd host. */
export type EnvironmentKind = 'kubernetes' | 'container' | 'systemd' | 'bare-metal';

export interface HostEnvironment {
  kind: EnvironmentKind;
  /** Kubernetes only, from the downward API env. */
  nodeName?: string;
  /** Present when the kubelet pod lookup is enabled. */
  podNames?: PodNamesStatus;
}

/** Whether findings could name pods and containers instead of cgroup paths, and why not. */
export interface PodNamesStatus {
  /** ok: a pod list was used; pending: the kubelet had not answered yet; unavailable: it failed. */
  state: 'ok' | 'pending' | 'unavailable';
  /** One line: why not ok (or that the list in use is stale). */
  reason?: string;
  /** unavailable only: config, unauthorized, forbidden, http, timeout, unreachable, tls, bad_response. */
  error?: string;
  /** Pods in the list used. */
  pods: number;
}

/**
 * Canonical collector names (as used in config, coverage, metrics labels), each with the Signals key it
 * fills, in report order. Coverage, the JSON key order and the config's collector switches all derive from
 * this table, so a new signal is one row here beside its type.
 */
export const COLLECTOR_SIGNALS = {
  syscall: 'syscall',
  tcp: 'tcp',
  dns: 'dns',
  fd: 'fd',
  memory: 'memory',
  pressure: 'pressure',
  cgroup_memory: 'cgroupMemory',
  cgroup_cpu: 'cgroupCpu',
  oom: 'oom',
  sched: 'sched',
  disk: 'disk',
  kernel: 'kernel',
} as const satisfies Record<string, keyof SignalsPart>;
export type CollectorName = keyof typeof COLLECTOR_SIGNALS;
export const COLLECTOR_NAMES = Object.keys(COLLECTOR_SIGNALS) as readonly CollectorName[];

// A Signals field no collector fills would never be observed: make that a compile error.
type UnfilledSignal = Exclude<keyof SignalsPart, (typeof COLLECTOR_SIGNALS)[CollectorName]>;
const EVERY_SIGNAL_HAS_A_COLLECTOR: [UnfilledSignal] extends [never] ? true : UnfilledSignal = true;
void EVERY_SIGNAL_HAS_A_COLLECTOR;

/**
 * Why an event was lost (a closed set: it is a metric label). queue_full: kerno's bounded queue was full;
 * ring_full: the kernel-side buffer was (BPF ring buffer reserve failure, /dev/kmsg records overwritten
 * before they were read); map_full: a BPF map had no room for a new key; no_start: an end event whose start
 * kerno never saw nor could recover (a disk completion of a request issued before attach, on a disk whose
 * block layer keeps no start time), so it could not be timed;
 * recursion: the kernel skipped one of kerno's programs because it was already running on that CPU
 * (`recursion_misses`: an event the program never saw); unspecified: the source does not say.
 */
export const DROP_REASONS = [
  'queue_full',
  'ring_full',
  'map_full',
  'no_start',
  'recursion',
  'unspecified',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * What a collector could and could not see during the window. "no findings" must never be confused with
 * "no data": renderers show every entry whose state is not `ok`, and any `eventsDropped > 0`.
 */
export interface CollectorCoverage {
  name: string;
  /** ok: ran for the window; failed: could not load/start; disabled: breaker open; off: disabled by config;
   *  unsupported: this machine lacks the mechanism (e.g. no /proc/pressure). */
  state: 'ok' | 'failed' | 'disabled' | 'off' | 'unsupported';
  /** One-line plain-language reason and fix hint, when state is not ok. */
  hint?: string;
  error?: string;
  programsLoaded: number;
  programsTotal: number;
  /** Events the collector aggregated during the window (best effort; in-kernel counts where possible). */
  events: number;
  /** Events lost (ring-buffer reserve failures, full queues, map-full updates), from BPF-side counters. */
  eventsDropped: number;
  /** `eventsDropped` by reason (only reasons with drops); present when eventsDropped > 0. */
  eventsDroppedByReason?: Partial<Record<DropReason, number>>;
  /**
   * Events a sampler thinned out (`events.sample_rate_per_sec`); present when > 0. Not a loss: the kept
   * events carry a `weight` that counts them.
   */
  eventsSampledOut?: number;
  restarts: number;
  faults: number;
}

/** One of kerno's own BPF programs over the window, as the kernel counted it (`bpf_prog_info`). */
export interface ProgramCost {
  /** The object (collector's BPF file) without `.bpf.o`: "syscall". */
  object: string;
  program: string;
  /** Times the program ran in the window. */
  runs: number;
  /** Time spent in it in the window, ns (the kernel's `run_time_ns`). */
  runTimeNs: number;
  /** runTimeNs ÷ runs (0 when it did not run). */
  avgNs: number;
  /**
   * Times the kernel skipped the program because it was already running on that CPU (`recursion_misses`):
   * events it never saw. A drop like any other.
   */
  recursionMisses: number;
}

/**
 * What kerno's own probes cost during the window, from the kernel's BPF run-time statistics (enabled for
 * the window through a BPF_ENABLE_STATS handle when `kernel.bpf_stats_enabled` is off: closed with the
 * window, it leaves the setting as it was).
 */
export interface SelfCost {
  /** False when the kernel would not count (no CAP_SYS_ADMIN, a kernel without BPF_ENABLE_STATS). */
  counted: boolean;
  /** Why not, when `counted` is false. */
  reason?: string;
  /** The window the figures cover, ns. */
  windowNs: number;
  /** Every loaded program, busiest (runTimeNs) first. */
  programs: ProgramCost[];
  totalRuns: number;
  totalRunTimeNs: number;
  /** totalRunTimeNs ÷ windowNs × 100: the share of one CPU kerno's probes took. */
  cpuPctOfOneCore: number;
  totalRecursionMisses: number;
}

// ---------------------------------------------------------------------------------------------- syscall

export interface ErrnoCount {
  errno: number;
  name: string;
  count: number;
}

/** Comm of the syscall collector's bounded-key overflow bucket: real calls, but no single process to point at. */
export const OTHER_COMM = '[other]';

export interface SyscallEntry {
  nr: number;
  name: string;
  /** Process name; OTHER_COMM for the bounded-key overflow bucket. */
  comm: string;
  count: number;
  errors: number;
  /** Top errnos for this (syscall, comm), largest first. */
  errnos: ErrnoCount[];
  latency: Percentiles;
  /**
   * True for syscalls that block by nature (poll, futex, nanosleep …, a read of a pipe or socket): waiting
   * is their job, so their latency is idle time rather than work.
   */
  blocking: boolean;
}

export interface SyscallSignals {
  totalCount: number;
  totalErrors: number;
  /** Sorted by p99 descending, then count descending. Bounded; overflow folded into comm "[other]". */
  entries: SyscallEntry[];
  /** The names the collector marks `blocking`, so a reader of the snapshot can see the whole list. */
  blockingSyscalls: string[];
}

// ---------------------------------------------------------------------------------------------- tcp

export interface TcpConnection {
  family: 4 | 6;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  /** Network-namespace inode of the socket (what /proc/<pid>/ns/net names); 0 = unknown. */
  netns: number;
  pid: number;
  comm: string;
  /** Segments this connection retransmitted in the window (a TSO/GSO retransmit carries several). */
  retransSegs: number;
  /** Smoothed RTT of the socket at its last retransmit, ns (0 = unknown). */
  srttNs: number;
}

/** One network namespace's TCP over the window: a pod, a container, an `ip netns`, or the host. */
export interface TcpNamespace {
  /** nsfs inode; 0 = sockets whose namespace was unknown (resets answering no socket). */
  netns: number;
  /** The namespace pid 1 lives in. */
  host: boolean;
  /** Its `ip netns` name (/run/netns), when it has one. */
  name?: string;
  /** A process living in it (0 = none found) and that process's name and cgroup, which say whose it is. */
  pid: number;
  comm: string;
  cgroupPath: string;
  containerId?: string;
  podUid?: string;
  /** Names from the kubelet's pod list, when it knew the pod / container. */
  namespace?: string;
  pod?: string;
  container?: string;
  /** False when the namespace's own MIB could not be read over the whole window (no process in it at one
   *  end): segmentsOut / retransSegs are then 0 and only the traced counts below are known. */
  mib: boolean;
  /** From the namespace's /proc/<pid>/net/snmp, deltas over the window. */
  segmentsOut: number;
  retransSegs: number;
  retransmitRatePct: number;
  /** From the tracepoints. */
  retransmitEvents: number;
  tracedRetransSegs: number;
  resetsSent: number;
  resetsReceived: number;
  /** RTT samples ≥ 100 ms from this namespace's sockets. */
  slowRttSamples: number;
}

export interface TcpSignals {
  /** Successful retransmit events seen by tcp_retransmit_skb during the window, all namespaces. */
  retransmitEvents: number;
  /** Segments in those retransmits (TSO/GSO skbs carry several), all namespaces. */
  tracedRetransSegs: number;
  /** Kernel TCP MIB counters (/proc/<pid>/net/snmp), summed over every network namespace whose MIB was
   *  read at both ends of the window (or that was created during it), deltas over the window. */
  segmentsOut: number;
  retransSegs: number;
  /** retransSegs ÷ segmentsOut × 100 over the window (0 when nothing was sent). */
  retransmitRatePct: number;
  rtt: Percentiles;
  resetsSent: number;
  resetsReceived: number;
  stateChanges: number;
  /** Connections in ESTABLISHED or CLOSE-WAIT at the end of the window (MIB CurrEstab), all namespaces. */
  activeConnections: number;
  /** Top retransmitting connections, by retransSegs descending. */
  topRetransmitters: TcpConnection[];
  /** Namespaces with traffic, by retransmitted segments, then segments sent (bounded: see otherNamespaces). */
  namespaces: TcpNamespace[];
  /** The namespaces beyond `namespaces`, summed. */
  otherNamespaces: { count: number; segmentsOut: number; retransSegs: number; tracedRetransSegs: number };
  /** Distinct network namespaces found (with a process in them) at the end of the window. */
  namespacesSeen: number;
}

// ---------------------------------------------------------------------------------------------- dns

/**
 * One client of one resolver: a process (in its network namespace) and the resolver it queried, over UDP
 * and TCP port 53. Counts are deltas over the window.
 */
export interface DnsClient {
  /** The resolver's address ("10.0.0.10", "fd00::53") and port. */
  resolver: string;
  resolverPort: number;
  family: 4 | 6;
  /**
   * The sending process (0 / "" when the query left from a context that was not the sender's). Processes of
   * one program in one namespace are one row (a shell loop's `getent` is a new process per lookup): `pid` is
   * the one that sent the most queries, `processes` how many there were.
   */
  pid: number;
  comm: string;
  processes: number;
  /** The sender's network-namespace inode (0 = unknown), its `ip netns` name and whether it is pid 1's. */
  netns: number;
  netnsName?: string;
  host: boolean;
  /** The sender's cgroup (from /proc/<pid>/cgroup), and the container / pod it names. */
  cgroupPath: string;
  containerId?: string;
  podUid?: string;
  /** Names from the kubelet's pod list, when it knew the pod / container. */
  namespace?: string;
  pod?: string;
  container?: string;
  /** Queries sent (a retransmission of an in-flight query is counted in `retransmits`, not here). */
  queries: number;
  /** Queries over TCP (also in `queries`). */
  tcpQueries: number;
  retransmits: number;
  /** Responses matched to a query, by RCODE: noerror + nxdomain + servfail + refused + otherRcode. */
  responses: number;
  noerror: number;
  /** Name does not exist: normal under search-path expansion, so not a failure. */
  nxdomain: number;
  servfail: number;
  refused: number;
  /** FORMERR, NOTIMP and the rest. */
  otherRcode: number;
  /** Queries not answered within `DnsSignals.timeoutNs`. */
  timeouts: number;
  /** servfail + refused + timeouts. */
  failures: number;
  /** failures ÷ queries × 100 (0 when no query). */
  failureRatePct: number;
  /** Query → response latency of the answered queries, whatever their RCODE. */
  latency: Percentiles;
  /** Responses that took `DnsSignals.slowNs` or longer (resolved to the histogram's 12.5 % buckets). */
  slowResponses: number;
}

export interface DnsSignals {
  /** Totals over every client, including those beyond `clients`. */
  queries: number;
  responses: number;
  nxdomain: number;
  servfail: number;
  refused: number;
  otherRcode: number;
  timeouts: number;
  failures: number;
  latency: Percentiles;
  /** Responses that matched no query in flight (sent before kerno attached, answered after the timeout). */
  unmatchedResponses: number;
  /** A query unanswered this long (ns) counts as a timeout (glibc's default per-try timeout: 5 s). */
  timeoutNs: number;
  /** What `slowResponses` counts: responses at least this slow (ns). */
  slowNs: number;
  /** (resolver, process) pairs by failures, then queries (bounded: see otherClients). */
  clients: DnsClient[];
  /** The clients beyond `clients`, summed. */
  otherClients: { count: number; queries: number; failures: number; nxdomain: number };
}

// ---------------------------------------------------------------------------------------------- fd

export interface FdEntry {
  pid: number;
  comm: string;
  opens: number;
  closes: number;
  netDelta: number;
  growthRatePerSec: number;
  /** From /proc/<pid>/fd for the top processes; -1 when unknown (process gone, not readable). */
  currentFds: number;
  /** Soft RLIMIT_NOFILE from /proc/<pid>/limits; 0 = unlimited, -1 = unknown. */
  fdLimit: number;
}

export interface FdSignals {
  totalOpens: number;
  totalCloses: number;
  netDelta: number;
  growthRatePerSec: number;
  /** By netDelta descending. */
  entries: FdEntry[];
}

// ---------------------------------------------------------------------------------------------- memory / PSI

/** Pressure stall over the window: the delta of the `total` counter (µs in the file, ns here). */
export interface PsiWindow {
  someStallNs: number;
  /** someStallNs ÷ window × 100. */
  somePct: number;
  fullStallNs: number;
  fullPct: number;
  /** The kernel's own 10 s averages at the end of the window (percent). */
  someAvg10: number;
  fullAvg10: number;
}

export interface MemorySignals {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
  usedPct: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
  /** Used-bytes growth between the first and last poll of the window, bytes per second (may be negative). */
  growthRateBytesPerSec: number;
  /** Memory PSI over the window when /proc/pressure/memory exists. */
  psi?: PsiWindow;
}

export interface PressureSignals {
  cpu?: PsiWindow;
  memory?: PsiWindow;
  io?: PsiWindow;
}

// ---------------------------------------------------------------------------------------------- cgroup memory

export interface CgroupMemoryEvents {
  low: number;
  high: number;
  max: number;
  oom: number;
  oomKill: number;
}

export interface CgroupMemoryEntry {
  cgroupPath: string;
  version: 1 | 2;
  pod?: string;
  podUid?: string;
  namespace?: string;
  containerId?: string;
  /** Container name in its pod spec (from the kubelet's pod list). */
  container?: string;
  /** systemd unit (e.g. nginx.service) for systemd-managed paths. */
  unit?: string;
  currentBytes: number;
  limitBytes: number;
  /** v2 memory.high; 0 = unset (always 0 on v1). */
  highBytes: number;
  usedPct: number;
  growthRateBytesPerSec: number;
  /** v2: rate of the memory.events `high` counter per second over the window. */
  highEventRatePerSec: number;
  /** v1: memory.failcnt and its growth per second over the window. */
  failcnt: number;
  failcntRatePerSec: number;
  /** Cumulative counters; v1 fills oomKill from memory.oom_control. */
  events: CgroupMemoryEvents;
  /** v1 oom_control under_oom. */
  underOom: boolean;
  /** v2 memory.pressure over the window. */
  psi?: PsiWindow;
}

export interface CgroupMemorySignals {
  root: string;
  /** Leaf cgroups with a memory limit (one per container, not one per hierarchy level). */
  containers: CgroupMemoryEntry[];
}

// ---------------------------------------------------------------------------------------------- cgroup cpu

/**
 * One leaf cgroup with a CPU quota (CFS bandwidth control) over the window. Counters are deltas over the
 * window; a cgroup created during the window counts from zero.
 */
export interface CgroupCpuEntry {
  cgroupPath: string;
  version: 1 | 2;
  pod?: string;
  podUid?: string;
  namespace?: string;
  containerId?: string;
  /** Container name in the pod spec (from the kubelet's pod list, src/k8s/enrich.ts). */
  container?: string;
  /** systemd unit (e.g. nginx.service) for systemd-managed paths. */
  unit?: string;
  /** quota ÷ period: the CPUs' worth of time the cgroup may use per period (v2 cpu.max, v1 cfs_quota_us). */
  quotaCores: number;
  periodUs: number;
  /** Enforcement periods that elapsed while the cgroup had runnable tasks (nr_periods). */
  periods: number;
  /** Periods in which the cgroup used up its quota and was throttled (nr_throttled). */
  throttledPeriods: number;
  /** throttledPeriods ÷ periods × 100 (0 when no period elapsed). */
  throttledPct: number;
  /** Time its runqueues spent throttled (v2 throttled_usec, v1 throttled_time), seconds, summed over CPUs. */
  throttledSec: number;
  /** throttledSec ÷ window × 100: summed over CPUs, so it can exceed 100 when several CPUs are throttled. */
  throttledTimePct: number;
  /** CPU time used ÷ window (v2 usage_usec, v1 cpuacct.usage); absent when not readable (v1 without a
   *  cpuacct cgroup at the same path). */
  usageCores?: number;
}

export interface CgroupCpuSignals {
  /** The scanned cpu hierarchy roots, comma-separated (v2 first). */
  root: string;
  /** Leaf cgroups with a CPU quota, the most throttled first (bounded). */
  cgroups: CgroupCpuEntry[];
}

// ---------------------------------------------------------------------------------------------- oom

export interface OomEvent {
  /** Wall-clock time of the kill, RFC 3339. */
  timestamp: string;
  pid: number;
  comm: string;
  cgroupId: number;
  /** Resolved from the cgroup id; "" when it could not be resolved. */
  cgroupPath: string;
  /** The pod and container owning that cgroup, from the kubelet's pod list, when known. */
  namespace?: string;
  pod?: string;
  container?: string;
  rssBytes: number;
  totalVmBytes: number;
  oomScoreAdj: number;
  /** Process that triggered the OOM (the allocating task). */
  triggeredPid: number;
  triggeredComm: string;
}

export interface OomSignals {
  count: number;
  events: OomEvent[];
}

// ---------------------------------------------------------------------------------------------- sched

export interface SchedDelayed {
  pid: number;
  comm: string;
  runqDelay: Percentiles;
  /** Sum of this process's run-queue waits in the window (ns): what the contention cost it. */
  totalDelayNs: number;
}

export interface SchedSignals {
  totalCount: number;
  runqDelay: Percentiles;
  /** Ranked by totalDelayNs: the processes the contention cost the most time. */
  topDelayed: SchedDelayed[];
}

// ---------------------------------------------------------------------------------------------- disk

export interface DiskDevice {
  /** "maj:min" */
  dev: string;
  /** From /sys/dev/block/<maj:min>/uevent DEVNAME; "" if unknown. */
  name: string;
  read: Percentiles;
  write: Percentiles;
  /** Writes someone waits for (REQ_SYNC: fsync, O_DSYNC, O_DIRECT, journal) plus FUA writes and flushes. */
  sync: Percentiles;
  readBytes: number;
  writeBytes: number;
}

export interface DiskSignals {
  totalReads: number;
  totalWrites: number;
  totalSyncs: number;
  readBytes: number;
  writeBytes: number;
  readLatency: Percentiles;
  writeLatency: Percentiles;
  syncLatency: Percentiles;
  devices: DiskDevice[];
}

// ---------------------------------------------------------------------------------------------- kernel health

export interface KernelMessage {
  /** Wall-clock time, RFC 3339. */
  timestamp: string;
  seq: number;
  level: number;
  kind:
    | 'oops'
    | 'bug'
    | 'warning'
    | 'hung_task'
    | 'soft_lockup'
    | 'hard_lockup'
    | 'rcu_stall'
    | 'mce'
    | 'panic'
    | 'gpf';
  line: string;
  context: string[];
  /** Present when > 1: this report also stands for `weight - 1` like reports sampled out after it. */
  weight?: number;
}

export interface KernelHealthSignals {
  oopsCount: number;
  oopsDelta: number;
  warnCount: number;
  warnDelta: number;
  /** /proc/sys/kernel/tainted */
  taint: number;
  taintFlags: { letter: string; bit: number; description: string }[];
  messages: KernelMessage[];
  /** Files found in /sys/fs/pstore (a previous boot's panic), when mounted. */
  pstore: { file: string; firstLines: string[] }[];
}

// ---------------------------------------------------------------------------------------------- Signals

export interface Signals {
  schemaVersion: number;
  /** Window start and end, RFC 3339. */
  windowStart: string;
  windowEnd: string;
  durationNs: number;
  host: HostInfo;
  coverage: CollectorCoverage[];
  syscall?: SyscallSignals;
  tcp?: TcpSignals;
  dns?: DnsSignals;
  fd?: FdSignals;
  memory?: MemorySignals;
  pressure?: PressureSignals;
  cgroupMemory?: CgroupMemorySignals;
  cgroupCpu?: CgroupCpuSignals;
  oom?: OomSignals;
  sched?: SchedSignals;
  disk?: DiskSignals;
  kernel?: KernelHealthSignals;
}

/** The part of Signals a collector contributes: exactly one key. */
export type SignalsPart = Partial<
  Omit<Signals, 'schemaVersion' | 'windowStart' | 'windowEnd' | 'durationNs' | 'host' | 'coverage'>
>;

export const EMPTY_PERCENTILES: Percentiles = Object.freeze({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
