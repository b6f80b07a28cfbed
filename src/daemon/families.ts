// The collector metric families kerno exports (the metrics contract; docs/daemon.md lists them): a table, like
// prom-client's defaultMetrics, so adding a family is one row. Names carry units; histograms are in seconds.
// A collector reporting a family that is not in this table is logged once and not exported: the table is
// what users alert on, so it must not drift silently.

export type FamilyType = 'histogram' | 'counter' | 'gauge';

export interface FamilyDef {
  /** Without the kerno_ prefix, as collectors report it. */
  name: string;
  type: FamilyType;
  labels: readonly string[];
  help: string;
  /** How folded (over-the-cap) gauge series combine into the overflow series; counters/histograms sum. */
  fold?: 'sum' | 'max';
}

export const METRIC_PREFIX = 'kerno_';

const CGROUP = ['cgroup', 'pod', 'namespace'] as const;

export const COLLECTOR_FAMILIES: readonly FamilyDef[] = Object.freeze([
  // syscall
  {
    name: 'syscall_duration_seconds',
    type: 'histogram',
    labels: ['syscall'],
    help: 'Syscall latency (entry to exit) by syscall; the top syscalls by calls, the rest under "[other]".',
  },
  { name: 'syscalls_total', type: 'counter', labels: ['syscall'], help: 'Syscalls completed, by syscall.' },
  {
    name: 'syscall_errors_total',
    type: 'counter',
    labels: ['syscall'],
    help: 'Syscalls that returned an error, by syscall.',
  },
  // tcp
  {
    name: 'tcp_srtt_seconds',
    type: 'histogram',
    labels: [],
    help: 'Smoothed TCP round-trip time, sampled from received segments (at most one sample per socket per 100 ms).',
  },
  {
    name: 'tcp_retransmitted_segments_total',
    type: 'counter',
    labels: [],
    help: 'TCP segments retransmitted (tcp_retransmit_skb).',
  },
  { name: 'tcp_resets_sent_total', type: 'counter', labels: [], help: 'TCP resets sent.' },
  { name: 'tcp_resets_received_total', type: 'counter', labels: [], help: 'TCP resets received.' },
  { name: 'tcp_state_changes_total', type: 'counter', labels: [], help: 'TCP socket state transitions.' },
  // fd
  {
    name: 'fd_opens_total',
    type: 'counter',
    labels: [],
    help: 'File descriptors opened (open, socket, dup …).',
  },
  { name: 'fd_closes_total', type: 'counter', labels: [], help: 'File descriptors closed.' },
  // sched
  {
    name: 'runqueue_delay_seconds',
    type: 'histogram',
    labels: [],
    help: 'Run-queue delay: time from wakeup to running on a CPU.',
  },
  // disk
  {
    name: 'disk_io_duration_seconds',
    type: 'histogram',
    labels: ['device', 'op'],
    help: 'Block I/O latency from entering the block layer (queueing included) to completion, by device and operation.',
  },
  {
    name: 'disk_io_bytes_total',
    type: 'counter',
    labels: ['device', 'op'],
    help: 'Bytes of block I/O completed, by device and operation.',
  },
  // oom
  {
    name: 'oom_kills_total',
    type: 'counter',
    labels: CGROUP,
    help: 'Processes killed by the OOM killer, by the victim memory cgroup (pod/namespace when known).',
  },
  // memory
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
  // pressure
  {
    name: 'pressure_stall_seconds_total',
    type: 'counter',
    labels: ['resource', 'kind'],
    help: 'Pressure stall time (PSI total) by resource (cpu, memory, io) and kind (some, full).',
  },
  // cgroup_memory
  {
    name: 'cgroup_memory_usage_bytes',
    type: 'gauge',
    labels: CGROUP,
    help: 'Memory used by a memory-limited cgroup.',
    fold: 'sum',
  },
  {
    name: 'cgroup_memory_limit_bytes',
    type: 'gauge',
    labels: CGROUP,
    help: 'Memory limit of a memory-limited cgroup.',
    fold: 'sum',
  },
  {
    name: 'cgroup_memory_used_ratio',
    type: 'gauge',
    labels: CGROUP,
    help: 'Memory used ÷ limit of a memory-limited cgroup (0-1); the overflow series holds the maximum.',
    fold: 'max',
  },
] satisfies FamilyDef[]);
