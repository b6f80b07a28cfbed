// One GET of the kubelet's /pods (port 10250): the pods of this node, from the node itself, without the API
// server (which would need a watch and a list RBAC on every pod of the cluster). Authenticated with the pod's
// service-account token; the token file is re-read on every request because projected tokens are rotated.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { parsePodList, PodListError, type PodIndex } from './pod-list.js';

/** Why a request gave no pod list; each kind is one line in the report's coverage. */
export type KubeletErrorKind =
  | 'config' // no URL, token or CA to use
  | 'unauthorized' // 401: token missing, expired or not accepted
  | 'forbidden' // 403: token accepted, no RBAC for nodes/proxy
  | 'http' // another non-200 status
  | 'timeout'
  | 'unreachable' // connection refused, no route, name not resolved
  | 'tls' // certificate not trusted / wrong name
  | 'bad_response'; // not a PodList, or too large

export class KubeletError extends Error {
  constructor(
    readonly kind: KubeletErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KubeletError';
  }
}

export interface KubeletClientOptions {
  /** https://<node>:10250 (a path, if any, is replaced by /pods). */
  url: string;
  tokenFile?: string;
  /** PEM bundle trusted for the kubelet's serving certificate; the system roots when unset. */
  caFile?: string;
  /** Kubelet serving certificates are often self-signed per node; this trusts any (and says so). */
  insecureSkipTlsVerify?: boolean;
  timeoutMs: number;
  /** Body size bound: a larger answer is refused rather than buffered. */
  maxBytes?: number;
  maxPods?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** GET /pods and index it. Rejects with a KubeletError only; never takes longer than timeoutMs. */
export async function fetchPods(opts: KubeletClientOptions): Promise<PodIndex> {
  let url: URL;
  try {
    url = new URL('/pods', opts.url);
  } catch {
    throw new KubeletError('config', `kubelet URL ${JSON.stringify(opts.url)} is not a URL`);
  }
  if (url.protocol !== 'https:')
    throw new KubeletError('config', `kubelet URL ${url.origin} is not https (port 10250 serves TLS only)`);
  const token = opts.tokenFile !== undefined ? await readSecret(opts.tokenFile, 'token') : undefined;
  const ca = opts.caFile !== undefined ? await readSecret(opts.caFile, 'CA') : undefined;
  const body = await get(url, { ...opts, token, ca });
  try {
    return parsePodList(body, opts.maxPods);
  } catch (err) {
    if (err instanceof PodListError) throw new KubeletError('bad_response', err.message);
    throw err;
  }
}

async function readSecret(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new KubeletError('config', `cannot read the kubelet ${what} file ${path}: ${code}`);
  }
  if (text.trim() === '') throw new KubeletError('config', `the kubelet ${what} file ${path} is empty`);
  return what === 'token' ? text.trim() : text;
}

function get(
  url: URL,
  opts: KubeletClientOptions & { token: string | undefined; ca: string | undefined },
): Promise<string> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: KubeletError | undefined, body?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(body!);
    };
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
    const req = https.request(
      url,
      {
        method: 'GET',
        headers,
        ca: opts.ca,
        rejectUnauthorized: opts.insecureSkipTlsVerify !== true,
        // A fresh connection per refresh (every TTL): no idle socket held open to the kubelet between them.
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          finish(statusError(status, url));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            finish(
              new KubeletError('bad_response', `${url.origin}/pods: answer larger than ${maxBytes} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, Buffer.concat(chunks).toString('utf8')));
        res.on('error', (err) => finish(transportError(err, url)));
      },
    );
    const timer = setTimeout(
      () => finish(new KubeletError('timeout', `${url.origin}/pods: no answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    timer.unref();
    req.on('error', (err) => finish(transportError(err, url)));
    req.end();
  });
}

function statusError(status: number, url: URL): KubeletError {
  if (status === 401)
    return new KubeletError(
      'unauthorized',
      `${url.origin}/pods: 401 Unauthorized (service-account token missing or rejected)`,
      status,
    );
  if (status === 403)
    return new KubeletError(
      'forbidden',
      `${url.origin}/pods: 403 Forbidden (the service account needs get on nodes/proxy)`,
      status,
    );
  return new KubeletError('http', `${url.origin}/pods: HTTP ${status}`, status);
}

function transportError(err: Error, url: URL): KubeletError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (UNREACHABLE_CODES.has(code)) return new KubeletError('unreachable', `${url.origin}: ${code}`);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/.test(code) || /certificate/i.test(err.message))
    return new KubeletError('tls', `${url.origin}: TLS: ${code || err.message}`);
  return new KubeletError('unreachable', `${url.origin}: ${code || err.message}`);
}
