// The windowed-aggregation logic of `kerno watch` without the kernel: decoding a watch_tcp entry, the
// sort and filters, the fd window math, the OOM threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareConnections,
  decodeConnection,
  filterConnections,
  type TcpWatchConnection,
} from '../../../src/watch/tcp.js';
import { fdWindow, type FdReading } from '../../../src/watch/fd.js';
import { filterOom } from '../../../src/watch/oom.js';
import { slotOf, HIST_SLOTS } from '../../../src/bpf/histogram.js';
import type { OomEvent } from '../../../src/signals/types.js';

function conn(over: Partial<TcpWatchConnection>): TcpWatchConnection {
  return {
    family: 4,
    srcAddr: '10.0.0.1',
    dstAddr: '10.0.0.2',
    srcPort: 1000,
    dstPort: 80,
    pid: 1,
    comm: 'c',
    netns: 1,
    netnsName: '',
    rttP50Ns: 0,
    rttP99Ns: 0,
    rttSamples: 0,
    retransmits: 0,
    retransSegs: 0,
    events: 0,
    ...over,
  };
}

test('connections sort by retransmits descending, then RTT p99 descending', () => {
  const rows = [
    conn({ srcPort: 1, retransmits: 0, rttP99Ns: 90e6 }),
    conn({ srcPort: 2, retransmits: 3, rttP99Ns: 1e6 }),
    conn({ srcPort: 3, retransmits: 3, rttP99Ns: 40e6 }),
    conn({ srcPort: 4, retransmits: 0, rttP99Ns: 100e6 }),
  ];
  assert.deepEqual(
    [...rows].sort(compareConnections).map((c) => c.srcPort),
    [3, 2, 4, 1],
  );
});

test('--retransmits and --threshold-rtt filter, and the result is sorted', () => {
  const rows = [
    conn({ srcPort: 1, retransmits: 0, rttP99Ns: 90e6 }),
    conn({ srcPort: 2, retransmits: 1, rttP99Ns: 1e6 }),
    conn({ srcPort: 3, retransmits: 2, rttP99Ns: 40e6 }),
  ];
  assert.deepEqual(
    filterConnections(rows, { retransmitsOnly: true }).map((c) => c.srcPort),
    [3, 2],
  );
  assert.deepEqual(
    filterConnections(rows, { minRttNs: 10e6 }).map((c) => c.srcPort),
    [3, 1],
  );
  assert.deepEqual(
    filterConnections(rows, { retransmitsOnly: true, minRttNs: 10e6 }).map((c) => c.srcPort),
    [3],
  );
  assert.deepEqual(filterConnections([], {}), []);
});

test('--retransmits keeps a connection whose retransmitted segments the socket counted but no event carried', () => {
  // The socket's own counter moved (retransSegs) while no tracepoint run reached the program (retransmits 0).
  const rows = [
    conn({ srcPort: 1, retransmits: 0, retransSegs: 0, rttP99Ns: 5e6 }),
    conn({ srcPort: 2, retransmits: 0, retransSegs: 1, rttP99Ns: 5e6 }),
    conn({ srcPort: 3, retransmits: 0, retransSegs: 2, rttP99Ns: 5e6 }),
  ];
  assert.deepEqual(
    filterConnections(rows, { retransmitsOnly: true }).map((c) => c.srcPort),
    [3, 2],
  );
});

