// healthy_system — the INFO finding for a quiet window (reference §4.2), claimed only when it is true.
//
// The original claimed health whenever no rule fired, including when no eBPF program loaded at all
// (without root every collector fails, and the report said "System Healthy"). Here the claim requires the
// collectors that matter (src/doctor/coverage.ts HEALTHY_REQUIRED: syscall, sched, memory) to have run
// for the window and delivered data. Otherwise the rule returns nothing and the report — free of
// findings — shows the coverage gaps instead. The engine runs it only when no other rule produced a finding
// and none failed (`onlyIfNoFindings`).
import type { Rule } from '../src/doctor/types.js';
import { formatCount, formatNs, formatPct } from '../src/doctor/format.js';
import { coverageGaps, healthyClaimBlockers } from '../src/doctor/coverage.js';

export const healthySystem: Rule<Record<never, number>> = {
  id: 'healthy_system',
  signal: 'all',
  description: 'No rule crossed its threshold and the core collectors ran for the whole window.',
  defaults: {},
  onlyIfNoFindings: true,
  doc: {
    severity: 'INFO',
    trigger: () =>
      'no other rule fired or failed, and the syscall, sched and memory collectors ran for the window (otherwise no health claim is made and the report lists what was not observed)',
    why: '"No findings" must never be confused with "no data": the claim is only made when the signals that matter were actually observed.',
    fix: [
      'kerno doctor --continuous   # keep watching if the problem is intermittent',
      'kerno doctor --duration 2m   # a longer window catches rarer stalls',
    ],
  },
  evaluate(signals) {
    if (healthyClaimBlockers(signals).length > 0) return [];
    const evidence = [
      `observed ${formatCount(signals.syscall?.totalCount ?? 0)} syscalls and ${formatCount(signals.sched?.totalCount ?? 0)} ` +
        `scheduler wakeups over ${formatNs(signals.durationNs)}`,
    ];
    if (signals.memory !== undefined) evidence.push(`memory ${formatPct(signals.memory.usedPct)} used`);
    const ok = signals.coverage.filter((c) => c.state === 'ok').map((c) => c.name);
    evidence.push(`collectors that ran: ${ok.join(', ')}`);
    const gaps = coverageGaps(signals);
    if (gaps.length > 0)
      evidence.push(`not fully observed: ${gaps.map((g) => `${g.name} (${g.reason})`).join('; ')}`);
    return [
      {
        rule: 'healthy_system',
        severity: 'info',
        title: 'System Healthy',
        signal: 'all',
        subject: '',
        cause: `No rule crossed its threshold during the ${formatNs(signals.durationNs)} window.`,
        impact: 'None observed.',
        evidence,
        fix: [
          'kerno doctor --continuous   # keep watching if the problem is intermittent',
          'kerno doctor --duration 2m   # a longer window catches rarer stalls',
        ],
        metric: 'findings',
        unit: 'count',
        value: 0,
        threshold: 0,
      },
    ];
  },
};
