// Client side of GET /findings, for `kerno doctor --from http://host:9090`: fetch the daemon's last
// diagnosis window as a Report (the `doctor --output json` schema). Every failure is one line that says
// what went wrong and what to check.

import { SCHEMA_VERSION } from '../signals.js';
import type { Report } from '../doctor/types.js';

export type DaemonClientErrorKind =
  'bad_url' | 'unreachable' | 'timeout' | 'unauthorized' | 'not_ready' | 'http' | 'not_json' | 'schema';

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

export interface FetchFindingsOptions {
  /** Bearer token when the daemon has `daemon.metrics_token_file` set. */
  token?: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Test seam. */
  fetch?: typeof fetch;
}

/**
 * "host:9090", "http://host:9090", "http://host:9090/" → "http://host:9090/findings"; a URL with another
 * path is used as given (a reverse proxy may mount the daemon elsewhere).
 */
export function findingsUrl(input: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim()) ? input.trim() : `http://${input.trim()}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new DaemonClientError(
      `--from: "${input}" is not a URL (expected e.g. http://10.0.0.5:9090)`,
      'bad_url',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new DaemonClientError(`--from: "${input}": only http:// and https:// are supported`, 'bad_url');
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/findings';
  return u.toString();
}

function networkReason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
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
        default:
          return code;
      }
    }
    e = (e as { cause?: unknown }).cause;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The `error`/`message` field of a JSON error body, if any. */
function bodyMessage(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = v.message ?? v.error;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

export async function fetchFindings(url: string, opts: FetchFindingsOptions = {}): Promise<Report> {
  const target = findingsUrl(url);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const doFetch = opts.fetch ?? fetch;
  const where = `kerno daemon at ${target}`;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;

  let res: Response;
  let text: string;
  try {
    res = await doFetch(target, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    text = await res.text();
  } catch (err) {
    if ((err as { name?: string }).name === 'TimeoutError')
      throw new DaemonClientError(`${where}: no answer within ${timeoutMs / 1000}s`, 'timeout', {
        cause: err,
      });
    throw new DaemonClientError(`${where}: ${networkReason(err)}`, 'unreachable', { cause: err });
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
    const detail = bodyMessage(text);
    const hint = res.status === 404 ? ' (no /findings endpoint: is this a kerno daemon?)' : '';
    throw new DaemonClientError(`${where}: HTTP ${res.status}${detail ? `: ${detail}` : ''}${hint}`, 'http');
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const type = res.headers.get('content-type') ?? 'no content type';
    throw new DaemonClientError(
      `${where}: the answer is not JSON (${type}): is this a kerno daemon?`,
      'not_json',
    );
  }
  return checkReport(body, where);
}

function checkReport(body: unknown, where: string): Report {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new DaemonClientError(
      `${where}: the answer is not a kerno report (expected a JSON object)`,
      'schema',
    );
  const r = body as Partial<Report>;
  if (r.schemaVersion !== SCHEMA_VERSION) {
    const got =
      r.schemaVersion === undefined ? 'no schemaVersion' : `schemaVersion ${JSON.stringify(r.schemaVersion)}`;
    throw new DaemonClientError(
      `${where}: report has ${got}; this kerno reads schemaVersion ${SCHEMA_VERSION} (run the same kerno version on both sides)`,
      'schema',
    );
  }
  if (
    !Array.isArray(r.findings) ||
    typeof r.summary !== 'object' ||
    r.summary === null ||
    !Array.isArray(r.coverage)
  )
    throw new DaemonClientError(
      `${where}: the answer is not a kerno report (findings/summary/coverage missing)`,
      'schema',
    );
  return r as Report;
}
