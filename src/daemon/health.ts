// /healthz and /readyz (reference §5.2, issue #8). Liveness says the process is alive and what it has
// loaded; readiness says whether this instance should receive scrapes: at least one BPF program loaded
// and not shutting down. A partial load is ready, and there is deliberately no "events must be flowing"
// rule — an idle host is healthy, and a readiness that waits for events takes /metrics offline exactly
// when nothing is happening (PR #82 review). Pure functions of the daemon's state, so the state machine is
// tested without sockets.

import type { CollectorState, CollectorStatus } from '../runtime/types.js';

/** starting: collectors loading · running: started · shutting_down: SIGTERM/SIGINT received. */
export type DaemonPhase = 'starting' | 'running' | 'shutting_down';

export interface HealthState {
  phase: DaemonPhase;
  version: string;
  /** Seconds since the daemon started. */
  uptime: number;
  collectors: readonly CollectorStatus[];
}

export interface CollectorHealth {
  name: string;
  state: CollectorState;
  restarts: number;
  faults: number;
  hint?: string;
}

export interface ProbeAnswer<T> {
  status: number;
  body: T;
}

export interface HealthBody {
  status: 'ok';
  version: string;
  uptime: number;
  programs_loaded: number;
  programs_total: number;
  collectors: CollectorHealth[];
}

export interface ReadyBody {
  status: 'ready' | 'not_ready' | 'shutting_down';
  programs_loaded: number;
  programs_total: number;
  uptime: number;
  /** Why not ready, in words (absent when ready). */
  reason?: string;
  collectors: CollectorHealth[];
}

function programs(collectors: readonly CollectorStatus[]): { loaded: number; total: number } {
  let loaded = 0;
  let total = 0;
  for (const c of collectors) {
    loaded += c.programsLoaded;
    total += c.programsTotal;
  }
  return { loaded, total };
}

function collectorHealth(c: CollectorStatus): CollectorHealth {
  const out: CollectorHealth = { name: c.name, state: c.state, restarts: c.restarts, faults: c.faults };
  if (c.hint !== undefined) out.hint = c.hint;
  return out;
}

/** GET /healthz: always 200 while the process can answer. */
export function healthz(s: HealthState): ProbeAnswer<HealthBody> {
  const p = programs(s.collectors);
  return {
    status: 200,
    body: {
      status: 'ok',
      version: s.version,
      uptime: s.uptime,
      programs_loaded: p.loaded,
      programs_total: p.total,
      collectors: s.collectors.map(collectorHealth),
    },
  };
}

/** GET /readyz: 200 when ≥ 1 program is loaded and the daemon is not shutting down, else 503. */
export function readyz(s: HealthState): ProbeAnswer<ReadyBody> {
  const p = programs(s.collectors);
  const base = {
    programs_loaded: p.loaded,
    programs_total: p.total,
    uptime: s.uptime,
    collectors: s.collectors.map(collectorHealth),
  };
  if (s.phase === 'shutting_down')
    return { status: 503, body: { status: 'shutting_down', ...base, reason: 'shutdown in progress' } };
  if (p.loaded === 0) {
    const reason =
      s.phase === 'starting'
        ? 'collectors are still loading'
        : `no BPF program loaded (0 of ${p.total}); see collectors[].hint`;
    return { status: 503, body: { status: 'not_ready', ...base, reason } };
  }
  return { status: 200, body: { status: 'ready', ...base } };
}
