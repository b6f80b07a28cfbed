// What the two DNS rules say about a (resolver, process) row: its subject, who it is, and where to look.
import type { DnsClient } from '../../src/signals/types.js';
import { formatCount, formatNs } from '../../src/doctor/format.js';
import { podLabel } from './cgroup.js';
import { endpoint, processSubject } from './subjects.js';

/** "coredns-client (pid 1234) → 10.96.0.10:53"; "pid unknown → …" when the sender was not seen. */
export function dnsSubject(c: DnsClient): string {
  const who = c.pid > 0 ? processSubject(c.comm, c.pid) : `unknown process (netns ${c.netns})`;
  return `${who} → ${resolverOf(c)}`;
}

export function resolverOf(c: DnsClient): string {
  return endpoint(c.family, c.resolver, c.resolverPort);
}

/** Who sends the queries, as on-call would name them: process, pod or container, namespace, cgroup. */
export function clientLabel(c: DnsClient): string {
  const parts = [c.pid > 0 ? processSubject(c.comm, c.pid) : 'an unknown process'];
  if (c.processes > 1) parts[0] += ` and ${formatCount(c.processes - 1)} other ${c.comm} processes`;
  const pod = podLabel(c);
  if (pod !== undefined) parts.push(`pod ${pod}`);
  else if (c.podUid !== undefined) parts.push(`pod ${c.podUid}`);
  if (c.containerId !== undefined && c.container === undefined)
    parts.push(`container ${c.containerId.slice(0, 12)}`);
  if (c.host) parts.push('host network namespace');
  else if (c.netnsName !== undefined) parts.push(`ip netns ${c.netnsName}`);
  else if (c.netns !== 0) parts.push(`netns ${c.netns}`);
  if (c.cgroupPath !== '' && c.cgroupPath !== '/') parts.push(`cgroup ${c.cgroupPath}`);
  return parts.join(', ');
}

/** "ip netns exec x " / "nsenter -t 1234 -n " to query from the client's own namespace; "" on the host. */
export function inClientNs(c: DnsClient): string {
  if (c.host) return '';
  if (c.netnsName !== undefined) return `ip netns exec ${c.netnsName} `;
  return c.pid > 0 ? `nsenter -t ${c.pid} -n ` : '';
}

/** The row's counts in one line: what the rules quote as evidence. */
export function countsLine(c: DnsClient): string {
  return (
    `${formatCount(c.queries)} queries (${formatCount(c.tcpQueries)} over TCP, ${formatCount(c.retransmits)} resent): ` +
    `${formatCount(c.noerror)} NOERROR, ${formatCount(c.nxdomain)} NXDOMAIN (not a failure), ` +
    `${formatCount(c.servfail)} SERVFAIL, ${formatCount(c.refused)} REFUSED, ${formatCount(c.otherRcode)} other RCODE, ` +
    `${formatCount(c.timeouts)} unanswered`
  );
}

export function latencyLine(c: DnsClient): string {
  const l = c.latency;
  return l.count === 0
    ? 'no response timed'
    : `latency p50 ${formatNs(l.p50)}, p99 ${formatNs(l.p99)}, max ${formatNs(l.max)} over ${formatCount(l.count)} responses`;
}

/** Copy-paste steps every DNS finding shares. */
export function dnsFix(c: DnsClient): string[] {
  const inNs = inClientNs(c);
  const pidNote =
    c.pid > 0 ? ` (the resolv.conf process ${c.pid} sees: cat /proc/${c.pid}/root/etc/resolv.conf)` : '';
  return [
    `${inNs}dig @${c.resolver} -p ${c.resolverPort} <name>   # time one lookup against this resolver; +tcp to compare TCP`,
    `${inNs}cat /etc/resolv.conf${pidNote}: nameserver order, options timeout:/attempts: (glibc default 5 s × 2)`,
  ];
}
