// The collector table (like prom-client's defaultMetrics): every signal kerno knows, its factory, whether
// it needs BPF, and the /metrics families it reports. Adding a signal = a row here plus its module.
import type { CollectorFactory, MetricFamily } from './types.js';
import type { CollectorName } from '../signals/types.js';
import { SYSCALL_FAMILIES, SyscallCollector } from './syscall/index.js';
import { TCP_FAMILIES, TcpCollector } from './tcp.js';
import { FD_FAMILIES, FdCollector } from './fd.js';
import { MEMORY_FAMILIES, MemoryCollector } from './memory.js';
import { PRESSURE_FAMILIES, PressureCollector } from './pressure.js';
import { CGROUP_MEMORY_FAMILIES, CgroupMemoryCollector } from './cgroup-memory.js';
import { OOM_FAMILIES, OomCollector } from './oom.js';
import { SCHED_FAMILIES, SchedCollector } from './sched.js';
import { DISK_FAMILIES, DiskCollector } from './disk.js';
import { KernelCollector } from './kernel.js';
import type { EventStreamSettings } from '../events/stream.js';

export interface CollectorDef {
  name: CollectorName;
  /** Loads BPF programs (needs root / CAP_BPF+CAP_PERFMON); the others read procfs/cgroupfs/sysfs. */
  bpf: boolean;
  factory: CollectorFactory;
  description: string;
  /** What its metrics() reports; the daemon exports these families and logs (once) anything else. */
  families: readonly MetricFamily[];
}

export interface RegistryOptions {
  cgroupRoot?: string;
  /** Queue size, drop policy and sample rate of the event streams (OOM kills, kernel-log reports). */
  events?: EventStreamSettings;
}

export function collectorDefs(opts: RegistryOptions = {}): CollectorDef[] {
  return [
    {
      name: 'syscall',
      bpf: true,
      factory: () => new SyscallCollector(),
      description: 'syscall latency and errors per process',
      families: SYSCALL_FAMILIES,
    },
    {
      name: 'tcp',
      bpf: true,
      factory: () => new TcpCollector(),
      description: 'retransmits, resets, RTT',
      families: TCP_FAMILIES,
    },
    {
      name: 'fd',
      bpf: true,
      factory: () => new FdCollector(),
      description: 'file-descriptor growth per process',
      families: FD_FAMILIES,
    },
    {
      name: 'memory',
      bpf: false,
      factory: () => new MemoryCollector(),
      description: 'host memory (/proc/meminfo, PSI)',
      families: MEMORY_FAMILIES,
    },
    {
      name: 'pressure',
      bpf: false,
      factory: () => new PressureCollector(),
      description: 'pressure stall information (cpu, memory, io)',
      families: PRESSURE_FAMILIES,
    },
    {
      name: 'cgroup_memory',
      bpf: false,
      factory: () => new CgroupMemoryCollector({ root: opts.cgroupRoot }),
      description: 'memory-limited cgroups (v1 and v2)',
      families: CGROUP_MEMORY_FAMILIES,
    },
    {
      name: 'oom',
      bpf: true,
      factory: () => new OomCollector({ events: opts.events }),
      description: 'OOM-killer victims',
      families: OOM_FAMILIES,
    },
    {
      name: 'sched',
      bpf: true,
      factory: () => new SchedCollector(),
      description: 'run-queue delay',
      families: SCHED_FAMILIES,
    },
    {
      name: 'disk',
      bpf: true,
      factory: () => new DiskCollector(),
      description: 'block I/O latency by device and op',
      families: DISK_FAMILIES,
    },
    {
      name: 'kernel',
      bpf: false,
      factory: () => new KernelCollector({ events: opts.events }),
      description: 'oopses, warnings, taint, kmsg, pstore',
      families: [],
    },
  ];
}
