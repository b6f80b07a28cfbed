// The slow-disk scenario's resources (a loop device stacked on a loop device over a kerno-chaos file, and a
// blkio throttle rule for the lower one) are removed by the cleanup journal of a killed run, and by the
// orphan sweep when the journal is lost. Real loop devices and real cgroup files, no incident: nothing is
// written through the devices.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { cleanupStale } from '../../src/chaos/cleanup.js';
import { writeState, type RunState } from '../../src/chaos/journal.js';
import { detectBlkioRoot } from '../../src/chaos/host.js';
import { newRunId } from '../../src/chaos/session.js';
import { processStartTime } from '../../src/chaos/proc.js';

before(() => requireKernel());

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();

function sparseFile(path: string): void {
  const fd = openSync(path, 'wx', 0o600);
  ftruncateSync(fd, 16 << 20);
  closeSync(fd);
}

function backingOf(dev: string): string | undefined {
  try {
    return readFileSync(`/sys/block/${basename(dev)}/loop/backing_file`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function deadOwner(): Promise<{ pid: number; startTime: number }> {
  const dead = spawn('sleep', ['0.2'], { stdio: 'ignore' });
  const startTime = processStartTime(dead.pid!)!;
  await new Promise((r) => dead.on('exit', r));
  return { pid: dead.pid!, startTime };
}

test('a killed slow-disk run: its loop devices, throttle rule, cgroup and file are removed', async () => {
  const blkio = detectBlkioRoot();
  assert.ok(blkio !== undefined, 'this host mounts the cgroup v1 blkio hierarchy');
  const throttleFile = join(blkio, 'blkio.throttle.write_bps_device');
  const id = newRunId();
  const image = join('/var/tmp', `kerno-chaos-wdisk-${id}`);
  const cg = join(blkio, `kerno-chaos-slowio-${id}`);
  sparseFile(image);
  const lower = sh('losetup', ['--find', '--show', '--direct-io=on', image]);
  const upper = sh('losetup', ['--find', '--show', '--direct-io=on', lower]);
  const lowerDev = readFileSync(`/sys/block/${basename(lower)}/dev`, 'utf8').trim();
  try {
    execFileSync('sh', ['-c', `echo "${lowerDev} 1048576" > ${throttleFile}`]);
    mkdirSync(cg);
    assert.equal(backingOf(upper), lower);
    assert.match(readFileSync(throttleFile, 'utf8'), new RegExp(`^${lowerDev} 1048576$`, 'm'));
    const stale: RunState = {
      version: 1,
      id,
      scenario: 'slow-disk',
      owner: await deadOwner(),
      createdAt: new Date().toISOString(),
      resources: [
        { kind: 'path', path: image },
        { kind: 'loop', backing: image },
        { kind: 'loop', backing: lower },
        { kind: 'io-throttle', file: throttleFile, dev: lowerDev },
        { kind: 'cgroup', dir: cg },
      ],
    };
    writeState(stale);
    const report = await cleanupStale();
    assert.ok(report.staleRuns.includes(id));
    assert.deepEqual(report.failed, []);
    assert.equal(backingOf(upper), undefined, `${upper} detached`);
    assert.equal(backingOf(lower), undefined, `${lower} detached`);
    assert.doesNotMatch(readFileSync(throttleFile, 'utf8'), new RegExp(`^${lowerDev} `, 'm'));
    assert.ok(!existsSync(cg), 'cgroup removed');
    assert.ok(!existsSync(image), 'backing file removed');
  } finally {
    for (const d of [upper, lower]) if (backingOf(d) !== undefined) sh('losetup', ['--detach', d]);
    execFileSync('sh', ['-c', `echo "${lowerDev} 0" > ${throttleFile}`]);
    rmSync(image, { force: true });
    if (existsSync(cg)) rmSync(cg, { recursive: true, force: true });
  }
});

test('orphan sweep: loop devices on a kerno-chaos file with no journal are detached, top first', async () => {
  const id = newRunId();
  const image = join('/var/tmp', `kerno-chaos-wdisk-${id}`);
  sparseFile(image);
  const lower = sh('losetup', ['--find', '--show', image]);
  const upper = sh('losetup', ['--find', '--show', lower]);
  try {
    const report = await cleanupStale();
    assert.deepEqual(report.failed, []);
    assert.ok(report.removed.includes(`loop device ${upper}`), report.removed.join('; '));
    assert.ok(report.removed.includes(`loop device ${lower}`), report.removed.join('; '));
    assert.equal(backingOf(upper), undefined);
    assert.equal(backingOf(lower), undefined);
    assert.ok(!existsSync(image), 'the orphan file went too');
  } finally {
    for (const d of [upper, lower]) if (backingOf(d) !== undefined) sh('losetup', ['--detach', d]);
    rmSync(image, { force: true });
  }
});
