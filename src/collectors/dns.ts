// dns collector: DNS queries, responses by RCODE, timeouts and latency per (resolver, process), over UDP and
// TCP port 53, IPv4 and IPv6, in every network namespace (bpf/dns.bpf.c, cgroup_skb on the cgroup v2 root).
//
// The kernel times answered queries; a query never answered stays in the `flights` map, and this collector
// sweeps entries older than the timeout (every second, and at each snapshot) and counts each as a timeout of
// its (resolver, process). Sweeping here rather than in the kernel: nothing in BPF runs when nothing arrives.
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  MetricFamily,
} from './types.js';
import type { DnsClient, DnsSignals, SignalsPart } from '../signals/types.js';
import { bpfStats, dropsFrom, loadBpfObject, type DropIndexes, type LoadedBpf } from './bpf-loader.js';
import type { DropCounts } from '../events/stream.js';
import { cString, readCounters } from '../bpf/read.js';
import { defineLayout } from '../bpf/layout.js';
import {
  HIST_LAYOUT,
  HIST_SLOTS,
  addHistogramDelta,
  slotMidpoint,
  emptyHistogram,
  mergeHistogram,
  percentiles,
  readHistogram,
  type HistReading,
  type Histogram,
} from '../bpf/histogram.js';
import { parseCgroupPath } from '../k8s/cgroup-path.js';
import { findUnifiedMount } from './procfs/cgroup-mounts.js';
import { cgroupOfPid, commOfPid, hostNetnsInode, namedNamespaces } from './procfs/netns.js';
import { formatAddr } from './tcp.js';

// Layouts: bpf/dns.h (checked against the object's BTF at load)
const FLIGHT_KEY = defineLayout('dns_flight_key', 32, {
  cookie: 0,
  resolver: 8,
  family: 24,
  port: 26,
  id: 28,
  pad: 30,
});
const FLIGHT_VALUE = defineLayout('dns_flight_value', 48, {
  start_ns: 0,
  pid: 8,
  netns: 12,
  cgroup_id: 16,
  tcp: 24,
  pad: 25,
  comm: 32,
});
const STATS_KEY = defineLayout('dns_stats_key', 28, {
  resolver: 0,
  family: 16,
  port: 18,
  pid: 20,
  netns: 24,
});
const STATS_VALUE = defineLayout('dns_stats_value', 2304, {
  queries: 0,
  responses: 8,
  noerror: 16,
  nxdomain: 24,
  servfail: 32,
  refused: 40,
  other_rcode: 48,
  retransmits: 56,
  tcp_queries: 64,
  cgroup_id: 72,
  comm: 80,
  latency: 96,
  pad: 2296,
});
const LAYOUTS = [FLIGHT_KEY, FLIGHT_VALUE, STATS_KEY, STATS_VALUE, HIST_LAYOUT];
/** `counters` indexes (DNS_CNT_* in bpf/dns.h). */
const COUNTER = { events: 0, flightFull: 1, statsFull: 2, unmatched: 5 };
/** Losses for coverage: queries not tracked (`flights` full) and detail not kept (`stats` full). */
const DROPS: DropIndexes = { map_full: [COUNTER.flightFull, COUNTER.statsFull] };
const AF_INET = 2;

/** glibc's default per-try timeout (resolv.conf `options timeout:5`): after it the client has given up. */
export const DNS_TIMEOUT_NS = 5e9;
/**
 * What a client's `slowResponses` counts: 100 ms, the dns_high_latency default, so that rule can ask for
 * several slow answers rather than a p99 made of one (as tcp's rtt_slow_ns does for RTT samples).
 */
export const DNS_SLOW_NS = 100_000_000;
/** Clients in the report (by failures, then queries) and resolvers labelled in /metrics. */
export const DNS_LIMITS = { clients: 32, metricResolvers: 16 };

