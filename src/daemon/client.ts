// Client side of GET /findings, for `kerno doctor --from http://host:9733`: fetch the daemon's last
// diagnosis window as a Report (the `doctor --output json` schema). Every failure is one line that says
// what went wrong and what to check. The other end is not trusted: one deadline covers the whole exchange
// (connect, headers and a body that may drip), the body is capped, the report is validated against
// docs/report.schema.json before anything renders it, redirects are refused (not followed), and text the
// server sends back is stripped of control characters and cut short before it reaches the terminal.
// node:http rather than fetch(): fetch refuses "bad ports" (6666, 6667 …) a daemon may listen on, and
// reports every failure as "fetch failed".

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as z from 'zod';
import reportSchemaJson from '../../docs/report.schema.json' with { type: 'json' };
import { SCHEMA_VERSION } from '../signals/types.js';
import type { Report } from '../doctor/types.js';
import { formatBytes } from '../util/bytes.js';

export type DaemonClientErrorKind =
  | 'bad_url'
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'not_ready'
  | 'http'
  | 'not_json'
  | 'schema'
  | 'too_large';

export class DaemonClientError extends Error {
  override readonly name = 'DaemonClientError';
  constructor(
    message: string,
    readonly kind: DaemonClientErrorKind,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A report is a few hundred KiB at most; a body past this is refused, not buffered. */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;
/** Of an error answer only the start is read: it is shown as one short line anyway. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Longest server-provided text shown in an error line. */
export const MAX_REMOTE_TEXT = 200;

export interface FetchFindingsOptions {
  /** Bearer token when the daemon has `daemon.metrics_token_file` set. */
  token?: string;
  /** Deadline for the whole exchange (connect, headers, body). Default 10 s. */
  timeoutMs?: number;
  /** Default MAX_REPORT_BYTES (tests lower it). */
  maxBytes?: number;
  /**
   * Header that carries the daemon's token (default Authorization). Through the Kubernetes API server's
   * pod proxy it is X-Kerno-Authorization: the API server consumes and strips the caller's Authorization.
   */
  tokenHeader?: string;
  /** Further request headers (the API server's own Authorization for `kubectl kerno`). */
  headers?: Record<string, string>;
  /** TLS settings for an https:// URL (the API server's CA and client certificate). */
  tls?: ClientTls;
  /** Names the other end in error lines instead of "kerno daemon at <url>". */
  label?: string;
}

export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/**
 * "host:9733", "http://host:9733", "http://host:9733/" → "http://host:9733/findings"; a URL with another
 * path is used as given (a reverse proxy may mount the daemon elsewhere).
 */
export function findingsUrl(input: string): string {
  if (input.trim() === '')
    throw new DaemonClientError('--from: empty URL (expected e.g. http://10.0.0.5:9733)', 'bad_url');
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim()) ? input.trim() : `http://${input.trim()}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new DaemonClientError(
      `--from: "${sanitizeRemoteText(input)}" is not a URL (expected e.g. http://10.0.0.5:9733)`,
      'bad_url',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new DaemonClientError(
      `--from: "${sanitizeRemoteText(input)}": only http:// and https:// are supported`,
      'bad_url',
    );
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/findings';
  return u.toString();
}

/**
 * Text from the other end, made safe for one terminal line: escape sequences and control characters
 * removed (the server must not drive the terminal), whitespace runs folded, at most MAX_REMOTE_TEXT chars.
 */
export function sanitizeRemoteText(text: string, max = MAX_REMOTE_TEXT): string {
  /* eslint-disable no-control-regex -- matching control characters is the point */
  const clean = text
    // CSI / OSC / other ESC sequences first, so their parameters do not survive as text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '')
    .replace(/\x1b[@-_]?/g, '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  /* eslint-enable no-control-regex */
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function networkReason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    // Happy eyeballs (localhost → ::1 and 127.0.0.1) fails with an AggregateError of both attempts.
    const first = (e as { errors?: unknown[] }).errors?.[0];
    const code = (e as { code?: unknown }).code ?? (first as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') {
      switch (code) {
        case 'ECONNREFUSED':
          return 'connection refused (is `kerno start` running and listening on that address?)';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return 'host not found';
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
          return 'host unreachable';
        case 'ECONNRESET':
          return 'connection reset by the server';
        case 'ETIMEDOUT':
          return 'connection timed out';
        case 'EPROTO':
        case 'ERR_SSL_WRONG_VERSION_NUMBER':
          return 'TLS handshake failed (is it http:// rather than https://?)';
        case 'HPE_INVALID_CONSTANT':
        case 'HPE_INVALID_STATUS':
        case 'HPE_INVALID_HEADER_TOKEN':
          return 'the answer is not HTTP (is this a kerno daemon?)';
        default:
          return code;
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return sanitizeRemoteText(err instanceof Error ? err.message : String(err));
}

/** The `error`/`message` field of a JSON error body, else the start of the text; sanitized. */
function bodyMessage(text: string, jsonOnly = true): string | undefined {
  try {
    const v = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = v.message ?? v.error;
    if (typeof m === 'string') return sanitizeRemoteText(m) || undefined;
  } catch {
    // not JSON
  }
  return jsonOnly ? undefined : sanitizeRemoteText(text) || undefined;
}

interface RawAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The body was longer than read (error answers are read only in part). */
  cut: boolean;
}

/** GET with one deadline for everything; the body is read up to `maxBytes` (or refused past it). */
function get(
  target: string,
  headers: Record<string, string>,
  timeoutMs: number,
  maxBytes: number,
  where: string,
  tls: ClientTls = {},
): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const u = new URL(target);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (err: Error | undefined, answer?: RawAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(answer as RawAnswer);
    };
    const timer = setTimeout(
      () =>
        finish(new DaemonClientError(`${where}: no complete answer within ${timeoutMs / 1000}s`, 'timeout')),
      timeoutMs,
    );
    const req = send(u, { method: 'GET', headers, ...(u.protocol === 'https:' ? tls : {}) });
    req.on('error', (err) =>
      finish(new DaemonClientError(`${where}: ${networkReason(err)}`, 'unreachable', { cause: err })),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const ok = status === 200;
      const cap = ok ? maxBytes : Math.min(maxBytes, MAX_ERROR_BODY_BYTES);
      const tooLarge = (): void =>
        finish(
          new DaemonClientError(
            `${where}: the answer is larger than ${formatBytes(maxBytes)}; a kerno report is far smaller`,
            'too_large',
          ),
        );
      const declared = Number(res.headers['content-length']);
      if (ok && Number.isFinite(declared) && declared > maxBytes) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > cap) {
          if (ok) return tooLarge();
          chunks.push(chunk.subarray(0, chunk.length - (size - cap)));
          return finish(undefined, { status, headers: res.headers, body: Buffer.concat(chunks), cut: true });
        }
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(undefined, { status, headers: res.headers, body: Buffer.concat(chunks), cut: false }),
      );
      res.on('error', (err) =>
        finish(new DaemonClientError(`${where}: ${networkReason(err)}`, 'unreachable', { cause: err })),
      );
      res.on('aborted', () =>
        finish(new DaemonClientError(`${where}: the connection closed mid-answer`, 'unreachable')),
      );
    });
    req.end();
  });
}

