// kernel_hard_lockup — a CPU stopped taking interrupts (NMI watchdog: hard LOCKUP).
import type { Rule } from '../src/doctor/types.js';
import { DMESG, DRAIN, reportRule, type NoThresholds } from './lib/kernel.js';

export const kernelHardLockup: Rule<NoThresholds> = reportRule({
  id: 'kernel_hard_lockup',
  kind: 'hard_lockup',
  severity: 'critical',
  description: 'A CPU stopped taking interrupts (NMI watchdog: hard LOCKUP).',
  title: (m) => `Hard Lockup: ${m.line.slice(0, 80)}`,
  cause: (m) => `The NMI watchdog found a CPU with interrupts off for too long: "${m.line}".`,
  impact: 'That CPU was dead to the rest of the system; the node is at high risk of hanging or panicking.',
  why: 'A hard lockup is a CPU stuck with interrupts disabled: a kernel or firmware bug, or failing hardware.',
  fix: () => [
    DMESG('hard LOCKUP', 40),
    'ras-mc-ctl --errors || mcelog --client   # rule out hardware',
    'update firmware/BIOS and the kernel; cat /proc/sys/kernel/hardlockup_panic',
    DRAIN,
  ],
});
