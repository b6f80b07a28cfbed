// Prometheus metrics for the netconsole receiver and the webhook sink, registered on a registry the caller
// owns (never the global one). kerno_node_kernel_panics_total counts recorded incidents; its node label is a
// configured node name or "unknown", so senders outside the map cannot grow the series set. Receiver and
// sink counters are read from their stats() at scrape time (collect-on-scrape) and fed to the counters as
// increments, so they stay monotonic without timers.

import { Counter, Gauge, type Registry } from 'prom-client';
import { INCIDENT_KINDS } from './incident.js';
import type { NetconsoleReceiver } from './receiver.js';
import type { WebhookSink } from './webhook.js';
import type { IncidentK8sLinker } from './k8s-link.js';
import { DROP_REASONS, registerDropSource } from '../events/stream.js';

export const NETCONSOLE_METRIC_NAMES = [
  'kerno_node_kernel_panics_total',
  'kerno_netconsole_packets_total',
  'kerno_netconsole_packets_rejected_total',
  'kerno_netconsole_duplicates_total',
  'kerno_netconsole_incomplete_records_total',
  'kerno_netconsole_senders',
  'kerno_netconsole_senders_evicted_total',
  'kerno_netconsole_buffered_bytes',
  'kerno_netconsole_store_errors_total',
  'kerno_netconsole_store_corrupt_records',
  'kerno_netconsole_incidents_unstored',
  'kerno_netconsole_incidents_lost_total',
  'kerno_netconsole_duplicate_incidents_total',
  'kerno_netconsole_packets_dropped_total',
] as const;

export const WEBHOOK_METRIC_NAMES = [
  'kerno_panic_webhook_delivered_total',
  'kerno_panic_webhook_dropped_total',
  'kerno_panic_webhook_failures_total',
  'kerno_panic_webhook_rejected_total',
  'kerno_panic_webhook_queue_depth',
] as const;

/** Turns a monotonic source value into the increment since the last scrape. */
function monotonic(read: () => number): () => number {
  let last = 0;
  return () => {
    const v = read();
    const delta = v > last ? v - last : 0;
    last = Math.max(last, v);
    return delta;
  };
}

export function registerNetconsoleMetrics(registry: Registry, receiver: NetconsoleReceiver): void {
  // The incident queue is one of kerno's event streams: its drops join kerno_events_dropped_total.
  registerDropSource(registry, () => {
    const drops = receiver.stats().incidentDrops;
    return DROP_REASONS.map((reason) => ({ collector: 'netconsole', reason, value: drops[reason] }));
  });
  const panics = new Counter({
    name: 'kerno_node_kernel_panics_total',
    help: 'Kernel incidents (panic, oops, BUG, GPF, soft/hard lockup, hung task) received over netconsole, by node and kind',
    labelNames: ['node', 'kind'],
    registers: [registry],
  });
  // Configured nodes start at zero so an alert on increase() sees the first incident.
  for (const node of receiver.nodeNames.names())
    for (const kind of INCIDENT_KINDS) panics.inc({ node, kind }, 0);
  receiver.on('incident', (incident) =>
    panics.inc({ node: receiver.metricNodeLabel(incident), kind: incident.kind }),
  );

  const stats = () => receiver.stats();
  const packets = monotonic(() => stats().stream.packets);
  new Counter({
    name: 'kerno_netconsole_packets_total',
    help: 'UDP datagrams received by the netconsole receiver',
    registers: [registry],
    collect() {
      this.inc(packets());
    },
  });
  const rejected = {
    empty: monotonic(() => stats().stream.rejectedEmpty),
    oversized: monotonic(() => stats().stream.rejectedOversized),
    binary: monotonic(() => stats().stream.rejectedBinary),
  };
  new Counter({
    name: 'kerno_netconsole_packets_rejected_total',
    help: 'Datagrams discarded as empty, oversized or binary garbage',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, delta] of Object.entries(rejected)) this.inc({ reason }, delta());
    },
  });
  const dups = monotonic(() => stats().stream.duplicates);
  new Counter({
    name: 'kerno_netconsole_duplicates_total',
    help: 'Duplicate lines or fragments suppressed',
    registers: [registry],
    collect() {
      this.inc(dups());
    },
  });
  const incomplete = monotonic(() => stats().stream.incompleteRecords);
  new Counter({
    name: 'kerno_netconsole_incomplete_records_total',
    help: 'Extended records released with fragments missing (packet loss)',
    registers: [registry],
    collect() {
      this.inc(incomplete());
    },
  });
  new Gauge({
    name: 'kerno_netconsole_senders',
    help: 'Senders currently tracked',
    registers: [registry],
    collect() {
      this.set(stats().senders);
    },
  });
  const evicted = monotonic(() => stats().sendersEvicted);
  new Counter({
    name: 'kerno_netconsole_senders_evicted_total',
    help: 'Senders evicted to honour the sender-table or memory bound',
    registers: [registry],
    collect() {
      this.inc(evicted());
    },
  });
  new Gauge({
    name: 'kerno_netconsole_buffered_bytes',
    help: 'Bytes buffered across senders (partial lines, fragments, reorder hold, open incidents)',
    registers: [registry],
    collect() {
      this.set(stats().bufferedBytes);
    },
  });
  const storeErrors = monotonic(() => stats().storeErrors);
  new Counter({
    name: 'kerno_netconsole_store_errors_total',
    help: 'Failed writes to the incident store (the incident is kept and retried)',
    registers: [registry],
    collect() {
      this.inc(storeErrors());
    },
  });
  new Gauge({
    name: 'kerno_netconsole_store_corrupt_records',
    help: 'Lines of panics.jsonl that are not valid records and are skipped when it is read',
    registers: [registry],
    collect() {
      this.set(stats().corruptRecords);
    },
  });
  new Gauge({
    name: 'kerno_netconsole_incidents_unstored',
    help: 'Incidents waiting to be written to the incident store (after a failed write)',
    registers: [registry],
    collect() {
      this.set(stats().unstored);
    },
  });
  const lost = monotonic(() => stats().incidentsLost);
  new Counter({
    name: 'kerno_netconsole_incidents_lost_total',
    help: 'Incidents dropped because too many were waiting for the store, or unstored at shutdown (logged with ids)',
    registers: [registry],
    collect() {
      this.inc(lost());
    },
  });
  const dupIncidents = monotonic(() => stats().duplicateIncidents);
  new Counter({
    name: 'kerno_netconsole_duplicate_incidents_total',
    help: 'Incidents whose id was already recorded (repeats from other source ports or resends): not recorded again',
    registers: [registry],
    collect() {
      this.inc(dupIncidents());
    },
  });
  const dropped = {
    rate_sender: monotonic(() => stats().rateLimited.sender),
    rate_global: monotonic(() => stats().rateLimited.global),
    socket_buffer: monotonic(() => stats().socketDrops),
  };
  new Counter({
    name: 'kerno_netconsole_packets_dropped_total',
    help: 'Datagrams dropped: over the per-sender or global rate limit, or by the kernel with the socket buffer full',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, delta] of Object.entries(dropped)) this.inc({ reason }, delta());
    },
  });
}

