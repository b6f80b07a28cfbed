// Successive Signals snapshots → the series the predict engine fits (src/doctor/predict.ts). Each snapshot
// adds one sample per subject it observed, stamped with its window end. Pure: the caller collects.
//
// Limits: fds and cgroup memory have real ones (the process's soft RLIMIT_NOFILE, the cgroup's
// memory.limit_in_bytes / memory.max); disk latency, run-queue delay and the TCP retransmit rate have none,
// so their "limit" is the threshold at which the doctor's rule turns critical, and the output says so.
import type { Signals } from '../signals/types.js';
import type { Thresholds } from './thresholds.js';
import type { PredictKind, PredictUnit, Series } from './predict.js';

type Limits = Pick<
  Thresholds,
  'disk_p99_critical_ns' | 'sched_delay_critical_ns' | 'tcp_retransmit_pct' | 'tcp_min_segments'
>;

export class SeriesBuilder {
  readonly #series = new Map<string, Series>();
  #snapshots = 0;

  constructor(private readonly thresholds: Limits) {}

  get snapshots(): number {
    return this.#snapshots;
  }

  /** Adds one snapshot's samples, at its window end. */
  add(signals: Signals): void {
    this.#snapshots++;
    const t = Date.parse(signals.windowEnd) / 1000;
    const th = this.thresholds;
    for (const e of signals.fd?.entries ?? []) {
      // currentFds/fdLimit are read from /proc for the top processes only (-1 otherwise); 0 = unlimited.
      if (e.currentFds < 0 || !(e.fdLimit > 0)) continue;
      this.#point(
        'fd',
        `pid ${e.pid}`,
        `${e.comm} (${e.pid})`,
        'fds',
        e.fdLimit,
        'soft RLIMIT_NOFILE',
        t,
        e.currentFds,
      );
    }
    for (const c of signals.cgroupMemory?.containers ?? []) {
      if (!(c.limitBytes > 0)) continue;
      const who =
        c.pod !== undefined ? `${c.namespace ?? ''}/${c.pod}${c.container ? `/${c.container}` : ''}` : c.unit;
      const label = who ? `${who} (${c.cgroupPath})` : c.cgroupPath;
      const source = c.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
      this.#point(
        'cgroup_memory',
        `v${c.version}:${c.cgroupPath}`,
        label,
        'bytes',
        c.limitBytes,
        source,
        t,
        c.currentBytes,
      );
    }
    for (const d of signals.disk?.devices ?? []) {
      // An interval without a sync write has no latency to speak of (a p99 of 0 would be a false dip).
      if (d.sync.count === 0) continue;
      const name = d.name || d.dev;
      this.#point(
        'disk_latency',
        d.dev,
        `${name} sync write p99`,
        'ns',
        th.disk_p99_critical_ns,
        'doctor critical threshold disk_p99_critical_ns',
        t,
        d.sync.p99,
      );
    }
    const runq = signals.sched?.runqDelay;
    if (runq && runq.count > 0) {
      this.#point(
        'runq_delay',
        'host',
        'run-queue delay p99',
        'ns',
        th.sched_delay_critical_ns,
        'doctor critical threshold sched_delay_critical_ns',
        t,
        runq.p99,
      );
    }
    const tcp = signals.tcp;
    // The rule's own floor: a retransmit "rate" over a handful of segments is noise (tcp_retransmit_storm).
    if (tcp && tcp.segmentsOut >= th.tcp_min_segments) {
      this.#point(
        'tcp_retransmit',
        'host',
        'TCP retransmit rate',
        'percent',
        th.tcp_retransmit_pct,
        'doctor threshold tcp_retransmit_pct',
        t,
        tcp.retransmitRatePct,
      );
    }
  }

  series(): Series[] {
    return [...this.#series.values()];
  }

  #point(
    kind: PredictKind,
    subject: string,
    label: string,
    unit: PredictUnit,
    limit: number,
    limitSource: string,
    t: number,
    value: number,
  ): void {
    const key = `${kind}\0${subject}`;
    let s = this.#series.get(key);
    if (!s) {
      s = { kind, subject, label, unit, limit, limitSource, samples: [] };
      this.#series.set(key, s);
    }
    // The latest limit and name win: a limit raised mid-run is the one the resource will meet.
    s.limit = limit;
    s.label = label;
    s.samples.push({ t, value });
  }
}
