// A collection session: builds the enabled collectors under the supervisor, runs a window, and assembles
// the Signals snapshot (with coverage for collectors that are off by configuration). Shared by
// `kerno signals`, `kerno doctor` and the daemon, so all three see the same data the same way.
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { CollectorCoverage, Signals } from '../signals/types.js';
import { collectorDefs, type CollectorDef } from '../collectors/registry.js';
import type { CollectorMetrics, LiveReading } from '../collectors/types.js';
import { assembleSignals } from '../signals/assemble.js';
import { hostInfo } from '../collectors/procfs/host.js';
import { Supervisor } from './supervisor.js';
import type { Logger } from './log.js';
import { faultSpecFromEnv } from './fault-inject.js';
import { resolvePanicDir } from './panic-record.js';
import type { CollectorStatus } from './types.js';
import { VERSION } from '../version.js';
import type { EventStreamSettings } from '../events/stream.js';
import { enrichSignals } from '../k8s/enrich.js';
import { nameMetrics, setUpKubernetes, type KubernetesSetup } from './kubernetes.js';
import { CostWindow, RunStatsHandle, programCounters } from '../bpf/run-stats.js';
import { registerSelfCostMetrics } from './metrics.js';
import type { SelfCost } from '../signals/types.js';

export interface CollectionOptions {
  config: Config;
  logger: Logger;
  registry?: Registry;
  env?: NodeJS.ProcessEnv;
}

export class Collection {
  readonly supervisor: Supervisor;
  readonly defs: CollectorDef[];
  readonly enabled: CollectorDef[];
  #windowStartMs = Date.now();
  #windowStartNs = process.hrtime.bigint();
  readonly #kubernetes: KubernetesSetup;
  #runStats: RunStatsHandle | undefined;
  #cost: CostWindow | undefined;

  constructor(private readonly opts: CollectionOptions) {
    const { config, logger } = opts;
    const env = opts.env ?? process.env;
    this.#kubernetes = setUpKubernetes(config, env);
    this.defs = collectorDefs({
      cgroupRoot: config.cgroup_root ?? env.KERNO_CGROUP_ROOT,
      events: eventStreamSettings(config),
    });
    this.enabled = this.defs.filter((d) => config.collectors[d.name] !== false);
    this.supervisor = new Supervisor({
      logger,
      registry: opts.registry,
      version: VERSION,
      panicDir: resolvePanicDir(config.runtime.panic_dir, env),
      defaultPolicy: config.runtime.failure_policy.default,
      policies: config.runtime.failure_policy.overrides as Record<
        string,
        Config['runtime']['failure_policy']['default']
      >,
      startTimeoutMs: config.runtime.start_timeout / 1e6,
      stopTimeoutMs: config.runtime.stop_timeout / 1e6,
      faultInject: faultSpecFromEnv(env),
    });
    for (const d of this.enabled) this.supervisor.add(d.name, d.factory);
    if (opts.registry) registerSelfCostMetrics(opts.registry, programCounters);
  }

  /** Starts every enabled collector (never rejects because one failed) and opens the window. */
  async start(): Promise<void> {
    // The first pod list is fetched while the collectors load; nothing waits for it.
    void this.#kubernetes.podNames?.refresh();
    // Counting starts before the programs load, so the window's first events are counted too.
    this.#runStats ??= this.opts.config.runtime.bpf_stats ? RunStatsHandle.open() : RunStatsHandle.off();
    this.#cost = new CostWindow(this.#runStats);
    await this.supervisor.startAll();
    this.#markWindow();
  }

  get windowStartMs(): number {
    return this.#windowStartMs;
  }

  elapsedNs(): number {
    return Number(process.hrtime.bigint() - this.#windowStartNs);
  }

  states(): CollectorStatus[] {
    return this.supervisor.states();
  }

  /** Snapshot of the current window. */
  async snapshot(): Promise<Signals> {
    const windowNs = this.elapsedNs();
    const { parts, coverage } = await this.supervisor.snapshotAll(windowNs);
    const off: CollectorCoverage[] = this.defs
      .filter((d) => !this.enabled.includes(d))
      .map((d) => ({
        name: d.name,
        state: 'off',
        hint: `disabled in configuration (collectors.${d.name}: false)`,
        programsLoaded: 0,
        programsTotal: 0,
        events: 0,
        eventsDropped: 0,
        restarts: 0,
        faults: 0,
      }));
    const { environment, podNames } = this.#kubernetes;
    // Names from the pod list held now (never waiting on the kubelet); the status says if there was none.
    const pods = podNames?.current();
    const host = {
      ...(await hostInfo()),
      environment: { ...environment, ...(podNames ? { podNames: podNames.status() } : {}) },
    };
    const signals = assembleSignals({
      host,
      windowStartMs: this.#windowStartMs,
      windowEndMs: this.#windowStartMs + windowNs / 1e6,
      parts,
      coverage: [...coverage, ...off],
    });
    return pods !== undefined ? enrichSignals(signals, pods) : signals;
  }

  /** Cheap per-frame readings for the live view: events and top offender per attached collector. */
  live(): Promise<Map<string, LiveReading>> {
    return this.supervisor.liveAll();
  }

  /** Cumulative raw metrics per collector, for /metrics (read at scrape time), per-cgroup series named. */
  async metrics(): Promise<Map<string, CollectorMetrics>> {
    const raw = await this.supervisor.metricsAll();
    const pods = this.#kubernetes.podNames?.current();
    return pods !== undefined ? nameMetrics(raw, pods) : raw;
  }

  /** Starts a new window (continuous mode): collectors re-baseline. */
  async reset(): Promise<void> {
    await this.supervisor.resetAll();
    this.#markWindow();
  }

  /** What kerno's own programs cost in the current window (undefined before start). */
  selfCost(): SelfCost | undefined {
    return this.#cost?.read(this.elapsedNs());
  }

  async stop(): Promise<void> {
    await this.supervisor.stopAll();
    this.#runStats?.close();
    this.#runStats = undefined;
  }

  #markWindow(): void {
    this.#windowStartMs = Date.now();
    this.#windowStartNs = process.hrtime.bigint();
    this.#cost?.mark();
  }
}

/** The `events` config section as the event streams take it. */
export function eventStreamSettings(config: Pick<Config, 'events'>): EventStreamSettings {
  return {
    queueSize: config.events.queue_size,
    dropPolicy: config.events.drop_policy,
    sampleRatePerSec: config.events.sample_rate_per_sec,
  };
}
