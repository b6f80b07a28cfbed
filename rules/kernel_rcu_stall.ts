// kernel_rcu_stall — RCU detected a CPU or task that held up a grace period.
import type { Rule } from '../src/doctor/types.js';
import { DMESG, reportRule, type NoThresholds } from './lib/kernel.js';

export const kernelRcuStall: Rule<NoThresholds> = reportRule({
  id: 'kernel_rcu_stall',
  kind: 'rcu_stall',
  severity: 'warning',
  description: 'RCU detected a CPU or task that held up a grace period (RCU stall).',
  title: (m) => `RCU Stall: ${m.line.replace(/^(?:rcu: )?INFO: /, '').slice(0, 70)}`,
  cause: (m) => `RCU reported a stall: "${m.line}".`,
  impact:
    'Memory freed through RCU is not reclaimed while the stall lasts and tasks waiting for a grace period (synchronize_rcu) hang; often a CPU spinning with preemption off or a starved vCPU.',
  why: 'RCU stalls mean some CPU has not passed a quiescent state for ~21 s: a kernel loop with preemption disabled, an interrupt storm, or a vCPU that is not being run.',
  fix: () => [
    DMESG('rcu.*(stall|detected)', 40),
    'top -b -n1 | head -5   # steal time on a VM',
    'the stack of the stalled CPU in the report names the code that does not yield',
  ],
});
