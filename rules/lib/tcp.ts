import type { TcpConnection } from '../../src/signals.js';
import { formatCount, formatNs } from '../../src/doctor/format.js';
import { connectionSubject } from './subjects.js';

export function connectionLine(c: TcpConnection): string {
  const who = c.pid > 0 ? ` ${c.comm} (pid ${c.pid})` : c.comm !== '' ? ` ${c.comm}` : '';
  const rtt = c.srttNs > 0 ? `, srtt ${formatNs(c.srttNs)}` : '';
  return `${connectionSubject(c)}${who}: ${formatCount(c.retransmits)} retransmits${rtt}`;
}

/** Copy-paste commands aimed at the peer of a connection. */
export function peerCommands(c: TcpConnection): string[] {
  const dst = c.family === 6 ? `[${c.dstAddr}]` : c.dstAddr;
  return [
    `ss -tin dst ${dst}   # per-socket retrans, rtt, cwnd towards this peer`,
    `ip route get ${c.dstAddr}   # the egress interface, then: ethtool -S <iface> | grep -iE 'err|drop|discard'`,
    `mtr -rwc 100 ${c.dstAddr}   # where on the path packets are lost (or: ping -c 100 ${c.dstAddr})`,
  ];
}
