// The netconsole receiver: a UDP socket, a bounded table of senders (LRU), and per sender a SenderStream
// (reassembly, dedupe, reorder) feeding a ReportAssembler (incident detection). A finished incident is
// appended to the durable store and only then announced ('incident' event: metrics, webhook). Nothing
// here trusts the network: every buffer is capped per sender, the sender table is capped, and the total
// buffered bytes across senders are capped by evicting the least recently heard senders. Packets pass a
// per-address and a global token bucket first (a flood is dropped, counted); an incident id already
// recorded is not recorded, counted or announced again, whatever source port repeated it; an incident the
// store could not take (full disk) waits in a bounded queue and is retried in order, never half-written.
// That queue is an EventStream (size and drop policy from the `events` config; incidents are never
// sampled: each one is a crash); without a store it is the in-memory list of recent incidents.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ReportAssembler, type AssembledReport } from '../kernel-log/assembler.js';
import { INCIDENT_KIND_SET, incidentId, type IncidentKind, type PanicIncident } from './incident.js';
import { parseListenAddress, type ListenAddress } from './listen.js';
import { NodeNameMap, formatSender, normalizeAddress } from './node-names.js';
import {
  DEFAULT_STREAM_LIMITS,
  SenderStream,
  zeroStreamCounters,
  type StreamCounters,
  type StreamLimits,
  type StreamLine,
} from './sender-stream.js';
import { KeyedRateLimiter, TokenBucket, type BucketLimits } from './rate-limit.js';
import { readUdpDrops, type SocketId } from './socket-drops.js';
import { filterIncidents, type IncidentStore, type ListOptions } from './store.js';
import { EventStream, type DropCounts, type EventStreamSettings } from '../events/stream.js';

export type LogFn = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface NetconsoleReceiverOptions {
  /** "udp://0.0.0.0:6666"; port 0 picks an ephemeral port (tests). */
  listen?: string | ListenAddress;
  nodeNames?: NodeNameMap;
  store?: IncidentStore;
  /** An incident ends when its sender has been quiet this long. */
  idleTimeoutMs?: number;
  maxIncidentLines?: number;
  maxIncidentBytes?: number;
  maxSenders?: number;
  /** Cap on bytes buffered across all senders. */
  maxTotalBufferedBytes?: number;
  /** Senders with nothing buffered are forgotten after this much silence. */
  senderIdleForgetMs?: number;
  stream?: Partial<StreamLimits>;
  tickMs?: number;
  /**
   * SO_RCVBUF for the socket. A dying kernel sends its whole panic in one burst; the default buffer
   * (rmem_default, ~208 KiB) overflows before the event loop reads it. The kernel caps it at rmem_max.
   */
  recvBufferBytes?: number;
  /** Packets per source address (any port). Default 2,000/s, burst 5,000. */
  senderRate?: BucketLimits;
  /** Packets across all senders. Default 10,000/s, burst 20,000. */
  globalRate?: BucketLimits;
  /** Incident ids remembered for deduplication. Default 4,096. */
  dedupeIds?: number;
  /**
   * The incident queue: incidents waiting for the store (besides the one being written), or kept for
   * listIncidents() without a store. Default DEFAULT_EVENT_STREAM (1024, the oldest dropped).
   */
  events?: Partial<Pick<EventStreamSettings, 'queueSize' | 'dropPolicy'>>;
  /** First retry of a failed store write after this long, doubling up to 10 s. Default 1 s. */
  storeRetryMs?: number;
  now?: () => number;
  log?: LogFn;
}

export interface ReceiverStats {
  senders: number;
  sendersEvicted: number;
  bufferedBytes: number;
  incidents: number;
  incidentsByKind: Partial<Record<IncidentKind, number>>;
  /** Failed store writes (each is retried). */
  storeErrors: number;
  /** Incidents not yet stored (queued behind a failed write). */
  unstored: number;
  /**
   * Incidents dropped because the incident queue was full, or still unstored at shutdown (each logged with
   * its id). Without a store: incidents that no longer fit the in-memory list (they were announced).
   */
  incidentsLost: number;
  /** incidentsLost by reason: queue_full, or unspecified (the store still failing at shutdown). */
  incidentDrops: DropCounts;
  /** Incidents whose id was already recorded (repeats of one incident: same node, kind, line and time). */
  duplicateIncidents: number;
  /** Packets dropped by the rate limits, per reason. */
  rateLimited: { sender: number; global: number };
  /** Datagrams the kernel dropped because the socket buffer was full (sk_drops), when known. */
  socketDrops: number;
  /** Lines of the store file that are not valid records (skipped when read). */
  corruptRecords: number;
  stream: StreamCounters;
}

