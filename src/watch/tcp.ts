// `kerno watch tcp`: per connection per window — RTT p50/p99, retransmits, events, the owning process and
// its network namespace. Aggregated in the kernel (bpf/watch_tcp.bpf.c); each tick flips the write
// generation, lets programs already running finish, then reads and deletes the previous generation's keys,
// so every event lands in exactly one window.
import { loadBpfObject, type LoadedBpf } from '../collectors/bpf-loader.js';
import { formatAddr } from '../collectors/tcp.js';
import { scanNetNamespaces } from '../collectors/procfs/netns.js';
import { defineLayout } from '../bpf/layout.js';
import { addHistogram, emptyHistogram, HIST_LAYOUT, quantile } from '../bpf/histogram.js';
import { cString, readCounters } from '../bpf/read.js';
import { sleepUntilAborted } from '../util/sleep.js';
import { monotonicNs } from '../util/clock.js';

// Layouts: bpf/watch_tcp.h (checked against the object's BTF at load)
const KEY = defineLayout('watch_tcp_key', 48, {
  gen: 0,
  netns: 4,
  family: 8,
  sport: 10,
  dport: 12,
  pad: 14,
  saddr: 16,
  daddr: 32,
});
const VALUE = defineLayout('watch_tcp_value', 2248, {
  retransmits: 0,
  retrans_segs: 8,
  events: 16,
  pid: 24,
  pad: 28,
  comm: 32,
  rtt: 48,
});
const AF_INET = 2;
/** `counters` indexes (WATCH_TCP_CNT_* in bpf/watch_tcp.h). */
const COUNTER = { events: 0, connUpdateFail: 1, skStorageFail: 2 };
/** Programs that read the old generation just before the flip finish within microseconds. */
const FLIP_GRACE_MS = 5;

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
  retransmits: number;
  retransSegs: number;
  events: number;
}

export interface TcpWatchWindow {
  timestamp: string;
  intervalNs: number;
  /** Measured length of this window. */
  elapsedNs: number;
  connections: TcpWatchConnection[];
  /** Connections shown before the filters (--retransmits, --threshold-rtt). */
  seen: number;
  /** Events the kernel could not store this window (map full). */
  dropped: number;
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
    .filter((c) => (!f.retransmitsOnly || c.retransmits > 0) && c.rttP99Ns >= (f.minRttNs ?? 0))
    .sort(compareConnections);
}

/** One conns entry (key + value buffers) as a connection; netnsName is filled in by the caller. */
export function decodeConnection(key: Buffer, value: Buffer): TcpWatchConnection {
  const family = key.readUInt16LE(KEY.offset.family);
  const h = emptyHistogram();
  addHistogram(h, value, VALUE.offset.rtt);
  const u64 = (off: number): number => Number(value.readBigUInt64LE(off));
  return {
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
    retransmits: u64(VALUE.offset.retransmits),
    retransSegs: u64(VALUE.offset.retrans_segs),
    events: u64(VALUE.offset.events),
  };
}

export class TcpWatcher {
  #bpf: LoadedBpf | undefined;
  #gen = 0;
  #windowStart = 0;
  #dropped = 0;

  constructor(
    private readonly intervalNs: number,
    private readonly filter: TcpWatchFilter = {},
  ) {}

  async start(): Promise<void> {
    this.#bpf = await loadBpfObject(
      'watch_tcp',
      [{ programs: ['inet_sock_set_state', 'sock_send_length', 'tcp_probe', 'tcp_retransmit_skb'] }],
      [KEY, VALUE, HIST_LAYOUT],
    );
    this.#windowStart = monotonicNs();
  }

  /** Ends the current window and returns it; the next one starts now. */
  async tick(): Promise<TcpWatchWindow> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('watch tcp: tick before start');
    const now = monotonicNs();
    const old = this.#gen;
    this.#gen ^= 1;
    const value = Buffer.alloc(4);
    value.writeUInt32LE(this.#gen);
    obj.map('gen').update(Buffer.alloc(4), value);
    await sleepUntilAborted(FLIP_GRACE_MS);
    const conns = obj.map('conns');
    const all: TcpWatchConnection[] = [];
    const done: Buffer[] = [];
    for (const { key, value: v } of conns.dump()) {
      if (key.readUInt32LE(KEY.offset.gen) !== old) continue;
      all.push(decodeConnection(key, v));
      done.push(Buffer.from(key));
    }
    for (const k of done) conns.delete(k);
    const counters = readCounters(obj);
    const dropped = counters[COUNTER.connUpdateFail] ?? 0;
    const window: TcpWatchWindow = {
      timestamp: new Date().toISOString(),
      intervalNs: this.intervalNs,
      elapsedNs: now - this.#windowStart,
      connections: filterConnections(all, this.filter),
      seen: all.length,
      dropped: dropped - this.#dropped,
    };
    this.#dropped = dropped;
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