export const K8S_LINK_METRIC_NAMES = [
  'kerno_netconsole_k8s_calls_total',
  'kerno_netconsole_k8s_incidents_total',
  'kerno_netconsole_k8s_queue_depth',
] as const;

/** `--netconsole-k8s`: API calls by operation and outcome, incidents by how they were linked. */
export function registerK8sLinkMetrics(registry: Registry, linker: IncidentK8sLinker): void {
  // Label values come from fixed sets (operations and error kinds in src/k8s/api.ts), never from the API.
  const seen = new Map<string, number>();
  new Counter({
    name: 'kerno_netconsole_k8s_calls_total',
    help: 'Kubernetes API calls made to link kernel incidents, by operation and outcome (ok, exists, forbidden, timeout …)',
    labelNames: ['op', 'outcome'],
    registers: [registry],
    collect() {
      for (const [key, v] of Object.entries(linker.stats().calls)) {
        const [op, outcome] = key.split(' ') as [string, string];
        const delta = v - (seen.get(key) ?? 0);
        if (delta > 0) this.inc({ op, outcome }, delta);
        seen.set(key, Math.max(v, seen.get(key) ?? 0));
      }
    },
  });
  const seenIncidents = new Map<string, number>();
  new Counter({
    name: 'kerno_netconsole_k8s_incidents_total',
    help: 'Kernel incidents by Kubernetes link outcome: mapped to a Node, unknown_node, api_error, dropped (queue full), store_error',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      for (const [outcome, v] of Object.entries(linker.stats().incidents)) {
        const delta = v - (seenIncidents.get(outcome) ?? 0);
        if (delta > 0) this.inc({ outcome }, delta);
        seenIncidents.set(outcome, Math.max(v, seenIncidents.get(outcome) ?? 0));
      }
    },
  });
  new Gauge({
    name: 'kerno_netconsole_k8s_queue_depth',
    help: 'Kernel incidents waiting to be linked to Kubernetes',
    registers: [registry],
    collect() {
      this.set(linker.stats().queued);
    },
  });
}

export function registerWebhookMetrics(registry: Registry, sink: WebhookSink): void {
  const counter = (name: string, help: string, read: () => number) => {
    const feed = monotonic(read);
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.inc(feed());
      },
    });
  };
  counter(
    'kerno_panic_webhook_delivered_total',
    'Incidents delivered to the panic webhook',
    () => sink.stats().delivered,
  );
  counter(
    'kerno_panic_webhook_dropped_total',
    'Incidents dropped from the in-memory webhook queue (re-read from the store later)',
    () => sink.stats().dropped,
  );
  counter(
    'kerno_panic_webhook_failures_total',
    'Failed webhook delivery attempts (retried)',
    () => sink.stats().failures,
  );
  counter(
    'kerno_panic_webhook_rejected_total',
    'Incidents the webhook receiver refused with a 4xx (skipped)',
    () => sink.stats().rejected,
  );
  new Gauge({
    name: 'kerno_panic_webhook_queue_depth',
    help: 'Incidents waiting in memory for webhook delivery',
    registers: [registry],
    collect() {
      this.set(sink.stats().queued);
    },
  });
}
