// tcp_retransmit_storm — the host retransmits a large share of the TCP segments it sends.
//
// Fixes two defects of the original: its "rate" was retransmit events ÷ all TCP tracepoint events
// (connects, closes …), not a share of segments; and it judged any volume. Here the rate is
// RetransSegs ÷ OutSegs from the kernel's own SNMP counters over the window, and it is only judged once the
// host sent `tcp_min_segments` segments: on an idle host (a few SSH keepalives) two retransmits swing the
// rate by whole points. 1000 segments over a 30 s window is ~33 segments/s, which any host doing real network
// work clears, and at the 2 % threshold it means at least 20 retransmitted segments.
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatPct } from '../src/doctor/format.js';
import { connectionSubject } from './lib/subjects.js';
import { connectionLine, peerCommands } from './lib/tcp.js';

type T = Pick<Thresholds, 'tcp_retransmit_pct' | 'tcp_min_segments'>;

const MAX_LISTED = 5;

export const tcpRetransmitStorm: Rule<T> = {
  id: 'tcp_retransmit_storm',
  signal: 'tcp',
  description:
    'A large share of the TCP segments the host sends are retransmissions: packets are being lost.',
  defaults: pickThresholds('tcp_retransmit_pct', 'tcp_min_segments'),
  doc: {
    severity: 'CRITICAL',
    trigger: (t) =>
      `retransmitted ÷ sent TCP segments ≥ ${formatPct(t.tcp_retransmit_pct)} over the window, once at least ` +
      `${formatCount(t.tcp_min_segments)} segments were sent`,
    why: 'Each lost segment costs at least one retransmission timeout or a halved congestion window: throughput collapses and tail latency jumps by hundreds of milliseconds.',
    fix: [
      'ss -tin dst <peer>   # per-socket retrans and rtt',
      'ip route get <peer>; ethtool -S <iface> | grep -iE "err|drop|discard"',
      'mtr -rwc 100 <peer>   # locate the loss on the path',
      'nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPLostRetransmit',
    ],
    chaos: 'tcp-loss',
  },
  evaluate(signals, t) {
    const tcp = signals.tcp;
    if (tcp === undefined || tcp.segmentsOut < t.tcp_min_segments || tcp.segmentsOut <= 0) return [];
    const rate = Number.isFinite(tcp.retransmitRatePct)
      ? tcp.retransmitRatePct
      : (tcp.retransSegs / tcp.segmentsOut) * 100;
    if (rate < t.tcp_retransmit_pct) return [];
    const top = tcp.topRetransmitters[0];
    const evidence = [
      `${formatPct(rate)} of sent segments were retransmissions (${formatCount(tcp.retransSegs)} of ` +
        `${formatCount(tcp.segmentsOut)}) ≥ ${formatPct(t.tcp_retransmit_pct)} threshold`,
      `${formatCount(tcp.retransmits)} retransmit events across ${formatCount(tcp.activeConnections)} active connections; ` +
        `resets sent ${formatCount(tcp.resetsSent)}, received ${formatCount(tcp.resetsReceived)}`,
      ...tcp.topRetransmitters.slice(0, MAX_LISTED).map(connectionLine),
    ];
    const fix =
      top !== undefined
        ? [...peerCommands(top), 'nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPLostRetransmit']
        : [
            'nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPLostRetransmit',
            'ss -tin state established | grep -B1 retrans   # which sockets retransmit',
            "ip -s link; ethtool -S <iface> | grep -iE 'err|drop|discard'",
          ];
    fix.push(
      'if the peers are in another zone or region, expect loss on that path: co-locate chatty services',
    );
    return [
      {
        rule: 'tcp_retransmit_storm',
        severity: 'critical',
        title: 'TCP Retransmit Storm',
        signal: 'tcp',
        subject: top !== undefined ? connectionSubject(top) : '',
        cause:
          `${formatPct(rate)} of outgoing TCP segments had to be retransmitted: packets are lost or reordered` +
          (top !== undefined ? `, worst towards ${top.dstAddr}:${top.dstPort}` : '') +
          '.',
        impact:
          'Lost segments cost retransmission timeouts and halved congestion windows: throughput drops and ' +
          'request tail latency rises by hundreds of milliseconds.',
        evidence,
        fix,
        metric: 'tcp_retransmit_pct',
        value: rate,
        threshold: t.tcp_retransmit_pct,
        ...(top !== undefined && top.pid > 0 ? { process: top.comm, pid: top.pid } : {}),
      },
    ];
  },
};