export interface ReceiverEvents {
  /** An incident that is durably recorded (or, without a store, detected). */
  incident: [PanicIncident];
  error: [Error];
}

interface SenderState {
  key: string;
  address: string;
  port: number;
  node: string;
  stream: SenderStream;
  assembler: ReportAssembler;
  lastSeen: number;
}

export class NetconsoleReceiver extends EventEmitter<ReceiverEvents> {
  readonly nodeNames: NodeNameMap;
  private readonly listen: ListenAddress;
  private readonly limits: StreamLimits;
  private readonly idleTimeoutMs: number;
  private readonly maxIncidentLines: number;
  private readonly maxIncidentBytes: number;
  private readonly maxSenders: number;
  private readonly maxTotalBufferedBytes: number;
  private readonly senderIdleForgetMs: number;
  private readonly tickMs: number;
  private readonly recvBufferBytes: number;
  private readonly now: () => number;
  private readonly log: LogFn;
  private readonly store: IncidentStore | undefined;
  private readonly senders = new Map<string, SenderState>();
  /** Counters of senders already forgotten, so totals stay monotonic. */
  private readonly retired = zeroStreamCounters();
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly senderRate: KeyedRateLimiter;
  private readonly globalRate: TokenBucket;
  private readonly rateLimited = { sender: 0, global: 0 };
  /** Recorded (or being recorded) incident ids, least recently seen first. */
  private readonly seenIds = new Set<string>();
  private readonly dedupeIds: number;
  private duplicateIncidents = 0;
  /** With a store: incidents in order, not yet stored, after `inFlight`. Without: the recent incidents. */
  private readonly incidentQueue: EventStream<PanicIncident>;
  /** The incident being written, or waiting for its retry (out of the queue, so no policy evicts it). */
  private inFlight: PanicIncident | undefined;
  private readonly storeRetryMs: number;
  private writing = false;
  private retryDelayMs = 0;
  private retryAt = 0;
  private socketId: SocketId | undefined;
  private socketDrops = 0;
  private dropsBase: number | undefined;
  private dropsReadAt = 0;
  private socket: Socket | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private evicted = 0;
  private incidents = 0;
  private readonly byKind: Partial<Record<IncidentKind, number>> = {};
  private storeErrors = 0;

