// Kernel health rules: is the kernel quietly unwell? They read Signals.kernel (src/collectors/kernel.ts):
// since-boot counters with their window deltas, the decoded taint, the kernel's own reports seen in
// /dev/kmsg during the window, and pstore files from a previous boot. A healthy kernel — oops and warn
// counts 0, taint 0, no reports, empty pstore — produces nothing.
//
// Severity follows what the kernel itself says happened: an oops or GPF kills a task and may leave locks
// held (critical); a soft/hard lockup or a machine check means a CPU or the hardware misbehaved (critical);
// a hung task, an RCU stall or a WARN is a warning; taint flags that only describe how the kernel was built
// or which modules were loaded (proprietary, out-of-tree, unsigned, livepatch …) are info at most.
import type { KernelHealthSignals, KernelMessage, Signals } from '../src/signals/types.js';
import type { Finding, Rule, Severity } from '../src/doctor/types.js';
import { formatCount } from '../src/doctor/format.js';
import { processSubject } from './lib/subjects.js';

type NoThresholds = Record<never, number>;

const MAX_MESSAGES = 5;
const MAX_CONTEXT_LINES = 10;

// Register dumps and code bytes say little to a reader of a finding; the CPU/PID/Comm line, RIP, the
// hardware name and the call trace say what crashed where.
const NOISE =
  /^(?:R(?:AX|BX|CX|DX|SI|DI|BP|SP|\d{1,2}): |[EF]S: |CS: |CR\d: |DR\d: |Code: |PKRU: |PGD |#PF: )/;

function messagesOf(k: KernelHealthSignals, kinds: readonly KernelMessage['kind'][]): KernelMessage[] {
  return k.messages.filter((m) => kinds.includes(m.kind));
}

/** "<timestamp> <line>" plus the telling part of its context, indented. */
export function messageEvidence(m: KernelMessage, maxContext = MAX_CONTEXT_LINES): string[] {
  const out = [`${m.timestamp} ${m.line}`];
  let n = 0;
  for (const line of m.context) {
    if (n >= maxContext) {
      out.push('    …');
      break;
    }
    if (NOISE.test(line.trimStart())) continue;
    out.push(`    ${line.trim()}`);
    n++;
  }
  return out;
}

function evidenceFor(messages: readonly KernelMessage[]): string[] {
  const out: string[] = [];
  if (messages.length > MAX_MESSAGES)
    out.push(`${formatCount(messages.length)} reports; the first ${MAX_MESSAGES}:`);
  for (const m of messages.slice(0, MAX_MESSAGES)) out.push(...messageEvidence(m));
  return out;
}

/** The task a report is about, from "CPU: 1 UID: 0 PID: 4242 Comm: bash …" in its context or its line. */
export function reportTask(m: KernelMessage): { comm: string; pid: number } | undefined {
  const hung = /^INFO: task (.+):(\d+) blocked/.exec(m.line);
  if (hung) return { comm: hung[1] as string, pid: Number(hung[2]) };
  const lockup = /soft lockup - CPU#\d+ stuck for \d+s! \[(.+):(\d+)\]/.exec(m.line);
  if (lockup) return { comm: lockup[1] as string, pid: Number(lockup[2]) };
  for (const line of [m.line, ...m.context]) {
    const c = /\bPID: (\d+) Comm: (\S+)/.exec(line);
    if (c) return { comm: c[2] as string, pid: Number(c[1]) };
  }
  return undefined;
}

function withTask(f: Finding, m: KernelMessage | undefined): Finding {
  const t = m ? reportTask(m) : undefined;
  if (!t) return f;
  return { ...f, subject: processSubject(t.comm, t.pid), process: t.comm, pid: t.pid };
}

function base(
  rule: string,
  severity: Severity,
  title: string,
): Pick<Finding, 'rule' | 'severity' | 'title' | 'signal' | 'subject'> {
  return { rule, severity, title, signal: 'kernel', subject: '' };
}

const DMESG = (pattern: string, after = 40) => `dmesg -T | grep -B2 -A${after} -E '${pattern}'`;
const DRAIN =
  'kubectl drain <node> --ignore-daemonsets --delete-emptydir-data   # on Kubernetes: move workloads off first';

// ---------------------------------------------------------------------------------------------- oops

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
      value: inWindow ? Math.max(k.oopsDelta, msgs.length) : k.oopsCount,
      threshold: 1,
    };
    return [withTask(finding, first)];
  },
};

// ---------------------------------------------------------------------------------------------- warning

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
      value: inWindow ? Math.max(k.warnDelta, msgs.length) : k.warnCount,
      threshold: 1,
    };
    return [withTask(finding, first)];
  },
};

// ---------------------------------------------------------------------------------------------- taint

