// kernel_oops — the kernel oopsed (Oops, BUG, general protection fault) during the window or earlier this
// boot (rules/lib/kernel.ts: how the kernel-health rules read Signals.kernel and judge severity).
import type { Signals } from '../src/signals/types.js';
import type { Finding, Rule, Severity } from '../src/doctor/types.js';
import { formatCount } from '../src/doctor/format.js';
import { base, DMESG, DRAIN, evidenceFor, messagesOf, withTask, type NoThresholds } from './lib/kernel.js';

const OOPS_KINDS = ['oops', 'gpf', 'bug', 'panic'] as const;

export const kernelOops: Rule<NoThresholds> = {
  id: 'kernel_oops',
  signal: 'kernel',
  description:
    'The kernel oopsed (Oops, BUG, general protection fault) during the window or earlier this boot.',
  defaults: {},
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: () =>
      'CRITICAL: /sys/kernel/oops_count rose during the window, or an Oops / general protection fault was logged; WARNING: only a BUG report, or oops_count > 0 from earlier this boot',
    why: 'An oops kills the task that hit it, possibly while it held locks or was half-way through changing kernel state: other tasks can hang on those locks and data structures may be corrupt until the next reboot.',
    fix: [
      DMESG('Oops|BUG:|general protection fault'),
      'cat /proc/sys/kernel/panic_on_oops',
      DRAIN,
      'reboot the node when it is drained',
    ],
  },
  evaluate(signals: Signals) {
    const k = signals.kernel;
    if (!k) return [];
    const msgs = messagesOf(k, OOPS_KINDS);
    const fatal = msgs.filter((m) => m.kind !== 'bug');
    const inWindow = k.oopsDelta > 0 || msgs.length > 0;
    if (!inWindow && !(k.oopsCount > 0)) return [];
    const severity: Severity = k.oopsDelta > 0 || fatal.length > 0 ? 'critical' : 'warning';
    const first = msgs[0];
    const evidence = [
      `oops_count ${k.oopsCount >= 0 ? formatCount(k.oopsCount) : 'n/a'} since boot, +${formatCount(k.oopsDelta)} during the window`,
      ...evidenceFor(msgs),
    ];
    const title = inWindow
      ? first
        ? `Kernel ${first.kind === 'gpf' ? 'General Protection Fault' : first.kind === 'bug' ? 'BUG' : 'Oops'}: ${first.line.slice(0, 80)}`
        : 'Kernel Oops During the Window'
      : `Kernel Oopsed Earlier This Boot (${formatCount(k.oopsCount)}×)`;
    const finding: Finding = {
      ...base('kernel_oops', severity, title),
      cause: inWindow
        ? `The kernel hit a fault in kernel code during the window${first ? `: "${first.line}"` : ''}.`
        : `The kernel has oopsed ${formatCount(k.oopsCount)} time(s) since boot (not during this window).`,
      impact:
        'The task that oopsed was killed inside the kernel; locks it held may never be released, so other tasks can ' +
        'hang and kernel state may be corrupt. The node is not trustworthy until rebooted.',
      evidence,
      fix: [
        DMESG('Oops|BUG:|general protection fault'),
        'look at the RIP line and "Modules linked in:" in the trace: a module or driver named there is the usual suspect; update it or the kernel',
        'cat /proc/sys/kernel/panic_on_oops   # 1 turns the next oops into a clean panic + reboot instead of a sick node',
        DRAIN,
        'reboot the node once drained; keep the trace (journalctl -k -b -1 after reboot, or pstore/kdump) for the bug report',
      ],
      metric: 'kernel_oops',
      unit: 'count',
      value: inWindow ? Math.max(k.oopsDelta, msgs.length) : k.oopsCount,
      threshold: 1,
    };
    return [withTask(finding, first)];
  },
};
