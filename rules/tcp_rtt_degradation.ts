// tcp_rtt_degradation — smoothed round-trip time of the host's TCP connections is high.
//
// The RTT comes from every established socket's srtt, sampled at most every 100 ms per socket as segments
// arrive — so it describes the host's peers, near and far. The original hard-coded 10 ms, which assumes all
// peers sit in one data centre: any internet-facing host, or an idle one with a single SSH session from a
// laptop (20–80 ms), would be permanently "degraded" (it never fired only because the original never
// collected RTT). The default here is 100 ms: longer than any same-continent path, so a p99 above it means
// queueing (bufferbloat, a congested link) or a detour, or clients on another continent. Hosts whose peers
// are all local should lower `tcp_rtt_p99_warning_ns` (10 ms catches intra-DC trouble). The p99 needs
// `tcp_rtt_min_slow_samples` samples at least that slow, so one distant peer sampled once does not fire.
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs } from '../src/doctor/format.js';
import { minSamplesAtOrAbove, slowEnough } from './lib/percentiles.js';
import { connectionSubject } from './lib/subjects.js';
import { connectionLine, namespaceLabel, peerCommands } from './lib/tcp.js';

type T = Pick<Thresholds, 'tcp_rtt_p99_warning_ns' | 'tcp_rtt_min_slow_samples'>;

export const tcpRttDegradation: Rule<T> = {
  id: 'tcp_rtt_degradation',
  signal: 'tcp',
  description: 'TCP round-trip times are high: a congested or long network path, or a slow peer.',
  defaults: pickThresholds('tcp_rtt_p99_warning_ns', 'tcp_rtt_min_slow_samples'),
  doc: {
    severity: 'WARNING',
    trigger: (t) =>
      `TCP smoothed-RTT p99 ≥ ${formatNs(t.tcp_rtt_p99_warning_ns)}, with at least ${t.tcp_rtt_min_slow_samples} samples that high`,
    why: 'Every request/response exchange pays the round trip; chatty protocols pay it many times per request.',
    fix: [
      'ss -ti   # rtt:<srtt>/<rttvar> per socket',
      'mtr -rwc 100 <peer>',
      'co-locate services that talk a lot',
    ],
  },
  evaluate(signals, t) {
    const tcp = signals.tcp;
    if (tcp === undefined) return [];
    const thr = t.tcp_rtt_p99_warning_ns;
    if (!slowEnough(tcp.rtt, thr, t.tcp_rtt_min_slow_samples)) return [];
    const slow = tcp.topRetransmitters.filter((c) => c.srttNs >= thr).sort((a, b) => b.srttNs - a.srttNs);
    const worst = slow[0];
    const evidence = [
      `RTT p99 ${formatNs(tcp.rtt.p99)} ≥ ${formatNs(thr)} threshold`,
      `p50 ${formatNs(tcp.rtt.p50)}, p95 ${formatNs(tcp.rtt.p95)}, max ${formatNs(tcp.rtt.max)} over ` +
        `${formatCount(tcp.rtt.count)} samples; at least ${formatCount(minSamplesAtOrAbove(tcp.rtt, thr))} ≥ ${formatNs(thr)}`,
      ...slow.slice(0, 5).map(connectionLine),
    ];
    // The per-namespace count uses the 100 ms line of the BPF side; say where the slow samples came from.
    const slowNs = tcp.namespaces
      .filter((ns) => ns.slowRttSamples > 0)
      .sort((a, b) => b.slowRttSamples - a.slowRttSamples)
      .slice(0, 3);
    for (const ns of slowNs)
      evidence.push(`${formatCount(ns.slowRttSamples)} samples ≥ 100ms from ${namespaceLabel(ns)}`);
    return [
      {
        rule: 'tcp_rtt_degradation',
        severity: 'warning',
        title: 'Elevated TCP Round-Trip Time',
        signal: 'tcp',
        subject: worst !== undefined ? connectionSubject(worst) : '',
        cause: `TCP round trips take ${formatNs(tcp.rtt.p99)} at p99: the network path is congested or long, or peers respond slowly.`,
        impact:
          'Every request/response exchange pays this delay; protocols with several round trips per request pay it repeatedly.',
        evidence,
        fix:
          worst !== undefined
            ? [
                ...peerCommands(
                  worst,
                  tcp.namespaces.find((ns) => ns.netns === worst.netns),
                ),
                'co-locate services that talk a lot',
              ]
            : [
                'ss -ti   # rtt:<srtt>/<rttvar> per socket',
                'mtr -rwc 100 <peer>',
                'co-locate services that talk a lot',
              ],
        metric: 'tcp_rtt_p99',
        unit: 'ns',
        value: tcp.rtt.p99,
        threshold: thr,
        ...(worst !== undefined && worst.pid > 0 ? { process: worst.comm, pid: worst.pid } : {}),
      },
    ];
  },
  judgedBy() {
    return 'tcp_rtt_p99_warning_ns';
  },
};
