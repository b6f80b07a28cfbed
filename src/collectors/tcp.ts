// tcp collector: retransmits per connection (aggregated in the kernel by bpf/tcp.bpf.c), resets, state
// changes, a smoothed-RTT histogram, and the retransmit RATE from the kernel's own counters:
//
//   retransmitRatePct = Δ RetransSegs ÷ Δ OutSegs × 100 over the window (/proc/net/snmp, all of TCP)
//
// i.e. the share of sent segments that were retransmissions — what "2 % retransmits" means to a network
// engineer. The original divided retransmit events by all TCP events (connects + closes + retransmits),
// which swings with connection churn rather than loss.
import { isIPv4 } from 'node:net';
import type { Collector, CollectorContext, CollectorMetrics, CollectorStats } from './types.js';
import type { SignalsPart, TcpConnection } from '../signals.js';
import { bpfStats, loadBpfObject, readCounters, cString, type LoadedBpf } from './bpf-loader.js';
import {
  addHistogram,
  emptyHistogram,
  percentiles,
  subtractHistogram,
  type Histogram,
} from '../bpf/histogram.js';
import { readTcpCounters, type TcpCounters } from './procfs/net-snmp.js';
import { countEstablished } from './procfs/tcp-sockets.js';

// Layout: bpf/tcp.h
const AF_INET = 2;
const V_RETRANS_SEGS = 8;
const V_SRTT_US = 24;
const V_PID = 28;
const V_COMM = 32;
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
};

export const TCP_LIMITS = { topRetransmitters: 32 };

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

interface RawTcp {
  conns: Map<string, TcpConnection>;
  rtt: Histogram;
  counters: number[];
}

export class TcpCollector implements Collector {
  readonly name = 'tcp';
  #bpf: LoadedBpf | undefined;
  #baseline: RawTcp | undefined;
  #before: TcpCounters | undefined;
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
    this.#before = await readTcpCounters();
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
        retransmits: Number(value.readBigUInt64LE(V_RETRANS_SEGS)),
        srttNs: value.readUInt32LE(V_SRTT_US) * 1000,
        pid: value.readUInt32LE(V_PID),
        comm: cString(value, V_COMM, 16),
      });
    }
    const rttMap = obj.map('rtt');
    const rtt = emptyHistogram();
    const v = rttMap.lookup(Buffer.alloc(4));
    if (v) for (const cpu of rttMap.perCpuValues(v)) addHistogram(rtt, cpu, 0);
    const counters = readCounters(obj);
    this.#events = counters[CNT.events] ?? 0;
    this.#dropped = (counters[CNT.connUpdateFail] ?? 0) + (counters[CNT.skStorageFail] ?? 0);
    return { conns, rtt, counters };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    if (!this.#before) throw new Error('tcp: snapshot before start');
    const after = await readTcpCounters();
    const outSegs = after.outSegs - this.#before.outSegs;
    const retransSegs = after.retransSegs - this.#before.retransSegs;
    const raw = this.readRaw();
    const base = this.#baseline;
    const conns: TcpConnection[] = [];
    for (const [k, c] of raw.conns) {
      const retransmits = c.retransmits - (base?.conns.get(k)?.retransmits ?? 0);
      if (retransmits > 0) conns.push({ ...c, retransmits });
    }
    conns.sort((a, b) => b.retransmits - a.retransmits || b.srttNs - a.srttNs);
    const rtt = base ? subtractHistogram(raw.rtt, base.rtt) : raw.rtt;
    const d = (i: number): number => (raw.counters[i] ?? 0) - (base?.counters[i] ?? 0);
    return {
      tcp: {
        retransmits: d(CNT.retransSegs),
        segmentsOut: outSegs,
        retransSegs,
        retransmitRatePct: outSegs > 0 ? (retransSegs / outSegs) * 100 : 0,
        rtt: percentiles(rtt),
        resetsSent: d(CNT.resetsSent),
        resetsReceived: d(CNT.resetsReceived),
        stateChanges: d(CNT.stateChanges),
        activeConnections: await countEstablished(),
        topRetransmitters: conns.slice(0, TCP_LIMITS.topRetransmitters),
      },
    };
  }

  async reset(): Promise<void> {
    if (!this.#bpf) return;
    this.#baseline = this.readRaw();
    this.#before = await readTcpCounters();
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
