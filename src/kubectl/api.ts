// GETs against the Kubernetes API server with a kubeconfig's credentials: the few reads `kubectl kerno`
// needs (a node, a pod, pod lists, the token Secret). Plain node:https: no client library for four GETs.
// One deadline per request, a size cap, and failures as one line naming the path and the API server's
// own Status message.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ClientTls } from '../daemon/client.js';
import { sanitizeRemoteText } from '../daemon/client.js';
import type { ClusterAccess } from './kubeconfig.js';

/** A pod list of a large cluster is a few MiB; past this something is wrong. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    /** HTTP status, 0 when there was no answer. */
    readonly status: number,
  ) {
    super(message);
  }
}

export interface KubeApi {
  readonly server: string;
  /** Headers and TLS settings a request to the API server needs (for the daemon client). */
  readonly headers: Record<string, string>;
  readonly tls: ClientTls;
  /** GET a JSON object; non-2xx → KubeApiError with the Status message. */
  getJson<T>(path: string): Promise<T>;
}

export function kubeApi(access: ClusterAccess, timeoutMs = 10_000): KubeApi {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (access.token !== undefined) headers.Authorization = `Bearer ${access.token}`;
  const tls: ClientTls = { rejectUnauthorized: !access.insecureSkipTlsVerify };
  if (access.ca) tls.ca = access.ca;
  if (access.cert) tls.cert = access.cert;
  if (access.key) tls.key = access.key;
  if (access.tlsServerName) tls.servername = access.tlsServerName;
  return {
    server: access.server,
    headers,
    tls,
    async getJson<T>(path: string): Promise<T> {
      const { status, body } = await get(`${access.server}${path}`, headers, tls, timeoutMs);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new KubeApiError(
          `API server ${access.server}: GET ${path}: HTTP ${status}: the answer is not JSON (is this a Kubernetes API server?)`,
          status,
        );
      }
      if (status < 200 || status > 299) {
        const msg = (parsed as { message?: unknown }).message;
        throw new KubeApiError(
          `API server ${access.server}: GET ${path}: HTTP ${status}${typeof msg === 'string' ? `: ${sanitizeRemoteText(msg)}` : ''}`,
          status,
        );
      }
      return parsed as T;
    },
  };
}

function reason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `TLS: the server's certificate is not signed by the kubeconfig's certificate-authority (${err.code})`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "TLS: the server's certificate does not name this host (ERR_TLS_CERT_ALTNAME_INVALID)";
    default:
      return sanitizeRemoteText(err.code ?? err.message);
  }
}

function get(
  url: string,
  headers: Record<string, string>,
  tls: ClientTls,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const path = u.pathname + u.search;
  const where = `API server ${u.origin}: GET ${path}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: Error | undefined, v?: { status: number; body: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(v!);
    };
    const timer = setTimeout(
      () => done(new KubeApiError(`${where}: no answer within ${timeoutMs / 1000}s`, 0)),
      timeoutMs,
    );
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { method: 'GET', headers, ...tls })
        : httpRequest(u, { method: 'GET', headers });
    req.on('error', (err: NodeJS.ErrnoException) => done(new KubeApiError(`${where}: ${reason(err)}`, 0)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES)
          return done(new KubeApiError(`${where}: the answer is larger than 64 MiB`, res.statusCode ?? 0));
        chunks.push(c);
      });
      res.on('end', () =>
        done(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (err: NodeJS.ErrnoException) => done(new KubeApiError(`${where}: ${reason(err)}`, 0)));
    });
    req.end();
  });
}
