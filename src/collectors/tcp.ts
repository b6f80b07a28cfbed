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
import type { Collector, CollectorContext, CollectorMetrics, CollectorStats } from './types.js';
import type { SignalsPart, TcpConnection, TcpNamespace, TcpSignals } from '../signals.js';
import { bpfStats, loadBpfObject, readCounters, cString, type LoadedBpf } from './bpf-loader.js';
import {
  addHistogram,
  emptyHistogram,
  percentiles,
  subtractHistogram,
  type Histogram,
} from '../bpf/histogram.js';
import { parseCgroupPath } from './procfs/cgroup-paths.js';
import { cgroupOfPid, commOfPid } from './procfs/netns.js';
import {
  namespaceDeltas,
  readNamespaceMibs,
  type MibReading,
  type NamespaceDelta,
} from './tcp-namespaces.js';

// Layout: bpf/tcp.h
const AF_INET = 2;
const K_NETNS = 40;
const V_RETRANS_SEGS = 8;
const V_SRTT_US = 24;
const V_PID = 28;
const V_COMM = 32;
const NS = { retransmits: 0, retransSegs: 8, resetsSent: 16, resetsReceived: 24, rttSlow: 32 };
const CNT = {
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

export class TcpCollector implements Collector {
  readonly name = 'tcp';
  #bpf: LoadedBpf | undefined;
  #baseline: RawTcp | undefined;
  #before: MibReading | undefined;
  #events = 0;
  #dropped = 0;

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject('tcp', [
      {
        programs: [
          'tcp_retransmit_skb',
          'inet_sock_set_state',
          'tcp_send_reset',
          'tcp_receive_reset',
          'tcp_probe',
        ],
      },
    ]);
    this.#before = await readNamespaceMibs();
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 5, this.#events, this.#dropped);
  }

  private readRaw(): RawTcp {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('tcp: read before start');
    const conns = new Map<string, TcpConnection>();
    for (const { key, value } of obj.map('conns').dump()) {
      const family = key.readUInt16LE(0);
      conns.set(key.toString('hex'), {
        family: family === AF_INET ? 4 : 6,
        srcPort: key.readUInt16LE(4),
        dstPort: key.readUInt16LE(6),
        srcAddr: formatAddr(family, key.subarray(8, 24)),
        dstAddr: formatAddr(family, key.subarray(24, 40)),
        netns: key.readUInt32LE(K_NETNS),
        retransSegs: Number(value.readBigUInt64LE(V_RETRANS_SEGS)),
        srttNs: value.readUInt32LE(V_SRTT_US) * 1000,
        pid: value.readUInt32LE(V_PID),
        comm: cString(value, V_COMM, 16),
      });
    }
    const netns = new Map<number, TracedNetns>();
    for (const { key, value } of obj.map('netns').dump()) {
      const u64 = (off: number) => Number(value.readBigUInt64LE(off));
      netns.set(key.readUInt32LE(0), {
        retransmitEvents: u64(NS.retransmits),
        tracedRetransSegs: u64(NS.retransSegs),
        resetsSent: u64(NS.resetsSent),
        resetsReceived: u64(NS.resetsReceived),
        slowRttSamples: u64(NS.rttSlow),
      });
    }
    const rttMap = obj.map('rtt');
    const rtt = emptyHistogram();
    const v = rttMap.lookup(Buffer.alloc(4));
    if (v) for (const cpu of rttMap.perCpuValues(v)) addHistogram(rtt, cpu, 0);
    const counters = readCounters(obj);
    this.#events = counters[CNT.events] ?? 0;
    this.#dropped =
      (counters[CNT.connUpdateFail] ?? 0) +
      (counters[CNT.skStorageFail] ?? 0) +
      (counters[CNT.netnsUpdateFail] ?? 0);
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
      retransmitEvents: d(CNT.retransmits),
      tracedRetransSegs: d(CNT.retransSegs),
      segmentsOut: totals.segmentsOut,
      retransSegs: totals.retransSegs,
      retransmitRatePct: totals.segmentsOut > 0 ? (totals.retransSegs / totals.segmentsOut) * 100 : 0,
      rtt: percentiles(rtt),
      resetsSent: d(CNT.resetsSent),
      resetsReceived: d(CNT.resetsReceived),
      stateChanges: d(CNT.stateChanges),
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
    this.#before = await readNamespaceMibs();
  }

  async metrics(): Promise<CollectorMetrics> {
    const raw = this.readRaw();
    const c = (i: number) => [{ labels: {}, value: raw.counters[i] ?? 0 }];
    return {
      histograms: { tcp_srtt_seconds: [{ labels: {}, value: raw.rtt }] },
      counters: {
        tcp_retransmitted_segments_total: c(CNT.retransSegs),
        tcp_resets_sent_total: c(CNT.resetsSent),
        tcp_resets_received_total: c(CNT.resetsReceived),
        tcp_state_changes_total: c(CNT.stateChanges),
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
