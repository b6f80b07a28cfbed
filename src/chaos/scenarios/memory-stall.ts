// memory-stall → memory_pressure_stall and memory_high_throttling: reclaim pressure inside a small memory
// cgroup. Every page-cache charge past the limit must reclaim first (v1 memory.failcnt counts each one):
// the same incident seen as stall time (PSI) and as throttled charges. There is often no
// swap, so anonymous memory over the limit would just be OOM-killed; the pressure comes from the page cache
// instead: a file four times the limit, read at random through mmap by several processes. Each major fault
// reads a whole read-around window into a cgroup with no room left, so every fault forces direct reclaim of
// the cgroup's own pages (and evicted pages are soon faulted back in). Time in direct reclaim and in
// refaults is memory stall time in PSI. A small anonymous set per process is kept hot so reclaim cannot
// simply take it instead.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryCgroup, createPressureCgroup, pressureFileFor } from '../cgroup.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity, MiB } from '../options.js';
import { readPsi, readVmstat } from '../proc.js';
import { num, type WorkerProcess } from '../worker.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';
import { isProcess, cgroups, sameCgroup } from '../match.js';
import { DEFAULT_THRESHOLDS } from '../../doctor/thresholds.js';

const RULES = ['memory_pressure_stall', 'memory_high_throttling'] as const;
const LIMIT_BYTES = 64 * MiB;
const FILE_BYTES = 4 * LIMIT_BYTES;

export function memoryStallParams(intensity: Intensity): { workers: number; anonBytesEach: number } {
  // The anonymous sets together stay at a quarter of the limit: enough to compete, never an OOM.
  const workers = byIntensity(intensity, { low: 2, medium: 4, high: 8 });
  return { workers, anonBytesEach: Math.floor(LIMIT_BYTES / 4 / workers) };
}