export async function fetchFindings(url: string, opts: FetchFindingsOptions = {}): Promise<Report> {
  const target = findingsUrl(url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const where = opts.label ?? `kerno daemon at ${sanitizeRemoteText(target)}`;
  const headers: Record<string, string> = { ...opts.headers, Accept: 'application/json' };
  if (opts.token !== undefined) headers[opts.tokenHeader ?? 'Authorization'] = `Bearer ${opts.token}`;

  const res = await get(target, headers, timeoutMs, opts.maxBytes ?? MAX_REPORT_BYTES, where, opts.tls);
  const text = res.body.toString('utf8');
  if (res.status !== 200) throwIfKubeStatus(res.status, text, where);

  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.location;
    throw new DaemonClientError(
      `${where}: HTTP ${res.status} redirect${to ? ` to ${sanitizeRemoteText(to)}` : ''}: kerno does not follow redirects; pass the daemon's own address`,
      'http',
    );
  }
  if (res.status === 401) {
    const msg =
      opts.token === undefined
        ? 'a bearer token is required (the daemon has a metrics token file; pass it with --token-file)'
        : 'the bearer token was rejected';
    throw new DaemonClientError(`${where}: 401 Unauthorized: ${msg}`, 'unauthorized');
  }
  if (res.status === 503) {
    throw new DaemonClientError(
      `${where}: not ready: ${bodyMessage(text) ?? 'no diagnosis window has completed yet'}`,
      'not_ready',
    );
  }
  if (res.status !== 200) {
    const detail = bodyMessage(text, false);
    const hint = res.status === 404 ? ' (no /findings endpoint: is this a kerno daemon?)' : '';
    throw new DaemonClientError(`${where}: HTTP ${res.status}${detail ? `: ${detail}` : ''}${hint}`, 'http');
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const type = sanitizeRemoteText(String(res.headers['content-type'] ?? 'no content type'));
    throw new DaemonClientError(
      `${where}: the answer is not JSON (${type}): is this a kerno daemon?`,
      'not_json',
    );
  }
  return checkReport(body, where);
}

/**
 * A Kubernetes API server answers for itself (its own auth, RBAC, a pod it cannot reach: 503 "error trying
 * to reach service") with a v1 Status object; the daemon never sends one. Said as the API server's words,
 * not as the daemon's ("not ready").
 */
function throwIfKubeStatus(status: number, text: string, where: string): void {
  let v: { kind?: unknown; apiVersion?: unknown; message?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    return;
  }
  if (v === null || typeof v !== 'object' || v.kind !== 'Status' || v.apiVersion !== 'v1') return;
  const msg = typeof v.message === 'string' ? sanitizeRemoteText(v.message) : '';
  const kind: DaemonClientErrorKind =
    status === 502 || status === 503 || status === 504
      ? 'unreachable'
      : status === 401 || status === 403
        ? 'unauthorized'
        : 'http';
  throw new DaemonClientError(`${where}: API server: HTTP ${status}${msg ? `: ${msg}` : ''}`, kind);
}

let reportSchema: z.ZodType | undefined;

function checkReport(body: unknown, where: string): Report {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new DaemonClientError(
      `${where}: the answer is not a kerno report (expected a JSON object)`,
      'schema',
    );
  const r = body as Partial<Report>;
  if (r.schemaVersion !== SCHEMA_VERSION) {
    const got =
      r.schemaVersion === undefined
        ? 'no schemaVersion'
        : `schemaVersion ${sanitizeRemoteText(JSON.stringify(r.schemaVersion), 40)}`;
    throw new DaemonClientError(
      `${where}: report has ${got}; this kerno reads schemaVersion ${SCHEMA_VERSION} (run the same kerno version on both sides)`,
      'schema',
    );
  }
  reportSchema ??= z.fromJSONSchema(reportSchemaJson as Parameters<typeof z.fromJSONSchema>[0]);
  const parsed = reportSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    const more =
      parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
    throw new DaemonClientError(
      `${where}: invalid report: ${sanitizeRemoteText(field, 80)}: ${sanitizeRemoteText(issue?.message ?? 'invalid')}${more}`,
      'schema',
    );
  }
  return body as Report;
}
