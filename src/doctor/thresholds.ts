// Doctor thresholds: one flat object, snake_case keys with the unit in the name, so the config loader can
// validate user overrides key by key (`doctor.thresholds.<key>`, `KERNO_DOCTOR_THRESHOLDS_<KEY>`).
//
// The first nine keys are the original's code defaults (reference §5.6) and keep their values: they are
// authoritative, whatever the README or the explain catalogue of the original claimed. Every other key is
// new in kerno and exists to fix a false-positive defect of the original (a p99 backed by one sample, a
// retransmit "rate" over ten packets, EAGAIN counted as an error) or to configure a new rule. The reason for
// each default is in THRESHOLD_DOCS and, at length, in the comment of the rule that reads it.

export const DEFAULT_THRESHOLDS = {
  // --- reference §5.6 (authoritative) ---
  syscall_p99_warning_ns: 100_000_000,
  syscall_p99_critical_ns: 500_000_000,
  tcp_retransmit_pct: 2.0,
  oom_memory_pct: 90.0,
  disk_p99_warning_ns: 50_000_000,
  disk_p99_critical_ns: 200_000_000,
  sched_delay_warning_ns: 5_000_000,
  sched_delay_critical_ns: 20_000_000,
  fd_growth_per_sec: 10.0,

  // --- syscall rules ---
  syscall_min_slow_calls: 5,
  syscall_error_warning_pct: 5.0,
  syscall_error_critical_pct: 25.0,
  syscall_error_min_per_sec: 10.0,
  syscall_error_other_pct: 50.0,
  syscall_error_other_min_per_sec: 100.0,

  // --- tcp rules ---
  tcp_min_segments: 1000,
  tcp_rtt_p99_warning_ns: 100_000_000,
  tcp_rtt_min_slow_samples: 5,

  // --- memory (host) ---
  oom_memory_critical_pct: 95.0,
  oom_min_growth_bytes_per_sec: 1_048_576,

  // --- disk / scheduler ---
  disk_min_slow_ios: 5,
  sched_min_slow_wakeups: 10,
  sched_min_cpu_pressure_pct: 10.0,

  // --- fd ---
  fd_min_net_fds: 50,
  fd_eta_critical_ns: 600_000_000_000,

  // --- cgroup memory ---
  cgroup_memory_warning_pct: 85.0,
  cgroup_memory_critical_pct: 95.0,
  cgroup_memory_eta_min_growth_bytes_per_sec: 1_048_576,
  cgroup_memory_high_events_per_sec: 1.0,
  cgroup_memory_failcnt_per_sec: 100.0,

  // --- cgroup cpu (CFS quota throttling) ---
  cpu_throttled_warning_pct: 25.0,
  cpu_throttled_critical_pct: 75.0,
  cpu_throttled_time_warning_pct: 10.0,
  cpu_throttled_time_critical_pct: 50.0,
  cpu_throttled_min_periods: 20,

  // --- dns ---
  dns_p99_warning_ns: 100_000_000,
  dns_p99_critical_ns: 500_000_000,
  dns_min_responses: 20,
  dns_min_slow_responses: 3,
  dns_failure_warning_pct: 1.0,
  dns_failure_critical_pct: 5.0,
  dns_min_queries: 20,
  dns_min_failures: 5,

  // --- pressure stall information (share of the window) ---
  psi_memory_full_warning_pct: 5.0,
  psi_memory_full_critical_pct: 20.0,
  psi_memory_some_warning_pct: 25.0,
  psi_cpu_some_warning_pct: 50.0,
  psi_cpu_some_critical_pct: 80.0,
  psi_io_full_warning_pct: 10.0,
  psi_io_full_critical_pct: 30.0,
} as const;

export type ThresholdKey = keyof typeof DEFAULT_THRESHOLDS;
/** Flat, `Record<string, number>`-compatible: what the config loader produces and `evaluate` consumes. */
export type Thresholds = Record<ThresholdKey, number>;

export const THRESHOLD_KEYS = Object.keys(DEFAULT_THRESHOLDS) as ThresholdKey[];

export function isThresholdKey(key: string): key is ThresholdKey {
  return Object.prototype.hasOwnProperty.call(DEFAULT_THRESHOLDS, key);
}

