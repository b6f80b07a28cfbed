import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dnsHighLatency } from '../../../rules/dns_high_latency.js';
import { dnsFailureRate } from '../../../rules/dns_failure_rate.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import type { DnsClient, DnsSignals } from '../../../src/signals/types.js';
import { pctl, quietSignals, runRule } from './fixtures.js';

const MS = 1e6;

function client(over: Partial<DnsClient> = {}): DnsClient {
  const queries = over.queries ?? 200;
  const base: DnsClient = {
    resolver: '10.96.0.10',
    resolverPort: 53,
    family: 4,
    pid: 4242,
    comm: 'checkout',
    processes: 1,
    netns: 4026532281,
    host: false,
    cgroupPath: '/kubepods/burstable/pod5d1c0a4e-2b1f-4c7e-8d6a-1e2f3a4b5c6d/' + '3f9a'.repeat(16),
    podUid: '5d1c0a4e-2b1f-4c7e-8d6a-1e2f3a4b5c6d',
    namespace: 'payments',
    pod: 'checkout-7d9f-x2',
    queries,
    tcpQueries: 0,
    retransmits: 0,
    responses: queries,
    noerror: queries,
    nxdomain: 0,
    servfail: 0,
    refused: 0,
    otherRcode: 0,
    timeouts: 0,
    failures: 0,
    failureRatePct: 0,
    latency: pctl(queries, 2 * MS, 5 * MS, 8 * MS, 9 * MS),
    slowResponses: 0,
  };
  const c = { ...base, ...over };
  c.failures = c.servfail + c.refused + c.timeouts;
  c.failureRatePct = c.queries > 0 ? (c.failures / c.queries) * 100 : 0;
  return c;
}

function withDns(...clients: DnsClient[]) {
  const s = quietSignals();
  const sum = (f: (c: DnsClient) => number) => clients.reduce((n, c) => n + f(c), 0);
  const dns: DnsSignals = {
    queries: sum((c) => c.queries),
    responses: sum((c) => c.responses),
    nxdomain: sum((c) => c.nxdomain),
    servfail: sum((c) => c.servfail),
    refused: sum((c) => c.refused),
    otherRcode: sum((c) => c.otherRcode),
    timeouts: sum((c) => c.timeouts),
    failures: sum((c) => c.failures),
    latency: pctl(
      sum((c) => c.responses),
      2 * MS,
      5 * MS,
      8 * MS,
    ),
    unmatchedResponses: 0,
    timeoutNs: 5000 * MS,
    slowNs: 100 * MS,
    clients,
    otherClients: { count: 0, queries: 0, failures: 0, nxdomain: 0 },
  };
  s.dns = dns;
  return s;
}

/** Kubernetes ndots:5 search expansion: three NXDOMAIN per answered name, all fast. */
const searchPathStorm = () =>
  client({
    queries: 4000,
    responses: 4000,
    noerror: 1000,
    nxdomain: 3000,
    latency: pctl(4000, 1 * MS, 3 * MS, 6 * MS),
  });

describe('dns_high_latency', () => {
  it('stays quiet with no DNS signal, with fast answers, and with an NXDOMAIN-heavy search-path storm', () => {
    assert.deepEqual(runRule(dnsHighLatency, quietSignals()), []);
    assert.deepEqual(runRule(dnsHighLatency, withDns(client(), searchPathStorm())), []);
  });

  it('one or two slow lookups are not an incident: min slow responses and min responses', () => {
    // 200 responses, p99 from 2 slow ones (cold recursions)
    const cold = client({ latency: pctl(200, 2 * MS, 5 * MS, 150 * MS, 180 * MS), slowResponses: 2 });
    assert.deepEqual(runRule(dnsHighLatency, withDns(cold)), []);
    // a handful of responses, all slow
    const few = client({
      queries: D.dns_min_responses - 1,
      latency: pctl(D.dns_min_responses - 1, 300 * MS, 300 * MS, 300 * MS),
      slowResponses: D.dns_min_responses - 1,
    });
    assert.deepEqual(runRule(dnsHighLatency, withDns(few)), []);
  });

  it('WARNING at p99 ≥ 100 ms naming the process, its pod and the resolver; CRITICAL at ≥ 500 ms', () => {
    const slow = client({ latency: pctl(200, 300 * MS, 310 * MS, 320 * MS, 330 * MS), slowResponses: 200 });
    const [f] = runRule(dnsHighLatency, withDns(slow));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.subject, 'checkout (pid 4242) → 10.96.0.10:53');
    assert.equal(f!.metric, 'dns_latency_p99');
    assert.equal(f!.unit, 'ns');
    assert.equal(f!.value, 320 * MS);
    assert.equal(f!.threshold, D.dns_p99_warning_ns);
    assert.equal(f!.process, 'checkout');
    assert.equal(f!.pid, 4242);
    assert.equal(dnsHighLatency.judgedBy!(f!), 'dns_p99_warning_ns');
    assert.match(f!.cause, /pod payments\/checkout-7d9f-x2/);
    assert.ok(f!.evidence.some((e) => /resolver: 10\.96\.0\.10:53/.test(e)));
    assert.ok(f!.fix.some((x) => /dig @10\.96\.0\.10/.test(x)));
    assert.ok(f!.fix.some((x) => /CoreDNS/.test(x)));
    // just under the threshold stays quiet
    const under = client({ latency: pctl(200, 90 * MS, 95 * MS, 99 * MS), slowResponses: 3 });
    assert.deepEqual(runRule(dnsHighLatency, withDns(under)), []);
    const [c] = runRule(
      dnsHighLatency,
      withDns(client({ latency: pctl(200, 600 * MS, 700 * MS, 800 * MS), slowResponses: 200 })),
    );
    assert.equal(c!.severity, 'critical');
    assert.equal(c!.threshold, D.dns_p99_critical_ns);
    assert.equal(dnsHighLatency.judgedBy!(c!), 'dns_p99_critical_ns');
  });

  it('a row folding many short-lived processes says so', () => {
    const loop = client({
      comm: 'getent',
      processes: 40,
      latency: pctl(200, 300 * MS, 310 * MS, 320 * MS),
      slowResponses: 200,
    });
    const [f] = runRule(dnsHighLatency, withDns(loop));
    assert.match(f!.cause, /getent \(pid 4242\) and 39 other getent processes/);
  });

  it('an IPv6 resolver is written in brackets; an unknown sender is named by its namespace', () => {
    const v6 = client({
      resolver: 'fd00::53',
      family: 6,
      pid: 0,
      comm: '',
      latency: pctl(200, 300 * MS, 310 * MS, 320 * MS),
      slowResponses: 200,
    });
    const [f] = runRule(dnsHighLatency, withDns(v6));
    assert.equal(f!.subject, 'unknown process (netns 4026532281) → [fd00::53]:53');
    assert.equal(f!.pid, undefined);
  });
});

