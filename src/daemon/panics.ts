// The daemon side of the netconsole receiver (src/netconsole): with `--netconsole-listen` the daemon binds
// the UDP socket, records incidents in <state-dir>/panics.jsonl, exports their metrics and, with
// `daemon.webhook_url`, posts them. GET /panics lists recorded incidents, newest first — from the
// receiver's store when it runs, else straight from the state directory (a node that receives nothing
// still answers, with what an earlier run recorded). With `--netconsole-k8s` each recorded incident is also
// linked to its Kubernetes Node and pods (src/netconsole/k8s-link.ts) and recorded again with that link.

import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { createKubeApi } from '../k8s/api.js';
import {
  IncidentK8sLinker,
  IncidentStore,
  listIncidentsDetailed,
  NetconsoleReceiver,
  NodeNameMap,
  registerK8sLinkMetrics,
  registerNetconsoleMetrics,
  registerWebhookMetrics,
  WebhookSink,
  type ListOptions,
  type PanicIncident,
} from '../netconsole/index.js';
import { isIncidentKind } from '../netconsole/incident.js';
import type { Logger } from '../runtime/log.js';
import { parseDuration } from '../util/duration.js';
import { json, type HttpReply, type RequestInfo } from './server.js';

export const PANICS_DEFAULT_LIMIT = 100;
export const PANICS_MAX_LIMIT = 1000;

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

/**
 * ?limit=N (1…1000, default 100) &node=NAME &kind=panic|oops|… &since=RFC3339-or-duration ("1h" = the last
 * hour). Throws QueryError with a one-line reason.
 */
export function panicsQuery(q: URLSearchParams, now = Date.now()): ListOptions {
  const opts: ListOptions = { limit: PANICS_DEFAULT_LIMIT };
  const limit = q.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > PANICS_MAX_LIMIT)
      throw new QueryError(`limit: expected an integer between 1 and ${PANICS_MAX_LIMIT}, got "${limit}"`);
    opts.limit = n;
  }
  const node = q.get('node');
  if (node !== null && node !== '') opts.node = node;
  const kind = q.get('kind');
  if (kind !== null && kind !== '') {
    if (!isIncidentKind(kind)) throw new QueryError(`kind: unknown incident kind "${kind}"`);
    opts.kind = kind;
  }
  const since = q.get('since');
  if (since !== null && since !== '') {
    const t = Date.parse(since);
    if (Number.isFinite(t) && /^\d{4}-/.test(since)) {
      opts.sinceMs = t;
    } else {
      try {
        opts.sinceMs = now - parseDuration(since) / 1e6;
      } catch {
        throw new QueryError(`since: expected an RFC 3339 time or a duration such as "1h", got "${since}"`);
      }
    }
  }
  return opts;
}

export type IncidentLister = (opts: ListOptions) => Promise<PanicIncident[]>;

/**
 * `corrupt` says how many lines of the store could not be read as records: the answer carries it as
 * `corruptRecords` so a damaged file is never mistaken for "no incidents".
 */
export function panicsHandler(
  list: IncidentLister,
  corrupt: () => number = () => 0,
): (req: RequestInfo) => Promise<HttpReply> {
  return async (req) => {
    let opts: ListOptions;
    try {
      opts = panicsQuery(req.query);
    } catch (err) {
      if (err instanceof QueryError) return json(400, { error: err.message });
      throw err;
    }
    const incidents = await list(opts);
    return json(200, { count: incidents.length, corruptRecords: corrupt(), incidents });
  };
}

export interface PanicReceiver {
  list: IncidentLister;
  /** Corrupt lines of the store file, as of the last read. */
  corrupt(): number;
  /** Bound UDP address, when the receiver runs. */
  address?: string;
  stop(): Promise<void>;
}

/**
 * Starts the receiver (and the webhook) when configured; otherwise returns a lister over the state
 * directory. Rejects with a one-line error when the socket cannot bind or the store cannot open.
 */
