// tcp-rtt → tcp_rtt_degradation: bufferbloat. Three network namespaces in a row — sender, router,
// receiver — and on the router's link towards the receiver a token-bucket qdisc (tbf; netem is not built
// everywhere, tbf is) with a low rate and a deep queue. Bulk TCP fills the queue until every segment waits
// behind it, so the sender's smoothed RTT grows from well under a millisecond to the queue's length. The
// shaper sits on a router, not on the sender's own interface: there TCP Small Queues would keep the
// sender's packets out of the queue, which is exactly what does not happen to a host behind a bloated link.
// Everything lives in our own namespaces: the host's network is untouched, and deleting them removes it all.
import { formatDuration } from '../../util/duration.js';
import { byIntensity } from '../options.js';
import { run } from '../proc.js';
import { num } from '../worker.js';
import type { ChaosOptions, Intensity, Scenario } from '../types.js';
import { startBulkTcp } from './bulk-tcp.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';
import { connections, isKind } from '../match.js';

const RULES = ['tcp_rtt_degradation'] as const;
export const TCP_RTT_PORT = 5202;

/** Rate of the bottleneck and how long its queue may grow (tbf's latency parameter). */
export function tcpRttParams(intensity: Intensity): {
  rateKbit: number;
  queueMs: number;
  streams: number;
} {
  // Measured here (10 Mbit/s, 4 streams, a 400 ms queue): receive-window autotuning keeps ~110 KB queued,
  // so the RTT is that backlog's drain time — 90 ms at 10 Mbit/s, 250 ms at 4 Mbit/s — and with room to
  // spare nothing is dropped. Then nothing is retransmitted, and doctor can only report the RTT host-wide
  // (it names connections from those that retransmitted). So the queue is finite, as a real bloated
  // buffer is: it overflows now and then, the streams retransmit, and the finding names one of them.
  return byIntensity(intensity, {
    low: { rateKbit: 8_000, queueMs: 150, streams: 2 },
    medium: { rateKbit: 4_000, queueMs: 200, streams: 4 },
    high: { rateKbit: 2_000, queueMs: 400, streams: 8 },
  });
}

/** Two /30s inside 198.18.0.0/15 (RFC 2544 benchmarking space), chosen by the run id. */
export function rttAddresses(id: string): { snd: string; rtrA: string; rtrB: string; rcv: string } {
  const idx = parseInt(id, 16) % 8192;
  const base = ((198 << 24) >>> 0) + (19 << 16) + idx * 8;
  const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return { snd: ip(base + 1), rtrA: ip(base + 2), rtrB: ip(base + 5), rcv: ip(base + 6) };
}

