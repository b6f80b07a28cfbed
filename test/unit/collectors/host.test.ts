import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { hostInfo } from '../../../src/collectors/procfs/host.js';
import { tmpDir } from './fixtures.js';

test('hostInfo: boot id from the given file, trimmed; kernel facts from os', async () => {
  const { dir, cleanup } = await tmpDir('host');
  try {
    const bootIdPath = join(dir, 'boot_id');
    await writeFile(bootIdPath, '23dd8efc-c740-488a-8308-2c12888f2c1f\n');
    const info = await hostInfo(bootIdPath);
    assert.equal(info.bootId, '23dd8efc-c740-488a-8308-2c12888f2c1f');
    assert.equal(info.hostname, os.hostname());
    assert.equal(info.kernelRelease, os.release());
    assert.equal(info.arch, os.machine());
  } finally {
    await cleanup();
  }
});

test('hostInfo: an unreadable boot id is empty, not an error', async () => {
  assert.equal((await hostInfo('/nonexistent/boot_id')).bootId, '');
});