/** How much each taint flag matters on its own (flags not listed are info). */
export const TAINT_SEVERITY: Readonly<Record<string, Severity>> = {
  M: 'critical', // machine check exception: hardware error
  B: 'critical', // bad page: memory corruption
  D: 'warning', // an oops/BUG happened this boot
  W: 'warning', // a WARN happened this boot
  L: 'warning', // a soft lockup happened this boot
  S: 'warning', // running on out-of-spec hardware
  F: 'warning', // a module was force-loaded (version check bypassed)
  R: 'warning', // a module was force-unloaded
  J: 'warning', // a device was poked through fwctl debug writes
};

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export const kernelTaint: Rule<NoThresholds> = {
  id: 'kernel_taint',
  signal: 'kernel',
  description: 'The kernel is tainted (/proc/sys/kernel/tainted is not 0); severity by flag.',
  defaults: {},
  doc: {
    severity: 'INFO, WARNING, CRITICAL',
    trigger: () =>
      'taint != 0. CRITICAL for M (machine check) or B (bad page); WARNING for D, W, L, S, F, R, J; INFO for flags that describe modules or the build (P proprietary, O out-of-tree, E unsigned, K livepatch, C staging, T randstruct …). D and W are left to kernel_oops / kernel_warning when those counters are available.',
    why: 'Taint records that something happened that makes the kernel less trustworthy or its bug reports less useful; some flags (MCE, bad page) are hardware trouble, most module flags are benign.',
    fix: [
      'cat /proc/sys/kernel/tainted',
      "grep -E '\\([A-Z]+\\)' /proc/modules   # modules that tainted the kernel",
    ],
  },
  evaluate(signals: Signals) {
    const k = signals.kernel;
    if (!k || k.taint === 0 || k.taintFlags.length === 0) return [];
    // D and W are since-boot facts that kernel_oops / kernel_warning already report from the counters.
    const covered = (letter: string) =>
      (letter === 'D' && k.oopsCount > 0) || (letter === 'W' && k.warnCount > 0);
    const own = k.taintFlags.filter((f) => !covered(f.letter));
    if (own.length === 0) return [];
    let severity: Severity = 'info';
    for (const f of own) {
      const s = TAINT_SEVERITY[f.letter] ?? 'info';
      if (SEVERITY_RANK[s] > SEVERITY_RANK[severity]) severity = s;
    }
    const letters = k.taintFlags.map((f) => f.letter).join('');
    const evidence = [`/proc/sys/kernel/tainted = ${k.taint} (${letters})`];
    for (const f of k.taintFlags) {
      const note = covered(f.letter) ? ` — see ${f.letter === 'D' ? 'kernel_oops' : 'kernel_warning'}` : '';
      evidence.push(
        `${f.letter} (bit ${f.bit}): ${f.description} [${TAINT_SEVERITY[f.letter] ?? 'info'}]${note}`,
      );
    }
    const fix = [
      'cat /proc/sys/kernel/tainted',
      "grep -E '\\([A-Z]+\\)' /proc/modules   # loaded modules that carry a taint",
    ];
    if (own.some((f) => f.letter === 'M' || f.letter === 'B')) {
      fix.push(
        'ras-mc-ctl --errors || mcelog --client   # hardware error log',
        'plan to replace the failing DIMM/CPU; drain the node meanwhile',
      );
    }
    if (own.some((f) => f.letter === 'L')) fix.push(DMESG('soft lockup', 30));
    if (own.some((f) => 'POEC'.includes(f.letter))) {
      fix.push(
        'modinfo <module>   # for out-of-tree/proprietary/unsigned modules: their vendor, version and signer',
      );
    }
    fix.push('taint clears only on reboot: after fixing the cause, reboot during a maintenance window');
    return [
      {
        ...base('kernel_taint', severity, `Kernel Tainted (${letters})`),
        cause: `The kernel is tainted: ${own.map((f) => `${f.letter} = ${f.description}`).join('; ')}.`,
        impact:
          severity === 'info'
            ? 'Benign by itself (it describes which modules are loaded or how the kernel was built), but kernel developers may decline bug reports from a tainted kernel.'
            : severity === 'critical'
              ? 'The hardware reported errors (machine check or bad memory page): data may be corrupt and the node may crash.'
              : 'The kernel went through an abnormal event since boot (or runs on out-of-spec hardware / with forced modules) and may not be fully reliable until rebooted.',
        evidence,
        fix,
        metric: 'kernel_taint',
        value: k.taint,
        threshold: 1,
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------- per-kind reports

interface ReportRuleSpec {
  id: string;
  kind: KernelMessage['kind'];
  severity: Severity;
  description: string;
  title: (m: KernelMessage, n: number) => string;
  cause: (m: KernelMessage) => string;
  impact: string;
  why: string;
  fix: (m: KernelMessage) => string[];
}

function reportRule(spec: ReportRuleSpec): Rule<NoThresholds> {
  const genericFix = spec.fix({ timestamp: '', seq: 0, level: 0, kind: spec.kind, line: '', context: [] });
  return {
    id: spec.id,
    signal: 'kernel',
    description: spec.description,
    defaults: {},
    doc: {
      severity: spec.severity.toUpperCase(),
      trigger: () => `a "${spec.kind}" report from the kernel (facility 0) in /dev/kmsg during the window`,
      why: spec.why,
      fix: genericFix,
    },
    evaluate(signals: Signals) {
      const k = signals.kernel;
      if (!k) return [];
      const msgs = messagesOf(k, [spec.kind]);
      const first = msgs[0];
      if (!first) return [];
      const finding: Finding = {
        ...base(spec.id, spec.severity, spec.title(first, msgs.length)),
        cause: spec.cause(first),
        impact: spec.impact,
        evidence: evidenceFor(msgs),
        fix: spec.fix(first),
        metric: `kernel_${spec.kind}_reports`,
        value: msgs.length,
        threshold: 1,
      };
      return [withTask(finding, first)];
    },
  };
}

export const kernelHungTask = reportRule({
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

export const kernelSoftLockup = reportRule({
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

export const kernelHardLockup = reportRule({
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

export const kernelRcuStall = reportRule({
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

export const kernelMce = reportRule({
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

// ---------------------------------------------------------------------------------------------- pstore

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
        value: k.pstore.length,
        threshold: 1,
      },
    ];
  },
};

/** Kernel-health rules in evaluation order (for rules/index.ts). */
export const KERNEL_HEALTH_RULES: readonly Rule<NoThresholds>[] = Object.freeze([
  kernelOops,
  kernelSoftLockup,
  kernelHardLockup,
  kernelMce,
  kernelHungTask,
  kernelRcuStall,
  kernelWarning,
  kernelTaint,
  kernelPreviousPanic,
]);