const COUNTS = [
  'queries',
  'tcpQueries',
  'retransmits',
  'responses',
  'noerror',
  'nxdomain',
  'servfail',
  'refused',
  'otherRcode',
] as const;
type Counts = Record<(typeof COUNTS)[number], number>;
const COUNT_OFFSET: Record<keyof Counts, number> = {
  queries: STATS_VALUE.offset.queries,
  tcpQueries: STATS_VALUE.offset.tcp_queries,
  retransmits: STATS_VALUE.offset.retransmits,
  responses: STATS_VALUE.offset.responses,
  noerror: STATS_VALUE.offset.noerror,
  nxdomain: STATS_VALUE.offset.nxdomain,
  servfail: STATS_VALUE.offset.servfail,
  refused: STATS_VALUE.offset.refused,
  otherRcode: STATS_VALUE.offset.other_rcode,
};

/** Who a stats key is: the resolver and the sender. */
interface Who {
  resolver: string;
  resolverPort: number;
  family: 4 | 6;
  pid: number;
  netns: number;
  comm: string;
}

/** One stats entry, cumulative since the collector started. */
interface Entry {
  who: Who;
  counts: Counts;
  hist: HistReading;
  /** The value as dumped (for the latency histogram), only in the reading being taken. */
  raw?: Buffer;
}

interface Reading {
  entries: Map<string, Entry>;
  timeouts: Map<string, number>;
  counters: number[];
}

function whoOf(key: Buffer, comm: string): Who {
  const family = key.readUInt16LE(STATS_KEY.offset.family);
  return {
    resolver: formatAddr(family, key.subarray(STATS_KEY.offset.resolver, STATS_KEY.offset.resolver + 16)),
    resolverPort: key.readUInt16LE(STATS_KEY.offset.port),
    family: family === AF_INET ? 4 : 6,
    pid: key.readUInt32LE(STATS_KEY.offset.pid),
    netns: key.readUInt32LE(STATS_KEY.offset.netns),
    comm,
  };
}

/** The stats key a flight belongs to (what stats_of() in dns.bpf.c builds). */
function statsKeyOfFlight(fk: Buffer, fv: Buffer): Buffer {
  const k = Buffer.alloc(STATS_KEY.size);
  fk.copy(k, STATS_KEY.offset.resolver, FLIGHT_KEY.offset.resolver, FLIGHT_KEY.offset.resolver + 16);
  k.writeUInt16LE(fk.readUInt16LE(FLIGHT_KEY.offset.family), STATS_KEY.offset.family);
  k.writeUInt16LE(fk.readUInt16LE(FLIGHT_KEY.offset.port), STATS_KEY.offset.port);
  k.writeUInt32LE(fv.readUInt32LE(FLIGHT_VALUE.offset.pid), STATS_KEY.offset.pid);
  k.writeUInt32LE(fv.readUInt32LE(FLIGHT_VALUE.offset.netns), STATS_KEY.offset.netns);
  return k;
}

/** Samples in buckets whose midpoint is at or above DNS_SLOW_NS. */
function slowCount(h: Histogram): number {
  let n = 0;
  for (let i = 1; i < HIST_SLOTS; i++)
    if (h.slots[i]! > 0 && slotMidpoint(i) >= DNS_SLOW_NS) n += h.slots[i]!;
  return n;
}

/** Ranked by what hurts: failures, then traffic. */
function byFailures(a: DnsClient, b: DnsClient): number {
  return b.failures - a.failures || b.queries - a.queries || a.pid - b.pid;
}

export const DNS_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'dns_latency_seconds',
    type: 'histogram',
    labels: ['resolver'],
    help: 'DNS query to response latency (UDP and TCP port 53), per resolver.',
  },
  {
    name: 'dns_queries_total',
    type: 'counter',
    labels: ['resolver'],
    help: 'DNS queries sent to port 53 (retransmissions of an in-flight query not counted).',
  },
  {
    name: 'dns_responses_total',
    type: 'counter',
    labels: ['resolver', 'rcode'],
    help: 'DNS responses matched to a query, by RCODE class (noerror, nxdomain, servfail, refused, other).',
  },
  {
    name: 'dns_timeouts_total',
    type: 'counter',
    labels: ['resolver'],
    help: 'DNS queries not answered within 5 s.',
  },
];

