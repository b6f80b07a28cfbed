// The cgroup_cpu collector over cgroupfs-shaped directory trees: the v2 file formats (this machine has no v2
// cpu controller; the v1 controller is measured for real in test/kernel/cgroup-cpu.test.ts), window deltas,
// leaf-only selection, cgroups created or recreated during the window, and the metrics it exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CgroupCpuCollector } from '../../../src/collectors/cgroup-cpu.js';
import { parseCfsQuota, parseCpuMax, parseCpuStat } from '../../../src/collectors/procfs/cgroup-cpu-files.js';
import type { CgroupCpuEntry, CgroupCpuSignals } from '../../../src/signals/types.js';
import { manualClock, testContext, tmpDir } from './fixtures.js';

const UID = '6b1f0a44-94b0-4d6e-9c3c-2f1b5a7e8d90';
const CID = '1'.repeat(64);
const POD = `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice`;
const CTR = `${POD}/cri-containerd-${CID}.scope`;

async function write(root: string, rel: string, files: Record<string, string>): Promise<void> {
  const dir = join(root, rel);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
}

function statV2(usageUs: number, periods: number, throttled: number, throttledUs: number): string {
  return (
    `usage_usec ${usageUs}\nuser_usec ${usageUs}\nsystem_usec 0\nnr_periods ${periods}\n` +
    `nr_throttled ${throttled}\nthrottled_usec ${throttledUs}\nnr_bursts 0\nburst_usec 0\n`
  );
}

function byPath(s: CgroupCpuSignals | undefined, rel: string): CgroupCpuEntry {
  const e = s?.cgroups.find((x) => x.cgroupPath === `/${rel}`);
  assert.ok(e, `no entry for /${rel}: ${s?.cgroups.map((x) => x.cgroupPath).join(', ')}`);
  return e;
}

test('file formats: cpu.max, cfs quota/period, cpu.stat v1 and v2', () => {
  assert.deepEqual(parseCpuMax('20000 100000\n'), { quotaUs: 20_000, periodUs: 100_000 });
  assert.equal(parseCpuMax('max 100000\n'), undefined);
  assert.equal(parseCpuMax(''), undefined);
  assert.deepEqual(parseCfsQuota('50000\n', '100000\n'), { quotaUs: 50_000, periodUs: 100_000 });
  assert.equal(parseCfsQuota('-1\n', '100000\n'), undefined);
  assert.deepEqual(parseCpuStat(2, statV2(5_000_000, 30, 12, 900_000)), {
    periods: 30,
    throttledPeriods: 12,
    throttledNs: 900_000_000,
    usageNs: 5_000_000_000,
  });
  // v1 throttled_time is already ns, and v1 cpu.stat carries no usage.
  assert.deepEqual(
    parseCpuStat(1, 'nr_periods 36\nnr_throttled 23\nthrottled_time 531149935\nnr_bursts 0\nburst_time 0\n'),
    { periods: 36, throttledPeriods: 23, throttledNs: 531_149_935 },
  );
});

