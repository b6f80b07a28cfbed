// kernel_hung_task — a task stayed in uninterruptible sleep (D state) longer than
// kernel.hung_task_timeout_secs.
import type { Rule } from '../src/doctor/types.js';
import { DMESG, reportRule, reportTask, type NoThresholds } from './lib/kernel.js';

export const kernelHungTask: Rule<NoThresholds> = reportRule({
  id: 'kernel_hung_task',
  kind: 'hung_task',
  severity: 'warning',
  description:
    'A task was stuck in uninterruptible sleep (D state) longer than kernel.hung_task_timeout_secs.',
  title: (m, n) => {
    const t = reportTask(m);
    return `Hung Task: ${t ? `${t.comm} (pid ${t.pid})` : 'task'} blocked${n > 1 ? ` (+${n - 1} more)` : ''}`;
  },
  cause: (m) => `The kernel's hung-task detector reported: "${m.line}".`,
  impact:
    'The task (and anything waiting on it) made no progress for minutes: usually stuck I/O (storage, NFS, a FUSE daemon) or a lock held by a stuck task.',
  why: 'A task in D state cannot be killed; the usual causes are storage or network filesystems that stopped answering.',
  fix: (m) => {
    const t = reportTask(m);
    return [
      DMESG('blocked for more than', 30),
      t
        ? `cat /proc/${t.pid}/stack; cat /proc/${t.pid}/wchan; echo   # where it waits`
        : 'cat /proc/<pid>/stack   # where the task waits',
      "echo w > /proc/sysrq-trigger && dmesg | tail -100   # dump every blocked task's stack",
      'cat /proc/pressure/io; iostat -x 1 5; mount | grep -E "nfs|fuse"   # stuck storage or network filesystem',
    ];
  },
});