export const dnsDef: CollectorDef = {
  name: 'dns',
  bpf: true,
  create: () => new DnsCollector(),
  description: 'DNS latency, RCODEs, timeouts',
  families: DNS_FAMILIES,
};

export interface DnsCollectorOptions {
  /** A query unanswered this long counts as a timeout (default DNS_TIMEOUT_NS). */
  timeoutNs?: number;
  /** How often in-flight queries are swept for timeouts (default 1 s). */
  sweepMs?: number;
}

export class DnsCollector implements Collector {
  readonly name = 'dns';
  readonly #timeoutNs: number;
  readonly #sweepMs: number;
  #bpf: LoadedBpf | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Timeouts per stats key (hex), cumulative, with who they were (the stats entry may not exist). */
  #timeouts = new Map<string, { n: number; who: Who }>();
  #baseline: Reading | undefined;
  #events = 0;
  #drops: Partial<DropCounts> = {};

  constructor(opts: DnsCollectorOptions = {}) {
    this.#timeoutNs = opts.timeoutNs ?? DNS_TIMEOUT_NS;
    this.#sweepMs = opts.sweepMs ?? 1000;
  }

  async start(ctx: CollectorContext): Promise<void> {
    // cgroup_skb programs see every socket only from the root of the v2 hierarchy; kerno never mounts one.
    const root = await findUnifiedMount();
    if (root === undefined)
      throw new Error('dns: no cgroup v2 hierarchy is mounted (cgroup_skb programs need one to attach to)');
    this.#bpf = await loadBpfObject(
      'dns',
      [{ programs: ['dns_egress', 'dns_ingress'] }],
      LAYOUTS,
      {},
      { cgroup: root },
    );
    this.#timer = setInterval(() => {
      try {
        this.sweep();
      } catch (err) {
        ctx.fault(err);
      }
    }, this.#sweepMs);
    this.#timer.unref();
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 2, { events: this.#events, drops: this.#drops }, DROPS);
  }

  /** Deletes flights older than the timeout and counts each as a timeout of its (resolver, process). */
  sweep(): void {
    const obj = this.#bpf?.obj;
    if (!obj) return;
    const now = Number(process.hrtime.bigint()); // CLOCK_MONOTONIC, as bpf_ktime_get_ns()
    const flights = obj.map('flights');
    for (const { key, value } of flights.dump()) {
      const start = Number(value.readBigUInt64LE(FLIGHT_VALUE.offset.start_ns));
      if (now - start < this.#timeoutNs) continue;
      // The ingress program deletes an answered flight first: only a successful delete is a timeout.
      if (!flights.delete(Buffer.from(key))) continue;
      const sk = statsKeyOfFlight(key, value);
      const hex = sk.toString('hex');
      const t = this.#timeouts.get(hex);
      if (t) t.n++;
      else this.#timeouts.set(hex, { n: 1, who: whoOf(sk, cString(value, FLIGHT_VALUE.offset.comm, 16)) });
    }
  }

  private read(keepRaw: boolean): Reading {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('dns: read before start');
    this.sweep();
    const entries = new Map<string, Entry>();
    for (const { key, value } of obj.map('stats').dump()) {
      const counts = {} as Counts;
      for (const k of COUNTS) counts[k] = Number(value.readBigUInt64LE(COUNT_OFFSET[k]));
      entries.set(key.toString('hex'), {
        who: whoOf(key, cString(value, STATS_VALUE.offset.comm, 16)),
        counts,
        hist: readHistogram(value, STATS_VALUE.offset.latency),
        ...(keepRaw ? { raw: Buffer.from(value) } : {}),
      });
    }
    const counters = readCounters(obj);
    this.#events = counters[COUNTER.events] ?? 0;
    this.#drops = dropsFrom(counters, DROPS);
    const timeouts = new Map([...this.#timeouts].map(([k, v]) => [k, v.n]));
    return { entries, timeouts, counters };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const now = this.read(true);
    const base = this.#baseline;
    const total = emptyHistogram();
    // One row per (resolver, namespace, program): a shell loop running `getent` or `curl` is a new process
    // per lookup, and one row per pid would leave each with a handful of queries that no rule can judge.
    // The row's pid is the process that sent the most queries; `processes` says how many were folded in.
    const groups = new Map<
      string,
      { who: Who; counts: Counts; timeouts: number; hist: Histogram; pids: Map<number, number> }
    >();
    const keys = new Set([...now.entries.keys(), ...this.#timeouts.keys()]);
    for (const k of keys) {
      const e = now.entries.get(k);
      const b = base?.entries.get(k);
      const counts = {} as Counts;
      for (const c of COUNTS) counts[c] = Math.max(0, (e?.counts[c] ?? 0) - (b?.counts[c] ?? 0));
      const timeouts = (now.timeouts.get(k) ?? 0) - (base?.timeouts.get(k) ?? 0);
      if (counts.queries === 0 && counts.responses === 0 && counts.retransmits === 0 && timeouts === 0)
        continue;
      const who = e?.who ?? this.#timeouts.get(k)!.who;
      const gk = `${who.resolver}|${who.resolverPort}|${who.netns}|${who.pid > 0 ? who.comm : ''}`;
      let g = groups.get(gk);
      if (!g) {
        g = { who, counts: {} as Counts, timeouts: 0, hist: emptyHistogram(), pids: new Map() };
        for (const c of COUNTS) g.counts[c] = 0;
        groups.set(gk, g);
      }
      for (const c of COUNTS) g.counts[c] += counts[c];
      g.timeouts += timeouts;
      g.pids.set(who.pid, (g.pids.get(who.pid) ?? 0) + counts.queries + timeouts);
      if (e?.raw) addHistogramDelta(g.hist, e.raw, STATS_VALUE.offset.latency, b?.hist);
    }
    const clients: DnsClient[] = [];
    for (const g of groups.values()) {
      mergeHistogram(total, g.hist);
      const failures = g.counts.servfail + g.counts.refused + g.timeouts;
      const [pid] = [...g.pids].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]!;
      clients.push({
        ...g.who,
        pid,
        processes: g.pids.size,
        host: false,
        cgroupPath: '',
        ...g.counts,
        timeouts: g.timeouts,
        failures,
        failureRatePct: g.counts.queries > 0 ? Math.min(100, (failures / g.counts.queries) * 100) : 0,
        latency: percentiles(g.hist),
        slowResponses: slowCount(g.hist),
      });
    }
    clients.sort(byFailures);
    const shown = clients.slice(0, DNS_LIMITS.clients);
    const rest = clients.slice(DNS_LIMITS.clients);
    const [named, hostInode] = await Promise.all([namedNamespaces(), hostNetnsInode()]);
    await Promise.all(shown.map((c) => identify(c, named, hostInode)));
    const sum = (f: (c: DnsClient) => number, of: DnsClient[] = clients): number =>
      of.reduce((n, c) => n + f(c), 0);
    const d = (i: number): number => (now.counters[i] ?? 0) - (base?.counters[i] ?? 0);
    const dns: DnsSignals = {
      queries: sum((c) => c.queries),
      responses: sum((c) => c.responses),
      nxdomain: sum((c) => c.nxdomain),
      servfail: sum((c) => c.servfail),
      refused: sum((c) => c.refused),
      otherRcode: sum((c) => c.otherRcode),
      timeouts: sum((c) => c.timeouts),
      failures: sum((c) => c.failures),
      latency: percentiles(total),
      unmatchedResponses: d(COUNTER.unmatched),
      timeoutNs: this.#timeoutNs,
      slowNs: DNS_SLOW_NS,
      clients: shown,
      otherClients: {
        count: rest.length,
        queries: sum((c) => c.queries, rest),
        failures: sum((c) => c.failures, rest),
        nxdomain: sum((c) => c.nxdomain, rest),
      },
    };
    for (const e of now.entries.values()) delete e.raw;
    return { dns };
  }

  async reset(): Promise<void> {
    if (!this.#bpf) return;
    this.#baseline = this.read(false);
  }

  async metrics(): Promise<CollectorMetrics> {
    const now = this.read(true);
    interface PerResolver {
      queries: number;
      timeouts: number;
      rcodes: Record<string, number>;
      hist: Histogram;
    }
    const by = new Map<string, PerResolver>();
    const of = (resolver: string): PerResolver => {
      let r = by.get(resolver);
      if (!r) {
        r = {
          queries: 0,
          timeouts: 0,
          rcodes: { noerror: 0, nxdomain: 0, servfail: 0, refused: 0, other: 0 },
          hist: emptyHistogram(),
        };
        by.set(resolver, r);
      }
      return r;
    };
    for (const e of now.entries.values()) {
      const r = of(e.who.resolver);
      r.queries += e.counts.queries;
      r.rcodes.noerror! += e.counts.noerror;
      r.rcodes.nxdomain! += e.counts.nxdomain;
      r.rcodes.servfail! += e.counts.servfail;
      r.rcodes.refused! += e.counts.refused;
      r.rcodes.other! += e.counts.otherRcode;
      if (e.raw) addHistogramDelta(r.hist, e.raw, STATS_VALUE.offset.latency);
    }
    for (const t of this.#timeouts.values()) of(t.who.resolver).timeouts += t.n;
    // Bounded labels: the busiest resolvers by name, the rest folded into "[other]".
    const ranked = [...by].sort((a, b) => b[1].queries - a[1].queries);
    const folded = new Map<string, PerResolver>();
    ranked.forEach(([resolver, r], i) => {
      const label = i < DNS_LIMITS.metricResolvers ? resolver : '[other]';
      const into = folded.get(label);
      if (!into) {
        folded.set(label, r);
        return;
      }
      into.queries += r.queries;
      into.timeouts += r.timeouts;
      for (const [k, v] of Object.entries(r.rcodes)) into.rcodes[k]! += v;
      mergeHistogram(into.hist, r.hist);
    });
    const series = [...folded];
    return {
      histograms: {
        dns_latency_seconds: series.map(([resolver, r]) => ({ labels: { resolver }, value: r.hist })),
      },
      counters: {
        dns_queries_total: series.map(([resolver, r]) => ({ labels: { resolver }, value: r.queries })),
        dns_timeouts_total: series.map(([resolver, r]) => ({ labels: { resolver }, value: r.timeouts })),
        dns_responses_total: series.flatMap(([resolver, r]) =>
          Object.entries(r.rcodes).map(([rcode, value]) => ({ labels: { resolver, rcode }, value })),
        ),
      },
    };
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#bpf?.close();
  }
}

/** The sender's current name, cgroup, and the container / pod and named namespace they say it belongs to. */
async function identify(c: DnsClient, named: Map<number, string>, hostInode: number): Promise<void> {
  c.host = c.netns !== 0 && c.netns === hostInode;
  const name = named.get(c.netns);
  if (name !== undefined) c.netnsName = name;
  if (c.pid <= 0) return;
  const [comm, cgroupPath] = await Promise.all([commOfPid(c.pid), cgroupOfPid(c.pid)]);
  if (comm) c.comm = comm;
  c.cgroupPath = cgroupPath ?? '';
  if (cgroupPath === undefined) return;
  const meta = parseCgroupPath(cgroupPath);
  if (meta.containerId !== undefined) c.containerId = meta.containerId;
  if (meta.podUid !== undefined) c.podUid = meta.podUid;
}
