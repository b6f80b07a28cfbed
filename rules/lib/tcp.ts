import type { TcpConnection, TcpNamespace } from '../../src/signals/types.js';
import { formatCount, formatNs } from '../../src/doctor/format.js';
import { podLabel } from './cgroup.js';
import { connectionSubject } from './subjects.js';

export function connectionLine(c: TcpConnection): string {
  const who = c.pid > 0 ? ` ${c.comm} (pid ${c.pid})` : c.comm !== '' ? ` ${c.comm}` : '';
  const rtt = c.srttNs > 0 ? `, srtt ${formatNs(c.srttNs)}` : '';
  return `${connectionSubject(c)}${who}: ${formatCount(c.retransSegs)} retransmitted segments${rtt}`;
}

/** Copy-paste commands aimed at the peer of a connection, run inside the connection's namespace. */
export function peerCommands(c: TcpConnection, ns?: TcpNamespace): string[] {
  const dst = c.family === 6 ? `[${c.dstAddr}]` : c.dstAddr;
  const inNs = ns !== undefined ? nsEnter(ns) : '';
  return [
    `${inNs}ss -tin dst ${dst}   # per-socket retrans, rtt, cwnd towards this peer`,
    `${inNs}ip route get ${c.dstAddr}   # the egress interface, then: ethtool -S <iface> | grep -iE 'err|drop|discard'`,
    `${inNs}mtr -rwc 100 ${c.dstAddr}   # where on the path packets are lost (or: ping -c 100 ${c.dstAddr})`,
  ];
}

/** "nsenter -t 1234 -n " to run a command in a namespace that is not the host's; "" for the host's. */
export function nsEnter(ns: TcpNamespace): string {
  if (ns.host) return '';
  if (ns.name !== undefined) return `ip netns exec ${ns.name} `;
  return ns.pid > 0 ? `nsenter -t ${ns.pid} -n ` : '';
}

/** Who a namespace belongs to, as on-call would name it. */
export function namespaceLabel(ns: TcpNamespace): string {
  if (ns.host) return `the host network namespace (netns ${ns.netns})`;
  if (ns.netns === 0) return 'sockets of an unknown network namespace';
  const parts = [`netns ${ns.netns}`];
  if (ns.name !== undefined) parts.push(`ip netns ${ns.name}`);
  const pod = podLabel(ns);
  if (pod !== undefined) parts.push(`pod ${pod}`);
  else if (ns.podUid !== undefined) parts.push(`pod ${ns.podUid}`);
  if (ns.containerId !== undefined && ns.container === undefined)
    parts.push(`container ${ns.containerId.slice(0, 12)}`);
  if (ns.pid > 0) parts.push(`pid ${ns.pid}${ns.comm !== '' ? ` ${ns.comm}` : ''}`);
  if (ns.cgroupPath !== '' && ns.cgroupPath !== '/') parts.push(`cgroup ${ns.cgroupPath}`);
  return parts.join(', ');
}

/** The subject of a namespace-wide finding with no connection to point at. */
export function namespaceSubject(ns: TcpNamespace): string {
  return ns.host ? 'netns host' : `netns ${ns.netns}`;
}
