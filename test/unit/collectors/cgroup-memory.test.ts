import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CgroupMemoryCollector, limitedLeaves } from '../../../src/collectors/cgroup-memory.js';
import {
  parseLimitV1,
  parseMaxV2,
  parseMemoryEvents,
  parseOomControl,
} from '../../../src/collectors/procfs/cgroup-memory-files.js';
import type { CgroupMemoryEntry, CgroupMemorySignals } from '../../../src/signals/types.js';
import { manualClock, testContext, tmpDir } from './fixtures.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const UID = '6b1f0a44-94b0-4d6e-9c3c-2f1b5a7e8d90';
const CID1 = '1'.repeat(64);
const CID2 = '2'.repeat(64);
const NEVER_MS = 1e9; // no timer ticks during a test: polls happen at start and snapshot only

type Files = Record<string, string>;

async function cgroup(root: string, rel: string, files: Files): Promise<string> {
  const dir = join(root, rel);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function events(
  e: Partial<Record<'low' | 'high' | 'max' | 'oom' | 'oom_kill' | 'oom_group_kill', number>>,
): string {
  const all = { low: 0, high: 0, max: 0, oom: 0, oom_kill: 0, oom_group_kill: 0, ...e };
  return Object.entries(all)
    .map(([k, v]) => `${k} ${v}`)
    .join('\n');
}

function psi(someUs: number, fullUs: number): string {
  return `some avg10=0.00 avg60=0.00 avg300=0.00 total=${someUs}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=${fullUs}\n`;
}

const KUBEPODS = 'kubepods.slice';
const BURSTABLE = `${KUBEPODS}/kubepods-burstable.slice`;
const POD = `${BURSTABLE}/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice`;
const C1 = `${POD}/cri-containerd-${CID1}.scope`;
const C2 = `${POD}/cri-containerd-${CID2}.scope`;
const DEEP_LIMITED = 'deep/a/b/c/d/e/f/g/h'; // depth 9: below the walk bound

/** A cgroup v2 tree as a kubelet with the systemd driver lays it out: memory.max at every level. */
async function buildV2Tree(root: string): Promise<void> {
  await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids\n');
  const v2 = (current: number, max: number | 'max', extra: Files = {}): Files => ({
    'memory.current': `${current}\n`,
    'memory.max': `${max}\n`,
    'memory.high': 'max\n',
    'memory.events': events({}),
    ...extra,
  });
  await cgroup(root, KUBEPODS, v2(300 * MiB, 8 * GiB));
  await cgroup(root, BURSTABLE, v2(300 * MiB, 7 * GiB));
  await cgroup(root, POD, v2(264 * MiB, 512 * MiB));
  await cgroup(root, C1, v2(200 * MiB, 256 * MiB, { 'memory.pressure': psi(1000, 500) }));
  await cgroup(
    root,
    C2,
    v2(64 * MiB, 128 * MiB, { 'memory.high': `${100 * MiB}\n`, 'memory.events': events({ high: 3 }) }),
  );
  // besteffort: no limit anywhere below kubepods
  await cgroup(root, `${KUBEPODS}/kubepods-besteffort.slice`, v2(0, 'max'));
  await cgroup(root, `${KUBEPODS}/kubepods-besteffort.slice/kubepods-besteffort-podx.slice`, v2(0, 'max'));
  await cgroup(root, 'system.slice', v2(150 * MiB, 'max'));
  await cgroup(root, 'system.slice/nginx.service', v2(100 * MiB, GiB));
  await cgroup(root, 'system.slice/cron.service', v2(5 * MiB, 'max'));
  await cgroup(root, 'deep', v2(10 * MiB, 400 * MiB));
  await cgroup(root, DEEP_LIMITED, v2(10 * MiB, 20 * MiB));
  // a cgroup without the memory controller enabled: no memory files at all
  await cgroup(root, 'init.scope', {});
}

function byPath(s: CgroupMemorySignals, rel: string): CgroupMemoryEntry {
  const e = s.containers.find((c) => c.cgroupPath === `/${rel}`);
  assert.ok(e, `entry /${rel} present in ${s.containers.map((c) => c.cgroupPath).join(', ')}`);
  return e;
}

test('v2 tree: leaf-only emission among limited cgroups, sorted by used%, with k8s/systemd metadata', async () => {
  const { dir, cleanup } = await tmpDir('cgv2');
  const clock = manualClock();
  const ctx = testContext();
  const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS, nowNs: clock.now });
  try {
    await buildV2Tree(dir);
    await c.start(ctx);
    const { cgroupMemory } = await c.snapshot(0);
    assert.ok(cgroupMemory);
    assert.equal(cgroupMemory.root, dir);
    // Not kubepods, the QoS slice or the pod slice (their descendants are limited); not the unlimited ones;
    // "deep" because its limited descendant lies below the depth bound.
    assert.deepEqual(
      cgroupMemory.containers.map((e) => e.cgroupPath),
      [`/${C1}`, `/${C2}`, '/system.slice/nginx.service', '/deep'],
    );
    const c1 = byPath(cgroupMemory, C1);
    assert.equal(c1.version, 2);
    assert.equal(c1.currentBytes, 200 * MiB);
    assert.equal(c1.limitBytes, 256 * MiB);
    assert.equal(c1.usedPct, 78.125);
    assert.equal(c1.highBytes, 0);
    assert.equal(c1.podUid, UID);
    assert.equal(c1.containerId, CID1);
    assert.equal(c1.pod, undefined, 'no lookup: names unknown');
    const c2 = byPath(cgroupMemory, C2);
    assert.equal(c2.highBytes, 100 * MiB);
    assert.equal(c2.events.high, 3);
    const nginx = byPath(cgroupMemory, 'system.slice/nginx.service');
    assert.equal(nginx.unit, 'nginx.service');
    assert.equal(nginx.podUid, undefined);
    assert.deepEqual(ctx.faults, []);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('v2 tree: rates over the window from the first poll to the snapshot', async () => {
  const { dir, cleanup } = await tmpDir('cgv2');
  const clock = manualClock();
  const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS, nowNs: clock.now });
  try {
    await buildV2Tree(dir);
    await c.start(testContext());
    clock.advanceSec(10);
    await writeFile(join(dir, C2, 'memory.events'), events({ high: 53, max: 2 }));
    await writeFile(join(dir, C1, 'memory.current'), `${210 * MiB}\n`);
    await writeFile(join(dir, C1, 'memory.pressure'), psi(1000 + 2_000_000, 500 + 1_000_000));
    const { cgroupMemory } = await c.snapshot(10e9);
    assert.ok(cgroupMemory);
    const c2 = byPath(cgroupMemory, C2);
    assert.equal(c2.highEventRatePerSec, 5);
    assert.equal(c2.events.max, 2);
    assert.equal(c2.growthRateBytesPerSec, 0);
    const c1 = byPath(cgroupMemory, C1);
    assert.equal(c1.growthRateBytesPerSec, MiB);
    assert.equal(c1.highEventRatePerSec, 0);
    assert.ok(c1.psi);
    assert.equal(c1.psi.somePct, 20);
    assert.equal(c1.psi.fullPct, 10);
    assert.equal(byPath(cgroupMemory, C2).psi, undefined, 'no memory.pressure file, no psi');

    // reset: the next window starts from the current values
    await c.reset();
    clock.advanceSec(5);
    const again = await c.snapshot(5e9);
    assert.ok(again.cgroupMemory);
    assert.equal(byPath(again.cgroupMemory, C2).highEventRatePerSec, 0);
    assert.equal(byPath(again.cgroupMemory, C1).growthRateBytesPerSec, 0);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('v2 tree: a cgroup that appears mid-window has no rate yet; one that disappears is dropped', async () => {
  const { dir, cleanup } = await tmpDir('cgv2');
  const clock = manualClock();
  const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS, nowNs: clock.now });
  try {
    await buildV2Tree(dir);
    await c.start(testContext());
    clock.advanceSec(10);
    await cgroup(dir, 'system.slice/new.service', {
      'memory.current': `${10 * MiB}\n`,
      'memory.max': `${20 * MiB}\n`,
      'memory.events': events({ high: 100 }),
    });
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'deep'), { recursive: true });
    const { cgroupMemory } = await c.snapshot(10e9);
    assert.ok(cgroupMemory);
    const fresh = byPath(cgroupMemory, 'system.slice/new.service');
    assert.equal(fresh.usedPct, 50);
    assert.equal(fresh.highEventRatePerSec, 0);
    assert.equal(fresh.growthRateBytesPerSec, 0);
    assert.ok(!cgroupMemory.containers.some((e) => e.cgroupPath === '/deep'));
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('v2 tree: output bounded to maxEntries by used%; pod UID and container id from the path', async () => {
  const { dir, cleanup } = await tmpDir('cgv2');
  const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS, maxEntries: 2 });
  try {
    await buildV2Tree(dir);
    await c.start(testContext());
    const { cgroupMemory } = await c.snapshot(0);
    assert.ok(cgroupMemory);
    // Names are not the collector's job (src/k8s/enrich.ts joins them in from the kubelet's pod list).
    assert.deepEqual(
      cgroupMemory.containers.map((e) => [e.cgroupPath, e.podUid, e.containerId, e.pod]),
      [
        [`/${C1}`, UID, CID1, undefined],
        [`/${C2}`, UID, CID2, undefined],
      ],
    );
  } finally {
    await c.stop();
    await cleanup();
  }
});

