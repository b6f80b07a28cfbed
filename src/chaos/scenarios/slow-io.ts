// slow-io → syscall_latency_high: a process whose writes wait on a saturated resource. Its cgroup may
// write only a trickle to the root disk (v1 blkio throttling / cgroup2 io.max, as a container with an I/O
// limit, or a cloud volume at its bandwidth cap), and it writes synchronously (O_DIRECT|O_DSYNC pwrite):
// every call waits until the throttle lets its bytes through. Only this cgroup is slowed — the disk stays
// idle for everyone else, which also keeps the incident from touching other rules.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createIoThrottleCgroup } from '../cgroup.js';
import { formatDuration } from '../../util/duration.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';
import { isProcess, processes } from '../match.js';

const RULES = ['syscall_latency_high'] as const;
const BLOCK = 64 * 1024;
const WRITERS = 2;

/** Write bandwidth of the cgroup; each pwrite then takes about writers × block ÷ bps. */
export function slowIoParams(intensity: Intensity): { bps: number; expectedCallNs: number } {
  const bps = byIntensity(intensity, { low: 512 * 1024, medium: 256 * 1024, high: 128 * 1024 });
  return { bps, expectedCallNs: Math.round(((WRITERS * BLOCK) / bps) * 1e9) };
}

export const slowIoScenario: Scenario = {
  name: 'slow-io',
  rules: RULES,
  description: 'synchronous writes from a cgroup whose disk bandwidth is throttled to a trickle',
  needsRoot: true,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = slowIoParams(opts.intensity);
    const dev = host.scratchDevice
      ? `${host.scratchDevice.name} (${host.scratchDevice.dev})`
      : 'the scratch disk';
    return [
      `create directory ${join(host.scratchDir, 'kerno-chaos-slowio-<id>')} and cgroup kerno-chaos-slowio-<id> (blkio v1, or cgroup2 io.max) that may write ${formatBytes(p.bps)}/s to ${dev}`,
      `start one process (kchaos-slowio) inside it with ${WRITERS} threads writing ${formatBytes(BLOCK)} blocks with O_DIRECT|O_DSYNC pwrite: each call waits ~${formatDuration(p.expectedCallNs, { significant: 3 })} for the throttle`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('slow-io', RULES, opts, ctx);
    const dev = ctx.host.scratchDevice;
    if (!ctx.host.scratchOnDisk || dev === undefined) {
      throw new Error(`slow-io needs a disk-backed directory on a known disk; ${ctx.host.scratchDir} is not`);
    }
    const p = slowIoParams(opts.intensity);
    const dir = join(ctx.host.scratchDir, ctx.session.name('slowio'));
    ctx.session.register({ kind: 'path', path: dir });
    mkdirSync(dir);
    const cg = createIoThrottleCgroup(ctx.session, ctx.host, 'slowio', dev.dev, p.bps);
    const w = ctx.session.startWorker({
      mode: 'disk',
      comm: 'kchaos-slowio',
      join: [cg.procsFile],
      args: { writers: WRITERS, block: BLOCK, 'max-file-bytes': 4 * 1024 * 1024, direct: 1, dir },
    });
    await w.ready();
    const proc = { kind: 'process', pid: w.pid, comm: 'kchaos-slowio' } as const;
    result.subjects.push(proc);
    ctx.onSubject(proc);
    ctx.log(`    pid ${w.pid} in ${cg.dir}: ${WRITERS} writers, ${formatBytes(p.bps)}/s to ${dev.name}`);
    result.aborted = await holdUntilEnd(ctx, [w]);
    const done = (await w.stop()).done;
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      throttleBytesPerSec: p.bps,
      expectedCallNs: p.expectedCallNs,
      writes: num(done, 'writes'),
      // What the writers measured around each pwrite(): ground truth for the syscall latency.
      writeP50Ns: num(done, 'writeP50Ns'),
      writeP99Ns: num(done, 'writeP99Ns'),
      writeMaxNs: num(done, 'writeMaxNs'),
    };
    return result;
  },
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-slowio'),
    },
    match: {
      syscall_latency_high(f, subjects) {
        // One finding per run, headed by the slowest pair on the host; the others are listed in its evidence.
        const comms = [...new Set(processes(subjects).map((p) => p.comm))];
        if (f.process !== undefined && comms.includes(f.process)) return undefined;
        return f.evidence.some((e) => comms.some((c) => e.includes(`(${c}): p99`)))
          ? undefined
          : `neither process "${f.process}" nor the listed slow pairs are ${comms.join(', ')}`;
      },
    },
  },
};
