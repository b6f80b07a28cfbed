// The collector table (like prom-client's defaultMetrics): every signal kerno knows, its factory, and
// whether it needs BPF. Adding a signal = a row here plus its module.
import type { CollectorFactory } from './types.js';
import type { CollectorName } from '../signals/types.js';
import { SyscallCollector } from './syscall/index.js';
import { TcpCollector } from './tcp.js';
import { FdCollector } from './fd.js';
import { MemoryCollector } from './memory.js';
import { PressureCollector } from './pressure.js';
import { CgroupMemoryCollector } from './cgroup-memory.js';
import { OomCollector } from './oom.js';
import { SchedCollector } from './sched.js';
import { DiskCollector } from './disk.js';
import { KernelCollector } from './kernel.js';

export interface CollectorDef {
  name: CollectorName;
  /** Loads BPF programs (needs root / CAP_BPF+CAP_PERFMON); the others read procfs/cgroupfs/sysfs. */
  bpf: boolean;
  factory: CollectorFactory;
  description: string;
}

export interface RegistryOptions {
  cgroupRoot?: string;
}

export function collectorDefs(opts: RegistryOptions = {}): CollectorDef[] {
  return [
    {
      name: 'syscall',
      bpf: true,
      factory: () => new SyscallCollector(),
      description: 'syscall latency and errors per process',
    },
    { name: 'tcp', bpf: true, factory: () => new TcpCollector(), description: 'retransmits, resets, RTT' },
    {
      name: 'fd',
      bpf: true,
      factory: () => new FdCollector(),
      description: 'file-descriptor growth per process',
    },
    {
      name: 'memory',
      bpf: false,
      factory: () => new MemoryCollector(),
      description: 'host memory (/proc/meminfo, PSI)',
    },
    {
      name: 'pressure',
      bpf: false,
      factory: () => new PressureCollector(),
      description: 'pressure stall information (cpu, memory, io)',
    },
    {
      name: 'cgroup_memory',
      bpf: false,
      factory: () => new CgroupMemoryCollector({ root: opts.cgroupRoot }),
      description: 'memory-limited cgroups (v1 and v2)',
    },
    { name: 'oom', bpf: true, factory: () => new OomCollector(), description: 'OOM-killer victims' },
    { name: 'sched', bpf: true, factory: () => new SchedCollector(), description: 'run-queue delay' },
    {
      name: 'disk',
      bpf: true,
      factory: () => new DiskCollector(),
      description: 'block I/O latency by device and op',
    },
    {
      name: 'kernel',
      bpf: false,
      factory: () => new KernelCollector(),
      description: 'oopses, warnings, taint, kmsg, pstore',
    },
  ];
}
