// Shared by the kernel-health rules (rules/kernel_*.ts): they read Signals.kernel (src/collectors/kernel.ts):
// since-boot counters with their window deltas, the decoded taint, the kernel's own reports seen in
// /dev/kmsg during the window, and pstore files from a previous boot. A healthy kernel — oops and warn
// counts 0, taint 0, no reports, empty pstore — produces nothing.
//
// Severity follows what the kernel itself says happened: an oops or GPF kills a task and may leave locks
// held (critical); a soft/hard lockup or a machine check means a CPU or the hardware misbehaved (critical);
// a hung task, an RCU stall or a WARN is a warning; taint flags that only describe how the kernel was built
// or which modules were loaded (proprietary, out-of-tree, unsigned, livepatch …) are info at most.
import type { KernelHealthSignals, KernelMessage, Signals } from '../../src/signals/types.js';
import type { Finding, Rule, Severity } from '../../src/doctor/types.js';
import { formatCount } from '../../src/doctor/format.js';
import { processSubject } from './subjects.js';

export type NoThresholds = Record<never, number>;

const MAX_MESSAGES = 5;
const MAX_CONTEXT_LINES = 10;

// Register dumps and code bytes say little to a reader of a finding; the CPU/PID/Comm line, RIP, the
// hardware name and the call trace say what crashed where.
const NOISE =
  /^(?:R(?:AX|BX|CX|DX|SI|DI|BP|SP|\d{1,2}): |[EF]S: |CS: |CR\d: |DR\d: |Code: |PKRU: |PGD |#PF: )/;

export function messagesOf(k: KernelHealthSignals, kinds: readonly KernelMessage['kind'][]): KernelMessage[] {
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

export function evidenceFor(messages: readonly KernelMessage[]): string[] {
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

export function withTask(f: Finding, m: KernelMessage | undefined): Finding {
  const t = m ? reportTask(m) : undefined;
  if (!t) return f;
  return { ...f, subject: processSubject(t.comm, t.pid), process: t.comm, pid: t.pid };
}

export function base(
  rule: string,
  severity: Severity,
  title: string,
): Pick<Finding, 'rule' | 'severity' | 'title' | 'signal' | 'subject'> {
  return { rule, severity, title, signal: 'kernel', subject: '' };
}

export const DMESG = (pattern: string, after = 40) => `dmesg -T | grep -B2 -A${after} -E '${pattern}'`;
export const DRAIN =
  'kubectl drain <node> --ignore-daemonsets --delete-emptydir-data   # on Kubernetes: move workloads off first';

// ---------------------------------------------------------------------------------------------- per-kind reports

export interface ReportRuleSpec {
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

/** A rule that fires on one kind of kernel report seen in /dev/kmsg during the window. */
export function reportRule(spec: ReportRuleSpec): Rule<NoThresholds> {
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
        unit: 'count',
        value: msgs.length,
        threshold: 1,
      };
      return [withTask(finding, first)];
    },
  };
}
