// dns-slow → dns_high_latency: a resolver that answers late. A stub resolver (dns-stub.ts) in its own
// network namespace delays every answer; a client in another namespace — glibc's getaddrinfo, as any
// program resolving a name — looks names up one after another through it, as a service resolving its
// backends does. The client times each lookup itself: that is the ground truth the finding is held to.
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, ChaosSubject, Intensity, Scenario } from '../types.js';
import { createDnsLab, startClient, startStub } from '../dns-stub.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';
import { connections, isProcess, processes } from '../match.js';

const RULES = ['dns_high_latency'] as const;
const CLIENT = 'kchaos-dnsslow';

/** How late the resolver answers. medium: 300 ms, three times the WARNING threshold and under CRITICAL. */
export function dnsSlowDelayMs(intensity: Intensity): number {
  return byIntensity(intensity, { low: 150, medium: 300, high: 800 });
}

/** The finding names the scenario's client process and its resolver. */
export function matchDnsClient(
  f: { subject: string; pid?: number },
  subjects: readonly ChaosSubject[],
): string | undefined {
  const procs = processes(subjects);
  const resolvers = connections(subjects).map((c) => `${c.dstAddr}:${c.dstPort}`);
  const wanted = procs.flatMap((p) => resolvers.map((r) => `${p.comm} (pid ${p.pid}) → ${r}`));
  return wanted.includes(f.subject) ? undefined : `subject "${f.subject}" is none of ${wanted.join(', ')}`;
}

export const dnsSlowScenario: Scenario = {
  name: 'dns-slow',
  rules: RULES,
  description: 'a resolver that answers every query late; a glibc client resolving names through it',
  needsRoot: true,
  plan(opts: ChaosOptions): string[] {
    return [
      'create network namespaces kerno-chaos-dnscli-<id> and kerno-chaos-dnssrv-<id> joined by a veth pair (198.18.0.0/15 and a ULA), and /etc/netns/kerno-chaos-dnscli-<id>/resolv.conf naming the stub',
      `start a stub resolver (kchaos-dnsstub, Python) in the server namespace answering every query after ${dnsSlowDelayMs(opts.intensity)} ms`,
      `start a client (${CLIENT}: glibc getaddrinfo in a loop) in the client namespace`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('dns-slow', RULES, opts, ctx);
    const delayMs = dnsSlowDelayMs(opts.intensity);
    const lab = await createDnsLab(
      ctx.session,
      (a) => `nameserver ${a.srv4}\noptions timeout:5 attempts:2\n`,
    );
    ctx.log(`    ${lab.cliNs} → stub ${lab.addrs.srv4}:53 in ${lab.srvNs}, answers after ${delayMs} ms`);
    const stub = await startStub(ctx.session, lab, { delayMs });
    const client = await startClient(ctx.session, {
      netns: lab.cliNs,
      names: ['api.kerno.test.', 'db.kerno.test.', 'cache.kerno.test.'],
      // A and AAAA at once, as getaddrinfo(AF_UNSPEC) does for most programs: two timed answers per lookup.
      family: 0,
      comm: CLIENT,
    });
    // glibc sends each lookup from a new ephemeral port: the resolver end is what identifies the path.
    const resolver: ChaosSubject = {
      kind: 'connection',
      srcAddr: lab.addrs.cli4,
      srcPort: 0,
      dstAddr: lab.addrs.srv4,
      dstPort: 53,
      netns: lab.cliNs,
      peerNetns: lab.srvNs,
    };
    const proc: ChaosSubject = { kind: 'process', pid: client.pid, comm: CLIENT };
    for (const sub of [resolver, proc]) {
      result.subjects.push(sub);
      ctx.onSubject(sub);
    }
    result.aborted = await holdUntilEnd(ctx, [stub, client]);
    const done = (await client.stop()).done;
    const served = (await stub.stop()).done;
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      delayMs,
      // Ground truth from the client's own clock around each getaddrinfo call.
      lookups: num(done, 'lookups'),
      clientP50Ms: num(done, 'p50Ms'),
      clientP99Ms: num(done, 'p99Ms'),
      clientMaxMs: num(done, 'maxMs'),
      stubQueries: num(served, 'udpQueries') + num(served, 'tcpQueries'),
    };
    return result;
  },
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess(CLIENT),
    },
    match: {
      dns_high_latency: (f, subjects) => matchDnsClient(f, subjects),
    },
  },
};
