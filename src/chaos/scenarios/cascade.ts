// cascade → several rules at once: overlapping incidents, as in a real bad day. Stages start staggered over
// the first 40 % of the duration and all run to the end, so every doctor window that covers the second
// half sees all of them at the same time.
import { formatDuration } from '../../util/duration.js';
import type { ChaosOptions, HostFacts, Scenario, ScenarioResult } from '../types.js';
import { cgroupMemoryScenario } from './cgroup-memory.js';
import { cpuScenario } from './cpu.js';
import { diskSatScenario } from './disk-sat.js';
import { fdLeakScenario } from './fd-leak.js';
import { tcpLossScenario } from './tcp-loss.js';
import { elapsedSince, newResult } from './common.js';
import { isProcess } from '../match.js';

/** In start order. cpu comes last: it slows everything else down once the others are established. */
export const CASCADE_STAGES: readonly Scenario[] = [
  diskSatScenario,
  cgroupMemoryScenario,
  fdLeakScenario,
  tcpLossScenario,
  cpuScenario,
];

/** Start offset of stage i, as a fraction of the duration. */
export function stageOffsetFraction(i: number): number {
  return i / 10;
}

const RULES = [...new Set(CASCADE_STAGES.flatMap((s) => s.rules))];

export const cascadeScenario: Scenario = {
  name: 'cascade',
  rules: RULES,
  expect: CASCADE_STAGES.flatMap((s) => s.expect ?? s.rules.map((r) => [r])),
  description: `overlapping incidents: ${CASCADE_STAGES.map((s) => s.name).join(', ')}`,
  needsRoot: true,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const lines: string[] = [];
    CASCADE_STAGES.forEach((stage, i) => {
      const at = formatDuration(opts.durationNs * stageOffsetFraction(i), { significant: 3 });
      lines.push(`at +${at}: ${stage.name} (${stage.rules.join(', ')})`);
      for (const l of stage.plan(
        { ...opts, durationNs: opts.durationNs * (1 - stageOffsetFraction(i)) },
        host,
      )) {
        if (!l.startsWith('runs for')) lines.push(`    ${l}`);
      }
    });
    lines.push(
      `all stages end together after ${formatDuration(opts.durationNs)}; Ctrl+C or SIGTERM stops all of them at once`,
    );
    return lines;
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('cascade', RULES, opts, ctx);
    // One failing stage stops the others: a partial cascade is not what was asked for.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const stageCtx = { ...ctx, signal: stop.signal };
    const runs = CASCADE_STAGES.map(async (stage, i) => {
      const offsetMs = (opts.durationNs * stageOffsetFraction(i)) / 1e6;
      if (offsetMs > 0 && (await ctx.session.wait(stop.signal, { untilMs: offsetMs })) === 'aborted')
        return undefined;
      if (ctx.session.remainingMs() <= 0) return undefined;
      ctx.log(`==> chaos: cascade stage ${stage.name} (${stage.rules.join(', ')})`);
      try {
        return await stage.run(opts, stageCtx);
      } catch (err) {
        stop.abort();
        throw new Error(`cascade stage ${stage.name}: ${(err as Error).message}`);
      }
    });
    const settled = await Promise.allSettled(runs);
    ctx.signal.removeEventListener('abort', onAbort);
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failures.length > 0) throw new Error(failures.map((f) => (f.reason as Error).message).join('; '));
    result.stages = settled
      .map((s) => (s.status === 'fulfilled' ? s.value : undefined))
      .filter((r): r is ScenarioResult => r !== undefined);
    result.subjects = result.stages.flatMap((s) => s.subjects);
    result.aborted = ctx.signal.aborted;
    result.elapsedNs = elapsedSince(start);
    for (const s of result.stages) {
      for (const [k, v] of Object.entries(s.observed)) result.observed[`${s.scenario}.${k}`] = v;
    }
    return result;
  },
  stages: CASCADE_STAGES,
  verify: {
    // Stages start at 0, 10, 20, 30, 40 % of the duration; cpu (kchaos-wake) is the last one. 40 s leaves
    // room for doctor's start-up, which takes several seconds on two saturated CPUs.
    intensity: 'high',
    seconds: 40,
    settleMs: 1000,
    ready: { 'kerno-worker': isProcess('kchaos-wake') },
    match: Object.assign({}, ...CASCADE_STAGES.map((s) => s.verify.match)) as Scenario['verify']['match'],
  },
};
