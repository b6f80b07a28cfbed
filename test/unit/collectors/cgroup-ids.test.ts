import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CgroupIdResolver } from '../../../src/collectors/procfs/cgroup-ids.js';
import { manualClock, tmpDir } from './fixtures.js';

// The resolver only relies on "a directory's inode number is its id", which holds for any filesystem, so the
// walking and caching logic is exercised on a plain tmp tree here; test/kernel/procfs.test.ts uses real cgroups.

async function ino(path: string): Promise<bigint> {
  return (await stat(path, { bigint: true })).ino;
}

test('resolver: ids map to hierarchy-relative paths; the root is "/"', async () => {
  const { dir, cleanup } = await tmpDir('cgid');
  try {
    await mkdir(join(dir, 'system.slice', 'nginx.service'), { recursive: true });
    const r = new CgroupIdResolver({ root: dir });
    const id = await ino(join(dir, 'system.slice', 'nginx.service'));
    assert.deepEqual(await r.resolve(id), {
      root: dir,
      path: '/system.slice/nginx.service',
      absPath: join(dir, 'system.slice', 'nginx.service'),
    });
    assert.equal((await r.resolve(Number(await ino(dir))))?.path, '/');
  } finally {
    await cleanup();
  }
});

test('resolver: a cgroup created after the scan is found by a rescan; a removed one is forgotten', async () => {
  const { dir, cleanup } = await tmpDir('cgid');
  const clock = { ms: 0 };
  try {
    await mkdir(join(dir, 'a'));
    const r = new CgroupIdResolver({ root: dir, nowMs: () => clock.ms });
    const a = await ino(join(dir, 'a'));
    assert.equal((await r.resolve(a))?.path, '/a');

    await mkdir(join(dir, 'b'));
    const b = await ino(join(dir, 'b'));
    clock.ms += 5000;
    assert.equal((await r.resolve(b))?.path, '/b');

    await rm(join(dir, 'a'), { recursive: true });
    assert.equal(await r.resolve(a), undefined, 'cached entry re-validated with stat');
  } finally {
    await cleanup();
  }
});

test('resolver: a miss rescans only when it could succeed', async () => {
  const { dir, cleanup } = await tmpDir('cgid');
  const clock = { ms: 0 };
  try {
    await mkdir(join(dir, 'a'));
    const r = new CgroupIdResolver({ root: dir, nowMs: () => clock.ms });
    assert.equal((await r.resolve(await ino(join(dir, 'a'))))?.path, '/a');
    assert.equal(r.scans, 1);
    // Id 0 is no older than ids seen: a removed cgroup. No rescan until the stale interval passes.
    clock.ms += 50;
    assert.equal(await r.resolve(0n), undefined);
    assert.equal(r.scans, 1);
    clock.ms += 5000;
    assert.equal(await r.resolve(0n), undefined);
    assert.equal(r.scans, 2);
    // An id newer than any seen may be a cgroup created since: rescanned after a short interval.
    const newer = 2n ** 60n;
    clock.ms += 10;
    assert.equal(await r.resolve(newer), undefined);
    assert.equal(r.scans, 2);
    clock.ms += 200;
    assert.equal(await r.resolve(newer), undefined);
    assert.equal(r.scans, 3);
    assert.equal((await r.resolve(await ino(join(dir, 'a'))))?.path, '/a', 'hits need no scan');
    assert.equal(r.scans, 3);
  } finally {
    await cleanup();
  }
});

test('resolver: depth bound', async () => {
  const { dir, cleanup } = await tmpDir('cgid');
  try {
    await mkdir(join(dir, 'a', 'b', 'c'), { recursive: true });
    const r = new CgroupIdResolver({ root: dir, maxDepth: 2, nowMs: manualClock().now });
    assert.equal((await r.resolve(await ino(join(dir, 'a', 'b'))))?.path, '/a/b');
    assert.equal(await r.resolve(await ino(join(dir, 'a', 'b', 'c'))), undefined);
  } finally {
    await cleanup();
  }
});
