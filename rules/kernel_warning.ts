// kernel_warning — the kernel issued a WARNING (a failed internal self-check) during the window or earlier
// this boot.
import type { Signals } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { formatCount } from '../src/doctor/format.js';
import { base, DMESG, evidenceFor, messagesOf, withTask, type NoThresholds } from './lib/kernel.js';

export const kernelWarning: Rule<NoThresholds> = {
  id: 'kernel_warning',
  signal: 'kernel',
  description:
    'The kernel issued a WARNING (a failed internal self-check) during the window or earlier this boot.',
  defaults: {},
  doc: {
    severity: 'INFO, WARNING',
    trigger: () =>
      'WARNING: /sys/kernel/warn_count rose during the window or a "WARNING:" report was logged; INFO: warn_count > 0 from earlier this boot',
    why: 'A WARN is the kernel catching itself in a state its authors considered impossible: often a driver or filesystem bug that precedes real failures.',
    fix: [
      DMESG('WARNING:'),
      'uname -r   # then search the file:line of the WARNING in the kernel changelog / bug tracker',
    ],
  },
  evaluate(signals: Signals) {
    const k = signals.kernel;
    if (!k) return [];
    const msgs = messagesOf(k, ['warning']);
    const inWindow = k.warnDelta > 0 || msgs.length > 0;
    if (!inWindow && !(k.warnCount > 0)) return [];
    const first = msgs[0];
    const finding: Finding = {
      ...base(
        'kernel_warning',
        inWindow ? 'warning' : 'info',
        inWindow
          ? `Kernel WARNING${first ? `: ${first.line.slice(9, 89)}` : ' During the Window'}`
          : `Kernel Warned Earlier This Boot (${formatCount(k.warnCount)}×)`,
      ),
      cause: inWindow
        ? `A kernel self-check failed during the window${first ? `: "${first.line}"` : ''}.`
        : `The kernel has issued ${formatCount(k.warnCount)} WARNING(s) since boot (none during this window).`,
      impact:
        'The kernel continued, but it detected a state its code treats as a bug; the subsystem named in the warning may misbehave next.',
      evidence: [
        `warn_count ${k.warnCount >= 0 ? formatCount(k.warnCount) : 'n/a'} since boot, +${formatCount(k.warnDelta)} during the window`,
        ...evidenceFor(msgs),
      ],
      fix: [
        DMESG('WARNING:', 30),
        'the "at <file>:<line>" and the call trace name the subsystem; update the driver/kernel or report it upstream with the trace',
        'cat /proc/sys/kernel/panic_on_warn   # must stay 0 in production unless you want every WARN to reboot the node',
      ],
      metric: 'kernel_warnings',
      unit: 'count',
      value: inWindow ? Math.max(k.warnDelta, msgs.length) : k.warnCount,
      threshold: 1,
    };
    return [withTask(finding, first)];
  },
};
