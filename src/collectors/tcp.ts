// tcp collector: retransmits per connection and per network namespace (aggregated in the kernel by
// bpf/tcp.bpf.c), resets, state changes, a smoothed-RTT histogram, and the retransmit RATE from the
// kernel's own counters:
//
//   retransmitRatePct = Δ RetransSegs ÷ Δ OutSegs × 100 over the window, from the TCP MIB of EVERY network
//                       namespace (tcp-namespaces.ts), overall and per namespace
//
// i.e. the share of sent segments that were retransmissions — what "2 % retransmits" means to a network
// engineer. The original divided retransmit events by all TCP events (connects + closes + retransmits),
// which swings with connection churn rather than loss. Reading only kerno's own /proc/net/snmp made every
// pod's traffic invisible: on a Kubernetes node each pod is its own namespace.
import { isIPv4 } from 'node:net';
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  LiveTop,
  MetricFamily,
} from './types.js';
import type { SignalsPart, TcpConnection, TcpNamespace, TcpSignals } from '../signals/types.js';
import { bpfStats, dropsFrom, loadBpfObject, type DropIndexes, type LoadedBpf } from './bpf-loader.js';
import type { DropCounts } from '../events/stream.js';
import { cString, readCounter, readCounters } from '../bpf/read.js';
import { defineLayout } from '../bpf/layout.js';
import { HIST_LAYOUT } from '../bpf/histogram.js';
import {
  addHistogram,
  emptyHistogram,
  percentiles,
  subtractHistogram,
  type Histogram,
} from '../bpf/histogram.js';
import { parseCgroupPath } from '../k8s/cgroup-path.js';
import { cgroupOfPid, commOfPid } from './procfs/netns.js';
import {
  namespaceDeltas,
  readNamespaceMibs,
  type MibReading,
  type NamespaceDelta,
} from './tcp-namespaces.js';

// Layouts: bpf/tcp.h (checked against the object's BTF at load)
const AF_INET = 2;
const CONN_KEY = defineLayout('tcp_conn_key', 44, {
  family: 0,
  pad: 2,
  sport: 4,
  dport: 6,
  saddr: 8,
  daddr: 24,
  netns: 40,
});
const CONN_VALUE = defineLayout('tcp_conn_value', 48, {
  retransmits: 0,
  retrans_segs: 8,
  last_ns: 16,
  srtt_us: 24,
  pid: 28,
  comm: 32,
});
const NETNS_VALUE = defineLayout('tcp_netns_value', 40, {
  retransmits: 0,
  retrans_segs: 8,
  resets_sent: 16,
  resets_received: 24,
  rtt_slow: 32,
});
const LAYOUTS = [CONN_KEY, CONN_VALUE, NETNS_VALUE, HIST_LAYOUT];
/** `counters` indexes (TCP_CNT_* in bpf/tcp.h). */
const COUNTER = {
  events: 0,
  connUpdateFail: 1,
  skStorageFail: 2,
  retransmits: 3,
  retransSegs: 4,
  resetsSent: 6,
  resetsReceived: 7,
  stateChanges: 8,
  established: 9,
  netnsUpdateFail: 13,
};
/** Losses for coverage: retransmits or namespaces that found their map full, and sockets without storage. */
const DROPS: DropIndexes = {
  map_full: [COUNTER.connUpdateFail, COUNTER.netnsUpdateFail],
  unspecified: [COUNTER.skStorageFail],
};

export const TCP_LIMITS = { topRetransmitters: 32, namespaces: 16 };

