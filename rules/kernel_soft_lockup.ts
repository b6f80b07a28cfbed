// kernel_soft_lockup — a CPU ran kernel code without scheduling for longer than the soft-lockup
// threshold.
import type { Rule } from '../src/doctor/types.js';
import { DMESG, reportRule, type NoThresholds } from './lib/kernel.js';

export const kernelSoftLockup: Rule<NoThresholds> = reportRule({
  id: 'kernel_soft_lockup',
  kind: 'soft_lockup',
  severity: 'critical',
  description: 'A CPU ran kernel code without scheduling for longer than the soft-lockup threshold.',
  title: (m) => `Soft Lockup: ${/CPU#\d+ stuck for \d+s/.exec(m.line)?.[0] ?? m.line.slice(0, 60)}`,
  cause: (m) => `The watchdog found a CPU spinning in the kernel: "${m.line}".`,
  impact:
    'Everything scheduled on that CPU stalled for tens of seconds; on a VM this is often the hypervisor not running the vCPU (steal), on metal a kernel bug or an interrupt storm.',
  why: 'A CPU that does not schedule for 20+ s starves every task on it and often precedes a hard lockup or panic.',
  fix: () => [
    DMESG('soft lockup', 40),
    'the RIP and call trace name the code that spun; a driver there is the usual suspect',
    'top -b -n1 | head -5   # "st" (steal) > 10% on a VM: the host is overcommitted',
    'cat /proc/sys/kernel/softlockup_panic   # 1 reboots the node on the next lockup',
  ],
});
