// cpu-throttle → cpu_throttled: a cgroup with a CPU quota of 0.2 cores (20 ms per 100 ms period) and busy
// threads inside that want a whole CPU each. They use up the quota early in every period and wait out the
// rest of it: throttled in (nearly) every period, for ~80 ms of each, on a host whose other CPUs may be idle.
import { createCpuCgroup } from '../cgroup.js';
import { byIntensity } from '../options.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';
import { cgroups, isProcess, sameCgroup } from '../match.js';

const RULES = ['cpu_throttled'] as const;
const COMM = 'kchaos-cpuq';

/** The quota stays 20 % of a CPU; intensity adds spinners, so the demand (and the throttled time) grows. */
export function cpuThrottleParams(intensity: Intensity): {
  quotaUs: number;
  periodUs: number;
  spinners: number;
} {
  return {
    quotaUs: 20_000,
    periodUs: 100_000,
    ...byIntensity(intensity, { low: { spinners: 1 }, medium: { spinners: 2 }, high: { spinners: 4 } }),
  };
}

function cgroupDirHint(host: HostFacts): string {
  const root = host.cpuCgroup?.root ?? '<cpu cgroup root>';
  return `${root}/kerno-chaos-cpuq-<id>`;
}

export const cpuThrottleScenario: Scenario = {
  name: 'cpu-throttle',
  rules: RULES,
  description: 'a cgroup with a 0.2-core CPU quota and busy threads inside that want a whole CPU each',
  needsRoot: true,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = cpuThrottleParams(opts.intensity);
    const v = host.cpuCgroup?.version ?? '?';
    const acct =
      host.cpuCgroup?.version === 1 &&
      host.cpuCgroup.cpuacctRoot !== undefined &&
      host.cpuCgroup.cpuacctRoot !== host.cpuCgroup.root
        ? ` and its cpuacct twin ${host.cpuCgroup.cpuacctRoot}/kerno-chaos-cpuq-<id> (for its usage)`
        : '';
    return [
      `create cpu cgroup ${cgroupDirHint(host)} (cgroup v${v}) with a quota of ${p.quotaUs / 1000} ms per ${p.periodUs / 1000} ms period (${p.quotaUs / p.periodUs} cores) and the maximum CPU weight${acct}`,
      `start one process (${COMM}) inside it with ${p.spinners} busy thread(s) (kchaos-spin): they use up the quota early in every period and are throttled for the rest of it`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('cpu-throttle', RULES, opts, ctx);
    const p = cpuThrottleParams(opts.intensity);
    const cg = createCpuCgroup(ctx.session, ctx.host, 'cpuq', p.quotaUs, p.periodUs);
    const w = ctx.session.startWorker({
      mode: 'cpu',
      comm: COMM,
      join: cg.procsFiles,
      args: { spinners: p.spinners, wakers: 0 },
    });
    await w.ready();
    const s0 = cg.stat();
    const t0 = performance.now();
    for (const s of [cg.subject(), { kind: 'process', pid: w.pid, comm: COMM } as const]) {
      result.subjects.push(s);
      ctx.onSubject(s);
    }
    ctx.log(
      `    ${cg.dir}: quota ${p.quotaUs} µs / ${p.periodUs} µs, pid ${w.pid} with ${p.spinners} spinner(s)`,
    );
    result.aborted = await holdUntilEnd(ctx, [w]);
    const s1 = cg.stat();
    const windowNs = (performance.now() - t0) * 1e6;
    await w.stop();
    result.elapsedNs = elapsedSince(start);
    const periods = s1.periods - s0.periods;
    result.observed = {
      quotaCores: p.quotaUs / p.periodUs,
      spinners: p.spinners,
      periods,
      throttledPeriods: s1.throttledPeriods - s0.throttledPeriods,
      throttledPct: pct(s1.throttledPeriods - s0.throttledPeriods, periods),
      throttledTimePct: pct(s1.throttledNs - s0.throttledNs, windowNs),
    };
    if (s0.usageNs !== undefined && s1.usageNs !== undefined && windowNs > 0)
      result.observed.usageCores = Math.round(((s1.usageNs - s0.usageNs) / windowNs) * 1000) / 1000;
    return result;
  },
  verify: {
    intensity: 'low',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess(COMM),
    },
    match: {
      cpu_throttled(f, subjects) {
        const cg = cgroups(subjects);
        return cg.some((c) => sameCgroup(f.subject, c.path))
          ? undefined
          : `subject "${f.subject}" is not the scenario's cgroup ${cg.map((c) => c.path).join(', ')}`;
      },
    },
  },
};
