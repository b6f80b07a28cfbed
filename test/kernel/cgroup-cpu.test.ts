// Real cgroup v1 cpu + cpuacct controllers (this machine has no v2 cpu controller: its cgroup2 mount offers
// hugetlb only; the v2 file formats are covered in test/unit/collectors/cgroup-cpu.test.ts). Ground truth:
// a shell loop that wants a whole CPU inside a 0.2-core quota is throttled in (nearly) every period and uses
// 0.2 cores; a mostly sleeping process under a 2-core quota is never throttled.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { CgroupCpuCollector } from '../../src/collectors/cgroup-cpu.js';
import type { CollectorContext } from '../../src/collectors/types.js';
import type { CgroupCpuEntry } from '../../src/signals/types.js';
import { cpuThrottled } from '../../rules/cpu_throttled.js';
import { DEFAULT_THRESHOLDS } from '../../src/doctor/thresholds.js';
import { quietSignals } from '../unit/rules/fixtures.js';
import { requireKernel } from '../helpers/kernel.js';

const V1_CPU = '/sys/fs/cgroup/cpu';
const V1_CPUACCT = '/sys/fs/cgroup/cpuacct';
const WINDOW_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function context(): CollectorContext & { faults: unknown[] } {
  const faults: unknown[] = [];
  return { signal: new AbortController().signal, fault: (e) => faults.push(e), log: () => {}, faults };
}

async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function cpuStat(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await readFile(`${dir}/cpu.stat`, 'utf8')).split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v) out[k] = Number(v);
  }
  return out;
}

function findEntry(entries: CgroupCpuEntry[], rel: string): CgroupCpuEntry {
  const e = entries.find((x) => x.cgroupPath === rel);
  assert.ok(e, `no entry for ${rel}; got ${entries.map((x) => x.cgroupPath).join(', ')}`);
  return e;
}

before(() => requireKernel());