export const memoryStallScenario: Scenario = {
  name: 'memory-stall',
  rules: RULES,
  description: 'reclaim and refault pressure inside a small memory cgroup (page-cache thrashing)',
  needsRoot: true,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = memoryStallParams(opts.intensity);
    const root = host.memoryCgroup?.root ?? '<memory cgroup root>';
    const lines = [
      `create memory cgroup ${root}/kerno-chaos-stall-<id> (cgroup v${host.memoryCgroup?.version ?? '?'}) with a ${formatBytes(LIMIT_BYTES)} limit${host.memoryCgroup?.version === 1 ? ' and its OOM killer off (a reader that cannot charge waits)' : ''}`,
      `write a ${formatBytes(FILE_BYTES)} file in ${join(host.scratchDir, 'kerno-chaos-stall-<id>')} from inside the cgroup`,
      `start ${p.workers} process(es) (kchaos-stall) inside the cgroup, each keeping ${formatBytes(p.anonBytesEach)} of anonymous memory hot and reading the file at random through mmap: every access evicts and refaults page cache`,
    ];
    if (host.pressureCgroupRoot && host.memoryCgroup?.version !== 2) {
      lines.push(
        `also place them in ${host.pressureCgroupRoot}/kerno-chaos-stall-<id> (cgroup v2, no controllers) for per-cgroup PSI`,
      );
    }
    lines.push(runsFor(opts));
    return lines;
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('memory-stall', RULES, opts, ctx);
    if (!ctx.host.scratchOnDisk) {
      throw new Error(
        `memory-stall needs a disk-backed directory (tmpfs page cache cannot be reclaimed without swap); ${ctx.host.scratchDir} is in memory`,
      );
    }
    const p = memoryStallParams(opts.intensity);
    // OOM killer off (v1): eight readers refaulting the same clean page cache can each fail reclaim 16
    // times in a row and get OOM-killed with 45 MB of inactive file cache still charged (seen in a gate:
    // kchaos-stall killed, the incident over before doctor's window closed). A reader that cannot charge
    // now waits until another's uncharge wakes it: the stall this scenario is about, not a kill.
    const cg = createMemoryCgroup(ctx.session, ctx.host, 'stall', LIMIT_BYTES, { oomKill: false });
    const pg = createPressureCgroup(ctx.session, ctx.host, 'stall');
    const dir = join(ctx.host.scratchDir, ctx.session.name('stall'));
    ctx.session.register({ kind: 'path', path: dir });
    mkdirSync(dir);
    const join_ = [cg.procsFile, ...(pg ? [pg.procsFile] : [])];
    const spec = (i: number) => ({
      mode: 'page-cache',
      comm: 'kchaos-stall',
      join: join_,
      args: { file: join(dir, 'data'), 'file-bytes': FILE_BYTES, 'anon-bytes': p.anonBytesEach, seed: i },
    });
    // The first worker writes the file (charged to the cgroup); the others start once it exists.
    const workers: WorkerProcess[] = [ctx.session.startWorker(spec(0))];
    await workers[0]!.ready(120_000);
    for (let i = 1; i < p.workers; i++) workers.push(ctx.session.startWorker(spec(i)));
    await Promise.all(workers.map((w) => w.ready()));
    const subjects = [
      cg.subject(),
      ...workers.map((w) => ({ kind: 'process', pid: w.pid, comm: 'kchaos-stall' }) as const),
    ];
    for (const s of subjects) {
      result.subjects.push(s);
      ctx.onSubject(s);
    }
    ctx.log(
      `    ${cg.dir}: limit ${formatBytes(LIMIT_BYTES)}, ${p.workers} reader(s) over a ${formatBytes(FILE_BYTES)} file`,
    );
    const cgPsiFile = pressureFileFor(cg, pg, 'memory');
    const host0 = readPsi('/proc/pressure/memory');
    const cg0 = cgPsiFile ? readPsi(cgPsiFile) : undefined;
    const refault0 = readVmstat('workingset_refault_file') ?? 0;
    const t0 = performance.now();
    result.aborted = await holdUntilEnd(ctx, workers);
    const windowUs = (performance.now() - t0) * 1000;
    const host1 = readPsi('/proc/pressure/memory');
    const cg1 = cgPsiFile ? readPsi(cgPsiFile) : undefined;
    const refaults = (readVmstat('workingset_refault_file') ?? 0) - refault0;
    const exits = await Promise.all(workers.map((w) => w.stop()));
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      limitBytes: LIMIT_BYTES,
      fileBytes: FILE_BYTES,
      workers: p.workers,
      majorFaults: exits.reduce((a, x) => a + num(x.done, 'majorFaults'), 0),
      workingsetRefaultsFile: refaults,
      cgroupFailcnt: cg.failcnt(),
      measuredWindowNs: Math.round(windowUs * 1000),
    };
    if (host0 && host1) {
      Object.assign(result.observed, {
        hostMemorySomeStallNs: (host1.someUs - host0.someUs) * 1000,
        hostMemoryFullStallNs: (host1.fullUs - host0.fullUs) * 1000,
        hostMemorySomePct: pct(host1.someUs - host0.someUs, windowUs),
        hostMemoryFullPct: pct(host1.fullUs - host0.fullUs, windowUs),
      });
    }
    if (cg0 && cg1) {
      Object.assign(result.observed, {
        cgroupMemorySomePct: pct(cg1.someUs - cg0.someUs, windowUs),
        cgroupMemoryFullPct: pct(cg1.fullUs - cg0.fullUs, windowUs),
      });
    }
    return result;
  },
  verify: {
    intensity: 'high',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-stall'),
    },
    match: {
      memory_pressure_stall(f, subjects, report) {
        const cg = cgroups(subjects);
        if (f.subject !== '')
          return cg.some((c) => sameCgroup(f.subject, c.path))
            ? undefined
            : `subject "${f.subject}" is neither host-wide nor the scenario's cgroup`;
        // Host-wide (cgroup v1 has no per-cgroup PSI): the scenario's cgroup must be the one doctor saw at its limit.
        const seen = report.signals.cgroupMemory?.containers.find((c) =>
          cg.some((s) => sameCgroup(c.cgroupPath, s.path)),
        );
        if (seen === undefined)
          return `doctor did not see the scenario's cgroup ${cg.map((c) => c.path).join(', ')}`;
        return seen.usedPct >= DEFAULT_THRESHOLDS.cgroup_memory_warning_pct
          ? undefined
          : `the scenario's cgroup was at ${seen.usedPct.toFixed(1)} % of its limit only`;
      },
      memory_high_throttling(f, subjects) {
        const cg = cgroups(subjects);
        return cg.some((c) => sameCgroup(f.subject, c.path))
          ? undefined
          : `subject "${f.subject}" is not the scenario's cgroup ${cg.map((c) => c.path).join(', ')}`;
      },
    },
  },
};