export async function startPanicReceiver(
  config: Config,
  registry: Registry,
  logger: Logger,
): Promise<PanicReceiver> {
  const { netconsole_listen: listen, state_dir: stateDir, webhook_url: webhookUrl } = config.daemon;
  if (!listen) {
    if (webhookUrl)
      logger.warn('daemon.webhook_url is set but daemon.netconsole_listen is not: no incidents to post', {
        webhook_url: webhookUrl,
      });
    let corrupt = 0;
    return {
      list: async (opts) => {
        const r = await listIncidentsDetailed(stateDir, opts);
        if (r.corrupt > corrupt)
          logger.warn('netconsole: corrupt records in the incident store were skipped', {
            file: `${stateDir}/panics.jsonl`,
            corrupt: r.corrupt,
          });
        corrupt = r.corrupt;
        return r.incidents;
      },
      corrupt: () => corrupt,
      stop: async () => {},
    };
  }
  const log = logger.child({ component: 'netconsole' });
  const logFn = (
    level: 'debug' | 'info' | 'warn' | 'error',
    msg: string,
    fields?: Record<string, unknown>,
  ): void => log.log(level, msg, fields);
  const store = await IncidentStore.open(stateDir);
  const warnCorrupt = (n: number): void => {
    if (n > 0)
      log.warn('corrupt records in the incident store are skipped', { file: store.path, corrupt: n });
  };
  warnCorrupt(store.corrupt);
  store.on('corrupt', warnCorrupt);
  let receiver: NetconsoleReceiver | undefined;
  let sink: WebhookSink | undefined;
  let linker: IncidentK8sLinker | undefined;
  try {
    const nodeNames = new NodeNameMap(config.daemon.netconsole_nodes);
    if (config.daemon.netconsole_k8s) {
      const api = await createKubeApi({
        timeoutMs: Math.max(1, Math.round(config.daemon.netconsole_k8s_timeout / 1e6)),
        ...(config.daemon.netconsole_k8s_kubeconfig !== undefined
          ? { kubeconfig: config.daemon.netconsole_k8s_kubeconfig }
          : {}),
      });
      linker = new IncidentK8sLinker({
        api,
        store,
        nodeNames,
        writes: config.daemon.netconsole_k8s_writes,
        log: (level, msg, fields) => log.log(level, msg, fields),
      });
      registerK8sLinkMetrics(registry, linker);
      log.info('netconsole: incidents are linked to Kubernetes Nodes and pods', {
        writes: config.daemon.netconsole_k8s_writes,
      });
    }
    receiver = new NetconsoleReceiver({
      listen,
      nodeNames,
      store,
      maxSenders: config.daemon.netconsole_max_senders,
      maxIncidentLines: config.daemon.netconsole_max_incident_lines,
      maxIncidentBytes: config.daemon.netconsole_max_incident_bytes,
      maxTotalBufferedBytes: config.daemon.netconsole_max_buffered_bytes,
      events: { queueSize: config.events.queue_size, dropPolicy: config.events.drop_policy },
      log: logFn,
    });
    // An 'error' event without a listener would throw from the emitter; the receiver keeps running.
    receiver.on('error', (err) => log.error('netconsole receiver error', { error: err.message }));
    registerNetconsoleMetrics(registry, receiver);
    const l = linker;
    if (l) receiver.on('incident', (incident) => l.enqueue(incident));
    const bound = await receiver.start();
    if (webhookUrl) {
      sink = new WebhookSink({ url: webhookUrl, store, stateDir, log: logFn });
      registerWebhookMetrics(registry, sink);
      await sink.start();
    }
    const r = receiver;
    const s = sink;
    return {
      list: (opts) => r.listIncidents(opts),
      corrupt: () => store.corrupt,
      address: `udp://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
      async stop() {
        await r.stop();
        // The link under way finishes (each call is bounded by its deadline and retries); queued ones are
        // given up: their incidents are recorded.
        await l?.stop();
        await s?.stop();
        await store.close();
      },
    };
  } catch (err) {
    await receiver?.stop().catch(() => {});
    await sink?.stop().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}
