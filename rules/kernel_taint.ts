// kernel_taint — the kernel is tainted (/proc/sys/kernel/tainted is not 0); the severity is that of its
// worst flag. D and W are left to kernel_oops / kernel_warning when their counters are available.
import type { Signals } from '../src/signals/types.js';
import { SEVERITY_RANK, type Rule, type Severity } from '../src/doctor/types.js';
import { base, DMESG, type NoThresholds } from './lib/kernel.js';

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
        unit: 'bitmask',
        value: k.taint,
        threshold: 1,
      },
    ];
  },
};