export function formatAddr(family: number, raw: Buffer): string {
  if (family === AF_INET) return `${raw[0]}.${raw[1]}.${raw[2]}.${raw[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
  // v4-mapped (::ffff:a.b.c.d): show the IPv4 address people know.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const v4 = `${raw[12]}.${raw[13]}.${raw[14]}.${raw[15]}`;
    if (isIPv4(v4)) return `::ffff:${v4}`;
  }
  return compressV6(groups);
}

function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The traced per-namespace counts (bpf/tcp.h struct tcp_netns_value). */
interface TracedNetns {
  retransmitEvents: number;
  tracedRetransSegs: number;
  resetsSent: number;
  resetsReceived: number;
  slowRttSamples: number;
}

interface RawTcp {
  conns: Map<string, TcpConnection>;
  netns: Map<number, TracedNetns>;
  rtt: Histogram;
  counters: number[];
}

const TRACED_KEYS = [
  'retransmitEvents',
  'tracedRetransSegs',
  'resetsSent',
  'resetsReceived',
  'slowRttSamples',
] as const;

function tracedDelta(now: TracedNetns | undefined, base: TracedNetns | undefined): TracedNetns {
  const out = {} as TracedNetns;
  for (const k of TRACED_KEYS) out[k] = Math.max(0, (now?.[k] ?? 0) - (base?.[k] ?? 0));
  return out;
}

/** Ranked by what hurts: retransmitted segments (the MIB's, or the traced ones where no MIB), then traffic. */
function byRetransmits(a: TcpNamespace, b: TcpNamespace): number {
  const ra = a.mib ? a.retransSegs : a.tracedRetransSegs;
  const rb = b.mib ? b.retransSegs : b.tracedRetransSegs;
  return rb - ra || b.segmentsOut - a.segmentsOut || a.netns - b.netns;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const TCP_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'tcp_srtt_seconds',
    type: 'histogram',
    labels: [],
    help: 'Smoothed TCP round-trip time, sampled from received segments (at most one sample per socket per 100 ms).',
  },
  {
    name: 'tcp_retransmitted_segments_total',
    type: 'counter',
    labels: [],
    help: 'TCP segments retransmitted (tcp_retransmit_skb).',
  },
  { name: 'tcp_resets_sent_total', type: 'counter', labels: [], help: 'TCP resets sent.' },
  { name: 'tcp_resets_received_total', type: 'counter', labels: [], help: 'TCP resets received.' },
  { name: 'tcp_state_changes_total', type: 'counter', labels: [], help: 'TCP socket state transitions.' },
];

export const tcpDef: CollectorDef = {
  name: 'tcp',
  bpf: true,
  create: () => new TcpCollector(),
  description: 'retransmits, resets, RTT',
  families: TCP_FAMILIES,
};

export class TcpCollector implements Collector {
  readonly name = 'tcp';
  #bpf: LoadedBpf | undefined;
  #baseline: RawTcp | undefined;
  #before: MibReading | undefined;
  #events = 0;
  #drops: Partial<DropCounts> = {};
  /** The live view's worst connection, recomputed only when the retransmit counter moved. */
  #live: { retransmits: number; top: LiveTop | undefined } | undefined;

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject(
      'tcp',
      [
        {
          programs: [
            'tcp_retransmit_skb',
            'inet_sock_set_state',
            'tcp_send_reset',
            'tcp_receive_reset',
            'tcp_probe',
          ],
        },
      ],
      LAYOUTS,
    );
    this.#before = await readNamespaceMibs();
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 5, { events: this.#events, drops: this.#drops }, DROPS);
  }

  /**
   * Events so far and the connection that retransmitted the most segments in the window. `conns` holds
   * only connections that retransmitted, and it is read only when the retransmit counter moved since the
   * last frame: a quiet host costs two counter lookups.
   */
  live(): LiveReading {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('tcp: live read before start');
    const events = readCounter(obj, COUNTER.events) ?? this.#events;
    const retransmits = readCounter(obj, COUNTER.retransmits) ?? 0;
    if (this.#live?.retransmits !== retransmits) this.#live = { retransmits, top: this.worstConnection() };
    const top = this.#live.top;
    return top ? { events, top } : { events };
  }

  private worstConnection(): LiveTop | undefined {
    const base = this.#baseline?.conns;
    let best: { key: Buffer; value: Buffer; segs: number } | undefined;
    for (const { key, value } of this.#bpf!.obj.map('conns').dump()) {
      const segs =
        Number(value.readBigUInt64LE(CONN_VALUE.offset.retrans_segs)) -
        (base?.get(key.toString('hex'))?.retransSegs ?? 0);
      if (segs > (best?.segs ?? 0)) best = { key: Buffer.from(key), value: Buffer.from(value), segs };
    }
    if (!best) return undefined;
    const { key, value } = best;
    const family = key.readUInt16LE(CONN_KEY.offset.family);
    const addr = (off: number, port: number): string => {
      const a = formatAddr(family, key.subarray(off, off + 16));
      return family === AF_INET ? `${a}:${port}` : `[${a}]:${port}`;
    };
    const pid = value.readUInt32LE(CONN_VALUE.offset.pid);
    const comm = cString(value, CONN_VALUE.offset.comm, 16);
    const owner = pid > 0 ? ` · ${comm || 'pid'} (${pid})` : '';
    return {
      label: `retransmitting ${addr(CONN_KEY.offset.saddr, key.readUInt16LE(CONN_KEY.offset.sport))} → ${addr(CONN_KEY.offset.daddr, key.readUInt16LE(CONN_KEY.offset.dport))}${owner}`,
      value: best.segs,
      unit: 'segs',
    };
  }

  private readRaw(): RawTcp {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('tcp: read before start');
    const conns = new Map<string, TcpConnection>();
    for (const { key, value } of obj.map('conns').dump()) {
      const family = key.readUInt16LE(CONN_KEY.offset.family);
      conns.set(key.toString('hex'), {
        family: family === AF_INET ? 4 : 6,
        srcPort: key.readUInt16LE(CONN_KEY.offset.sport),
        dstPort: key.readUInt16LE(CONN_KEY.offset.dport),
        srcAddr: formatAddr(family, key.subarray(CONN_KEY.offset.saddr, CONN_KEY.offset.saddr + 16)),
        dstAddr: formatAddr(family, key.subarray(CONN_KEY.offset.daddr, CONN_KEY.offset.daddr + 16)),
        netns: key.readUInt32LE(CONN_KEY.offset.netns),
        retransSegs: Number(value.readBigUInt64LE(CONN_VALUE.offset.retrans_segs)),
        srttNs: value.readUInt32LE(CONN_VALUE.offset.srtt_us) * 1000,
        pid: value.readUInt32LE(CONN_VALUE.offset.pid),
        comm: cString(value, CONN_VALUE.offset.comm, 16),
      });
    }
    const netns = new Map<number, TracedNetns>();
    for (const { key, value } of obj.map('netns').dump()) {
      const u64 = (off: number) => Number(value.readBigUInt64LE(off));
      netns.set(key.readUInt32LE(0), {
        retransmitEvents: u64(NETNS_VALUE.offset.retransmits),
        tracedRetransSegs: u64(NETNS_VALUE.offset.retrans_segs),
        resetsSent: u64(NETNS_VALUE.offset.resets_sent),
        resetsReceived: u64(NETNS_VALUE.offset.resets_received),
        slowRttSamples: u64(NETNS_VALUE.offset.rtt_slow),
      });
    }
    const rttMap = obj.map('rtt');
    const rtt = emptyHistogram();
    const v = rttMap.lookup(Buffer.alloc(4));
    if (v) for (const cpu of rttMap.perCpuValues(v)) addHistogram(rtt, cpu, 0);
    const counters = readCounters(obj);
    this.#events = counters[COUNTER.events] ?? 0;
    this.#drops = dropsFrom(counters, DROPS);
    return { conns, netns, rtt, counters };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    if (!this.#before) throw new Error('tcp: snapshot before start');
    const after = await readNamespaceMibs();
    const raw = this.readRaw();
    const base = this.#baseline;
    const conns: TcpConnection[] = [];
    for (const [k, c] of raw.conns) {
      const retransSegs = c.retransSegs - (base?.conns.get(k)?.retransSegs ?? 0);
      if (retransSegs > 0) conns.push({ ...c, retransSegs });
    }
    conns.sort((a, b) => b.retransSegs - a.retransSegs || b.srttNs - a.srttNs);
    const rtt = base ? subtractHistogram(raw.rtt, base.rtt) : raw.rtt;
    const d = (i: number): number => (raw.counters[i] ?? 0) - (base?.counters[i] ?? 0);
    const namespaces = this.namespaces(namespaceDeltas(this.#before, after), after, raw, conns);
    const totals = { segmentsOut: 0, retransSegs: 0, currEstab: 0 };
    for (const m of after.mibs.values()) totals.currEstab += m.counters.currEstab;
    for (const ns of namespaces) {
      totals.segmentsOut += ns.segmentsOut;
      totals.retransSegs += ns.retransSegs;
    }
    const shown = namespaces.slice(0, TCP_LIMITS.namespaces);
    const rest = namespaces.slice(TCP_LIMITS.namespaces);
    await Promise.all(shown.map((ns) => identify(ns)));
    const tcp: TcpSignals = {
      retransmitEvents: d(COUNTER.retransmits),
      tracedRetransSegs: d(COUNTER.retransSegs),
      segmentsOut: totals.segmentsOut,
      retransSegs: totals.retransSegs,
      retransmitRatePct: totals.segmentsOut > 0 ? (totals.retransSegs / totals.segmentsOut) * 100 : 0,
      rtt: percentiles(rtt),
      resetsSent: d(COUNTER.resetsSent),
      resetsReceived: d(COUNTER.resetsReceived),
      stateChanges: d(COUNTER.stateChanges),
      activeConnections: totals.currEstab,
      topRetransmitters: conns.slice(0, TCP_LIMITS.topRetransmitters),
      namespaces: shown,
      otherNamespaces: {
        count: rest.length,
        segmentsOut: rest.reduce((n, x) => n + x.segmentsOut, 0),
        retransSegs: rest.reduce((n, x) => n + x.retransSegs, 0),
        tracedRetransSegs: rest.reduce((n, x) => n + x.tracedRetransSegs, 0),
      },
      namespacesSeen: after.scan.withProcesses.size,
    };
    return { tcp };
  }

  /** Every namespace that sent segments or that the tracepoints saw, ranked. */
  private namespaces(
    deltas: Map<number, NamespaceDelta>,
    after: MibReading,
    raw: RawTcp,
    conns: TcpConnection[],
  ): TcpNamespace[] {
    const out: TcpNamespace[] = [];
    const inodes = new Set([...deltas.keys(), ...raw.netns.keys()]);
    for (const inode of inodes) {
      const mib = deltas.get(inode);
      const traced = tracedDelta(raw.netns.get(inode), this.#baseline?.netns.get(inode));
      const segmentsOut = mib?.delta?.outSegs ?? 0;
      const retransSegs = mib?.delta?.retransSegs ?? 0;
      if (segmentsOut === 0 && retransSegs === 0 && TRACED_KEYS.every((k) => traced[k] === 0)) continue;
      // A namespace with no MIB: its pid may still be known from a retransmitting connection's owner.
      const owner = conns.find((c) => c.netns === inode && c.pid > 0);
      const name = after.scan.named.get(inode);
      out.push({
        netns: inode,
        host: inode !== 0 && inode === after.scan.hostInode,
        ...(name !== undefined ? { name } : {}),
        pid: mib?.pid ?? owner?.pid ?? 0,
        comm: '',
        cgroupPath: '',
        mib: mib?.delta !== undefined,
        segmentsOut,
        retransSegs,
        retransmitRatePct: segmentsOut > 0 ? (retransSegs / segmentsOut) * 100 : 0,
        ...traced,
      });
    }
    return out.sort(byRetransmits);
  }

  async reset(): Promise<void> {
    if (!this.#bpf) return;
    this.#baseline = this.readRaw();
    this.#live = undefined;
    this.#before = await readNamespaceMibs();
  }

  async metrics(): Promise<CollectorMetrics> {
    const raw = this.readRaw();
    const c = (i: number) => [{ labels: {}, value: raw.counters[i] ?? 0 }];
    return {
      histograms: { tcp_srtt_seconds: [{ labels: {}, value: raw.rtt }] },
      counters: {
        tcp_retransmitted_segments_total: c(COUNTER.retransSegs),
        tcp_resets_sent_total: c(COUNTER.resetsSent),
        tcp_resets_received_total: c(COUNTER.resetsReceived),
        tcp_state_changes_total: c(COUNTER.stateChanges),
      },
    };
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}

/** Who lives in a namespace: its process's name and cgroup, and the container / pod the cgroup names. */
async function identify(ns: TcpNamespace): Promise<void> {
  if (ns.pid <= 0) return;
  const [comm, cgroupPath] = await Promise.all([commOfPid(ns.pid), cgroupOfPid(ns.pid)]);
  ns.comm = comm ?? '';
  ns.cgroupPath = cgroupPath ?? '';
  if (ns.host || cgroupPath === undefined) return;
  const meta = parseCgroupPath(cgroupPath);
  if (meta.containerId !== undefined) ns.containerId = meta.containerId;
  if (meta.podUid !== undefined) ns.podUid = meta.podUid;
}
