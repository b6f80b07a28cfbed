// What kind of kernel trouble a log line announces. The patterns are the kernel's own fixed prefixes
// (panic(), die(), the watchdogs, hung_task, RCU, MCE, WARN/BUG), anchored at the start of the message so a
// driver that merely mentions "bug" or "warning" in passing ("#DB: warning on user-space bus_locks", "report
// a bug") never counts.

import type { KernelMessage } from '../signals/types.js';

export type KernelEventKind = KernelMessage['kind'];

interface Pattern {
  kind: KernelEventKind;
  re: RegExp;
}

// Order matters: the most specific report wins ("watchdog: BUG: soft lockup" is a soft lockup, not a BUG;
// "Oops: general protection fault" is a GPF).
const PATTERNS: readonly Pattern[] = [
  { kind: 'panic', re: /^Kernel panic - not syncing/ },
  { kind: 'soft_lockup', re: /^(?:watchdog: )?BUG: soft lockup\b/ },
  { kind: 'hard_lockup', re: /^(?:NMI )?watchdog: .*\bhard LOCKUP\b/i },
  { kind: 'hung_task', re: /^INFO: task .+ blocked for more than \d+ seconds/ },
  { kind: 'rcu_stall', re: /^(?:rcu: )?INFO: rcu\w* (?:self-)?detected (?:expedited )?stalls?\b/ },
  { kind: 'mce', re: /^(?:mce: )?\[Hardware Error\]|^mce: .*Machine Check|^Machine check events logged/ },
  { kind: 'gpf', re: /^(?:Oops: )?general protection fault\b/ },
  { kind: 'oops', re: /^Oops(?::|\s|$)/ },
  { kind: 'bug', re: /^(?:BUG: |kernel BUG at )/ },
  { kind: 'warning', re: /^WARNING: / },
];

// printk's console prefixes: "<4>" (syslog level), "[  123.456789]" (CONFIG_PRINTK_TIME) and
// "[ T1234]" / "[  C3]" (CONFIG_PRINTK_CALLER), in that order, any of them optional.
const CONSOLE_PREFIX = /^(?:<(\d)>)?(?:\[\s*(\d{1,10})\.(\d{1,9})\])?(?:\[\s*[TC]\d+\])?\s?/;

export interface ConsoleLine {
  text: string;
  /** Time since boot from the printk timestamp, microseconds. */
  tsUsec?: number;
  level?: number;
}

/** Split a console line (what netconsole plain mode and serial consoles carry) into prefix and text. */
export function stripConsolePrefix(line: string): ConsoleLine {
  const m = CONSOLE_PREFIX.exec(line);
  if (!m || m[0].length === 0) return { text: line };
  const out: ConsoleLine = { text: line.slice(m[0].length) };
  if (m[1] !== undefined) out.level = Number(m[1]);
  if (m[2] !== undefined && m[3] !== undefined) {
    const frac = (m[3] + '000000').slice(0, 6);
    out.tsUsec = Number(m[2]) * 1_000_000 + Number(frac);
  }
  return out;
}

/** The kind of report a (prefix-free) message line starts, or undefined for an ordinary line. */
export function classifyKernelLine(text: string): KernelEventKind | undefined {
  const t = text.trimStart();
  for (const p of PATTERNS) if (p.re.test(t)) return p.kind;
  return undefined;
}

/**
 * Whether a report line of kind `next` belongs to the open report of kind `current` rather than starting a
 * new one: a panic ends whatever led to it; die() prints "Oops:" right after the "BUG: unable to handle …"
 * line of the same fault; once the kernel panics everything after it is part of the panic; MCE decoding
 * spans many "[Hardware Error]" lines.
 */
export function continuesReport(current: KernelEventKind, next: KernelEventKind): boolean {
  if (current === 'panic' || next === 'panic') return true;
  if (current === 'bug' && (next === 'oops' || next === 'gpf')) return true;
  if (current === 'mce' && next === 'mce') return true;
  return false;
}

const SEVERITY_ORDER: Record<KernelEventKind, number> = {
  warning: 0,
  rcu_stall: 1,
  hung_task: 1,
  bug: 2,
  oops: 3,
  gpf: 3,
  soft_lockup: 3,
  hard_lockup: 4,
  mce: 4,
  panic: 5,
};

/** The kind a report has once `next` joined it: the graver of the two. */
export function escalate(current: KernelEventKind, next: KernelEventKind): KernelEventKind {
  return SEVERITY_ORDER[next] > SEVERITY_ORDER[current] ? next : current;
}

/** Lines that close a report for good (the panic's last words). */
export function endsReport(text: string): boolean {
  return /^---\[ end Kernel panic\b/.test(text.trimStart());
}