  constructor(opts: NetconsoleReceiverOptions = {}) {
    super();
    this.listen =
      typeof opts.listen === 'string'
        ? parseListenAddress(opts.listen)
        : (opts.listen ?? parseListenAddress('udp://0.0.0.0:6666'));
    this.nodeNames = opts.nodeNames ?? new NodeNameMap();
    this.store = opts.store;
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...opts.stream };
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 5_000;
    this.maxIncidentLines = opts.maxIncidentLines ?? 400;
    this.maxIncidentBytes = opts.maxIncidentBytes ?? 64 * 1024;
    this.maxSenders = opts.maxSenders ?? 1_024;
    this.maxTotalBufferedBytes = opts.maxTotalBufferedBytes ?? 64 * 1024 * 1024;
    this.senderIdleForgetMs = opts.senderIdleForgetMs ?? 15 * 60_000;
    this.tickMs = opts.tickMs ?? Math.max(10, Math.min(100, Math.floor(this.limits.reorderHoldMs / 2)));
    this.recvBufferBytes = opts.recvBufferBytes ?? 4 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    this.senderRate = new KeyedRateLimiter(
      opts.senderRate ?? { ratePerSec: 2_000, burst: 5_000 },
      Math.max(this.maxSenders, 1_024),
    );
    this.globalRate = new TokenBucket(opts.globalRate ?? { ratePerSec: 10_000, burst: 20_000 }, this.now());
    this.dedupeIds = opts.dedupeIds ?? 4_096;
    this.incidentQueue = new EventStream<PanicIncident>({
      ...opts.events,
      onDrop: (incident) => {
        // Without a store the queue is only the in-memory list of announced incidents: nothing to forget.
        if (!this.store) return;
        // Never recorded nor announced: forgotten, so a resend of it can still be recorded.
        this.seenIds.delete(incident.id);
        this.log('error', 'netconsole: incident dropped: the incident queue is full', {
          id: incident.id,
          queueSize: this.incidentQueue.settings.queueSize,
          dropPolicy: this.incidentQueue.settings.dropPolicy,
        });
      },
    });
    this.storeRetryMs = opts.storeRetryMs ?? 1_000;
    for (const id of this.store?.recentIds ?? []) this.rememberId(id);
    if (this.idleTimeoutMs <= this.limits.reorderHoldMs) {
      throw new Error(
        `netconsole idle timeout (${this.idleTimeoutMs} ms) must exceed the reorder hold (${this.limits.reorderHoldMs} ms)`,
      );
    }
    if (this.maxSenders < 1) throw new Error(`netconsole maxSenders must be >= 1, got ${this.maxSenders}`);
  }

  /** Bind the socket and start the expiry timer. Resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    if (this.socket) return this.socket.address();
    const sock = createSocket({ type: this.listen.family, reuseAddr: false });
    sock.on('message', (msg, rinfo) => {
      try {
        this.ingest(msg, rinfo);
      } catch (err) {
        // A parser bug must not take the receiver down: log it, drop the packet.
        this.log('error', 'netconsole: packet handling failed', {
          error: (err as Error).stack,
          sender: rinfo.address,
        });
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(
          new Error(`bind netconsole udp://${this.listen.host}:${this.listen.port}: ${err.message}`, {
            cause: err,
          }),
        );
      sock.once('error', onError);
      sock.bind(this.listen.port, this.listen.host, () => {
        sock.off('error', onError);
        resolve();
      });
    });
    // Only now: a bind failure is the one error start() rejects with, not a second one on 'error'.
    sock.on('error', (err) =>
      this.emit('error', new Error(`netconsole socket: ${err.message}`, { cause: err })),
    );
    try {
      sock.setRecvBufferSize(this.recvBufferBytes);
    } catch (err) {
      this.log('warn', 'netconsole: could not enlarge the socket receive buffer; bursts may be dropped', {
        error: (err as Error).message,
      });
    }
    this.socket = sock;
    this.socketId = { port: sock.address().port, family: this.listen.family };
    this.dropsBase = await readUdpDrops(this.socketId);
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
    this.log('info', 'netconsole receiver listening', { ...sock.address() });
    return sock.address();
  }

  /** Stop listening, close every open incident (recorded, endedBy "shutdown") and wait for the writes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const sock = this.socket;
    this.socket = undefined;
    if (sock) await new Promise<void>((resolve) => sock.close(() => resolve()));
    const now = this.now();
    for (const s of this.senders.values()) this.flushSender(s, now, 'shutdown');
    await this.settled();
    // One last attempt for incidents held back by failed writes; what still fails is reported, not dropped
    // silently.
    if (this.unstoredCount > 0) {
      this.retryAt = 0;
      await this.drainUnstored();
      if (this.unstoredCount > 0) {
        const left = [this.inFlight, ...this.incidentQueue.entries().map((e) => e.event)].filter(
          (i): i is PanicIncident => i !== undefined,
        );
        this.incidentQueue.addDropped('unspecified', left.length);
        this.log('error', 'netconsole: incidents could not be recorded before shutdown', {
          ids: left.map((i) => i.id),
        });
        this.inFlight = undefined;
        this.incidentQueue.clear();
      }
    }
  }

  /** Resolves when every incident detected so far has been recorded (or is waiting for a retry). */
  async settled(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }

  /** Handle one datagram. Public so tests and other transports can feed packets directly. */
  ingest(buf: Buffer, rinfo: Pick<RemoteInfo, 'address' | 'port'>, now = this.now()): void {
    // Per address, not per port: a flooder picks its source ports freely.
    if (!this.senderRate.take(rinfo.address, now)) {
      this.rateLimited.sender++;
      return;
    }
    if (!this.globalRate.take(now)) {
      this.rateLimited.global++;
      return;
    }
    const s = this.sender(rinfo.address, rinfo.port, now);
    s.lastSeen = now;
    this.feed(s, s.stream.ingest(buf, now), now);
    this.enforceBudget(now);
  }

  /** Expire held lines and idle incidents. Called by the timer; public for tests with a fake clock. */
  tick(now = this.now()): void {
    for (const s of [...this.senders.values()]) {
      this.feed(s, s.stream.expire(now), now);
      for (const r of s.assembler.expire(now)) this.record(s, r, undefined);
      if (!s.assembler.open && s.stream.idle && now - s.lastSeen > this.senderIdleForgetMs) this.forget(s);
    }
    if (this.unstoredCount > 0 && !this.writing && now >= this.retryAt) this.track(this.drainUnstored());
    if (this.socketId && now - this.dropsReadAt >= 1_000) {
      this.dropsReadAt = now;
      void this.refreshSocketDrops();
    }
  }

  private async refreshSocketDrops(): Promise<void> {
    if (!this.socketId) return;
    const v = await readUdpDrops(this.socketId);
    if (v === undefined) return;
    this.dropsBase ??= v;
    this.socketDrops = Math.max(this.socketDrops, v - this.dropsBase);
  }

  stats(): ReceiverStats {
    const drops = this.incidentQueue.stats();
    const stream = { ...this.retired };
    let buffered = 0;
    for (const s of this.senders.values()) {
      addCounters(stream, s.stream.counters);
      buffered += s.stream.bufferedBytes + s.assembler.bufferedBytes;
    }
    return {
      senders: this.senders.size,
      sendersEvicted: this.evicted,
      bufferedBytes: buffered,
      incidents: this.incidents,
      incidentsByKind: { ...this.byKind },
      storeErrors: this.storeErrors,
      unstored: this.unstoredCount,
      incidentsLost: drops.droppedTotal,
      incidentDrops: drops.dropped,
      duplicateIncidents: this.duplicateIncidents,
      rateLimited: { ...this.rateLimited },
      socketDrops: this.socketDrops,
      corruptRecords: this.store?.corrupt ?? 0,
      stream,
    };
  }

  /** Recorded incidents, newest first: from the store when there is one, else the in-memory recent list. */
  async listIncidents(opts: ListOptions = {}): Promise<PanicIncident[]> {
    if (this.store) return this.store.list(opts);
    return filterIncidents(
      this.incidentQueue.entries().map((e) => e.event),
      opts,
    );
  }

  /** Incidents not yet in the store (the one being written included); 0 without a store. */
  private get unstoredCount(): number {
    if (!this.store) return 0;
    return this.incidentQueue.size + (this.inFlight ? 1 : 0);
  }

  /** The bounded node label for metrics: a configured node name, else "unknown". */
  metricNodeLabel(incident: Pick<PanicIncident, 'sender'>): string {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(incident.sender);
    if (!m) return this.nodeNames.metricLabel(incident.sender);
    return this.nodeNames.metricLabel(m[1] as string, Number(m[2]));
  }

  // ----------------------------------------------------------------------------------------------------

  private sender(address: string, port: number, now: number): SenderState {
    const addr = normalizeAddress(address);
    const key = formatSender(addr, port);
    const hit = this.senders.get(key);
    if (hit) {
      // Map iteration order is insertion order: re-inserting makes this the most recently used.
      this.senders.delete(key);
      this.senders.set(key, hit);
      return hit;
    }
    while (this.senders.size >= this.maxSenders) {
      const oldest = this.senders.values().next().value as SenderState;
      this.evict(oldest, now);
    }
    const s: SenderState = {
      key,
      address: addr,
      port,
      node: this.nodeNames.resolve(addr, port),
      stream: new SenderStream(this.limits),
      assembler: new ReportAssembler({
        kinds: INCIDENT_KIND_SET,
        idleGapMs: this.idleTimeoutMs,
        maxLines: this.maxIncidentLines,
        maxBytes: this.maxIncidentBytes,
      }),
      lastSeen: now,
    };
    this.senders.set(key, s);
    return s;
  }

  private feed(s: SenderState, lines: StreamLine[], _now: number): void {
    for (const line of lines) {
      const meta: { tsUsec?: number; seq?: number; level?: number } = {};
      if (line.tsUsec !== undefined) meta.tsUsec = line.tsUsec;
      if (line.seq !== undefined) meta.seq = line.seq;
      if (line.level !== undefined) meta.level = line.level;
      for (const r of s.assembler.push(line.text, line.receivedAt, meta)) this.record(s, r, undefined);
    }
  }

  private enforceBudget(now: number): void {
    let total = 0;
    for (const s of this.senders.values()) total += s.stream.bufferedBytes + s.assembler.bufferedBytes;
    while (total > this.maxTotalBufferedBytes && this.senders.size > 0) {
      const oldest = this.senders.values().next().value as SenderState;
      total -= oldest.stream.bufferedBytes + oldest.assembler.bufferedBytes;
      this.evict(oldest, now);
    }
  }

  /** Drop a sender to make room; whatever incident it had open is recorded, not lost. */
  private evict(s: SenderState, now: number): void {
    this.evicted++;
    this.flushSender(s, now, 'evicted');
    this.forget(s);
  }

  private forget(s: SenderState): void {
    addCounters(this.retired, s.stream.counters);
    this.senders.delete(s.key);
  }

  private flushSender(s: SenderState, now: number, why: 'shutdown' | 'evicted'): void {
    this.feed(s, s.stream.flush(now), now);
    for (const r of s.assembler.flush()) this.record(s, r, why);
  }

  private record(s: SenderState, r: AssembledReport, endedBy: 'shutdown' | 'evicted' | undefined): void {
    const incident = toIncident(s, r, endedBy);
    // The same incident repeated (another source port, a resend, a sender evicted and heard again) is one
    // incident: one record, one count, one webhook delivery.
    if (this.seenIds.has(incident.id)) {
      this.duplicateIncidents++;
      this.rememberId(incident.id);
      return;
    }
    if (!this.store) {
      this.rememberId(incident.id);
      this.incidentQueue.push(incident);
      this.announce(incident);
      return;
    }
    // Remembered first: a refused incident (policy newest) is forgotten again by onDrop.
    this.rememberId(incident.id);
    if (this.incidentQueue.push(incident) === 'dropped') return;
    if (!this.writing && this.now() >= this.retryAt) this.track(this.drainUnstored());
  }

  private track(p: Promise<void>): void {
    this.pendingWrites.add(p);
    void p.finally(() => this.pendingWrites.delete(p));
  }

  private rememberId(id: string): void {
    this.seenIds.delete(id);
    this.seenIds.add(id);
    if (this.seenIds.size > this.dedupeIds) this.seenIds.delete(this.seenIds.values().next().value as string);
  }

  /** Write the unstored incidents in order; stop at the first failure and schedule a retry. */
  private async drainUnstored(): Promise<void> {
    const store = this.store;
    if (!store || this.writing) return;
    this.writing = true;
    try {
      for (;;) {
        const incident = this.inFlight ?? this.incidentQueue.shift()?.event;
        if (!incident) break;
        this.inFlight = incident;
        try {
          await store.append(incident);
        } catch (err) {
          this.storeErrors++;
          this.retryDelayMs = Math.min(
            10_000,
            this.retryDelayMs > 0 ? this.retryDelayMs * 2 : this.storeRetryMs,
          );
          this.retryAt = this.now() + this.retryDelayMs;
          this.log('error', 'netconsole: could not record incident; will retry', {
            id: incident.id,
            waiting: this.unstoredCount,
            retryInMs: this.retryDelayMs,
            error: (err as Error).message,
          });
          return;
        }
        this.inFlight = undefined;
        this.retryDelayMs = 0;
        this.retryAt = 0;
        this.announce(incident);
      }
    } finally {
      this.writing = false;
    }
  }

  private announce(incident: PanicIncident): void {
    this.incidents++;
    this.byKind[incident.kind] = (this.byKind[incident.kind] ?? 0) + 1;
    this.log('warn', 'netconsole: kernel incident', {
      id: incident.id,
      node: incident.node,
      kind: incident.kind,
      reason: incident.reason,
    });
    this.emit('incident', incident);
  }
}

export function toIncident(
  s: Pick<SenderState, 'address' | 'port' | 'node'>,
  r: AssembledReport,
  endedBy?: 'shutdown' | 'evicted',
): PanicIncident {
  const time = new Date(r.firstTimeMs).toISOString();
  const kind = r.kind as IncidentKind;
  const incident: PanicIncident = {
    id: incidentId(s.node, kind, r.line, r.meta.tsUsec ?? time),
    time,
    node: s.node,
    sender: formatSender(s.address, s.port),
    kind,
    reason: r.line,
    triggers: r.triggers,
    context: r.context,
    truncated: r.truncated,
    endedBy: endedBy ?? r.endedBy,
  };
  if (r.meta.tsUsec !== undefined) incident.kernelTimeUs = r.meta.tsUsec;
  if (r.meta.seq !== undefined) incident.seq = r.meta.seq;
  return incident;
}

function addCounters(into: StreamCounters, from: StreamCounters): void {
  for (const k of Object.keys(into) as (keyof StreamCounters)[]) into[k] += from[k];
}
