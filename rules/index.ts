// The rule registry, in evaluation order (reference §4.2, new PSI rules after the memory rules).
// healthy_system is last and runs only when every other rule was quiet (engine: `onlyIfNoFindings`).
import type { AnyRule } from '../src/doctor/types.js';
import { diskIoBottleneck } from './disk_io_bottleneck.js';
import { diskIoWriteHigh } from './disk_io_write_high.js';
import { oomKillOccurred } from './oom_kill_occurred.js';
import { tcpRetransmitStorm } from './tcp_retransmit_storm.js';
import { tcpRttDegradation } from './tcp_rtt_degradation.js';
import { schedulerContention } from './scheduler_contention.js';
import { fdLeak } from './fd_leak.js';
import { syscallLatencyHigh } from './syscall_latency_high.js';
import { oomImminent } from './oom_imminent.js';
import { syscallErrorRate } from './syscall_error_rate.js';
import { memoryLimitPressure } from './memory_limit_pressure.js';
import { memoryHighThrottling } from './memory_high_throttling.js';
import { memoryPressureStall } from './memory_pressure_stall.js';
import { cpuPressureStall } from './cpu_pressure_stall.js';
import { ioPressureStall } from './io_pressure_stall.js';
import { healthySystem } from './healthy_system.js';
import { kernelOops } from './kernel_oops.js';
import { kernelSoftLockup } from './kernel_soft_lockup.js';
import { kernelHardLockup } from './kernel_hard_lockup.js';
import { kernelMce } from './kernel_mce.js';
import { kernelHungTask } from './kernel_hung_task.js';
import { kernelRcuStall } from './kernel_rcu_stall.js';
import { kernelWarning } from './kernel_warning.js';
import { kernelTaint } from './kernel_taint.js';
import { kernelPreviousPanic } from './kernel_previous_panic.js';

export const ALL_RULES: readonly AnyRule[] = Object.freeze([
  diskIoBottleneck,
  diskIoWriteHigh,
  oomKillOccurred,
  tcpRetransmitStorm,
  tcpRttDegradation,
  schedulerContention,
  fdLeak,
  syscallLatencyHigh,
  oomImminent,
  syscallErrorRate,
  memoryLimitPressure,
  memoryHighThrottling,
  memoryPressureStall,
  cpuPressureStall,
  ioPressureStall,
  kernelOops,
  kernelSoftLockup,
  kernelHardLockup,
  kernelMce,
  kernelHungTask,
  kernelRcuStall,
  kernelWarning,
  kernelTaint,
  kernelPreviousPanic,
  healthySystem,
]);

export const RULE_IDS: readonly string[] = ALL_RULES.map((r) => r.id);
