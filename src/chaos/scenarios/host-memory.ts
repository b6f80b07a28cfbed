// host-memory → oom_imminent: host memory nearly exhausted and still growing. One process takes the host
// from wherever it is to just past the warning line at once, then grows slowly until the end.
//
// Safety, because this squeezes every process on the host: (1) the process lives in a memory cgroup whose
// limit is exactly the planned maximum, so it can never take more, whatever the rest of the host does;
// (2) it has oom_score_adj 1000, so if others grow into the little that is left, the kernel OOM killer
// takes it, not them; (3) a watchdog stops it at once if available memory falls below a floor (others
// grew); (4) nothing starts when the host is already past the start line, or when the plan would leave
// less than the floor. The planned peak leaves 6 % of RAM available (medium: 1.4 GiB of 24 GiB).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseMeminfo, usedBytes } from '../../collectors/procfs/meminfo.js';
import { createMemoryCgroup } from '../cgroup.js';
import { formatDuration } from '../../util/duration.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity, MiB } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor, sampler } from './common.js';
import { isProcess } from '../match.js';
import { DEFAULT_THRESHOLDS } from '../../doctor/thresholds.js';

const RULES = ['oom_imminent'] as const;

/** Host memory used (% of RAM) right after start-up, and after `rampMs` of growth (then it holds). */
export function hostMemoryParams(intensity: Intensity): { startPct: number; endPct: number; rampMs: number } {
  // oom_imminent: ≥ 90 % and growing ≥ 1 MiB/s → WARNING; > 95 % and growing → CRITICAL. The growth is
  // fast (3 % of RAM in 20 s: ~36 MiB/s on 24 GiB) because the rule sees the host's net growth, and other
  // processes' frees cancel ours: measured on this shared host, −434 MB/s over a 3 s window while others'
  // builds ended; a 4 MiB/s ramp was drowned, and so was a 29 MiB/s one once (net −22 MiB/s).
  return byIntensity(intensity, {
    low: { startPct: 91, endPct: 93, rampMs: 20_000 },
    medium: { startPct: 91, endPct: 94, rampMs: 20_000 },
    high: { startPct: 95.5, endPct: 97, rampMs: 20_000 },
  });
}

/** Below this much available memory (% of RAM) the workload is stopped at once. */
export const FLOOR_PCT = 2.5;

function meminfo() {
  return parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
}

/** The bytes to hold at the start and at the end, from the host's use now; throws when it is unsafe. */
export function hostMemoryPlan(
  intensity: Intensity,
  totalBytes: number,
  usedNow: number,
): { startBytes: number; endBytes: number } {
  const p = hostMemoryParams(intensity);
  const startBytes = Math.floor((totalBytes * p.startPct) / 100 - usedNow);
  const endBytes = Math.floor((totalBytes * p.endPct) / 100 - usedNow);
  if (startBytes <= 0) {
    throw new Error(
      `host memory is already ${pct(usedNow, totalBytes)} % used (≥ ${p.startPct} %): not adding to it`,
    );
  }
  if (100 - p.endPct < FLOOR_PCT) throw new Error('the plan would leave less than the safety floor');
  return { startBytes, endBytes };
}

