// dns collector against a resolver whose every answer we decide and count: a stub resolver (Python) in one
// network namespace, glibc-resolver clients (Python's getaddrinfo) in another, over a veth pair — neither is
// the host's namespace, as for a pod. Each client is one process with a known mix of names, so its row
// (resolver, pid) must hold exactly the queries and RCODEs the stub says it answered: UDP over IPv4, UDP over
// IPv6, TCP (glibc's use-vc), NXDOMAIN counted apart, and queries never answered counted as timeouts once
// the collector's 5 s timeout passed. Latency is compared with the clients' own timings of getaddrinfo.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { requireKernel } from '../helpers/kernel.js';
import { DnsCollector, DNS_TIMEOUT_NS } from '../../src/collectors/dns.js';
import type { CollectorContext } from '../../src/collectors/types.js';
import type { DnsClient } from '../../src/signals/types.js';
import { ChaosSession } from '../../src/chaos/session.js';
import { ensureWorkerBinary, num, type WorkerEvent } from '../../src/chaos/worker.js';
import {
  createDnsLab,
  startClient,
  startStub,
  writeResolvConf,
  type ClientSpec,
} from '../../src/chaos/dns-stub.js';

before(() => requireKernel());

const ctx = (): CollectorContext => ({
  signal: new AbortController().signal,
  fault: (e) => assert.fail(String(e)),
  log: () => {},
});

const STUB_DELAY_MS = 30;
// attempts:1: one query per lookup, so a client's expected counts follow from its names alone.
const OPTIONS = 'options timeout:1 attempts:1\n';

