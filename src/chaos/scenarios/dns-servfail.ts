// dns-servfail → dns_failure_rate: a resolver whose upstream is broken for part of the names. A stub
// resolver (dns-stub.ts) in its own network namespace answers SERVFAIL for some names, NOERROR for the
// rest; a client in another namespace — glibc's getaddrinfo — resolves them in a loop, counting its own
// failed lookups (the ground truth). NXDOMAIN answers are mixed in as well: they must stay out of the rate.
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, ChaosSubject, Intensity, Scenario } from '../types.js';
import { createDnsLab, startClient, startStub } from '../dns-stub.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';
import { isProcess } from '../match.js';
import { matchDnsClient } from './dns-slow.js';

const RULES = ['dns_failure_rate'] as const;
const CLIENT = 'kchaos-dnsfail';

/** Of every 10 names looked up, how many the resolver fails (SERVFAIL). medium: 2 in 10, 4 × CRITICAL. */
export function dnsServfailShare(intensity: Intensity): number {
  return byIntensity(intensity, { low: 1, medium: 2, high: 5 });
}

export const dnsServfailScenario: Scenario = {
  name: 'dns-servfail',
  rules: RULES,
  description:
    'a resolver answering SERVFAIL for part of the names (a broken upstream); a glibc client resolving them',
  needsRoot: true,
  plan(opts: ChaosOptions): string[] {
    const n = dnsServfailShare(opts.intensity);
    return [
      'create network namespaces kerno-chaos-dnscli-<id> and kerno-chaos-dnssrv-<id> joined by a veth pair (198.18.0.0/15 and a ULA), and /etc/netns/kerno-chaos-dnscli-<id>/resolv.conf naming the stub',
      'start a stub resolver (kchaos-dnsstub, Python) in the server namespace: SERVFAIL for names fail-*, NXDOMAIN for nx-*, an answer for the rest',
      `start a client (${CLIENT}: glibc getaddrinfo in a loop, 20 lookups/s) resolving 10 names of which ${n} fail and 1 does not exist`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('dns-servfail', RULES, opts, ctx);
    const failing = dnsServfailShare(opts.intensity);
    // attempts:1 — one query per lookup, so the client's failed lookups are the resolver's SERVFAILs.
    const lab = await createDnsLab(
      ctx.session,
      (a) => `nameserver ${a.srv4}\noptions timeout:2 attempts:1\n`,
    );
    ctx.log(
      `    ${lab.cliNs} → stub ${lab.addrs.srv4}:53 in ${lab.srvNs}, SERVFAIL for ${failing} names in 10`,
    );
    const stub = await startStub(ctx.session, lab);
    const names = Array.from({ length: 10 }, (_, i) =>
      i < failing ? `fail-${i}.kerno.test.` : i === 9 ? 'nx-gone.kerno.test.' : `svc-${i}.kerno.test.`,
    );
    const client = await startClient(ctx.session, { netns: lab.cliNs, names, intervalMs: 50, comm: CLIENT });
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
      failingNamesOf10: failing,
      lookups: num(done, 'lookups'),
      clientFailedLookups: num(done, 'lookups') - num(done, 'ok'),
      stubServfail: num(served, 'servfail'),
      stubNxdomain: num(served, 'nxdomain'),
      stubNoerror: num(served, 'noerror'),
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
      dns_failure_rate: (f, subjects) => matchDnsClient(f, subjects),
    },
  },
};
