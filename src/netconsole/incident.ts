// A kernel incident seen on the wire from one node: what the store records, GET /panics lists and the
// webhook posts. `id` is stable — a hash of node, kind, opening line and timestamp — so a receiver of the
// webhook can deduplicate at-least-once deliveries, and two kerno receivers fed by the same node (the
// kernel's own timestamp is used when the sender has one) compute the same id for the same incident.

import { createHash } from 'node:crypto';
import type { KernelEventKind } from '../kernel-log/classify.js';
import type { ReportEnd } from '../kernel-log/assembler.js';

/** The report kinds that make a netconsole incident. */
export const INCIDENT_KINDS = [
  'panic',
  'oops',
  'bug',
  'gpf',
  'soft_lockup',
  'hung_task',
  'hard_lockup',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export const INCIDENT_KIND_SET: ReadonlySet<KernelEventKind> = new Set<KernelEventKind>(INCIDENT_KINDS);

export interface PanicIncident {
  id: string;
  /** Receive time of the opening line, RFC 3339. */
  time: string;
  /** Node name from the configured sender map, else the sender address. */
  node: string;
  /** Sender "address:port" ("[v6]:port" for IPv6). */
  sender: string;
  kind: IncidentKind;
  /** The opening line: the root cause ("BUG: kernel NULL pointer dereference, address: …"). */
  reason: string;
  /** Every report-announcing line in order (e.g. the BUG, the Oops, the "Kernel panic - not syncing"). */
  triggers: string[];
  /** The lines after the reason: CPU/PID/Comm, RIP, registers, call trace … */
  context: string[];
  /** True when the context hit the line/byte bound. */
  truncated: boolean;
  endedBy: ReportEnd | 'shutdown' | 'evicted';
  /** Kernel time of the opening line (µs since the node booted), when the sender stamps lines. */
  kernelTimeUs?: number;
  /** Sequence number of the opening record (extended format only). */
  seq?: number;
  /**
   * The Kubernetes link (`--netconsole-k8s`): recorded as a second record of the same id once the Node and
   * its pods are known; absent on the first record and without the feature.
   */
  k8s?: IncidentK8s;
}

export interface IncidentK8s {
  /** The Node whose address sent the incident; null when none has it (or the API could not be asked). */
  node: string | null;
  /** Which address of the Node matched: InternalIP, else ExternalIP. */
  matchedBy?: string;
  /** Why node is null, or why the pods are missing. */
  reason?: string;
  /** The `--netconsole-nodes` name for the address when it names another node (the API's answer is kept). */
  nodeMapName?: string;
  /** The pods on the node when the incident was linked (bounded). */
  pods?: { namespace: string; name: string; uid: string; containers: string[]; phase?: string }[];
  /** Pods listed but not recorded (over the bound). */
  podsOmitted?: number;
  /** With `--netconsole-k8s-writes`. */
  writes?: {
    podsAnnotated: number;
    /** Pods deleted between the list and the patch (404): skipped. */
    podsGone: number;
    eventsCreated: number;
    /** Events already there: a redelivered incident. */
    eventsExisting: number;
    nodeAnnotated: boolean;
    /** Distinct failures (one line each), at most 5. */
    errors?: string[];
  };
  /** When the link was made, RFC 3339. */
  at: string;
}

export function incidentId(node: string, kind: string, reason: string, timestamp: string | number): string {
  return createHash('sha256').update(`${node}\n${kind}\n${reason}\n${timestamp}`).digest('hex').slice(0, 32);
}

export function isIncidentKind(value: unknown): value is IncidentKind {
  return typeof value === 'string' && (INCIDENT_KINDS as readonly string[]).includes(value);
}

/** Shape check for records read back from disk or received over HTTP (never trust a file blindly). */
export function isPanicIncident(value: unknown): value is PanicIncident {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.time === 'string' &&
    typeof v.node === 'string' &&
    typeof v.sender === 'string' &&
    isIncidentKind(v.kind) &&
    typeof v.reason === 'string' &&
    Array.isArray(v.context) &&
    v.context.every((l) => typeof l === 'string')
  );
}