export const tcpRttScenario: Scenario = {
  name: 'tcp-rtt',
  rules: RULES,
  description: 'bulk TCP through a router whose link has a slow, deep queue (tbf): bufferbloat',
  needsRoot: true,
  plan(opts: ChaosOptions): string[] {
    const p = tcpRttParams(opts.intensity);
    return [
      'create network namespaces kerno-chaos-snd-<id>, kerno-chaos-rtr-<id>, kerno-chaos-rcv-<id> joined by two veth pairs (addresses in 198.18.0.0/15); the router forwards',
      `on the router's link to the receiver: tbf rate ${p.rateKbit / 1000} Mbit/s with a queue of up to ${formatDuration(p.queueMs * 1e6)}`,
      `start a receiver (kchaos-tcprecv) and a sender (kchaos-tcpsend) pushing ${p.streams} bulk streams through the router; the queue fills and every round trip waits in it`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('tcp-rtt', RULES, opts, ctx);
    const p = tcpRttParams(opts.intensity);
    const s = ctx.session;
    const ns = { snd: s.name('snd'), rtr: s.name('rtr'), rcv: s.name('rcv') };
    const a = rttAddresses(s.id);
    for (const n of [ns.snd, ns.rtr, ns.rcv]) {
      s.register({ kind: 'netns', name: n });
      await run('ip', ['netns', 'add', n]);
      await run('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    // Interface names are private to each namespace: created inside them, never in the host's.
    await run('ip', [
      '-n',
      ns.snd,
      'link',
      'add',
      'snd0',
      'type',
      'veth',
      'peer',
      'name',
      'rtra',
      'netns',
      ns.rtr,
    ]);
    await run('ip', [
      '-n',
      ns.rtr,
      'link',
      'add',
      'rtrb',
      'type',
      'veth',
      'peer',
      'name',
      'rcv0',
      'netns',
      ns.rcv,
    ]);
    const cfg: [string, string, string][] = [
      [ns.snd, 'snd0', a.snd],
      [ns.rtr, 'rtra', a.rtrA],
      [ns.rtr, 'rtrb', a.rtrB],
      [ns.rcv, 'rcv0', a.rcv],
    ];
    for (const [n, dev, addr] of cfg) {
      await run('ip', ['-n', n, 'addr', 'add', `${addr}/30`, 'dev', dev]);
      await run('ip', ['-n', n, 'link', 'set', dev, 'up']);
    }
    await run('ip', ['-n', ns.snd, 'route', 'add', 'default', 'via', a.rtrA]);
    await run('ip', ['-n', ns.rcv, 'route', 'add', 'default', 'via', a.rtrB]);
    await run('ip', ['netns', 'exec', ns.rtr, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    const burst = Math.max(16 * 1024, Math.round((p.rateKbit * 1000) / 8 / 250)); // ≥ one 4 ms tick of data
    await run('tc', [
      '-n',
      ns.rtr,
      'qdisc',
      'add',
      'dev',
      'rtrb',
      'root',
      'tbf',
      'rate',
      `${p.rateKbit}kbit`,
      'burst',
      String(burst),
      'latency',
      `${p.queueMs}ms`,
    ]);
    ctx.log(
      `    ${ns.snd} ${a.snd} → ${ns.rtr} (tbf ${p.rateKbit / 1000} Mbit/s, queue ≤ ${p.queueMs} ms) → ${ns.rcv} ${a.rcv}`,
    );
    const { sender, receiver } = await startBulkTcp(ctx, result, {
      sendNs: ns.snd,
      recvNs: ns.rcv,
      dstAddr: a.rcv,
      port: TCP_RTT_PORT,
      streams: p.streams,
    });
    result.aborted = await holdUntilEnd(ctx, [sender, receiver]);
    const rtts = await socketRtts(ns.snd, TCP_RTT_PORT);
    const qdisc = await qdiscStats(ns.rtr);
    const sent = (await sender.stop()).done;
    await receiver.stop();
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      rateKbit: p.rateKbit,
      queueMs: p.queueMs,
      streams: p.streams,
      bytesSent: num(sent, 'bytesSent'),
      // Ground truth from the kernel, outside kerno: `ss -ti` in the sender's namespace at the end.
      ssSocketsSeen: rtts.length,
      ssMaxSrttNs: rtts.length > 0 ? Math.max(...rtts) : 0,
      ssMinSrttNs: rtts.length > 0 ? Math.min(...rtts) : 0,
      ...qdisc,
    };
    return result;
  },
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 3000,
    ready: {
      'kerno-worker': isKind('connection'),
    },
    match: {
      tcp_rtt_degradation(f, subjects) {
        const conns = connections(subjects);
        const names = conns.map((c) => `${c.srcAddr}:${c.srcPort}→${c.dstAddr}:${c.dstPort}`);
        if (f.subject !== '')
          return names.includes(f.subject)
            ? undefined
            : `subject "${f.subject}" is none of ${names.join(', ')}`;
        // No connection named: the slow ones were not among the connections the signal lists (it lists the top
        // retransmitters). A host-wide RTT finding cannot be attributed, so it does not count.
        return `host-wide finding: names none of the scenario's connections ${names.join(', ')}`;
      },
    },
  },
};

/** Smoothed RTT (ns) of each connection to `port`, from `ss -ti` in the namespace. */
async function socketRtts(ns: string, port: number): Promise<number[]> {
  try {
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'ss', '-tin', 'dst', `:${port}`]);
    return [...stdout.matchAll(/\brtt:([\d.]+)\//g)].map((m) => Math.round(Number(m[1]) * 1e6));
  } catch {
    return [];
  }
}

async function qdiscStats(ns: string): Promise<Record<string, number>> {
  try {
    const { stdout } = await run('tc', ['-n', ns, '-s', 'qdisc', 'show', 'dev', 'rtrb']);
    const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(stdout);
    const backlog = /backlog (\d+)b/.exec(stdout);
    return m
      ? {
          qdiscSentPackets: Number(m[2]),
          qdiscDropped: Number(m[3]),
          qdiscBacklogBytes: Number(backlog?.[1] ?? 0),
        }
      : {};
  } catch {
    return {};
  }
}
