// oom-kill → oom_kill_occurred: a child in a small memory cgroup allocates past the limit until the
// kernel's OOM killer kills it; repeated at an interval so any doctor window sees at least one kill.
// stress-ng: its vm stressor in the same cgroup, asked for twice the limit (--oomable: one kill ends the
// run), started again at the same interval.
import { createMemoryCgroup, type MemoryCgroup } from '../cgroup.js';
import { startStressNg, stressors, subjectReporter } from '../stress-ng.js';
import { formatDuration } from '../../util/duration.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity, MiB } from '../options.js';
import { readVmstat } from '../proc.js';
import { describeExit, type WorkerProcess } from '../worker.js';
import type {
  ChaosOptions,
  HostFacts,
  Intensity,
  Scenario,
  ScenarioContext,
  ScenarioResult,
} from '../types.js';
import { elapsedSince, newResult, runsFor, sampler } from './common.js';
import { isProcess, isStressor, processes, cgroups, sameCgroup } from '../match.js';

const RULES = ['oom_kill_occurred'] as const;
const LIMIT_BYTES = 64 * MiB;

export function oomKillIntervalMs(intensity: Intensity): number {
  return byIntensity(intensity, { low: 5000, medium: 2000, high: 500 });
}

export const oomKillScenario: Scenario = {
  name: 'oom-kill',
  rules: RULES,
  description: 'a child allocating past its memory cgroup limit until the kernel OOM killer kills it',
  needsRoot: true,
  inducers: ['kerno-worker', 'stress-ng'],
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const root = host.memoryCgroup?.root ?? '<memory cgroup root>';
    if (opts.inducer === 'stress-ng') {
      return [
        `create memory cgroup ${root}/kerno-chaos-oom-<id> (cgroup v${host.memoryCgroup?.version ?? '?'}) with a ${formatBytes(LIMIT_BYTES)} limit (and no swap)`,
        `start stress-ng --vm 1 --vm-bytes ${formatBytes(2 * LIMIT_BYTES)} --oomable inside it: its vm stressor (stress-ng-vm) touches twice the limit until the kernel OOM-kills it, and stress-ng ends`,
        `repeat every ${formatDuration(oomKillIntervalMs(opts.intensity) * 1e6)}; only processes inside that cgroup can be chosen by the OOM killer`,
        runsFor(opts),
      ];
    }
    return [
      `create memory cgroup ${root}/kerno-chaos-oom-<id> (cgroup v${host.memoryCgroup?.version ?? '?'}) with a ${formatBytes(LIMIT_BYTES)} limit (and no swap)`,
      `start a process (kchaos-oom, oom_score_adj 1000) inside it that allocates and touches memory until the kernel OOM-kills it`,
      `repeat every ${formatDuration(oomKillIntervalMs(opts.intensity) * 1e6)} (first kill within a second); only processes inside that cgroup can be chosen by the OOM killer`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    if (opts.inducer === 'stress-ng') return runStressNg(opts, ctx);
    const run = beginOomRun(opts, ctx, (every) => `one OOM kill every ${every}`);
    const { cg, result } = run;
    const victims: number[] = [];
    await paceAttempts(ctx, run, async () => {
      const w: WorkerProcess = ctx.session.startWorker({
        mode: 'mem-oom',
        comm: 'kchaos-oom',
        join: [cg.procsFile],
        args: { 'chunk-bytes': 1 * MiB, 'max-bytes': 8 * LIMIT_BYTES },
      });
      if (!(await waitForExit(ctx, run, w))) return 'stopped';
      const x = await w.exited;
      if (x.signal !== 'SIGKILL') {
        throw new Error(
          `kchaos-oom (pid ${w.pid}) was not OOM-killed: ${describeExit(x)} — is the cgroup limit applied?`,
        );
      }
      victims.push(w.pid);
      const victim = { kind: 'process', pid: w.pid, comm: 'kchaos-oom' } as const;
      result.subjects.push(victim);
      ctx.onSubject(victim);
      return 'again';
    });
    result.observed = { ...observedKills(run), victims: victims.length };
    return result;
  },
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-oom'),
      'stress-ng': isStressor('vm'),
    },
    match: {
      oom_kill_occurred(f, subjects) {
        const cg = cgroups(subjects);
        if (!cg.some((c) => sameCgroup(f.subject, c.path)))
          return `subject "${f.subject}" is not the scenario's cgroup ${cg.map((c) => c.path).join(', ')}`;
        const victims = processes(subjects);
        const victim = victims.find((p) => p.pid === f.pid);
        if (victim === undefined)
          return `victim pid ${f.pid} is not one of the scenario's processes (${victims.map((p) => p.pid).join(', ')})`;
        return f.process === victim.comm ? undefined : `victim "${f.process}" is not ${victim.comm}`;
      },
    },
  },
};

