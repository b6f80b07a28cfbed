// `kerno watch tcp`: per connection per window — RTT p50/p99, retransmits, events, the owning process and
// its network namespace. Aggregated in the kernel (bpf/watch_tcp.bpf.c, cumulative per connection); each
// tick reads every entry, reports the difference from the previous reading, and deletes the entries that
// did not change (idle connections), so the map holds only live connections and no event of a busy one
// can be lost to a delete (bpf/watch_tcp.h).
import { loadBpfObject, type LoadedBpf } from '../collectors/bpf-loader.js';
import { formatAddr } from '../collectors/tcp.js';
import { scanNetNamespaces } from '../collectors/procfs/netns.js';
import { defineLayout } from '../bpf/layout.js';
import {
  addHistogramDelta,
  emptyHistogram,
  HIST_LAYOUT,
  quantile,
  readHistogram,
  type HistReading,
} from '../bpf/histogram.js';
import { cString, readCounters } from '../bpf/read.js';
import { objectRecursionMisses } from '../bpf/run-stats.js';
import { monotonicNs } from '../util/clock.js';

// Layouts: bpf/watch_tcp.h (checked against the object's BTF at load)
const KEY = defineLayout('watch_tcp_key', 44, {
  netns: 0,
  family: 4,
  sport: 6,
  dport: 8,
  pad: 10,
  saddr: 12,
  daddr: 28,
});
const VALUE = defineLayout('watch_tcp_value', 2248, {
  retransmits: 0,
  retrans_segs: 8,
  events: 16,
  pid: 24,
  total_base: 28,
  comm: 32,
  rtt: 48,
});
const AF_INET = 2;
/** `counters` indexes (WATCH_TCP_CNT_* in bpf/watch_tcp.h). */
const COUNTER = { events: 0, connUpdateFail: 1, skStorageFail: 2 };

/** One entry's cumulative values at the previous tick: what the next window is measured from. */
export interface ConnReading {
  retransmits: number;
  retransSegs: number;
  events: number;
  rtt: HistReading;
}

export interface TcpWatchConnection {
  family: 4 | 6;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  /** Owner tgid, 0 when unknown (a socket that neither connected nor sent while watched). */
  pid: number;
  comm: string;
  /** Network-namespace inode (/proc/<pid>/ns/net); pods live in their own. */
  netns: number;
  /** `ip netns` name, "host" for pid 1's namespace, "" when unnamed. */
  netnsName: string;
  rttP50Ns: number;
  rttP99Ns: number;
  rttSamples: number;
  /** Successful retransmit events the tracepoint delivered in the window. */
  retransmits: number;
  /**
   * Segments the socket itself counted as retransmitted in the window (its tcp_sock.total_retrans, what
   * RetransSegs sums): TSO/GSO retransmits carry several, and a retransmit whose tracepoint run reached no
   * program is still here.
   */
  retransSegs: number;
  events: number;
}

export interface TcpWatchWindow {
  timestamp: string;
  intervalNs: number;
  /** Measured length of this window. */
  elapsedNs: number;
  connections: TcpWatchConnection[];
  /** Connections active in the window, before the filters (--retransmits, --threshold-rtt). */
  seen: number;
  /**
   * Events lost this window, by reason (their sum is the JSON line's `dropped`). map_full: no room in the
   * connection map; recursion: runs the kernel skipped because one of these programs was already running
   * on that CPU (a softirq retransmit interrupting one in process context).
   * A skipped run loses an RTT sample or a retransmit event, not retransmitted segments (retransSegs).
   */
  droppedByReason: { map_full: number; recursion: number };
}

export interface TcpWatchFilter {
  retransmitsOnly?: boolean;
  /** Only connections whose RTT p99 is at least this (ns); 0 = all. */
  minRttNs?: number;
}

/** Retransmits descending, then RTT p99 descending (then a stable order for equal rows). */
export function compareConnections(a: TcpWatchConnection, b: TcpWatchConnection): number {
  return (
    b.retransmits - a.retransmits ||
    b.retransSegs - a.retransSegs ||
    b.rttP99Ns - a.rttP99Ns ||
    b.events - a.events ||
    a.netns - b.netns ||
    a.srcPort - b.srcPort ||
    a.dstPort - b.dstPort
  );
}

export function filterConnections(
  conns: readonly TcpWatchConnection[],
  f: TcpWatchFilter,
): TcpWatchConnection[] {
  return conns
    .filter(
      (c) =>
        (!f.retransmitsOnly || c.retransmits > 0 || c.retransSegs > 0) && c.rttP99Ns >= (f.minRttNs ?? 0),
    )
    .sort(compareConnections);
}

/**
 * One conns entry (key + cumulative value) as the connection's window since `base` (its previous reading;
 * absent for a connection new this window), and the reading the next window starts from. netnsName is
 * filled in by the caller. `conn.events` is 0 for a connection idle during the window.
 */