describe('dns_failure_rate', () => {
  it('stays quiet with no DNS signal, with clean answers, and NXDOMAIN is never a failure', () => {
    assert.deepEqual(runRule(dnsFailureRate, quietSignals()), []);
    assert.deepEqual(runRule(dnsFailureRate, withDns(client(), searchPathStorm())), []);
    const allNx = client({ queries: 500, responses: 500, noerror: 0, nxdomain: 500 });
    assert.deepEqual(runRule(dnsFailureRate, withDns(allNx)), []);
  });

  it('too few queries or too few failures are not judged', () => {
    const fewQueries = client({
      queries: D.dns_min_queries - 1,
      servfail: 10,
      noerror: D.dns_min_queries - 11,
    });
    assert.deepEqual(runRule(dnsFailureRate, withDns(fewQueries)), []);
    // 4 SERVFAIL in 200 = 2 %: above the rate, below the count
    const fewFailures = client({ servfail: D.dns_min_failures - 1, noerror: 196 });
    assert.deepEqual(runRule(dnsFailureRate, withDns(fewFailures)), []);
  });

  it('WARNING at 1 %, CRITICAL at 5 %: SERVFAIL + REFUSED + timeouts over queries, NXDOMAIN apart', () => {
    // 6 failures in 500 queries = 1.2 %, with 300 NXDOMAIN that do not count
    const w = client({
      queries: 500,
      responses: 497,
      noerror: 191,
      nxdomain: 300,
      servfail: 4,
      refused: 2,
      timeouts: 3,
    });
    // failures = 4 + 2 + 3 = 9 → 1.8 %
    const [f] = runRule(dnsFailureRate, withDns(w));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.metric, 'dns_failure_rate_pct');
    assert.equal(f!.unit, 'percent');
    assert.ok(Math.abs(f!.value - 1.8) < 1e-9);
    assert.equal(f!.threshold, D.dns_failure_warning_pct);
    assert.equal(dnsFailureRate.judgedBy!(f!), 'dns_failure_warning_pct');
    assert.equal(f!.subject, 'checkout (pid 4242) → 10.96.0.10:53');
    assert.match(f!.cause, /4 SERVFAIL, 2 REFUSED, 3 unanswered after 5s/);
    assert.ok(f!.evidence.some((e) => /300 NXDOMAIN \(not a failure\)/.test(e)));
    assert.ok(
      f!.fix.some((x) => /ndots/.test(x)),
      'NXDOMAIN outnumbering answers points at ndots',
    );
    assert.ok(f!.fix.some((x) => /timeout:\/attempts:/.test(x)));
    const [c] = runRule(dnsFailureRate, withDns(client({ servfail: 40, noerror: 160 })));
    assert.equal(c!.severity, 'critical');
    assert.equal(c!.value, 20);
    assert.equal(dnsFailureRate.judgedBy!(c!), 'dns_failure_critical_pct');
  });

  it('one finding per (resolver, process), worst first, at most five', () => {
    const rows = Array.from({ length: 7 }, (_, i) =>
      client({ pid: 100 + i, comm: `svc${i}`, servfail: 10 + i, noerror: 190 - i }),
    );
    const fs = runRule(dnsFailureRate, withDns(...rows));
    assert.equal(fs.length, 5);
    assert.deepEqual(
      fs.map((f) => f.pid),
      [106, 105, 104, 103, 102],
    );
  });
});