const dirs: string[] = []; // removal order: children before parents
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await killAndWait(c);
  const left: string[] = [];
  for (const dir of [...dirs].reverse()) {
    try {
      await rmdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(`${dir}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(left, [], 'test cgroups removed');
});

/**
 * A v1 cpu cgroup with a quota and its cpuacct twin of the same name. The weight is the maximum so that the
 * quota is the only limit the process meets on this shared, busy VM: at the default weight a spinner
 * competing with a load of ~27 on 2 CPUs sometimes does not get its 20 ms within a period, and then it is
 * not throttled in that period (measured: 64-94 % of periods) — the competition, not the quota, held it back.
 */
async function makeCgroup(
  quotaUs: number,
  periodUs = 100_000,
  parent = '',
): Promise<{ rel: string; cpu: string; acct: string }> {
  const rel = `${parent}/kerno-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const cpu = `${V1_CPU}${rel}`;
  const acct = `${V1_CPUACCT}${rel}`;
  await mkdir(cpu);
  dirs.push(cpu);
  await mkdir(acct);
  dirs.push(acct);
  await writeFile(`${cpu}/cpu.cfs_period_us`, String(periodUs));
  await writeFile(`${cpu}/cpu.cfs_quota_us`, String(quotaUs));
  await writeFile(`${cpu}/cpu.shares`, '262144');
  return { rel, cpu, acct };
}

async function startIn(cg: { cpu: string; acct: string }, script: string): Promise<ChildProcess> {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await writeFile(`${cg.cpu}/cgroup.procs`, String(child.pid));
  await writeFile(`${cg.acct}/cgroup.procs`, String(child.pid));
  return child;
}

test('v1: a spinner under a 0.2-core quota is throttled in nearly every period; a sleeper under 2 cores never', async () => {
  const hot = await makeCgroup(20_000);
  const idle = await makeCgroup(200_000);
  // Leaf-only: a quota'd parent whose child has its own quota is reported through the child alone.
  const parent = await makeCgroup(100_000);
  const leaf = await makeCgroup(50_000, 100_000, parent.rel);
  const spinner = await startIn(hot, 'while :; do :; done');
  // Wakes 20 times a second for a moment: active in most periods, far below 2 cores.
  const sleeper = await startIn(idle, 'while :; do sleep 0.05; done');
  await sleep(300); // both settled in their groups before the window opens

  const collector = new CgroupCpuCollector({ maxEntries: 100_000 });
  const ctx = context();
  try {
    const hotBefore = await cpuStat(hot.cpu);
    await collector.start(ctx);
    const startedAt = performance.now();
    await sleep(WINDOW_MS);
    const { cgroupCpu } = await collector.snapshot((performance.now() - startedAt) * 1e6);
    const hotAfter = await cpuStat(hot.cpu);
    assert.ok(cgroupCpu);
    assert.match(cgroupCpu.root, /\/sys\/fs\/cgroup\/cpu\b/);

    const h = findEntry(cgroupCpu.cgroups, hot.rel);
    assert.equal(h.version, 1);
    assert.equal(h.quotaCores, 0.2);
    assert.equal(h.periodUs, 100_000);
    // Periods tick every 100 ms while the spinner is runnable: ~30 in 3 s.
    assert.ok(h.periods >= 25 && h.periods <= 40, `periods ${h.periods} in ${WINDOW_MS} ms`);
    // The kernel's own counters read just outside the collector's window bound its deltas.
    const filePeriods = hotAfter.nr_periods! - hotBefore.nr_periods!;
    assert.ok(h.periods <= filePeriods && h.periods >= filePeriods - 3, `${h.periods} vs ${filePeriods}`);
    assert.ok(h.throttledPct >= 80, `throttled in ${h.throttledPct} % of periods`);
    assert.ok(
      Math.abs(h.throttledPct - (h.throttledPeriods / h.periods) * 100) < 1e-9,
      'throttledPct is throttledPeriods ÷ periods',
    );
    assert.ok(h.usageCores !== undefined, 'usage from the cpuacct twin');
    assert.ok(Math.abs(h.usageCores - 0.2) <= 0.05, `usage ${h.usageCores} cores vs quota 0.2`);
    // ~80 ms of every 100 ms period waiting: well over half the window.
    assert.ok(h.throttledTimePct >= 50, `throttled ${h.throttledTimePct} % of the window`);
    assert.ok(h.throttledSec > 0 && h.throttledSec < WINDOW_MS / 1000 + 1, `${h.throttledSec} s`);

    const i = findEntry(cgroupCpu.cgroups, idle.rel);
    assert.equal(i.quotaCores, 2);
    assert.ok(i.periods >= 10, `the sleeper is active in periods too (${i.periods})`);
    assert.equal(i.throttledPeriods, 0, 'never throttled under 2 cores');
    assert.equal(i.throttledPct, 0);
    assert.ok(i.usageCores !== undefined && i.usageCores < 0.2, `sleeper usage ${i.usageCores}`);

    const paths = cgroupCpu.cgroups.map((e) => e.cgroupPath);
    assert.ok(paths.includes(leaf.rel), 'the quota’d child is reported');
    assert.ok(!paths.includes(parent.rel), 'its quota’d parent is not (leaf-only)');
    assert.ok(!paths.includes('/'), 'the root has no quota');
    // Most throttled first.
    assert.ok(paths.indexOf(hot.rel) < paths.indexOf(idle.rel));

    // The rule on this real snapshot: the spinner's cgroup fires (critical), the sleeper's does not.
    const signals = { ...quietSignals(), cgroupCpu };
    const findings = cpuThrottled.evaluate(signals, DEFAULT_THRESHOLDS);
    assert.deepEqual(
      findings.map((f) => [f.subject, f.severity]),
      [[hot.rel, 'critical']],
    );
    assert.match(findings[0]!.title, /quota 0\.2 cores/);
    assert.deepEqual(ctx.faults, []);
    console.log(
      `measured: hot periods ${h.periods} throttled ${h.throttledPeriods} (${h.throttledPct.toFixed(1)} %), ` +
        `throttled time ${h.throttledTimePct.toFixed(1)} % of the window, usage ${h.usageCores.toFixed(3)} cores; ` +
        `idle periods ${i.periods} throttled ${i.throttledPeriods}, usage ${i.usageCores?.toFixed(3)} cores`,
    );
  } finally {
    await collector.stop();
    await killAndWait(spinner);
    await killAndWait(sleeper);
  }
});

test('v1: a cgroup created during the window counts from zero; reset() starts a new window', async () => {
  const collector = new CgroupCpuCollector({ maxEntries: 100_000 });
  await collector.start(context());
  try {
    const late = await makeCgroup(20_000);
    const spinner = await startIn(late, 'while :; do :; done');
    await sleep(1500);
    const first = findEntry((await collector.snapshot(0)).cgroupCpu!.cgroups, late.rel);
    const file = await cpuStat(late.cpu);
    // No baseline: everything since its creation is in the window.
    assert.ok(
      first.periods > 0 && first.periods <= file.nr_periods!,
      `${first.periods} vs ${file.nr_periods}`,
    );
    assert.ok(first.throttledPeriods > 0);
    await collector.reset();
    const atReset = await cpuStat(late.cpu);
    await sleep(1000);
    const second = findEntry((await collector.snapshot(0)).cgroupCpu!.cgroups, late.rel);
    const end = await cpuStat(late.cpu);
    // reset() read its baseline just before `atReset`: at most a period or two apart.
    assert.ok(
      second.periods <= end.nr_periods! - atReset.nr_periods! + 2 && second.periods < end.nr_periods! - 5,
      `after reset ${second.periods} counts from the reset, not from creation (${end.nr_periods})`,
    );
    await killAndWait(spinner);
  } finally {
    await collector.stop();
  }
});