async function runStressNg(opts: ChaosOptions, ctx: ScenarioContext): Promise<ScenarioResult> {
  const run = beginOomRun(opts, ctx, (every) => `stress-ng --vm allocating twice that every ${every}`);
  const { cg, result } = run;
  // Every stress-ng-vm process is a potential victim: each is reported as it appears (polled while
  // stress-ng runs), so the victim a doctor finding names can be checked against them.
  const report = subjectReporter(ctx.onSubject, result.subjects);
  let runs = 0;
  await paceAttempts(ctx, run, async () => {
    const kills0 = cg.oomKills();
    // --oomable: a stressor the OOM killer took is not restarted, so stress-ng ends after one kill and the
    // rate of kills is ours to pace, as with kerno's worker.
    const w = startStressNg(
      ctx.session,
      [cg.procsFile],
      ['--vm', '1', '--vm-bytes', String(2 * LIMIT_BYTES), '--oomable'],
    );
    const poll = sampler(5, () => report(stressors(cg.procsFile, 'stress-ng-vm')));
    const exited = await waitForExit(ctx, run, w);
    poll.stop();
    if (!exited) return 'stopped';
    runs++;
    if (cg.oomKills() === kills0) {
      throw new Error(
        `stress-ng (pid ${w.pid}) ended without an OOM kill in ${cg.dir}: ${describeExit(await w.exited)}`,
      );
    }
    return 'again';
  });
  result.observed = {
    ...observedKills(run),
    stressNgRuns: runs,
    stressorsSeen: result.subjects.filter((s) => s.kind === 'process').length,
  };
  return result;
}

/** One OOM run of either inducer: its limited cgroup, its pace, and the kill count it started from. */
interface OomRun {
  start: number;
  result: ScenarioResult;
  interval: number;
  cg: MemoryCgroup;
  vmstat0: number;
}

function beginOomRun(opts: ChaosOptions, ctx: ScenarioContext, what: (every: string) => string): OomRun {
  const start = performance.now();
  const result = newResult('oom-kill', RULES, opts, ctx);
  const interval = oomKillIntervalMs(opts.intensity);
  const cg = createMemoryCgroup(ctx.session, ctx.host, 'oom', LIMIT_BYTES);
  result.subjects.push(cg.subject());
  ctx.onSubject(cg.subject());
  ctx.log(`    ${cg.dir}: limit ${formatBytes(LIMIT_BYTES)}, ${what(formatDuration(interval * 1e6))}`);
  return { start, result, interval, cg, vmstat0: readVmstat('oom_kill') ?? 0 };
}

/** Runs attempts one interval apart until the run ends, is aborted, or an attempt stops it. */
async function paceAttempts(ctx: ScenarioContext, run: OomRun, attempt: () => Promise<'again' | 'stopped'>) {
  for (;;) {
    const attemptStart = performance.now();
    if ((await attempt()) === 'stopped') break;
    const next = await nextAttempt(ctx, run.interval - (performance.now() - attemptStart));
    if (next === 'aborted') run.result.aborted = true;
    if (next !== 'again') break;
  }
  run.result.elapsedNs = elapsedSince(run.start);
}

/** True when the process exited by itself; otherwise it is stopped and the run marked aborted if it was. */
async function waitForExit(ctx: ScenarioContext, run: OomRun, w: WorkerProcess): Promise<boolean> {
  const why = await ctx.session.wait(ctx.signal, { watch: [w] });
  if (why === 'exited') return true;
  await w.stop();
  run.result.aborted = why === 'aborted';
  return false;
}

function observedKills(run: OomRun): Record<string, number> {
  return {
    limitBytes: LIMIT_BYTES,
    cgroupOomKills: run.cg.oomKills(),
    vmstatOomKillDelta: (readVmstat('oom_kill') ?? 0) - run.vmstat0,
  };
}

/** Waits out the rest of an attempt's interval: another attempt, or the run is over (ended or aborted). */
async function nextAttempt(ctx: ScenarioContext, pauseMs: number): Promise<'again' | 'ended' | 'aborted'> {
  if (pauseMs > 0 && (await ctx.session.wait(ctx.signal, { untilMs: pauseMs })) === 'aborted')
    return 'aborted';
  return ctx.session.remainingMs() <= 0 ? 'ended' : 'again';
}