test('queries, RCODEs, timeouts and latency per (resolver, process): UDP v4, UDP v6, TCP, in a namespace', async () => {
  const s = new ChaosSession('dns-test', 300e9, await ensureWorkerBinary());
  const c = new DnsCollector();
  try {
    const lab = await createDnsLab(s, (a) => `nameserver ${a.srv4}\n${OPTIONS}`);
    const { srv4, srv6 } = lab.addrs;
    const stub = await startStub(s, lab, { delayMs: STUB_DELAY_MS });
    await c.start(ctx());

    const runClient = async (
      spec: Omit<ClientSpec, 'netns'>,
    ): Promise<{ pid: number; done: WorkerEvent }> => {
      const w = await startClient(s, { netns: lab.cliNs, ...spec });
      const exit = await w.exited;
      assert.ok(exit.done, `client ${spec.comm} printed no totals (${exit.stderr})`);
      return { pid: w.pid, done: exit.done };
    };
    // Absolute names (trailing dot): glibc sends exactly the name, no search-list expansion.
    const names = (prefix: string, n: number) => Array.from({ length: n }, () => `${prefix}.kerno.test.`);

    // UDP over IPv4: 30 answered, 10 NXDOMAIN
    const udp4 = await runClient({
      comm: 'kdns-udp4',
      names: [...names('ok-a', 30), ...names('nx-a', 10)],
      count: 40,
    });
    // UDP over IPv6: 20 answered, 20 SERVFAIL
    writeResolvConf(s, lab.cliNs, `nameserver ${srv6}\n${OPTIONS}`);
    const udp6 = await runClient({
      comm: 'kdns-udp6',
      names: [...names('ok-b', 20), ...names('fail-b', 20)],
      count: 40,
    });
    // TCP over IPv4 (glibc's use-vc): 20 answered, 5 REFUSED
    writeResolvConf(s, lab.cliNs, `nameserver ${srv4}\n${OPTIONS}`);
    const tcp = await runClient({
      comm: 'kdns-tcp',
      names: [...names('ok-c', 20), ...names('refuse-c', 5)],
      count: 25,
      resOptions: 'use-vc',
    });
    // Never answered: glibc gives up after 1 s; kerno counts a timeout 5 s after the query left.
    const silent = await runClient({ comm: 'kdns-silent', names: names('drop-d', 3), count: 3 });
    await new Promise((r) => setTimeout(r, DNS_TIMEOUT_NS / 1e6 + 1500));

    const { dns } = await c.snapshot(0);
    assert.ok(dns);
    const stubDone = (await stub.stop()).done;
    assert.ok(stubDone, 'stub printed no totals');
    const row = (pid: number, resolver: string): DnsClient => {
      const r = dns.clients.filter((x) => x.pid === pid);
      assert.equal(r.length, 1, `one row for pid ${pid}: ${JSON.stringify(r)}`);
      assert.equal(r[0]!.resolver, resolver);
      assert.equal(r[0]!.resolverPort, 53);
      return r[0]!;
    };
    const a = row(udp4.pid, srv4);
    const b = row(udp6.pid, srv6);
    const t = row(tcp.pid, srv4);
    const d = row(silent.pid, srv4);
    const nsInode = statSync(`/run/netns/${lab.cliNs}`).ino;
    for (const [r, comm] of [
      [a, 'kdns-udp4'],
      [b, 'kdns-udp6'],
      [t, 'kdns-tcp'],
      [d, 'kdns-silent'],
    ] as const) {
      assert.equal(r.comm, comm);
      assert.equal(r.processes, 1);
      assert.equal(r.netns, nsInode);
      assert.equal(r.netnsName, lab.cliNs);
      assert.equal(r.host, false);
    }
    const counts = (r: DnsClient) => ({
      queries: r.queries,
      tcpQueries: r.tcpQueries,
      responses: r.responses,
      noerror: r.noerror,
      nxdomain: r.nxdomain,
      servfail: r.servfail,
      refused: r.refused,
      timeouts: r.timeouts,
      failures: r.failures,
    });
    const zero = { tcpQueries: 0, nxdomain: 0, servfail: 0, refused: 0, timeouts: 0, failures: 0 };
    assert.deepEqual(counts(a), { ...zero, queries: 40, responses: 40, noerror: 30, nxdomain: 10 });
    assert.equal(a.family, 4);
    assert.deepEqual(counts(b), {
      ...zero,
      queries: 40,
      responses: 40,
      noerror: 20,
      servfail: 20,
      failures: 20,
    });
    assert.equal(b.family, 6);
    assert.deepEqual(counts(t), {
      ...zero,
      queries: 25,
      tcpQueries: 25,
      responses: 25,
      noerror: 20,
      refused: 5,
      failures: 5,
    });
    assert.deepEqual(counts(d), { ...zero, queries: 3, responses: 0, noerror: 0, timeouts: 3, failures: 3 });
    assert.equal(b.failureRatePct, 50);
    assert.equal(t.failureRatePct, 20);
    assert.equal(d.failureRatePct, 100);

    // The stub's own counts: what it received over each transport and answered with each RCODE.
    const ours = [a, b, t, d];
    const sum = (f: (r: DnsClient) => number) => ours.reduce((n, r) => n + f(r), 0);
    assert.equal(
      num(stubDone, 'udpQueries'),
      sum((r) => r.queries - r.tcpQueries),
    );
    assert.equal(
      num(stubDone, 'tcpQueries'),
      sum((r) => r.tcpQueries),
    );
    assert.equal(
      num(stubDone, 'noerror'),
      sum((r) => r.noerror),
    );
    assert.equal(
      num(stubDone, 'nxdomain'),
      sum((r) => r.nxdomain),
    );
    assert.equal(
      num(stubDone, 'servfail'),
      sum((r) => r.servfail),
    );
    assert.equal(
      num(stubDone, 'refused'),
      sum((r) => r.refused),
    );
    assert.equal(
      num(stubDone, 'dropped'),
      sum((r) => r.timeouts),
    );
    // The clients' own view agrees: every NXDOMAIN / SERVFAIL / REFUSED / unanswered lookup failed for them
    // (which EAI_* code glibc maps each RCODE to is glibc's business: REFUSED comes back as EAI_NONAME).
    const failed = (done: WorkerEvent) => num(done, 'lookups') - num(done, 'ok');
    assert.deepEqual([failed(udp4.done), num(udp4.done, 'noname')], [10, 10]);
    assert.deepEqual([failed(udp6.done), num(udp6.done, 'again')], [20, 20]);
    assert.equal(failed(tcp.done), 5);
    assert.deepEqual([failed(silent.done), num(silent.done, 'again')], [3, 3]);

    // Latency: kerno times query → response at the client's socket, inside the client's getaddrinfo call,
    // so it can only be shorter than the client's timing, and never shorter than the stub's delay. The
    // histogram's buckets are 12.5 % wide (percentile error ≤ 12.5 %, the midpoint taken).
    for (const [r, done] of [
      [a, udp4.done],
      [b, udp6.done],
      [t, tcp.done],
    ] as const) {
      const clientP99 = num(done, 'p99Ms') * 1e6;
      const clientMax = num(done, 'maxMs') * 1e6;
      assert.ok(r.latency.count === r.responses, `${r.comm}: one latency sample per response`);
      assert.ok(
        r.latency.p99 >= STUB_DELAY_MS * 1e6 * 0.875,
        `${r.comm}: p99 ${r.latency.p99} ns below the stub's ${STUB_DELAY_MS} ms delay`,
      );
      assert.ok(
        r.latency.p99 <= clientP99 * 1.125,
        `${r.comm}: p99 ${r.latency.p99} ns above the client's own p99 ${clientP99} ns (+12.5 %)`,
      );
      assert.ok(
        r.latency.max <= clientMax * 1.125,
        `${r.comm}: max ${r.latency.max} > client's ${clientMax}`,
      );
      console.log(
        `# ${r.comm}: kerno p50 ${(r.latency.p50 / 1e6).toFixed(1)} ms p99 ${(r.latency.p99 / 1e6).toFixed(1)} ms max ${(r.latency.max / 1e6).toFixed(1)} ms; client p50 ${num(done, 'p50Ms').toFixed(1)} p99 ${num(done, 'p99Ms').toFixed(1)} max ${num(done, 'maxMs').toFixed(1)} ms`,
      );
    }
    assert.ok(dns.queries >= sum((r) => r.queries), 'totals include our clients');
    assert.equal(c.stats().eventsDropped, 0);
  } finally {
    await c.stop();
    await s.close();
  }
});
