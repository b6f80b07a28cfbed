// tcp_retransmit_storm — a network namespace retransmits a large share of the TCP segments it sends.
//
// Fixes two defects of the original: its "rate" was retransmit events ÷ all TCP tracepoint events
// (connects, closes …), not a share of segments; and it judged any volume. Here the rate is
// RetransSegs ÷ OutSegs from the kernel's own SNMP counters over the window, and it is only judged once
// `tcp_min_segments` segments were sent: on an idle host (a few SSH keepalives) two retransmits swing the
// rate by whole points. 1000 segments over a 30 s window is ~33 segments/s, which any host doing real network
// work clears, and at the 2 % threshold it means at least 20 retransmitted segments.
//
// Judged per network namespace: each pod or container has its own MIB and its own path, and a lossy pod
// link is diluted to nothing by a busy healthy host namespace in a host-wide sum. One finding per
// suffering namespace (at most MAX_NAMESPACES), naming it; if none crosses the bar on its own but the sum
// over all namespaces does (loss spread thinly over many small ones), one host-wide finding.
import type { TcpConnection, TcpNamespace, TcpSignals } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatPct } from '../src/doctor/format.js';
import { connectionSubject } from './lib/subjects.js';
import { connectionLine, namespaceLabel, namespaceSubject, nsEnter, peerCommands } from './lib/tcp.js';

type T = Pick<Thresholds, 'tcp_retransmit_pct' | 'tcp_min_segments'>;

const MAX_LISTED = 5;
const MAX_NAMESPACES = 5;
const NSTAT = 'nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPLostRetransmit';

interface Scope {
  /** Undefined for the host-wide sum over all namespaces. */
  ns?: TcpNamespace;
  segmentsOut: number;
  retransSegs: number;
  rate: number;
  conns: TcpConnection[];
}

function finding(tcp: TcpSignals, s: Scope, t: T): Finding {
  const top = s.conns[0];
  const where =
    s.ns !== undefined
      ? namespaceLabel(s.ns)
      : `all ${formatCount(tcp.namespacesSeen)} network namespaces together`;
  const inNs = s.ns !== undefined ? nsEnter(s.ns) : '';
  const evidence = [
    `${formatPct(s.rate)} of sent segments were retransmissions (${formatCount(s.retransSegs)} of ` +
      `${formatCount(s.segmentsOut)}) ≥ ${formatPct(t.tcp_retransmit_pct)} threshold`,
    `where: ${where}`,
    `host-wide: ${formatCount(tcp.retransSegs)} of ${formatCount(tcp.segmentsOut)} segments retransmitted ` +
      `(${formatPct(tcp.retransmitRatePct)}) across ${formatCount(tcp.namespacesSeen)} network namespaces; ` +
      `${formatCount(tcp.retransmitEvents)} retransmit events, ${formatCount(tcp.activeConnections)} connections open; ` +
      `resets sent ${formatCount(tcp.resetsSent)}, received ${formatCount(tcp.resetsReceived)}`,
    ...s.conns.slice(0, MAX_LISTED).map(connectionLine),
  ];
  const fix =
    top !== undefined
      ? [...peerCommands(top, s.ns), `${inNs}${NSTAT}`]
      : [
          `${inNs}${NSTAT}`,
          `${inNs}ss -tin state established | grep -B1 retrans   # which sockets retransmit`,
          `${inNs}ip -s link; ethtool -S <iface> | grep -iE 'err|drop|discard'`,
        ];
  if (s.ns !== undefined && !s.ns.host)
    fix.push(`ip -s link   # on the host: the veth/bridge of this namespace, drops and errors`);
  fix.push('if the peers are in another zone or region, expect loss on that path: co-locate chatty services');
  const subject =
    top !== undefined ? connectionSubject(top) : s.ns !== undefined ? namespaceSubject(s.ns) : '';
  return {
    rule: 'tcp_retransmit_storm',
    severity: 'critical',
    title: 'TCP Retransmit Storm',
    signal: 'tcp',
    subject,
    cause:
      `${formatPct(s.rate)} of outgoing TCP segments had to be retransmitted in ${where}: packets are lost ` +
      'or reordered' +
      (top !== undefined ? `, worst towards ${top.dstAddr}:${top.dstPort}` : '') +
      '.',
    impact:
      'Lost segments cost retransmission timeouts and halved congestion windows: throughput drops and ' +
      'request tail latency rises by hundreds of milliseconds.',
    evidence,
    fix,
    metric: 'tcp_retransmit_pct',
    unit: 'percent',
    value: s.rate,
    threshold: t.tcp_retransmit_pct,
    ...(top !== undefined && top.pid > 0 ? { process: top.comm, pid: top.pid } : {}),
  };
}

export const tcpRetransmitStorm: Rule<T> = {
  id: 'tcp_retransmit_storm',
  signal: 'tcp',
  description:
    'A large share of the TCP segments a network namespace (the host, a pod, a container) sends are retransmissions: packets are being lost.',
  defaults: pickThresholds('tcp_retransmit_pct', 'tcp_min_segments'),
  doc: {
    severity: 'CRITICAL',
    trigger: (t) =>
      `in any network namespace (the host's, a pod's, a container's), retransmitted ÷ sent TCP segments ≥ ` +
      `${formatPct(t.tcp_retransmit_pct)} over the window, once at least ${formatCount(t.tcp_min_segments)} ` +
      'segments were sent there; or the same over all namespaces together',
    why: 'Each lost segment costs at least one retransmission timeout or a halved congestion window: throughput collapses and tail latency jumps by hundreds of milliseconds.',
    fix: [
      'ss -tin dst <peer>   # per-socket retrans and rtt (nsenter -t <pid> -n for a pod)',
      'ip route get <peer>; ethtool -S <iface> | grep -iE "err|drop|discard"',
      'mtr -rwc 100 <peer>   # locate the loss on the path',
      NSTAT,
    ],
  },
  evaluate(signals, t) {
    const tcp = signals.tcp;
    if (tcp === undefined) return [];
    const over = (segmentsOut: number, rate: number) =>
      segmentsOut > 0 &&
      segmentsOut >= t.tcp_min_segments &&
      Number.isFinite(rate) &&
      rate >= t.tcp_retransmit_pct;
    const suffering = tcp.namespaces
      .filter((ns) => ns.mib && over(ns.segmentsOut, ns.retransmitRatePct))
      .sort((a, b) => b.retransmitRatePct - a.retransmitRatePct)
      .slice(0, MAX_NAMESPACES);
    if (suffering.length > 0) {
      return suffering.map((ns) =>
        finding(
          tcp,
          {
            ns,
            segmentsOut: ns.segmentsOut,
            retransSegs: ns.retransSegs,
            rate: ns.retransmitRatePct,
            conns: tcp.topRetransmitters.filter((c) => c.netns === ns.netns),
          },
          t,
        ),
      );
    }
    if (!over(tcp.segmentsOut, tcp.retransmitRatePct)) return [];
    return [
      finding(
        tcp,
        {
          segmentsOut: tcp.segmentsOut,
          retransSegs: tcp.retransSegs,
          rate: tcp.retransmitRatePct,
          conns: tcp.topRetransmitters,
        },
        t,
      ),
    ];
  },
  judgedBy() {
    return 'tcp_retransmit_pct';
  },
};