/** The defaults for a subset of keys: a rule's `defaults` are exactly the keys it reads. */
export function pickThresholds<K extends ThresholdKey>(...keys: K[]): Pick<Thresholds, K> {
  const out = {} as Pick<Thresholds, K>;
  for (const key of keys) out[key] = DEFAULT_THRESHOLDS[key];
  return out;
}

/** One line per key: unit, meaning, and why the default is what it is (for config validation and explain). */
export const THRESHOLD_DOCS: Record<ThresholdKey, string> = {
  syscall_p99_warning_ns: 'syscall_latency_high WARNING when a (syscall, process) p99 reaches this (ns).',
  syscall_p99_critical_ns: 'syscall_latency_high CRITICAL when a (syscall, process) p99 reaches this (ns).',
  tcp_retransmit_pct: 'tcp_retransmit_storm fires when retransmitted ÷ sent segments reaches this (%).',
  oom_memory_pct:
    'oom_imminent WARNING when host memory used reaches this (%) while growing; negative disables the rule.',
  disk_p99_warning_ns: 'disk_io_bottleneck WARNING when a device flush/sync p99 reaches this (ns).',
  disk_p99_critical_ns: 'disk_io_bottleneck / disk_io_write_high CRITICAL at this device p99 (ns).',
  sched_delay_warning_ns: 'scheduler_contention WARNING when run-queue delay p99 reaches this (ns).',
  sched_delay_critical_ns: 'scheduler_contention CRITICAL when run-queue delay p99 reaches this (ns).',
  fd_growth_per_sec: 'fd_leak fires when one process gains this many descriptors per second, net (1/s).',
  syscall_min_slow_calls:
    'Calls at or above the latency threshold needed before syscall_latency_high fires, so one slow call ' +
    'never does (count, estimated from the percentiles).',
  syscall_error_warning_pct:
    'syscall_error_rate WARNING when this share of a (syscall, process) pair fails with a failure-class errno ' +
    '(ECONNREFUSED, EIO, ENOSPC, EACCES …) (%); answer-class errnos (EAGAIN, EINTR, ENOENT, ESPIPE …) never ' +
    'count. Below 5 %, normal churn (clients hanging up: EPIPE/ECONNRESET) dominates on busy servers.',
  syscall_error_critical_pct: 'syscall_error_rate CRITICAL at this failure share (%): a broken dependency.',
  syscall_error_min_per_sec:
    'Failure-class errors per second a pair needs before syscall_error_rate fires (1/s).',
  syscall_error_other_pct:
    'Share of calls failing with other-class errnos (EINVAL, EBADF …, or not itemised) before ' +
    'syscall_error_rate warns (%): they are a bug in one program and a probe in the next, so half the calls.',
  syscall_error_other_min_per_sec:
    'Other-class errors per second a pair needs before syscall_error_rate warns (1/s).',
  tcp_min_segments:
    'Segments the host must send in the window before tcp_retransmit_storm judges the rate (count): on ' +
    'fewer, two retransmitted keepalives swing the percentage by whole points.',
  tcp_rtt_p99_warning_ns:
    'tcp_rtt_degradation WARNING when smoothed-RTT p99 reaches this (ns). 100 ms is beyond any same-continent ' +
    'path, so it means queueing or a bad route; the original 10 ms fired on any host with one remote SSH session.',
  tcp_rtt_min_slow_samples:
    'RTT samples at or above the threshold needed before tcp_rtt_degradation fires (count).',
  oom_memory_critical_pct: 'oom_imminent CRITICAL above this host memory use (%) while growing.',
  oom_min_growth_bytes_per_sec:
    'Host used-memory growth that counts as "growing" for oom_imminent and its ETA (bytes/s); smaller ' +
    'moves are allocator noise.',
  disk_min_slow_ios: 'I/Os at or above the latency threshold needed before a disk rule fires (count).',
  sched_min_slow_wakeups:
    'Wakeups at or above the delay threshold needed before scheduler_contention fires (count).',
  sched_min_cpu_pressure_pct:
    'CPU pressure (PSI cpu "some", % of the window) that must corroborate run-queue delay before ' +
    'scheduler_contention fires; ignored where PSI is unavailable.',
  fd_min_net_fds:
    'Net descriptors a process must gain in the window before fd_leak fires (count): a start-up burst over ' +
    'a short window is not a leak.',
  fd_eta_critical_ns:
    'fd_leak becomes CRITICAL when the process will hit its descriptor limit within this (ns).',
  cgroup_memory_warning_pct: 'memory_limit_pressure WARNING when a cgroup uses this share of its limit (%).',
  cgroup_memory_critical_pct: 'memory_limit_pressure CRITICAL at this share of the limit while growing (%).',
  cgroup_memory_eta_min_growth_bytes_per_sec:
    'Cgroup growth needed before memory_limit_pressure gives an OOM-kill ETA (bytes/s).',
  cgroup_memory_high_events_per_sec:
    'memory_high_throttling (cgroup v2) at this rate of memory.events high (1/s).',
  cgroup_memory_failcnt_per_sec:
    'memory_high_throttling (cgroup v1) at this memory.failcnt growth (1/s): a cache-heavy but healthy ' +
    'container at its limit trims clean page cache at tens per second.',
  cpu_throttled_warning_pct:
    'cpu_throttled WARNING when a CPU-quota cgroup is throttled in this share of its enforcement periods (%): ' +
    'the Kubernetes community alert CPUThrottlingHigh fires at 25 %; below it, throttling is an occasional ' +
    'burst clipped at the limit.',
  cpu_throttled_critical_pct:
    'cpu_throttled CRITICAL at this share of periods throttled (%): three periods in four means demand above ' +
    'the quota all the time, not in bursts, so nearly every request waits out the rest of a period.',
  cpu_throttled_time_warning_pct:
    'cpu_throttled WARNING when the cgroup sat throttled this share of the window (%, summed over CPUs): ' +
    'catches a many-threaded workload that burns its quota in milliseconds and is throttled for most of few ' +
    'periods.',
  cpu_throttled_time_critical_pct:
    'cpu_throttled CRITICAL when throttled for this share of the window (%): its tasks could not run for half ' +
    'the time however idle the CPUs were.',
  cpu_throttled_min_periods:
    'Enforcement periods the cgroup must be active for in the window before cpu_throttled judges it (count): ' +
    '20 is 2 s of activity at the default 100 ms period; on fewer, one start-up burst of 5 throttled periods ' +
    'is 25 % by itself.',
  dns_p99_warning_ns:
    "dns_high_latency WARNING when a process's DNS p99 towards one resolver reaches this (ns): a cached answer " +
    "takes well under 10 ms and even a cold recursive lookup rarely 100 ms (the original's default).",
  dns_p99_critical_ns:
    'dns_high_latency CRITICAL at this DNS p99 (ns): half a second per lookup stalls every request that ' +
    "resolves a name (the original's default).",
  dns_min_responses:
    'Responses a (resolver, process) needs in the window before dns_high_latency judges its p99 (count): ' +
    'fewer make the p99 the slowest one or two lookups.',
  dns_min_slow_responses:
    'Responses of 100 ms or more needed before dns_high_latency fires (count): one cold recursive lookup ' +
    '(an uncached name) is slow by nature and not an incident.',
  dns_failure_warning_pct:
    "dns_failure_rate WARNING when SERVFAIL + REFUSED + timeouts reach this share of a process's queries to " +
    "one resolver (%, the original's default). NXDOMAIN is not a failure.",
  dns_failure_critical_pct: "dns_failure_rate CRITICAL at this failure share (%, the original's default).",
  dns_min_queries:
    'Queries a (resolver, process) must send in the window before dns_failure_rate judges its rate (count).',
  dns_min_failures:
    'Failed queries needed before dns_failure_rate fires (count): one SERVFAIL from an upstream hiccup, or ' +
    'one lost UDP packet, is not an incident; five in one window is a pattern.',
  psi_memory_full_warning_pct:
    'memory_pressure_stall WARNING when all non-idle tasks stalled on memory this share of the window (%).',
  psi_memory_full_critical_pct: 'memory_pressure_stall CRITICAL at this memory "full" share (%).',
  psi_memory_some_warning_pct:
    'memory_pressure_stall WARNING when at least one task stalled on memory this share (%).',
  psi_cpu_some_warning_pct:
    'cpu_pressure_stall WARNING when runnable tasks waited for a CPU this share of the window (%).',
  psi_cpu_some_critical_pct: 'cpu_pressure_stall CRITICAL at this cpu "some" share (%).',
  psi_io_full_warning_pct: 'io_pressure_stall WARNING when all non-idle tasks stalled on I/O this share (%).',
  psi_io_full_critical_pct: 'io_pressure_stall CRITICAL at this io "full" share (%).',
};
