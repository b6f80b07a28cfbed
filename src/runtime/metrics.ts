// Supervisor metrics, collected on scrape: every value is read from Supervisor.states() when Prometheus
// asks, so the supervisor stays the single source of truth and nothing here can drift from it.
// Labels are bounded — the collector name only. Fault reasons go to the log and panic records, never into a
// label (the original's `reason` label carried raw panic strings: unbounded cardinality). The one exception
// is kerno_events_dropped_total's `reason`, a closed set of four (DROP_REASONS).

import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CollectorStatus } from './types.js';
import { DROP_REASONS, dropBreakdown, registerDropSource } from '../events/stream.js';
import type { ProgramCounters } from '../bpf/run-stats.js';

export const runtimeMetricNames = [
  'kerno_collector_panics_total',
  'kerno_collector_restarts_total',
  'kerno_collector_disabled',
  'kerno_collector_up',
  'kerno_events_dropped_total',
] as const;

export interface RuntimeStateSource {
  states(): CollectorStatus[];
}

/** Register the supervisor's metrics on `registry` (never the global one). Throws on duplicate names. */
export function registerRuntimeMetrics(registry: Registry, supervisor: RuntimeStateSource): void {
  const labelNames = ['collector'] as const;
  // A scrape runs every metric's collect() in one synchronous pass; reading states() once for that pass
  // gives all five metrics one consistent view (and calls each collector's stats() once).
  let cached: CollectorStatus[] | undefined;
  const states = (): CollectorStatus[] => {
    if (!cached) {
      cached = supervisor.states();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
  const counter = (name: string, help: string, value: (s: CollectorStatus) => number): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        // Counters are rebuilt from the supervisor's monotonic totals on every scrape.
        this.reset();
        for (const s of states()) this.inc({ collector: s.name }, value(s));
      },
    });
  };
  const gauge = (name: string, help: string, value: (s: CollectorStatus) => number): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of states()) this.set({ collector: s.name }, value(s));
      },
    });
  };

  counter(
    'kerno_collector_panics_total',
    'Collector faults caught by the supervisor (reason in the log).',
    (s) => s.faults,
  );
  counter(
    'kerno_collector_restarts_total',
    'Collector restarts from a fresh instance after a fault.',
    (s) => s.restarts,
  );
  gauge(
    'kerno_collector_disabled',
    '1 when the collector is disabled for the process lifetime (breaker or policy).',
    (s) => (s.state === 'disabled' ? 1 : 0),
  );
  gauge('kerno_collector_up', '1 when the collector is attached and producing data.', (s) =>
    s.state === 'attached' ? 1 : 0,
  );
  // Shared with other streams (netconsole): declared in event-stream.ts, fed here by reason.
  registerDropSource(registry, () =>
    states().flatMap((s) => {
      const drops = s.eventsDroppedByReason ?? dropBreakdown(s.eventsDropped);
      return DROP_REASONS.map((reason) => ({ collector: s.name, reason, value: drops[reason] }));
    }),
  );
}

export const selfCostMetricNames = [
  'kerno_bpf_program_runs_total',
  'kerno_bpf_program_run_seconds_total',
  'kerno_bpf_program_recursion_misses_total',
] as const;

/**
 * kerno's own BPF cost, read from the kernel at scrape time (bpf_prog_info of every program this process has
 * loaded). `program` is "object/program": a fixed set, one series per program kerno ships. A collector that
 * restarts reloads its programs and their counters start again from 0, which Prometheus reads as a counter
 * reset. Run time is counted only while BPF statistics are enabled (the collection holds them on).
 */
export function registerSelfCostMetrics(registry: Registry, read: () => Map<number, ProgramCounters>): void {
  let cached: ProgramCounters[] | undefined;
  const programs = (): ProgramCounters[] => {
    if (!cached) {
      cached = [...read().values()];
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
  const counter = (name: string, help: string, value: (p: ProgramCounters) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['program'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of programs()) this.inc({ program: `${p.object}/${p.program}` }, value(p));
      },
    });
  };
  counter('kerno_bpf_program_runs_total', "Times each of kerno's BPF programs ran.", (p) => p.runs);
  counter(
    'kerno_bpf_program_run_seconds_total',
    "CPU time spent in each of kerno's BPF programs (kernel run-time statistics).",
    (p) => p.runTimeNs / 1e9,
  );
  counter(
    'kerno_bpf_program_recursion_misses_total',
    'Events the kernel skipped for a program because it was already running on that CPU.',
    (p) => p.recursionMisses,
  );
}