/** A watch_tcp_key + watch_tcp_value pair laid out as bpf/watch_tcp.h says. */
function entry(opts: {
  family: 2 | 10;
  saddr: number[];
  daddr: number[];
  sport: number;
  dport: number;
  netns: number;
  rttSamplesNs: number[];
  retransmits: number;
  pid: number;
  comm: string;
}): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(44);
  key.writeUInt32LE(opts.netns, 0);
  key.writeUInt16LE(opts.family, 4);
  key.writeUInt16LE(opts.sport, 6);
  key.writeUInt16LE(opts.dport, 8);
  Buffer.from(opts.saddr).copy(key, 12);
  Buffer.from(opts.daddr).copy(key, 28);
  const value = Buffer.alloc(2248);
  value.writeBigUInt64LE(BigInt(opts.retransmits), 0);
  value.writeBigUInt64LE(BigInt(opts.retransmits), 8);
  value.writeBigUInt64LE(BigInt(opts.retransmits + opts.rttSamplesNs.length), 16);
  value.writeUInt32LE(opts.pid, 24);
  value.write(opts.comm, 32);
  const hist = 48;
  value.writeBigUInt64LE(BigInt(opts.rttSamplesNs.length), hist);
  value.writeBigUInt64LE(BigInt(opts.rttSamplesNs.reduce((a, b) => a + b, 0)), hist + 8);
  value.writeBigUInt64LE(BigInt(Math.max(0, ...opts.rttSamplesNs)), hist + 16);
  for (const v of opts.rttSamplesNs) {
    const s = slotOf(v);
    assert.ok(s < HIST_SLOTS);
    const off = hist + 24 + 8 * s;
    value.writeBigUInt64LE(value.readBigUInt64LE(off) + 1n, off);
  }
  return { key, value };
}

test('a watch_tcp entry decodes to a connection with its RTT percentiles (IPv4)', () => {
  // 98 samples at 20 ms, 2 at 80 ms: p50 ≈ 20 ms, p99 ≈ 80 ms (within a bucket, 6.25 %).
  const samples = [...Array<number>(98).fill(20e6), 80e6, 80e6];
  const { key, value } = entry({
    family: 2,
    saddr: [10, 1, 2, 3],
    daddr: [10, 1, 2, 4],
    sport: 40000,
    dport: 443,
    netns: 4026532000,
    rttSamplesNs: samples,
    retransmits: 4,
    pid: 1234,
    comm: 'curl',
  });
  const { conn: c } = decodeConnection(key, value);
  assert.equal(c.family, 4);
  assert.equal(c.srcAddr, '10.1.2.3');
  assert.equal(c.dstAddr, '10.1.2.4');
  assert.equal(c.srcPort, 40000);
  assert.equal(c.dstPort, 443);
  assert.equal(c.netns, 4026532000);
  assert.equal(c.pid, 1234);
  assert.equal(c.comm, 'curl');
  assert.equal(c.retransmits, 4);
  assert.equal(c.events, 104);
  assert.equal(c.rttSamples, 100);
  assert.ok(Math.abs(c.rttP50Ns - 20e6) <= 20e6 * 0.0625, `p50 ${c.rttP50Ns}`);
  assert.ok(Math.abs(c.rttP99Ns - 80e6) <= 80e6 * 0.0625, `p99 ${c.rttP99Ns}`);
});

test('an IPv6 entry decodes its addresses; no RTT sample gives zeros', () => {
  const v6 = (last: number) => [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];
  const { key, value } = entry({
    family: 10,
    saddr: v6(1),
    daddr: v6(2),
    sport: 5,
    dport: 6,
    netns: 7,
    rttSamplesNs: [],
    retransmits: 1,
    pid: 0,
    comm: '',
  });
  const { conn: c } = decodeConnection(key, value);
  assert.equal(c.family, 6);
  assert.equal(c.srcAddr, 'fd00::1');
  assert.equal(c.dstAddr, 'fd00::2');
  assert.equal(c.rttSamples, 0);
  assert.equal(c.rttP50Ns, 0);
  assert.equal(c.rttP99Ns, 0);
  assert.equal(c.comm, '');
});

