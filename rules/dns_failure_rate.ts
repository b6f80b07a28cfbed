// dns_failure_rate — a share of a process's DNS queries to one resolver fail.
//
// Failures are what leave the client without an answer: SERVFAIL (the resolver could not resolve, usually
// its upstream), REFUSED (it will not serve this client: ACL, wrong server), and queries never answered
// within the timeout (lost packets, a dead resolver). NXDOMAIN is an answer, not a failure: search-path
// expansion (Kubernetes' ndots:5 tries several suffixes that do not exist before the right one) makes it
// the normal case for many lookups, so it is counted apart and shown in the evidence, never in the rate.
//
// Judged per (resolver, process) with at least `dns_min_queries` queries (the rate of a handful swings by
// tens of points) and `dns_min_failures` failures (one SERVFAIL during an upstream hiccup, or one lost UDP
// packet, is not an incident). Thresholds: the original's 1 % WARNING, 5 % CRITICAL.
import type { DnsClient } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs, formatPct } from '../src/doctor/format.js';
import { clientLabel, countsLine, dnsFix, dnsSubject, latencyLine, resolverOf } from './lib/dns.js';

type T = Pick<
  Thresholds,
  'dns_failure_warning_pct' | 'dns_failure_critical_pct' | 'dns_min_queries' | 'dns_min_failures'
>;

const MAX_FINDINGS = 5;

function finding(c: DnsClient, t: T, timeoutNs: number): Finding {
  const critical = c.failureRatePct >= t.dns_failure_critical_pct;
  const threshold = critical ? t.dns_failure_critical_pct : t.dns_failure_warning_pct;
  const resolver = resolverOf(c);
  const what = [
    c.servfail > 0 ? `${formatCount(c.servfail)} SERVFAIL` : '',
    c.refused > 0 ? `${formatCount(c.refused)} REFUSED` : '',
    c.timeouts > 0 ? `${formatCount(c.timeouts)} unanswered after ${formatNs(timeoutNs)}` : '',
  ].filter((s) => s !== '');
  const fix = dnsFix(c);
  if (c.servfail > 0)
    fix.push(
      'SERVFAIL: the resolver failed upstream (forwarder down, DNSSEC validation failure, lame delegation): check its logs and its forwarders',
    );
  if (c.refused > 0)
    fix.push(
      'REFUSED: the resolver will not serve this client: its ACL (allow-query), or the client points at the wrong server',
    );
  if (c.timeouts > 0)
    fix.push(
      'unanswered: is the resolver up and reachable (firewall, conntrack table full: conntrack -S, UDP drops: nstat -az UdpRcvbufErrors)?',
    );
  fix.push(
    'on Kubernetes: kubectl -n kube-system logs -l k8s-app=kube-dns; CoreDNS errors and its upstream (forward . /etc/resolv.conf)',
  );
  if (c.nxdomain > c.noerror)
    fix.push(
      'NXDOMAIN outnumbers answers: search-path expansion (ndots:5 on Kubernetes) — use fully qualified names (trailing dot) or lower ndots',
    );
  return {
    rule: 'dns_failure_rate',
    severity: critical ? 'critical' : 'warning',
    title: 'DNS Failures',
    signal: 'dns',
    subject: dnsSubject(c),
    cause: `${formatPct(c.failureRatePct)} of DNS queries from ${clientLabel(c)} to ${resolver} failed (${what.join(', ')}).`,
    impact:
      'A failed lookup is a failed connection for the application: requests error out, or wait for the ' +
      'resolver timeout and retry, while NXDOMAIN answers (not counted here) are normal.',
    evidence: [
      `failure rate ${formatPct(c.failureRatePct)} (${formatCount(c.failures)} of ${formatCount(c.queries)} queries) ≥ ` +
        `${formatPct(threshold)} threshold`,
      `client: ${clientLabel(c)}`,
      `resolver: ${resolver}`,
      countsLine(c),
      latencyLine(c),
    ],
    fix,
    metric: 'dns_failure_rate_pct',
    unit: 'percent',
    value: c.failureRatePct,
    threshold,
    ...(c.pid > 0 ? { process: c.comm, pid: c.pid } : {}),
  };
}

export const dnsFailureRate: Rule<T> = {
  id: 'dns_failure_rate',
  signal: 'dns',
  description:
    'A share of the DNS queries a process (a pod, a container) sends to one resolver fail: SERVFAIL, REFUSED or no answer. NXDOMAIN is counted apart.',
  defaults: pickThresholds(
    'dns_failure_warning_pct',
    'dns_failure_critical_pct',
    'dns_min_queries',
    'dns_min_failures',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `for one process and one resolver, (SERVFAIL + REFUSED + queries unanswered after 5 s) ÷ queries ≥ ` +
      `${formatPct(t.dns_failure_warning_pct)} (WARNING) or ≥ ${formatPct(t.dns_failure_critical_pct)} (CRITICAL) ` +
      `over the window, with at least ${formatCount(t.dns_min_queries)} queries and ` +
      `${formatCount(t.dns_min_failures)} failures; NXDOMAIN is not a failure (search-path expansion makes it normal) and is shown apart`,
    why: 'A failed lookup fails the connection behind it: requests error out or wait out the resolver timeout (5 s by default in glibc) before retrying.',
    fix: [
      'dig @<resolver> <name>   # the RCODE (status:) and whether the resolver answers at all',
      "SERVFAIL: the resolver's upstream / forwarders, DNSSEC; REFUSED: its ACL or the wrong server in resolv.conf",
      'cat /etc/resolv.conf   # options timeout:/attempts:, nameserver order; ndots for NXDOMAIN storms',
      'on Kubernetes: CoreDNS logs and its forward upstream',
    ],
  },
  evaluate(signals, t) {
    const dns = signals.dns;
    if (dns === undefined) return [];
    return dns.clients
      .filter(
        (c) =>
          c.queries >= t.dns_min_queries &&
          c.failures >= t.dns_min_failures &&
          c.failureRatePct >= t.dns_failure_warning_pct,
      )
      .sort((a, b) => b.failureRatePct - a.failureRatePct || b.failures - a.failures)
      .slice(0, MAX_FINDINGS)
      .map((c) => finding(c, t, dns.timeoutNs));
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'dns_failure_critical_pct' : 'dns_failure_warning_pct';
  },
};
