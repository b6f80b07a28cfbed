// kernel_mce — the CPU reported a machine check (hardware error).
import type { Rule } from '../src/doctor/types.js';
import { DMESG, reportRule, type NoThresholds } from './lib/kernel.js';

export const kernelMce: Rule<NoThresholds> = reportRule({
  id: 'kernel_mce',
  kind: 'mce',
  severity: 'critical',
  description: 'The CPU reported a machine check (hardware error).',
  title: () => 'Machine Check Exception (Hardware Error)',
  cause: (m) => `The processor reported a hardware error: "${m.line}".`,
  impact:
    'Memory, cache or a bus reported an error; corrected errors that repeat predict uncorrectable ones, which crash the node or corrupt data.',
  why: 'Machine checks are the hardware reporting its own failures (ECC, cache, bus); they are not software bugs.',
  fix: () => [
    DMESG('Hardware Error|Machine check', 20),
    'ras-mc-ctl --summary; ras-mc-ctl --errors   # rasdaemon: which DIMM/CPU bank',
    'edac-util -v   # corrected/uncorrected memory error counts per DIMM',
    'plan a hardware replacement; drain the node if the errors repeat',
  ],
});
