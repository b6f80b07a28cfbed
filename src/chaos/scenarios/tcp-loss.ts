// tcp-loss → tcp_retransmit_storm: real packet loss on a real link. netem is often not built (it is not
// here) and loopback gives too few retransmits, so: a veth pair between the root network namespace and a
// new one, an nftables rule in the new namespace that drops a random share of the incoming data segments,
// and a bulk TCP transfer from the root namespace into it. The SENDER lives in the root namespace, so its
// retransmissions land in the host's /proc/net/snmp — the counters kerno doctor reads.
import { existsSync } from 'node:fs';
import { byIntensity } from '../options.js';
import { readTcpCounters, run } from '../proc.js';
import { num, type WorkerProcess } from '../worker.js';
import type { ChaosOptions, ChaosSubject, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';

const RULES = ['tcp_retransmit_storm'] as const;
export const TCP_LOSS_PORT = 5201;

export function tcpLossParams(intensity: Intensity): { dropPct: number; streams: number } {
  return byIntensity(intensity, {
    low: { dropPct: 5, streams: 2 },
    medium: { dropPct: 10, streams: 4 },
    high: { dropPct: 20, streams: 8 },
  });
}

/** A /30 inside 198.18.0.0/15 (RFC 2544 benchmarking space, never routed) chosen by the run id, so two
 *  concurrent runs do not collide. */
export function linkAddresses(id: string): { host: string; peer: string } {
  const idx = parseInt(id, 16) % 16384;
  const base = ((198 << 24) >>> 0) + (18 << 16) + idx * 4;
  const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return { host: ip(base + 1), peer: ip(base + 2) };
}

export function nftRuleset(table: string, dropPct: number, port: number): string {
  return [
    `table inet ${table} {`,
    '  chain input {',
    '    type filter hook input priority -150; policy accept;',
    `    tcp dport ${port} numgen random mod 100 < ${dropPct} counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function requireTool(name: string): void {
  const found = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', ...(process.env.PATH ?? '').split(':')].some((d) =>
    existsSync(`${d}/${name}`),
  );
  if (!found)
    throw new Error(`tcp-loss needs "${name}" (${name === 'ip' ? 'iproute2' : 'nftables'}); install it`);
}

export const tcpLossScenario: Scenario = {
  name: 'tcp-loss',
  rules: RULES,
  description:
    'bulk TCP over a veth pair into a network namespace that drops a random share of packets (nftables)',
  needsRoot: true,
  plan(opts: ChaosOptions): string[] {
    const p = tcpLossParams(opts.intensity);
    return [
      'create network namespace kerno-chaos-<id> and a veth pair kc<id>h (root namespace) ↔ kc<id>n (new namespace) with addresses in 198.18.0.0/15',
      `in the new namespace only: nft table inet kerno_chaos_<id> dropping ${p.dropPct} % of incoming TCP packets to port ${TCP_LOSS_PORT} at random`,
      `start a receiver (kchaos-tcprecv) in the new namespace and a sender (kchaos-tcpsend) in the root namespace pushing ${p.streams} bulk streams, so the retransmissions count in the host's /proc/net/snmp`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('tcp-loss', RULES, opts, ctx);
    requireTool('ip');
    requireTool('nft');
    const p = tcpLossParams(opts.intensity);
    const s = ctx.session;
    const ns = s.name();
    const { host: hostIf, peer: peerIf } = s.veth;
    const addr = linkAddresses(s.id);

    s.register({ kind: 'netns', name: ns });
    await run('ip', ['netns', 'add', ns]);
    s.register({ kind: 'link', name: hostIf });
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', ns]);
    await run('ip', ['addr', 'add', `${addr.host}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `${addr.peer}/30`, 'dev', peerIf]);
    await run('ip', ['-n', ns, 'link', 'set', peerIf, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    s.register({ kind: 'nft-table', family: 'inet', name: s.nftTable, netns: ns });
    await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
      input: nftRuleset(s.nftTable, p.dropPct, TCP_LOSS_PORT),
    });
    ctx.log(
      `    ${ns}: ${addr.host} (${hostIf}) → ${addr.peer} (${peerIf}), dropping ${p.dropPct} % of packets to :${TCP_LOSS_PORT}`,
    );

    const receiver = s.startWorker({
      mode: 'tcp-recv',
      comm: 'kchaos-tcprecv',
      netns: ns,
      args: { bind: addr.peer, port: TCP_LOSS_PORT },
    });
    await receiver.ready();
    const snmp0 = readTcpCounters();
    const sender: WorkerProcess = s.startWorker({
      mode: 'tcp-send',
      comm: 'kchaos-tcpsend',
      args: { connect: addr.peer, port: TCP_LOSS_PORT, streams: p.streams, chunk: 65536 },
    });
    sender.onEvent((e) => {
      if (e.event !== 'connected' || typeof e.local !== 'string') return;
      const [srcAddr, srcPort] = e.local.split(':');
      const c: ChaosSubject = {
        kind: 'connection',
        srcAddr: srcAddr!,
        srcPort: Number(srcPort),
        dstAddr: addr.peer,
        dstPort: TCP_LOSS_PORT,
        netns: ns,
      };
      result.subjects.push(c);
      ctx.onSubject(c);
    });
    await sender.ready();
    const proc = { kind: 'process', pid: sender.pid, comm: 'kchaos-tcpsend' } as const;
    result.subjects.push(proc);
    ctx.onSubject(proc);
    result.aborted = await holdUntilEnd(ctx, [sender, receiver]);
    const snmp1 = readTcpCounters();
    const drops = await readDrops(ns, s.nftTable);
    const sent = (await sender.stop()).done;
    await receiver.stop();
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      dropPct: p.dropPct,
      streams: p.streams,
      bytesSent: num(sent, 'bytesSent'),
      socketSegsOut: num(sent, 'socketSegsOut'),
      socketRetransSegs: num(sent, 'socketRetransSegs'),
      socketRetransPct: pct(num(sent, 'socketRetransSegs'), num(sent, 'socketSegsOut')),
      nftDroppedPackets: drops,
    };
    if (snmp0 && snmp1) {
      const out = snmp1.outSegs - snmp0.outSegs;
      const re = snmp1.retransSegs - snmp0.retransSegs;
      Object.assign(result.observed, { hostOutSegs: out, hostRetransSegs: re, hostRetransPct: pct(re, out) });
    }
    return result;
  },
};

async function readDrops(ns: string, table: string): Promise<number> {
  try {
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', table]);
    return Number(/counter packets (\d+)/.exec(stdout)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
