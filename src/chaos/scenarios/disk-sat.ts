// disk-sat → disk_io_bottleneck / io_pressure_stall: many writers doing O_DIRECT|O_DSYNC writes (every write
// is a synchronous request that must reach the device) to files on the root disk. Which rule this reaches
// depends on the disk: a fast virtual disk answers each request in milliseconds, so only a deep queue
// pushes what each writer waits for (queued + device time, kerno's sync class) past 50 ms: high intensity
// does (measured here: sync p99 110-145 ms), medium does not (~22 ms); I/O pressure (tasks waiting on I/O)
// is reached at every intensity.
// stress-ng: its hdd stressor, one process per writer, each writing its own files with direct I/O and an
// fsync after every write. Buffered writes with fsync alone do not load this disk: the fsyncs serialise on
// the ext4 journal (measured here, 64 writers × 4 MiB: queue depth 2, 4 ms per write); direct,fsync: depth
// 89, 44 ms per write.
import { mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { createPressureCgroup, createTaskCgroup, pressureFileFor } from '../cgroup.js';
import { requireRootForStressNg, startStressNg, subjectReporter, waitForStressors } from '../stress-ng.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity, MiB } from '../options.js';
import { readDiskCounters, readPsi } from '../proc.js';
import { num } from '../worker.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';
import { isProcess, isStressor } from '../match.js';

const RULES = ['disk_io_bottleneck', 'io_pressure_stall'] as const;

export function diskSatParams(intensity: Intensity): {
  writers: number;
  blockBytes: number;
  fileBytes: number;
} {
  const p = byIntensity(intensity, {
    low: { writers: 8, blockBytes: 64 * 1024 },
    medium: { writers: 32, blockBytes: 1 * MiB },
    high: { writers: 64, blockBytes: 4 * MiB },
  });
  // Each writer overwrites its own file in a loop: the disk stays busy without the filesystem filling up.
  return { ...p, fileBytes: Math.max(16 * MiB, 4 * p.blockBytes) };
}

export const diskSatScenario: Scenario = {
  name: 'disk-sat',
  rules: RULES,
  expect: [RULES],
  description: 'many writers doing synchronous direct writes (O_DIRECT|O_DSYNC) to the root disk',
  needsRoot: false,
  inducers: ['kerno-worker', 'stress-ng'],
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = diskSatParams(opts.intensity);
    const dev = host.scratchDevice ? ` on ${host.scratchDevice.name} (${host.scratchDevice.dev})` : '';
    const mk = `create directory ${join(host.scratchDir, 'kerno-chaos-disk-<id>')}${dev}${host.scratchOnDisk ? '' : ' — WARNING: this is not a disk-backed filesystem'}`;
    if (opts.inducer === 'stress-ng') {
      return [
        mk,
        `start stress-ng --hdd ${p.writers} --hdd-opts direct,fsync (in cgroup kerno-chaos-disk-<id>): ${p.writers} writer processes (stress-ng-hdd), each writing a ${formatBytes(p.fileBytes)} file in ${formatBytes(p.blockBytes)} O_DIRECT writes with an fsync after each (${formatBytes(p.writers * p.fileBytes)} of disk space)`,
        runsFor(opts),
      ];
    }
    return [
      mk,
      `start one process (kchaos-disk) with ${p.writers} writer threads, each overwriting its own ${formatBytes(p.fileBytes)} file in ${formatBytes(p.blockBytes)} O_DIRECT|O_DSYNC writes as fast as the disk allows (${formatBytes(p.writers * p.fileBytes)} of disk space)`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('disk-sat', RULES, opts, ctx);
    if (!ctx.host.scratchOnDisk) {
      throw new Error(`disk-sat needs a disk-backed directory; ${ctx.host.scratchDir} is in memory (tmpfs)`);
    }
    const p = diskSatParams(opts.intensity);
    const st = statfsSync(ctx.host.scratchDir);
    const writers = p.writers;
    const need = writers * p.fileBytes + 512 * MiB;
    if (st.bavail * st.bsize < need) {
      throw new Error(
        `disk-sat needs ${formatBytes(need)} free in ${ctx.host.scratchDir}, only ${formatBytes(st.bavail * st.bsize)} available`,
      );
    }
    const dir = join(ctx.host.scratchDir, ctx.session.name('disk'));
    ctx.session.register({ kind: 'path', path: dir });
    mkdirSync(dir);
    const pg = createPressureCgroup(ctx.session, ctx.host, 'disk');
    const dev = ctx.host.scratchDevice;
    const disk0 = dev ? readDiskCounters(dev.name) : undefined;
    const psi0 = readPsi('/proc/pressure/io');
    const pgFile = pressureFileFor(undefined, pg, 'io');
    const pg0 = pgFile ? readPsi(pgFile) : undefined;
    const t0 = performance.now();
    const stressNg = opts.inducer === 'stress-ng';
    let w;
    if (stressNg) {
      requireRootForStressNg(ctx.host);
      // The stressors must sit in one of our cgroups (cleanup finds them there): the pressure group when
      // there is one (one process cannot be in two groups of one hierarchy), else a group of their own.
      const procsFile = pg?.procsFile ?? createTaskCgroup(ctx.session, ctx.host, 'disk').procsFile;
      w = startStressNg(
        ctx.session,
        [procsFile],
        [
          '--hdd',
          String(writers),
          '--hdd-opts',
          'direct,fsync',
          '--hdd-bytes',
          String(p.fileBytes),
          '--hdd-write-size',
          String(p.blockBytes),
          '--temp-path',
          dir,
        ],
      );
      const procs = await waitForStressors(ctx, w, procsFile, 'stress-ng-hdd', writers);
      if (dev) {
        const d = { kind: 'device', dev: dev.dev, name: dev.name } as const;
        result.subjects.push(d);
        ctx.onSubject(d);
      }
      subjectReporter(ctx.onSubject, result.subjects)(procs);
      ctx.log(
        `    stress-ng pid ${w.pid}: ${procs.length} hdd writers × ${formatBytes(p.blockBytes)} + fsync in ${dir}`,
      );
    } else {
      w = ctx.session.startWorker({
        mode: 'disk',
        comm: 'kchaos-disk',
        join: pg ? [pg.procsFile] : [],
        args: { writers: p.writers, block: p.blockBytes, 'max-file-bytes': p.fileBytes, direct: 1, dir },
      });
      await w.ready();
      if (dev) {
        const d = { kind: 'device', dev: dev.dev, name: dev.name } as const;
        result.subjects.push(d);
        ctx.onSubject(d);
      }
      const proc = { kind: 'process', pid: w.pid, comm: 'kchaos-disk' } as const;
      result.subjects.push(proc);
      ctx.onSubject(proc);
      ctx.log(
        `    pid ${w.pid}: ${p.writers} writers × ${formatBytes(p.blockBytes)} O_DIRECT|O_DSYNC in ${dir}`,
      );
    }
    result.aborted = await holdUntilEnd(ctx, [w]);
    const windowUs = (performance.now() - t0) * 1000;
    const disk1 = dev ? readDiskCounters(dev.name) : undefined;
    const psi1 = readPsi('/proc/pressure/io');
    const pg1 = pgFile ? readPsi(pgFile) : undefined;
    const done = (await w.stop()).done;
    result.elapsedNs = elapsedSince(start);
    result.observed = { writers, blockBytes: p.blockBytes };
    if (!stressNg) {
      Object.assign(result.observed, {
        writes: num(done, 'writes'),
        bytesWritten: num(done, 'bytes'),
        // Whole pwrite() latency seen by the writers (queueing in the kernel included).
        writeP50Ns: num(done, 'writeP50Ns'),
        writeP99Ns: num(done, 'writeP99Ns'),
        writeMaxNs: num(done, 'writeMaxNs'),
      });
    }
    if (disk0 && disk1) {
      const writes = disk1.writes - disk0.writes;
      const flushes = disk1.flushes - disk0.flushes;
      Object.assign(result.observed, {
        deviceWrites: writes,
        // /proc/diskstats averages: time from issue to completion per request, all requests of the disk.
        deviceAvgWriteNs:
          writes > 0 ? Math.round(((disk1.writeTicksMs - disk0.writeTicksMs) / writes) * 1e6) : 0,
        deviceFlushes: flushes,
        deviceAvgFlushNs:
          flushes > 0 ? Math.round(((disk1.flushTicksMs - disk0.flushTicksMs) / flushes) * 1e6) : 0,
        deviceAvgQueueDepth:
          Math.round(((disk1.weightedMs - disk0.weightedMs) / (windowUs / 1000)) * 10) / 10,
      });
    }
    if (psi0 && psi1) {
      Object.assign(result.observed, {
        hostIoSomePct: pct(psi1.someUs - psi0.someUs, windowUs),
        hostIoFullPct: pct(psi1.fullUs - psi0.fullUs, windowUs),
      });
    }
    if (pg0 && pg1) {
      Object.assign(result.observed, {
        cgroupIoSomePct: pct(pg1.someUs - pg0.someUs, windowUs),
        cgroupIoFullPct: pct(pg1.fullUs - pg0.fullUs, windowUs),
      });
    }
    return result;
  },
  verify: {
    intensity: 'high',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-disk'),
      'stress-ng': isStressor('hdd'),
    },
    match: {
      disk_io_bottleneck(f, subjects) {
        const dev = subjects.find((s) => s.kind === 'device');
        if (dev?.kind !== 'device') return 'the scenario reported no device';
        return f.subject === `/dev/${dev.name} (${dev.dev})`
          ? undefined
          : `subject "${f.subject}" is not /dev/${dev.name}`;
      },
      io_pressure_stall(f, subjects) {
        if (f.subject !== '') return `expected a host-wide finding, got subject "${f.subject}"`;
        const dev = subjects.find((s) => s.kind === 'device');
        if (dev?.kind !== 'device') return undefined; // the scenario could not resolve its disk
        return f.evidence.some((e) => e.startsWith(`${dev.name}:`))
          ? undefined
          : `evidence does not name the scenario's device ${dev.name}`;
      },
    },
  },
};
