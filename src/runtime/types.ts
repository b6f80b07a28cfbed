// Supervisor state as seen from outside: health endpoints, the live UI, metrics and report coverage all
// read these shapes (one source of truth: Supervisor.states()).

import type { FailurePolicy } from '../config/failure-policy.js';
import type { ErrorKind } from './classify-error.js';
import type { DropCounts } from '../events/stream.js';

export type { FailurePolicy };

/**
 *   loading    — factory built, start() in flight
 *   attached   — started; snapshots are taken
 *   failed     — could not start (privileges, BTF, verifier …) or fail_fast fault; not retried
 *   restarting — faulted; waiting out the backoff before a fresh instance starts
 *   disabled   — circuit breaker open, or isolate policy; off for the process lifetime
 *   stopped    — stopAll() ran
 */
export type CollectorState = 'loading' | 'attached' | 'failed' | 'restarting' | 'disabled' | 'stopped';

export interface CollectorStatus {
  name: string;
  state: CollectorState;
  policy: FailurePolicy;
  /** Restarts begun since the process started. */
  restarts: number;
  /** Runtime faults (start after a restart, loop, snapshot, reset, timeouts) since the process started. */
  faults: number;
  /** Message of the latest error (no stack), when there was one. */
  lastError?: string;
  /** Plain-language reason and fix for `failed` / `disabled` / `restarting`. */
  hint?: string;
  errorKind?: ErrorKind;
  /** Instances abandoned because start or stop hung past its timeout (they are no longer waited on). */
  abandoned: number;
  /** Epoch ms of the last state change. */
  since: number;
  /** Epoch ms at which a `restarting` collector starts again. */
  nextRestartAt?: number;
  programsLoaded: number;
  programsTotal: number;
  /** Cumulative across every instance built for this collector (monotonic, for counters). */
  events: number;
  eventsDropped: number;
  /** `eventsDropped` by reason (adds up to it). Set by the supervisor; absent in hand-built statuses. */
  eventsDroppedByReason?: DropCounts;
  /** Cumulative events sampled out (not lost). */
  eventsSampledOut?: number;
}