export const hostMemoryScenario: Scenario = {
  name: 'host-memory',
  rules: RULES,
  description: 'one capped process takes host memory past 90 % used and keeps growing',
  needsRoot: true,
  plan(opts: ChaosOptions): string[] {
    const p = hostMemoryParams(opts.intensity);
    return [
      `create memory cgroup kerno-chaos-hostmem-<id> whose limit is the planned peak (${p.endPct} % of RAM minus what the host uses now)`,
      `start one process (kchaos-hostmem, oom_score_adj 1000) inside it that takes host memory use to ${p.startPct} % at once, then grows linearly to ${p.endPct} % over ${formatDuration(p.rampMs * 1e6)} and holds`,
      `stops at once if available memory falls below ${FLOOR_PCT} % of RAM (the rest of the host grew); refuses to start if the host is already past ${p.startPct} %`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('host-memory', RULES, opts, ctx);
    const m0 = meminfo();
    const plan = hostMemoryPlan(opts.intensity, m0.totalBytes, usedBytes(m0));
    const cg = createMemoryCgroup(ctx.session, ctx.host, 'hostmem', plan.endBytes + 16 * MiB);
    const w = ctx.session.startWorker({
      mode: 'mem-ramp',
      comm: 'kchaos-hostmem',
      join: [cg.procsFile],
      args: {
        'start-bytes': plan.startBytes,
        'end-bytes': plan.endBytes,
        'ramp-ms': Math.max(1, Math.min(hostMemoryParams(opts.intensity).rampMs, ctx.session.remainingMs())),
      },
    });
    // Before it has touched much (touching gigabytes takes seconds): the first victim if memory runs out.
    try {
      writeFileSync(`/proc/${w.pid}/oom_score_adj`, '1000');
    } catch (err) {
      await w.stop();
      throw new Error(`could not make kchaos-hostmem the first OOM victim: ${(err as Error).message}`);
    }
    const floor = (m0.totalBytes * FLOOR_PCT) / 100;
    let minAvailable = m0.availableBytes;
    let tripped = false;
    const watchdog = sampler(100, () => {
      const a = meminfo().availableBytes;
      minAvailable = Math.min(minAvailable, a);
      if (a < floor && !tripped) {
        tripped = true;
        void w.stop(0);
      }
    });
    try {
      await w.ready(120_000);
      const subject = { kind: 'process', pid: w.pid, comm: 'kchaos-hostmem' } as const;
      result.subjects.push(subject);
      ctx.onSubject(subject);
      const m1 = meminfo();
      ctx.log(
        `    pid ${w.pid} in ${cg.dir}: host memory ${pct(usedBytes(m1), m1.totalBytes)} % used, growing to ${hostMemoryParams(opts.intensity).endPct} % (${formatBytes(plan.endBytes)} at most)`,
      );
      result.aborted = await holdUntilEnd(ctx, [w]);
    } finally {
      watchdog.stop();
    }
    const mEnd = meminfo();
    const done = (await w.stop()).done;
    if (tripped) {
      throw new Error(
        `stopped early: available memory fell to ${formatBytes(minAvailable)} (< ${FLOOR_PCT} % of RAM) — the rest of the host grew`,
      );
    }
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      totalBytes: m0.totalBytes,
      usedPctBefore: pct(usedBytes(m0), m0.totalBytes),
      usedPctAtEnd: pct(usedBytes(mEnd), mEnd.totalBytes),
      minAvailableBytes: minAvailable,
      heldBytes: num(done, 'heldBytes'),
      cgroupLimitBytes: plan.endBytes + 16 * MiB,
    };
    return result;
  },
  verify: {
    // Taking ~21 GiB before it is ready took 20–60 s on this VM when the worker touched it page by page,
    // over 100 s right after disk-sat left the page cache full (stop 24: the incident ended at 120 s, before
    // doctor's window did), and over 120 s once in CI (stop 27). The worker now populates it with
    // MADV_POPULATE_WRITE (measured at fault_in() in kerno-chaos-worker.c). The run is stopped as soon as
    // doctor is done, so a long nominal length costs nothing.
    intensity: 'medium',
    seconds: 200,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-hostmem'),
    },
    match: {
      oom_imminent(f, _subjects, report) {
        if (f.subject !== '') return `expected a host-wide finding, got subject "${f.subject}"`;
        const m = report.signals.memory;
        if (m === undefined) return 'no memory signal';
        return m.growthRateBytesPerSec >= DEFAULT_THRESHOLDS.oom_min_growth_bytes_per_sec
          ? undefined
          : `host memory not growing (${Math.round(m.growthRateBytesPerSec)} B/s)`;
      },
    },
  },
};
