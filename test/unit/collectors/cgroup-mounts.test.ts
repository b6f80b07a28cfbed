import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findMemoryHierarchies, parseCgroupMounts } from '../../../src/collectors/procfs/cgroup-mounts.js';
import { readFixture, tmpDir } from './fixtures.js';

test('mountinfo: hybrid host with v1 controllers and a controller-less cgroup2', async () => {
  const mounts = parseCgroupMounts(await readFixture('mountinfo-hybrid-v1'));
  const memory = mounts.filter((m) => m.version === 1 && m.options.includes('memory'));
  assert.deepEqual(memory, [
    { version: 1, mountPoint: '/sys/fs/cgroup/memory', device: '0:32', options: ['memory'] },
  ]);
  assert.deepEqual(
    mounts.filter((m) => m.version === 2).map((m) => m.mountPoint),
    ['/sys/fs/cgroup/unified'],
  );
  assert.ok(mounts.some((m) => m.options.includes('name=systemd')));
  assert.ok(!mounts.some((m) => m.mountPoint === '/sys/fs/cgroup'), 'the tmpfs is not a cgroup mount');
});

test('mountinfo: pure v2 host, bind mount with an escaped space shares the device', async () => {
  const mounts = parseCgroupMounts(await readFixture('mountinfo-v2'));
  assert.deepEqual(
    mounts.map((m) => [m.version, m.mountPoint, m.device]),
    [
      [2, '/sys/fs/cgroup', '0:26'],
      [2, '/host/sys/fs cgroup', '0:26'],
    ],
  );
});

test('explicit root: hybrid layout probes <root>/unified and <root>/memory, v2 first', async () => {
  const { dir, cleanup } = await tmpDir('mounts');
  try {
    await mkdir(join(dir, 'memory'));
    await writeFile(join(dir, 'memory', 'memory.usage_in_bytes'), '0\n');
    await mkdir(join(dir, 'unified'));
    await writeFile(join(dir, 'unified', 'cgroup.controllers'), 'cpu io memory pids\n');
    assert.deepEqual(await findMemoryHierarchies(dir), [
      { version: 2, root: join(dir, 'unified') },
      { version: 1, root: join(dir, 'memory') },
    ]);
    // A cgroup2 without the memory controller (this machine's /sys/fs/cgroup/unified) is not a memory hierarchy.
    await writeFile(join(dir, 'unified', 'cgroup.controllers'), 'hugetlb\n');
    assert.deepEqual(await findMemoryHierarchies(dir), [{ version: 1, root: join(dir, 'memory') }]);
  } finally {
    await cleanup();
  }
});

test('explicit root: a pure v2 root is used as is; nothing found is an empty list', async () => {
  const { dir, cleanup } = await tmpDir('mounts');
  try {
    assert.deepEqual(await findMemoryHierarchies(dir), []);
    await writeFile(join(dir, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    assert.deepEqual(await findMemoryHierarchies(dir), [{ version: 2, root: dir }]);
  } finally {
    await cleanup();
  }
});