test('a window is the difference from the previous reading; an unchanged entry is idle (0 events)', () => {
  const common = {
    family: 2 as const,
    saddr: [10, 0, 0, 1],
    daddr: [10, 0, 0, 2],
    sport: 1,
    dport: 2,
    netns: 3,
    pid: 9,
    comm: 'x',
  };
  const first = entry({ ...common, rttSamplesNs: Array<number>(10).fill(1e6), retransmits: 2 });
  const { reading } = decodeConnection(first.key, first.value);
  // Later: 10 more samples at 40 ms and 3 more retransmits on top of the cumulative values.
  const later = entry({
    ...common,
    rttSamplesNs: [...Array<number>(10).fill(1e6), ...Array<number>(10).fill(40e6)],
    retransmits: 5,
  });
  const { conn, reading: next } = decodeConnection(later.key, later.value, reading);
  assert.equal(conn.retransmits, 3);
  assert.equal(conn.rttSamples, 10);
  assert.ok(Math.abs(conn.rttP50Ns - 40e6) <= 40e6 * 0.0625, "only this window's samples");
  assert.equal(conn.events, 13);
  const idle = decodeConnection(later.key, later.value, next).conn;
  assert.equal(idle.events, 0);
  assert.equal(idle.rttSamples, 0);
  assert.equal(idle.retransmits, 0);
});

const r = (opens: number, closes: number, firstSeenNs = 1, comm = 'p'): FdReading => ({
  opens,
  closes,
  firstSeenNs,
  comm,
});

test('fd window: net and rate over the measured window; LEAK at or above the threshold', () => {
  const before = new Map([
    [10, r(100, 50)],
    [11, r(10, 10)],
  ]);
  const after = new Map([
    [10, r(200, 60)], // +100 opens, +10 closes over 2 s: net 90, 45/s
    [11, r(30, 30)], // balanced
    [12, r(20, 0)], // new during the window: counts from zero, 10/s (exactly the threshold)
  ]);
  const out = fdWindow(before, after, 2e9, 10);
  assert.deepEqual(
    out.map((p) => [p.pid, p.opens, p.closes, p.net, p.ratePerSec, p.leak]),
    [
      [10, 100, 10, 90, 45, true],
      [12, 20, 0, 20, 10, true],
    ],
  );
  const all = fdWindow(before, after, 2e9, 10, true);
  assert.deepEqual(
    all.map((p) => [p.pid, p.leak]),
    [
      [10, true],
      [12, true],
      [11, false],
    ],
  );
});

test('fd window: a reused pid (another first-seen time) counts from zero; idle processes are left out', () => {
  const before = new Map([
    [10, r(500, 0, 1)],
    [11, r(5, 5)],
  ]);
  const after = new Map([
    [10, r(30, 0, 2)],
    [11, r(5, 5)],
  ]);
  const out = fdWindow(before, after, 1e9, 10, true);
  assert.deepEqual(
    out.map((p) => [p.pid, p.net]),
    [[10, 30]],
  );
});

test('fd window: a shrinking or flat process is never a leak, even at threshold 0; an empty window is []', () => {
  const out = fdWindow(new Map([[1, r(0, 0)]]), new Map([[1, r(5, 9)]]), 1e9, 0, true);
  assert.equal(out[0]!.leak, false);
  assert.deepEqual(fdWindow(new Map(), new Map(), 5e9, 10), []);
  assert.deepEqual(fdWindow(new Map(), new Map(), 0, 10, true), []);
});

test('oom threshold: victims at or above the minimum oom_score_adj', () => {
  const e = (pid: number, adj: number): OomEvent => ({
    timestamp: '2026-01-01T00:00:00.000Z',
    pid,
    comm: 'x',
    cgroupId: 0,
    cgroupPath: '',
    rssBytes: 0,
    totalVmBytes: 0,
    oomScoreAdj: adj,
    triggeredPid: pid,
    triggeredComm: 'x',
  });
  const all = [e(1, -500), e(2, 0), e(3, 800)];
  assert.deepEqual(
    filterOom(all, 0).map((x) => x.pid),
    [2, 3],
  );
  assert.equal(filterOom(all, -1000).length, 3);
});
