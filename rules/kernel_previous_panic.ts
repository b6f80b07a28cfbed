// kernel_previous_panic — pstore holds the kernel log of a previous crash (panic or oops before the last
// reboot).
import type { Signals } from '../src/signals/types.js';
import type { Rule } from '../src/doctor/types.js';
import { base, type NoThresholds } from './lib/kernel.js';

export const kernelPreviousPanic: Rule<NoThresholds> = {
  id: 'kernel_previous_panic',
  signal: 'kernel',
  description: 'pstore holds the kernel log of a previous crash (panic or oops before the last reboot).',
  defaults: {},
  doc: {
    severity: 'WARNING',
    trigger: () => 'files in a mounted /sys/fs/pstore',
    why: 'The machine crashed before this boot and left its last words in persistent storage; until read and cleared they also fill the (small) pstore backend.',
    fix: [
      'ls -l /sys/fs/pstore; cat /sys/fs/pstore/dmesg-*',
      'systemctl status systemd-pstore   # archives them to /var/lib/systemd/pstore',
    ],
  },
  evaluate(signals: Signals) {
    const k = signals.kernel;
    if (!k || k.pstore.length === 0) return [];
    const dumps = k.pstore.filter((p) => p.file.startsWith('dmesg-'));
    const headers = dumps.map((p) => p.firstLines[0] ?? '');
    const panicked = headers.some((h) => /^Panic/.test(h));
    const evidence: string[] = [];
    for (const p of k.pstore.slice(0, 4)) {
      evidence.push(`/sys/fs/pstore/${p.file}:`);
      for (const l of p.firstLines.slice(0, 8)) evidence.push(`    ${l}`);
    }
    if (k.pstore.length > 4) evidence.push(`… and ${k.pstore.length - 4} more file(s)`);
    return [
      {
        ...base(
          'kernel_previous_panic',
          'warning',
          panicked ? 'Previous Boot Ended in a Kernel Panic' : 'Previous Boot Left a Crash Record',
        ),
        cause: `pstore holds ${k.pstore.length} record(s) from before this boot${panicked ? ', including a kernel panic' : ''}.`,
        impact: 'The node crashed and rebooted; whatever caused it (see the record) may happen again.',
        evidence,
        fix: [
          "ls -l /sys/fs/pstore; cat /sys/fs/pstore/dmesg-*   # the previous kernel's last log lines",
          'mkdir -p /var/lib/pstore-saved && cp -a /sys/fs/pstore/. /var/lib/pstore-saved/ && rm /sys/fs/pstore/*   # save, then free the backend (systemd-pstore does this)',
          "journalctl -k -b -1 | tail -100   # the previous boot's kernel log, if the journal is persistent",
        ],
        metric: 'pstore_records',
        unit: 'count',
        value: k.pstore.length,
        threshold: 1,
      },
    ];
  },
};
