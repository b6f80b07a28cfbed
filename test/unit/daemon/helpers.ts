// Test doubles and HTTP helpers for the daemon's unit tests. FakeCollection stands in for the Collection
// (collector code), never for the kernel; HTTP goes over real loopback sockets.

import { execFile } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { CollectorMetrics } from '../../../src/collectors/types.js';
import type { DaemonCollection } from '../../../src/daemon/daemon.js';
import type { CollectorStatus } from '../../../src/runtime/types.js';
import { SCHEMA_VERSION, type Signals } from '../../../src/signals/types.js';

export function status(name: string, over: Partial<CollectorStatus> = {}): CollectorStatus {
  return {
    name,
    state: 'attached',
    policy: 'restart',
    restarts: 0,
    faults: 0,
    abandoned: 0,
    since: 0,
    programsLoaded: 2,
    programsTotal: 2,
    events: 0,
    eventsDropped: 0,
    ...over,
  };
}

export function emptySignals(): Signals {
  return {
    schemaVersion: SCHEMA_VERSION,
    windowStart: '2026-01-01T00:00:00.000Z',
    windowEnd: '2026-01-01T00:00:02.000Z',
    durationNs: 2e9,
    host: { hostname: 'test', kernelRelease: '6.18', arch: 'x86_64', bootId: 'b' },
    coverage: [],
  } as Signals;
}

/** A deferred promise. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export class FakeCollection implements DaemonCollection {
  collectors: CollectorStatus[];
  metricsData = new Map<string, CollectorMetrics>();
  metricsCalls = 0;
  snapshotCalls = 0;
  resetCalls = 0;
  stopCalls = 0;
  startGate: Promise<void> | undefined;
  metricsGate: Promise<void> | undefined;
  onMetricsCalled: (() => void) | undefined;
  readonly defs = [
    { name: 'syscall', bpf: true },
    { name: 'memory', bpf: false },
  ];
  readonly supervisor: { fatal: Promise<never> };
  #failFatal!: (err: Error) => void;

  constructor(
    collectors: CollectorStatus[] = [
      status('syscall'),
      status('memory', { programsLoaded: 0, programsTotal: 0 }),
    ],
  ) {
    this.collectors = collectors;
    const fatal = new Promise<never>((_, reject) => (this.#failFatal = reject));
    fatal.catch(() => {});
    this.supervisor = { fatal };
  }

  failFast(err: Error): void {
    this.#failFatal(err);
  }

  async start(): Promise<void> {
    await this.startGate;
  }

  states(): CollectorStatus[] {
    return this.collectors.map((c) => ({ ...c }));
  }

  async metrics(): Promise<Map<string, CollectorMetrics>> {
    this.metricsCalls++;
    this.onMetricsCalled?.();
    await this.metricsGate;
    return this.metricsData;
  }

  async snapshot(): Promise<Signals> {
    this.snapshotCalls++;
    return emptySignals();
  }

  async reset(): Promise<void> {
    this.resetCalls++;
  }

  async stop(): Promise<void> {
    this.stopCalls++;
  }
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no keep-alive pool shared between tests). */
export function http(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${url}: no answer within 10 s`)));
    req.end();
  });
}

/**
 * A raw keep-alive connection: write requests whenever you like (pipelining), read everything the server
 * sent until it closes the connection.
 */
export function rawConnection(port: number) {
  const sock = connect(port, '127.0.0.1');
  let data = '';
  sock.setEncoding('utf8');
  sock.on('data', (c: string) => (data += c));
  const closed = new Promise<string>((resolve) => sock.on('close', () => resolve(data)));
  sock.on('error', () => {});
  const connected = new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  return {
    connected,
    get(path: string): void {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    },
    closed,
    destroy: () => sock.destroy(),
  };
}

/** `promtool check metrics` over an exposition; resolves with its exit code and output. */
export function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, output: stdout + stderr });
    });
    child.stdin!.end(text);
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of a Prometheus text exposition. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(m[2] ?? ''); l; l = re.exec(m[2] ?? ''))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

/** Samples named `name` whose labels include `match`. */
export function samples(all: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