export function decodeConnection(
  key: Buffer,
  value: Buffer,
  base?: ConnReading,
): { conn: TcpWatchConnection; reading: ConnReading } {
  const family = key.readUInt16LE(KEY.offset.family);
  const u64 = (off: number): number => Number(value.readBigUInt64LE(off));
  const reading: ConnReading = {
    retransmits: u64(VALUE.offset.retransmits),
    retransSegs: u64(VALUE.offset.retrans_segs),
    events: u64(VALUE.offset.events),
    rtt: readHistogram(value, VALUE.offset.rtt),
  };
  const h = emptyHistogram();
  addHistogramDelta(h, value, VALUE.offset.rtt, base?.rtt);
  const conn: TcpWatchConnection = {
    family: family === AF_INET ? 4 : 6,
    srcAddr: formatAddr(family, key.subarray(KEY.offset.saddr, KEY.offset.saddr + 16)),
    dstAddr: formatAddr(family, key.subarray(KEY.offset.daddr, KEY.offset.daddr + 16)),
    srcPort: key.readUInt16LE(KEY.offset.sport),
    dstPort: key.readUInt16LE(KEY.offset.dport),
    pid: value.readUInt32LE(VALUE.offset.pid),
    comm: cString(value, VALUE.offset.comm, 16),
    netns: key.readUInt32LE(KEY.offset.netns),
    netnsName: '',
    rttP50Ns: quantile(h, 0.5),
    rttP99Ns: quantile(h, 0.99),
    rttSamples: h.count,
    retransmits: reading.retransmits - (base?.retransmits ?? 0),
    retransSegs: reading.retransSegs - (base?.retransSegs ?? 0),
    events: reading.events - (base?.events ?? 0),
  };
  return { conn, reading };
}

export class TcpWatcher {
  #bpf: LoadedBpf | undefined;
  /** Previous reading per entry, by the key's bytes (hex). */
  #base = new Map<string, ConnReading>();
  #windowStart = 0;
  #dropped = { map_full: 0, recursion: 0 };

  constructor(
    private readonly intervalNs: number,
    private readonly filter: TcpWatchFilter = {},
  ) {}

  async start(): Promise<void> {
    this.#bpf = await loadBpfObject(
      'watch_tcp',
      [
        { programs: ['inet_sock_set_state', 'sock_send_length', 'tcp_probe', 'tcp_retransmit_skb'] },
        // Kernels before 6.3 have no sock_send_length: accepted sockets' owners then stay unnamed.
        { programs: ['inet_sock_set_state', 'tcp_probe', 'tcp_retransmit_skb'] },
      ],
      [KEY, VALUE, HIST_LAYOUT],
    );
    this.#windowStart = monotonicNs();
  }

  /** Ends the current window and returns it; the next one starts now. */
  async tick(): Promise<TcpWatchWindow> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('watch tcp: tick before start');
    const now = monotonicNs();
    const conns = obj.map('conns');
    const active: TcpWatchConnection[] = [];
    const idle: Buffer[] = [];
    const base = new Map<string, ConnReading>();
    for (const { key, value } of conns.dump()) {
      const k = key.toString('hex');
      const { conn, reading } = decodeConnection(key, value, this.#base.get(k));
      if (conn.events > 0) {
        active.push(conn);
        base.set(k, reading);
      } else {
        idle.push(Buffer.from(key));
      }
    }
    // Idle for a whole window: forget it (a later event recreates it, counted from zero).
    for (const k of idle) conns.delete(k);
    this.#base = base;
    const counters = readCounters(obj);
    const total = { map_full: counters[COUNTER.connUpdateFail] ?? 0, recursion: objectRecursionMisses(obj) };
    const droppedByReason = {
      map_full: total.map_full - this.#dropped.map_full,
      recursion: total.recursion - this.#dropped.recursion,
    };
    const window: TcpWatchWindow = {
      timestamp: new Date().toISOString(),
      intervalNs: this.intervalNs,
      elapsedNs: now - this.#windowStart,
      connections: filterConnections(active, this.filter),
      seen: active.length,
      droppedByReason,
    };
    this.#dropped = total;
    this.#windowStart = now;
    await nameNamespaces(window.connections);
    return window;
  }

  stop(): void {
    this.#bpf?.close();
    this.#bpf = undefined;
  }
}

/** `ip netns` names and the host's namespace, for the namespaces this window shows. */
async function nameNamespaces(conns: TcpWatchConnection[]): Promise<void> {
  if (conns.length === 0) return;
  const scan = await scanNetNamespaces();
  for (const c of conns) c.netnsName = c.netns === scan.hostInode ? 'host' : (scan.named.get(c.netns) ?? '');
}