/** A v1 memory hierarchy: a child without its own limit shows PAGE_COUNTER_MAX. */
async function buildV1Tree(root: string): Promise<void> {
  const v1 = (usage: number, limit: bigint | number, failcnt = 0, oom = '0 0 0'): Files => {
    const [disable, under, kills] = oom.split(' ');
    return {
      'memory.usage_in_bytes': `${usage}\n`,
      'memory.limit_in_bytes': `${limit}\n`,
      'memory.failcnt': `${failcnt}\n`,
      'memory.oom_control': `oom_kill_disable ${disable}\nunder_oom ${under}\noom_kill ${kills}\n`,
    };
  };
  const UNLIMITED = 9223372036854771712n;
  for (const [name, text] of Object.entries(v1(GiB, UNLIMITED))) await writeFile(join(root, name), text);
  await cgroup(root, 'app', v1(48 * MiB, 64 * MiB, 7, '0 1 2'));
  await cgroup(root, 'app/worker', v1(40 * MiB, UNLIMITED));
  await cgroup(root, 'other', v1(1 * MiB, UNLIMITED));
}

test('v1 tree: own limits only, huge limit = unlimited, failcnt and oom_control', async () => {
  const { dir, cleanup } = await tmpDir('cgv1');
  const clock = manualClock();
  const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS, nowNs: clock.now });
  try {
    await buildV1Tree(dir);
    await c.start(testContext());
    clock.advanceSec(4);
    await writeFile(join(dir, 'app', 'memory.failcnt'), '27\n');
    const { cgroupMemory } = await c.snapshot(4e9);
    assert.ok(cgroupMemory);
    // app/worker inherits app's limit but has none of its own: app is the limited leaf.
    assert.deepEqual(
      cgroupMemory.containers.map((e) => e.cgroupPath),
      ['/app'],
    );
    const app = cgroupMemory.containers[0]!;
    assert.equal(app.version, 1);
    assert.equal(app.usedPct, 75);
    assert.equal(app.failcnt, 27);
    assert.equal(app.failcntRatePerSec, 5);
    assert.equal(app.underOom, true);
    assert.equal(app.events.oomKill, 2);
    assert.equal(app.highBytes, 0);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('hybrid root: both hierarchies are scanned, entries tagged by version', async () => {
  const { dir, cleanup } = await tmpDir('cghybrid');
  const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS });
  try {
    await mkdir(join(dir, 'memory'));
    await mkdir(join(dir, 'unified'));
    await buildV1Tree(join(dir, 'memory'));
    await buildV2Tree(join(dir, 'unified'));
    await c.start(testContext());
    const { cgroupMemory } = await c.snapshot(0);
    assert.ok(cgroupMemory);
    assert.equal(cgroupMemory.root, `${join(dir, 'unified')}, ${join(dir, 'memory')}`);
    assert.deepEqual(
      cgroupMemory.containers.filter((e) => e.version === 1).map((e) => e.cgroupPath),
      ['/app'],
    );
    assert.equal(cgroupMemory.containers.filter((e) => e.version === 2).length, 4);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('a root with no memory hierarchy fails start with the places it looked', async () => {
  const { dir, cleanup } = await tmpDir('cgnone');
  try {
    const c = new CgroupMemoryCollector({ root: dir, pollIntervalMs: NEVER_MS });
    await assert.rejects(c.start(testContext()), (err: Error) => {
      assert.match(err.message, /no memory cgroup hierarchy at .*\/unified and .*\/memory/);
      return true;
    });
    await c.stop();
  } finally {
    await cleanup();
  }
});

test('limitedLeaves: a limited path is a leaf iff no other limited path lies below it', () => {
  assert.deepEqual([...limitedLeaves(['/', '/a', '/a/b', '/a/b/c', '/ab', '/x/y'])].sort(), [
    '/a/b/c',
    '/ab',
    '/x/y',
  ]);
});

test('file parsers: unlimited spellings and event files', () => {
  assert.equal(parseLimitV1('9223372036854771712\n'), undefined);
  assert.equal(parseLimitV1('9223372036854710272\n'), undefined, '64 KiB-page PAGE_COUNTER_MAX');
  assert.equal(parseLimitV1('67108864\n'), 67108864n);
  assert.equal(parseMaxV2('max\n'), undefined);
  assert.equal(parseMaxV2(''), undefined);
  assert.equal(parseMaxV2('536870912\n'), 536870912n);
  assert.deepEqual(parseMemoryEvents('low 1\nhigh 2\nmax 3\noom 4\noom_kill 5\n'), {
    low: 1,
    high: 2,
    max: 3,
    oom: 4,
    oomKill: 5,
    oomGroupKill: 0,
  });
  assert.deepEqual(parseOomControl('oom_kill_disable 1\nunder_oom 0\n'), {
    oomKillDisable: true,
    underOom: false,
    oomKill: 0,
  });
});
