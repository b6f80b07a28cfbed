// slow-disk → disk_io_write_high: a block device whose writes take long at the device. A loop device
// (the "slow disk") is stacked on a second loop device over a file of ours, and writes to the lower one are
// throttled to 1 MiB/s (cgroup v1 blkio in the root group, for that device only — kernel writeback is
// accounted to the root group on v1; cgroup2 io.max in the writer's group, where writeback is accounted to
// the writer). Every request the slow disk receives waits at the device for the throttle: a disk image on
// bandwidth-capped storage, as a VM or a network volume at its cap sees it. The writer is coreutils dd with
// oflag=nocache, whose fadvise(DONTNEED) starts writeback at once: ordinary (not sync) writes, the class
// the rule judges, paced so the backlog stays bounded. Nothing but our own devices is slowed.
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createIoThrottleCgroup, createTaskCgroup } from '../cgroup.js';
import { detectBlkioRoot } from '../host.js';
import { formatDuration } from '../../util/duration.js';
import { formatBytes } from '../../util/bytes.js';
import { byIntensity, MiB } from '../options.js';
import { readDiskCounters, run } from '../proc.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';
import { isKind } from '../match.js';

const RULES = ['disk_io_write_high'] as const;
const DISK_BYTES = 256 * MiB;
const BLOCK = 256 * 1024;
const THROTTLE_BPS = 1 * MiB;

/** The writer's pace: `blocks` × 256 KiB every `periodS`, never faster on average than the throttle. */
export function slowDiskParams(intensity: Intensity): { blocks: number; periodS: number } {
  // Each batch drains at 1 MiB/s, so its last write waits batch ÷ 1 MiB/s: 0.5 s, 1 s, 4 s.
  return byIntensity(intensity, {
    low: { blocks: 2, periodS: 1 },
    medium: { blocks: 4, periodS: 1 },
    high: { blocks: 16, periodS: 4 },
  });
}

function requireLosetup(): Promise<unknown> {
  return run('losetup', ['--version']).catch(() => {
    throw new Error('slow-disk needs losetup (util-linux); install it');
  });
}

export const slowDiskScenario: Scenario = {
  name: 'slow-disk',
  rules: RULES,
  description: 'ordinary writes to a loop device whose backing device is throttled to 1 MiB/s',
  needsRoot: true,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = slowDiskParams(opts.intensity);
    return [
      `create a sparse ${formatBytes(DISK_BYTES)} file ${join(host.scratchDir, 'kerno-chaos-wdisk-<id>')}, a loop device on it and a second loop device (the slow disk) on that one`,
      `throttle writes to the lower loop device to ${formatBytes(THROTTLE_BPS)}/s (cgroup v1 blkio: a rule for that device only; cgroup2: io.max of the writer's group)`,
      `write ${formatBytes(p.blocks * BLOCK)} to the slow disk every ${formatDuration(p.periodS * 1e9)} with dd oflag=nocache (writeback starts at once), in cgroup kerno-chaos-wdisk-<id>`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('slow-disk', RULES, opts, ctx);
    await requireLosetup();
    const p = slowDiskParams(opts.intensity);
    const s = ctx.session;
    const image = join(ctx.host.scratchDir, s.name('wdisk'));
    s.register({ kind: 'path', path: image });
    const fd = openSync(image, 'wx', 0o600);
    try {
      ftruncateSync(fd, DISK_BYTES); // sparse: no disk space until written
    } finally {
      closeSync(fd);
    }
    s.register({ kind: 'loop', backing: image });
    const lower = (await run('losetup', ['--find', '--show', '--direct-io=on', image])).stdout.trim();
    s.register({ kind: 'loop', backing: lower });
    const slow = (await run('losetup', ['--find', '--show', '--direct-io=on', lower])).stdout.trim();
    const lowerDev = readFileSync(`/sys/block/${basename(lower)}/dev`, 'utf8').trim();
    const slowName = basename(slow);
    const slowDev = readFileSync(`/sys/block/${slowName}/dev`, 'utf8').trim();

    let procsFile: string;
    const blkio = detectBlkioRoot();
    if (blkio !== undefined) {
      const file = join(blkio, 'blkio.throttle.write_bps_device');
      s.register({ kind: 'io-throttle', file, dev: lowerDev });
      writeFileSync(file, `${lowerDev} ${THROTTLE_BPS}`);
      procsFile = createTaskCgroup(s, ctx.host, 'wdisk').procsFile;
    } else {
      // Untested here (this host's cgroup2 has no io controller): io.max needs cgroup writeback.
      procsFile = createIoThrottleCgroup(s, ctx.host, 'wdisk', lowerDev, THROTTLE_BPS).procsFile;
    }
    const lastBlock = DISK_BYTES / BLOCK - p.blocks;
    const script = [
      'echo $$ > "$1" || exit 1',
      'i=0',
      'while :; do',
      `  dd if=/dev/zero of="$2" bs=${BLOCK} count=${p.blocks} seek=$(( (i * ${p.blocks}) % ${lastBlock} )) oflag=nocache conv=notrunc status=none || exit 1`,
      '  i=$((i + 1))',
      `  sleep ${p.periodS}`,
      'done',
    ].join('\n');
    const disk0 = readDiskCounters(slowName);
    const t0 = performance.now();
    const w = s.startCommand('/bin/sh', ['-c', script, 'sh', procsFile, slow], 'kchaos-wdisk');
    const subject = { kind: 'device', dev: slowDev, name: slowName } as const;
    result.subjects.push(subject);
    ctx.onSubject(subject);
    ctx.log(
      `    ${slow} (${slowDev}) on ${lower} (${lowerDev}, throttled to ${formatBytes(THROTTLE_BPS)}/s) on ${image}`,
    );
    result.aborted = await holdUntilEnd(ctx, [w]);
    const windowMs = performance.now() - t0;
    const disk1 = readDiskCounters(slowName);
    await w.stop();
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      throttleBytesPerSec: THROTTLE_BPS,
      batchBytes: p.blocks * BLOCK,
      periodMs: p.periodS * 1000,
    };
    if (disk0 && disk1) {
      const writes = disk1.writes - disk0.writes;
      Object.assign(result.observed, {
        // /proc/diskstats of the slow disk: ground truth for the per-request device time.
        deviceWrites: writes,
        deviceAvgWriteNs:
          writes > 0 ? Math.round(((disk1.writeTicksMs - disk0.writeTicksMs) / writes) * 1e6) : 0,
        deviceAvgQueueDepth: Math.round(((disk1.weightedMs - disk0.weightedMs) / windowMs) * 10) / 10,
      });
    }
    return result;
  },
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 3000,
    ready: {
      'kerno-worker': isKind('device'),
    },
    match: {
      disk_io_write_high(f, subjects) {
        const dev = subjects.find((s) => s.kind === 'device');
        if (dev?.kind !== 'device') return 'the scenario reported no device';
        return f.subject === `/dev/${dev.name} (${dev.dev})`
          ? undefined
          : `subject "${f.subject}" is not /dev/${dev.name}`;
      },
    },
  },
};
