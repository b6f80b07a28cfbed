// Pieces every scenario shares: the result skeleton, "run until the end" and periodic ground-truth samples.
import { formatDuration } from '../../util/duration.js';
import { describeExit, type WorkerProcess } from '../worker.js';
import type { ChaosOptions, ScenarioContext, ScenarioResult } from '../types.js';

export function newResult(
  name: string,
  rules: readonly string[],
  opts: ChaosOptions,
  ctx: ScenarioContext,
): ScenarioResult {
  return {
    scenario: name,
    runId: ctx.session.id,
    rules,
    intensity: opts.intensity,
    inducer: opts.inducer ?? 'kerno-worker',
    durationNs: opts.durationNs,
    elapsedNs: 0,
    aborted: false,
    subjects: [],
    observed: {},
    notes: [],
  };
}

/** Waits for the run's deadline or an abort. A workload that dies on its own is an error, with its stderr. */
export async function holdUntilEnd(ctx: ScenarioContext, workers: WorkerProcess[]): Promise<boolean> {
  const why = await ctx.session.wait(ctx.signal, { watch: workers });
  if (why === 'exited') {
    const dead = workers.find((w) => !w.running);
    if (dead?.exit)
      throw new Error(`workload ${dead.comm} (pid ${dead.pid}) ended early: ${describeExit(dead.exit)}`);
  }
  return why === 'aborted';
}

/** Calls `fn` every `intervalMs` until stopped; errors in `fn` are ignored (a sample is best effort). */
export function sampler(intervalMs: number, fn: () => void): { stop(): void } {
  const tick = () => {
    try {
      fn();
    } catch {
      // the file may vanish during teardown
    }
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export function elapsedSince(startMs: number): number {
  return Math.round((performance.now() - startMs) * 1e6);
}

export function runsFor(opts: ChaosOptions): string {
  return `runs for ${formatDuration(opts.durationNs)}, then stops; Ctrl+C or SIGTERM stops it at once`;
}

export function pct(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10000) / 100 : 0;
}
