// tcp-loss → tcp_retransmit_storm: real packet loss on a real link between two pods. netem is often not
// built (it is not here) and loopback gives too few retransmits, so: two new network namespaces (as two
// pods on a node, neither of them the host's) joined by a veth pair, an nftables rule in the receiving one
// that drops a random share of the incoming data segments, and a bulk TCP transfer between them. The
// sender's retransmissions land in its own namespace's MIB, not the host's: the rule must find them there
// and name that namespace.
import { existsSync } from 'node:fs';
import { byIntensity } from '../options.js';
import { readNetnsTcpCounters, run } from '../proc.js';
import { num } from '../worker.js';
import type { ChaosOptions, Intensity, Scenario } from '../types.js';
import { startBulkTcp } from './bulk-tcp.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';
import { connections, isKind } from '../match.js';

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
    'bulk TCP between two network namespaces (as between two pods) over a veth pair; the receiver drops a random share of packets (nftables)',
  needsRoot: true,
  plan(opts: ChaosOptions): string[] {
    const p = tcpLossParams(opts.intensity);
    return [
      'create network namespaces kerno-chaos-send-<id> and kerno-chaos-recv-<id> joined by a veth pair kc<id>h ↔ kc<id>n with addresses in 198.18.0.0/15 (the root namespace is untouched)',
      `in the receiving namespace only: nft table inet kerno_chaos_<id> dropping ${p.dropPct} % of incoming TCP packets to port ${TCP_LOSS_PORT} at random`,
      `start a receiver (kchaos-tcprecv) in the receiving namespace and a sender (kchaos-tcpsend) in the sending one pushing ${p.streams} bulk streams; the retransmissions count in the sending namespace's own MIB`,
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
    const sendNs = s.name('send');
    const recvNs = s.name('recv');
    const { host: sendIf, peer: recvIf } = s.veth;
    const addr = linkAddresses(s.id);

    for (const ns of [sendNs, recvNs]) {
      s.register({ kind: 'netns', name: ns });
      await run('ip', ['netns', 'add', ns]);
    }
    // Both ends are created inside the namespaces, so removing the namespaces removes the link.
    await run('ip', [
      'link',
      'add',
      sendIf,
      'netns',
      sendNs,
      'type',
      'veth',
      'peer',
      'name',
      recvIf,
      'netns',
      recvNs,
    ]);
    for (const [ns, dev, ip] of [
      [sendNs, sendIf, addr.host],
      [recvNs, recvIf, addr.peer],
    ] as const) {
      await run('ip', ['-n', ns, 'addr', 'add', `${ip}/30`, 'dev', dev]);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    s.register({ kind: 'nft-table', family: 'inet', name: s.nftTable, netns: recvNs });
    await run('ip', ['netns', 'exec', recvNs, 'nft', '-f', '-'], {
      input: nftRuleset(s.nftTable, p.dropPct, TCP_LOSS_PORT),
    });
    ctx.log(
      `    ${sendNs} ${addr.host} (${sendIf}) → ${recvNs} ${addr.peer} (${recvIf}), dropping ${p.dropPct} % of packets to :${TCP_LOSS_PORT}`,
    );

    // The receiver lives in the other namespace: reading the sender's MIB first misses nothing.
    const snmp0 = await readNetnsTcpCounters(sendNs);
    const { sender, receiver } = await startBulkTcp(ctx, result, {
      sendNs,
      recvNs,
      dstAddr: addr.peer,
      port: TCP_LOSS_PORT,
      streams: p.streams,
    });
    result.aborted = await holdUntilEnd(ctx, [sender, receiver]);
    const snmp1 = await readNetnsTcpCounters(sendNs);
    const drops = await readDrops(recvNs, s.nftTable);
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
      Object.assign(result.observed, {
        senderNsOutSegs: out,
        senderNsRetransSegs: re,
        senderNsRetransPct: pct(re, out),
      });
    }
    return result;
  },
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isKind('connection'),
    },
    match: {
      tcp_retransmit_storm(f, subjects) {
        const conns = connections(subjects);
        const names = conns.map((c) => `${c.srcAddr}:${c.srcPort}→${c.dstAddr}:${c.dstPort}`);
        if (!names.includes(f.subject)) return `subject "${f.subject}" is none of ${names.join(', ')}`;
        // The loss is in a pod-like namespace, not the host's: the finding must name that namespace.
        const where = f.evidence.find((l) => l.startsWith('where: ')) ?? '';
        const netns = conns[0]?.netns;
        return netns !== undefined && where.includes(`ip netns ${netns}`)
          ? undefined
          : `finding does not name the sending namespace ${netns}: "${where}"`;
      },
    },
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
