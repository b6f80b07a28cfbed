// cgroup-memory → memory_limit_pressure: a real memory cgroup with a limit and a child whose anonymous
// memory starts above 90 % of it and keeps growing (towards, never past, the limit) until the end.
import { join } from 'node:path';
import { createMemoryCgroup } from '../cgroup.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity, MiB } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor, sampler } from './common.js';
import { isProcess, cgroups, sameCgroup } from '../match.js';

const RULES = ['memory_limit_pressure'] as const;

export function cgroupMemoryParams(intensity: Intensity): {
  limitBytes: number;
  startPct: number;
  endPct: number;
} {
  // low stays in the warning band (≥ 85 %); medium and high cross 95 % while still growing (critical).
  return byIntensity(intensity, {
    low: { limitBytes: 128 * MiB, startPct: 90, endPct: 94 },
    medium: { limitBytes: 256 * MiB, startPct: 90, endPct: 97 },
    high: { limitBytes: 512 * MiB, startPct: 92, endPct: 98.5 },
  });
}

function cgroupDirHint(host: HostFacts, tag: string): string {
  return host.memoryCgroup
    ? join(host.memoryCgroup.root, `kerno-chaos-${tag}-<id>`)
    : `<memory cgroup root>/kerno-chaos-${tag}-<id>`;
}

export const cgroupMemoryScenario: Scenario = {
  name: 'cgroup-memory',
  rules: RULES,
  description: 'a memory cgroup with a limit and a child holding more than 90 % of it, still growing',
  needsRoot: true,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = cgroupMemoryParams(opts.intensity);
    const v = host.memoryCgroup?.version ?? '?';
    return [
      `create memory cgroup ${cgroupDirHint(host, 'mem')} (cgroup v${v}) with a ${formatBytes(p.limitBytes)} limit`,
      `start one process (kchaos-memhog) inside it that touches ${p.startPct} % of the limit at once, then grows linearly to ${p.endPct} % by the end (it never exceeds the limit: no OOM kill)`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('cgroup-memory', RULES, opts, ctx);
    const p = cgroupMemoryParams(opts.intensity);
    const cg = createMemoryCgroup(ctx.session, ctx.host, 'mem', p.limitBytes);
    const w = ctx.session.startWorker({
      mode: 'mem-ramp',
      comm: 'kchaos-memhog',
      join: [cg.procsFile],
      args: {
        'start-bytes': Math.floor((p.limitBytes * p.startPct) / 100),
        'end-bytes': Math.floor((p.limitBytes * p.endPct) / 100),
        'ramp-ms': Math.max(1, Math.round(ctx.session.remainingMs())),
      },
    });
    await w.ready();
    for (const s of [cg.subject(), { kind: 'process', pid: w.pid, comm: 'kchaos-memhog' } as const]) {
      result.subjects.push(s);
      ctx.onSubject(s);
    }
    ctx.log(
      `    ${cg.dir}: limit ${formatBytes(p.limitBytes)}, pid ${w.pid} holding ${p.startPct} % → ${p.endPct} %`,
    );
    let maxUsage = 0;
    const s = sampler(250, () => {
      maxUsage = Math.max(maxUsage, cg.usageBytes());
    });
    try {
      result.aborted = await holdUntilEnd(ctx, [w]);
    } finally {
      s.stop();
    }
    const endUsage = cg.usageBytes();
    const done = (await w.stop()).done;
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      limitBytes: p.limitBytes,
      heldBytes: num(done, 'heldBytes'),
      usageBytesAtEnd: endUsage,
      usedPctAtEnd: pct(endUsage, p.limitBytes),
      usedPctMax: pct(Math.max(maxUsage, endUsage), p.limitBytes),
      oomKills: cg.oomKills(),
    };
    return result;
  },
  verify: {
    intensity: 'high',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-memhog'),
    },
    match: {
      memory_limit_pressure(f, subjects) {
        const cg = cgroups(subjects);
        return cg.some((c) => sameCgroup(f.subject, c.path))
          ? undefined
          : `subject "${f.subject}" is not the scenario's cgroup ${cg.map((c) => c.path).join(', ')}`;
      },
    },
  },
};