test('v2: window deltas per quota’d leaf, pod identity, created and recreated cgroups', async () => {
  const { dir, cleanup } = await tmpDir('cgcpu');
  try {
    await writeFile(join(dir, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    await writeFile(join(dir, 'cpu.stat'), statV2(9e9, 0, 0, 0));
    // The pod has a quota and so does its container: only the container is a leaf.
    await write(dir, POD, { 'cpu.max': '100000 100000\n', 'cpu.stat': statV2(1_000_000, 100, 10, 50_000) });
    await write(dir, CTR, { 'cpu.max': '50000 100000\n', 'cpu.stat': statV2(1_000_000, 100, 10, 50_000) });
    // Busy but under its quota: never throttled.
    await write(dir, 'system.slice/nginx.service', {
      'cpu.max': '200000 100000\n',
      'cpu.stat': statV2(4_000_000, 50, 0, 0),
    });
    await write(dir, 'system.slice/recreated.service', {
      'cpu.max': '100000 100000\n',
      'cpu.stat': statV2(8_000_000, 400, 300, 9_000_000),
    });
    await write(dir, 'nolimit', { 'cpu.max': 'max 100000\n', 'cpu.stat': statV2(3_000_000, 0, 0, 0) });

    const clock = manualClock();
    const c = new CgroupCpuCollector({ root: dir, nowNs: clock.now, maxEntries: 100 });
    const ctx = testContext();
    await c.start(ctx);
    clock.advanceSec(10);
    // During the 10 s window: the container ran 100 periods, 80 throttled, 6 s throttled, 5 s of CPU.
    await write(dir, CTR, { 'cpu.stat': statV2(6_000_000, 200, 90, 6_050_000) });
    await write(dir, 'system.slice/nginx.service', { 'cpu.stat': statV2(19_000_000, 150, 0, 0) });
    // Removed and created again under the same path: its counters restarted below the baseline.
    await write(dir, 'system.slice/recreated.service', { 'cpu.stat': statV2(2_000_000, 40, 20, 1_000_000) });
    // Created during the window, with a quota: counts from zero over the whole window.
    await write(dir, 'batch', {
      'cpu.max': '10000 50000\n',
      'cpu.stat': statV2(1_000_000, 60, 45, 2_000_000),
    });

    const { cgroupCpu } = await c.snapshot(10e9);
    assert.equal(cgroupCpu?.root, dir);
    assert.deepEqual(
      cgroupCpu.cgroups.map((e) => e.cgroupPath),
      [`/${CTR}`, '/batch', '/system.slice/recreated.service', '/system.slice/nginx.service'],
      'most throttled first; the pod (quota’d parent) and the unlimited cgroup are not reported',
    );
    const ctr = byPath(cgroupCpu, CTR);
    assert.equal(ctr.version, 2);
    assert.equal(ctr.quotaCores, 0.5);
    assert.equal(ctr.periodUs, 100_000);
    assert.equal(ctr.periods, 100);
    assert.equal(ctr.throttledPeriods, 80);
    assert.equal(ctr.throttledPct, 80);
    assert.ok(Math.abs(ctr.throttledSec - 6) < 1e-9);
    assert.ok(Math.abs(ctr.throttledTimePct - 60) < 1e-9);
    assert.ok(Math.abs(ctr.usageCores! - 0.5) < 1e-9);
    assert.equal(ctr.podUid, UID);
    assert.equal(ctr.containerId, CID);

    const batch = byPath(cgroupCpu, 'batch');
    assert.equal(batch.quotaCores, 0.2);
    assert.equal(batch.periodUs, 50_000);
    assert.equal(batch.periods, 60);
    assert.equal(batch.throttledPct, 75);
    assert.ok(Math.abs(batch.usageCores! - 0.1) < 1e-9, 'usage over the window since its baseline of zero');

    const re = byPath(cgroupCpu, 'system.slice/recreated.service');
    assert.equal(re.periods, 40, 'counted from zero, not negative');
    assert.equal(re.throttledPeriods, 20);

    const nginx = byPath(cgroupCpu, 'system.slice/nginx.service');
    assert.equal(nginx.throttledPeriods, 0);
    assert.equal(nginx.throttledPct, 0);
    assert.ok(Math.abs(nginx.usageCores! - 1.5) < 1e-9);
    assert.equal(nginx.unit, 'nginx.service');

    // reset(): the next window starts from the current counters.
    await c.reset();
    clock.advanceSec(5);
    await write(dir, CTR, { 'cpu.stat': statV2(6_500_000, 210, 90, 6_050_000) });
    const next = byPath((await c.snapshot(5e9)).cgroupCpu, CTR);
    assert.equal(next.periods, 10);
    assert.equal(next.throttledPeriods, 0);
    assert.ok(Math.abs(next.usageCores! - 0.1) < 1e-9);

    // Metrics are the cumulative counters, not the window's.
    const m = await c.metrics();
    const series = (fam: string) => m.counters?.[fam]?.find((s) => s.labels.cgroup === `/${CTR}`)?.value;
    assert.equal(series('cgroup_cpu_periods_total'), 210);
    assert.equal(series('cgroup_cpu_throttled_periods_total'), 90);
    assert.ok(Math.abs(series('cgroup_cpu_throttled_seconds_total')! - 6.05) < 1e-9);
    assert.equal(m.gauges?.cgroup_cpu_quota_cores?.find((s) => s.labels.cgroup === `/${CTR}`)?.value, 0.5);
    assert.deepEqual(ctx.faults, []);

    // maxEntries bounds the report, keeping the most throttled.
    const small = new CgroupCpuCollector({ root: dir, nowNs: clock.now, maxEntries: 1 });
    await small.start(testContext());
    clock.advanceSec(1);
    await write(dir, 'batch', { 'cpu.stat': statV2(1_100_000, 70, 55, 2_100_000) });
    const one = (await small.snapshot(1e9)).cgroupCpu!.cgroups;
    assert.deepEqual(
      one.map((e) => e.cgroupPath),
      ['/batch'],
    );
  } finally {
    await cleanup();
  }
});

test('no cpu hierarchy at the given root: a contextual error', async () => {
  const { dir, cleanup } = await tmpDir('cgcpu-none');
  try {
    await writeFile(join(dir, 'cgroup.controllers'), 'memory pids\n');
    const c = new CgroupCpuCollector({ root: dir });
    await assert.rejects(
      c.start(testContext()),
      /cgroup_cpu: no cpu cgroup hierarchy at .*cgroup\.controllers/,
    );
  } finally {
    await cleanup();
  }
});

test('v1 tree with cpuacct as a separate hierarchy: usage from cpuacct.usage at the same path', async () => {
  const { dir, cleanup } = await tmpDir('cgcpu-v1');
  try {
    const cpu = join(dir, 'cpu');
    const acct = join(dir, 'cpuacct');
    const v1 = (periods: number, throttled: number, ns: number) =>
      `nr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_time ${ns}\nnr_bursts 0\nburst_time 0\n`;
    await write(cpu, '', {
      'cpu.cfs_quota_us': '-1\n',
      'cpu.cfs_period_us': '100000\n',
      'cpu.stat': v1(0, 0, 0),
    });
    await write(acct, '', { 'cpuacct.usage': '1\n' });
    await write(cpu, 'app', {
      'cpu.cfs_quota_us': '20000\n',
      'cpu.cfs_period_us': '100000\n',
      'cpu.stat': v1(10, 5, 1e8),
    });
    await write(acct, 'app', { 'cpuacct.usage': '1000000000\n' });
    // No cpuacct twin: throttling is known, usage is not.
    await write(cpu, 'lonely', {
      'cpu.cfs_quota_us': '50000\n',
      'cpu.cfs_period_us': '100000\n',
      'cpu.stat': v1(0, 0, 0),
    });
    const clock = manualClock();
    const c = new CgroupCpuCollector({ root: dir, nowNs: clock.now });
    await c.start(testContext());
    clock.advanceSec(3);
    await write(cpu, 'app', { 'cpu.stat': v1(40, 35, 1e8 + 2.4e9) });
    await write(acct, 'app', { 'cpuacct.usage': String(1e9 + 0.6e9) });
    await write(cpu, 'lonely', { 'cpu.stat': v1(30, 0, 0) });
    const { cgroupCpu } = await c.snapshot(3e9);
    assert.equal(cgroupCpu?.root, cpu);
    const app = byPath(cgroupCpu, 'app');
    assert.equal(app.version, 1);
    assert.equal(app.quotaCores, 0.2);
    assert.equal(app.periods, 30);
    assert.equal(app.throttledPeriods, 30);
    assert.equal(app.throttledPct, 100);
    assert.ok(Math.abs(app.throttledTimePct - 80) < 1e-9);
    assert.ok(Math.abs(app.usageCores! - 0.2) < 1e-9);
    const lonely = byPath(cgroupCpu, 'lonely');
    assert.equal(lonely.usageCores, undefined);
    assert.equal(lonely.periods, 30);
  } finally {
    await cleanup();
  }
});
