// dns_high_latency — a process waits long for one resolver's answers.
//
// Judged per (resolver, process): a slow resolver hurts each of its clients, and the finding must say
// which process (pod) and which resolver, since the fix is on one of the two (the resolver's upstream, or
// the client's resolv.conf pointing at a distant server). Latency is the client socket's query → response
// time, measured in the kernel, so retries inside the application are not hidden in an average.
//
// One slow lookup is not an incident: an uncached name needs a full recursion (tens to a few hundred ms) by
// nature. So a row is judged only with `dns_min_responses` responses (fewer make the p99 the one slowest
// lookup), and fires only when at least `dns_min_slow_responses` of them took 100 ms or more. Thresholds:
// the original's p99 ≥ 100 ms WARNING, ≥ 500 ms CRITICAL.
import type { DnsClient } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs } from '../src/doctor/format.js';
import {
  clientLabel,
  countsLine,
  dnsFix,
  dnsSubject,
  inClientNs,
  latencyLine,
  resolverOf,
} from './lib/dns.js';

type T = Pick<
  Thresholds,
  'dns_p99_warning_ns' | 'dns_p99_critical_ns' | 'dns_min_responses' | 'dns_min_slow_responses'
>;

/** Findings per window: the slowest rows; a resolver outage would otherwise list every client on the host. */
const MAX_FINDINGS = 5;

function finding(c: DnsClient, t: T, slowNs: number): Finding {
  const critical = c.latency.p99 >= t.dns_p99_critical_ns;
  const threshold = critical ? t.dns_p99_critical_ns : t.dns_p99_warning_ns;
  const resolver = resolverOf(c);
  return {
    rule: 'dns_high_latency',
    severity: critical ? 'critical' : 'warning',
    title: 'Slow DNS Resolution',
    signal: 'dns',
    subject: dnsSubject(c),
    cause: `DNS answers from ${resolver} took ${formatNs(c.latency.p99)} at p99 for ${clientLabel(c)}.`,
    impact:
      'Every request that resolves a name waits for the resolver first: connection set-up, service ' +
      'discovery and outbound calls all pay this latency, and clients with short timeouts retry or fail.',
    evidence: [
      `p99 ${formatNs(c.latency.p99)} ≥ ${formatNs(threshold)} threshold; ${formatCount(c.slowResponses)} of ` +
        `${formatCount(c.responses)} responses took ${formatNs(slowNs)} or more`,
      `client: ${clientLabel(c)}`,
      `resolver: ${resolver}`,
      latencyLine(c),
      countsLine(c),
    ],
    fix: [
      ...dnsFix(c),
      `${inClientNs(c)}for i in 1 2 3; do dig @${c.resolver} -p ${c.resolverPort} <name> | grep 'Query time'; done   # slow when cached too? then the resolver itself is overloaded`,
      'on Kubernetes: kubectl -n kube-system top pods -l k8s-app=kube-dns; scale CoreDNS or add NodeLocal DNSCache; check its forward/upstream latency (coredns_forward_request_duration_seconds)',
      'cache in the client (nscd, systemd-resolved, a sidecar cache) so repeated names do not go to the network',
    ],
    metric: 'dns_latency_p99',
    unit: 'ns',
    value: c.latency.p99,
    threshold,
    ...(c.pid > 0 ? { process: c.comm, pid: c.pid } : {}),
  };
}

export const dnsHighLatency: Rule<T> = {
  id: 'dns_high_latency',
  signal: 'dns',
  description:
    'A process (a pod, a container) waits long for DNS answers from one resolver: p99 of query → response over UDP or TCP port 53.',
  defaults: pickThresholds(
    'dns_p99_warning_ns',
    'dns_p99_critical_ns',
    'dns_min_responses',
    'dns_min_slow_responses',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `for one process and one resolver, DNS response p99 ≥ ${formatNs(t.dns_p99_warning_ns)} (WARNING) or ` +
      `≥ ${formatNs(t.dns_p99_critical_ns)} (CRITICAL) over the window, with at least ` +
      `${formatCount(t.dns_min_responses)} responses of which ${formatCount(t.dns_min_slow_responses)} took ` +
      '100 ms or more (queries over UDP and TCP port 53, IPv4 and IPv6, any network namespace)',
    why: 'Name resolution sits in front of every outbound connection: a slow resolver adds its latency to each request, and clients with short timeouts retry or fail.',
    fix: [
      'dig @<resolver> <name>   # Query time: is it the resolver (slow even when cached) or its upstream?',
      'cat /etc/resolv.conf   # inside the pod: nameserver, options timeout:/attempts:, ndots',
      'on Kubernetes: scale CoreDNS, add NodeLocal DNSCache, check the forward plugin upstream',
      'cache lookups in the client (nscd, systemd-resolved)',
    ],
  },
  evaluate(signals, t) {
    const dns = signals.dns;
    if (dns === undefined) return [];
    return dns.clients
      .filter(
        (c) =>
          c.responses >= t.dns_min_responses &&
          c.slowResponses >= t.dns_min_slow_responses &&
          c.latency.p99 >= t.dns_p99_warning_ns,
      )
      .sort((a, b) => b.latency.p99 - a.latency.p99)
      .slice(0, MAX_FINDINGS)
      .map((c) => finding(c, t, dns.slowNs));
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'dns_p99_critical_ns' : 'dns_p99_warning_ns';
  },
};
