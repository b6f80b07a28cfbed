// The daemon's HTTP server (node:http): a fixed table of GET routes, optional bearer auth per route, and a
// fault boundary per request — a handler that throws answers 500 and the server keeps serving. Timeouts are
// set so a slow or stuck client cannot hold a connection forever. close() drains: the listening socket
// closes, idle keep-alive connections are closed at once, in-flight requests finish (a probe pipelined on a
// busy connection sees readiness 503) and anything still open after the grace period is cut.

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import type { Logger } from '../runtime/log.js';
import type { ListenAddress } from '../util/listen-address.js';
import type { AuthResult } from './auth.js';

export interface RequestInfo {
  method: 'GET' | 'HEAD';
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type RouteHandler = (req: RequestInfo) => HttpReply | Promise<HttpReply>;

export interface Route {
  handler: RouteHandler;
  /** Requires the bearer token when auth is enabled (data endpoints; never the probes). */
  auth?: boolean;
}

export interface Authenticator {
  readonly enabled: boolean;
  check(header: string | undefined): AuthResult;
}

export interface DaemonServerOptions {
  routes: Readonly<Record<string, Route>>;
  logger: Logger;
  auth?: Authenticator;
  /** Whole request (headers and body) must arrive within this. Default 30 s. */
  requestTimeoutMs?: number;
  /** Headers must arrive within this (slowloris). Default 10 s. */
  headersTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this. Default 5 s. */
  keepAliveTimeoutMs?: number;
  /** Called once per answered request (metrics); `route` is the matched path or "unknown". */
  onResponse?: (route: string, status: number) => void;
}

/** http://host:port for a bound address (brackets for IPv6). */
export function urlOf(addr: AddressInfo): string {
  const host = isIPv6(addr.address) ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

/** A JSON reply. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body) + '\n',
  };
}

const ALLOWED = 'GET, HEAD';

export class DaemonServer {
  readonly #server: Server;
  readonly #opts: DaemonServerOptions;
  readonly #routes: Map<string, Route>;
  #closing: Promise<void> | undefined;

  constructor(opts: DaemonServerOptions) {
    this.#opts = opts;
    this.#routes = new Map(Object.entries(opts.routes));
    const requestTimeout = opts.requestTimeoutMs ?? 30_000;
    const headersTimeout = Math.min(opts.headersTimeoutMs ?? 10_000, requestTimeout);
    // Node enforces both timeouts only when it sweeps its connections, every 30 s by default: a silent
    // client was cut after 23-41 s instead of 10 s. Sweeping at a tenth of the header timeout keeps the
    // documented bound within 10 %.
    this.#server = createServer(
      { connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 10))) },
      (req, res) => void this.#handle(req, res),
    );
    this.#server.requestTimeout = requestTimeout;
    this.#server.headersTimeout = headersTimeout;
    // Node's header timer starts with the first byte: a connection that never sends one is held forever.
    // Bound the time from connect to the first complete request head the same way.
    const firstRequest = new WeakMap<Socket, ReturnType<typeof setTimeout>>();
    this.#server.on('connection', (sock: Socket) => {
      const timer = setTimeout(() => sock.destroy(), headersTimeout);
      timer.unref();
      firstRequest.set(sock, timer);
      sock.once('close', () => clearTimeout(timer));
    });
    this.#server.on('request', (req: IncomingMessage) => clearTimeout(firstRequest.get(req.socket)));
    this.#server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  }

  /** Bind; rejects with a one-line error ("listen 127.0.0.1:9733: address already in use"). */
  async listen(address: ListenAddress): Promise<AddressInfo> {
    const label = `${address.host === undefined ? '' : address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why =
          err.code === 'EADDRINUSE'
            ? 'address already in use'
            : err.code === 'EACCES'
              ? 'permission denied'
              : err.code === 'EADDRNOTAVAIL'
                ? 'address not available on this host'
                : err.message;
        reject(new Error(`listen ${label}: ${why}${err.code ? ` (${err.code})` : ''}`, { cause: err }));
      };
      this.#server.once('error', onError);
      this.#server.listen({ host: address.host, port: address.port }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    this.#server.on('error', (err) => this.#opts.logger.error('http server error', { error: err.message }));
    return this.#server.address() as AddressInfo;
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  /**
   * Stop accepting, close idle keep-alive connections, let in-flight requests finish for up to `graceMs`,
   * then cut whatever is left. Idempotent; never rejects.
   */
  close(graceMs = 1_500): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (!this.#server.listening) return resolve();
      const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
      timer.unref();
      this.#server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#server.closeIdleConnections();
    });
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // GET/HEAD carry no body we want; drain anything sent so the connection stays usable.
    req.resume();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const route = this.#routes.get(path);
    const routeName = route ? path : 'unknown';
    const method = req.method ?? 'GET';
    let reply: HttpReply;
    try {
      if (!route) {
        reply = json(404, { error: `not found: ${path}`, endpoints: [...this.#routes.keys()] });
      } else if (method !== 'GET' && method !== 'HEAD') {
        reply = json(405, { error: `method ${method} not allowed on ${path}` }, { Allow: ALLOWED });
      } else {
        const denied = route.auth ? this.#authorize(req) : undefined;
        reply =
          denied ??
          (await route.handler({
            method,
            path,
            query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)),
            headers: req.headers,
          }));
      }
    } catch (err) {
      this.#opts.logger.error('http handler failed', {
        path,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      reply = json(500, { error: 'internal error (see the kerno log)' });
    }
    this.#write(req, res, reply);
    try {
      this.#opts.onResponse?.(routeName, reply.status);
    } catch {
      // Metrics must never break a response that is already out.
    }
  }

  #authorize(req: IncomingMessage): HttpReply | undefined {
    const auth = this.#opts.auth;
    if (!auth?.enabled) return undefined;
    // X-Kerno-Authorization: the Kubernetes API server's pod proxy (`kubectl kerno`) strips the caller's
    // Authorization header after using it for itself, so the daemon's token travels in this one instead.
    const alt = req.headers['x-kerno-authorization'];
    const result = auth.check(req.headers.authorization ?? (Array.isArray(alt) ? alt[0] : alt));
    if (result === 'ok') return undefined;
    const challenge =
      result === 'missing' ? 'Bearer realm="kerno"' : 'Bearer realm="kerno", error="invalid_token"';
    return json(
      401,
      { error: result === 'missing' ? 'bearer token required' : 'invalid bearer token' },
      { 'WWW-Authenticate': challenge },
    );
  }

  #write(req: IncomingMessage, res: ServerResponse, reply: HttpReply): void {
    if (res.headersSent || res.destroyed) return;
    const body =
      reply.body === undefined
        ? Buffer.alloc(0)
        : Buffer.isBuffer(reply.body)
          ? reply.body
          : Buffer.from(reply.body);
    res.statusCode = reply.status;
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // While draining, a connection is closed as soon as it has nothing left to answer (a request already
    // pipelined behind this one is still answered — with readiness 503 — before it goes).
    if (this.#closing) res.once('finish', () => setImmediate(() => this.#server.closeIdleConnections()));
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
