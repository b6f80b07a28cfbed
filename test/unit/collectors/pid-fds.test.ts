import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countFds, parseLimits, readComm, softFdLimit } from '../../../src/collectors/procfs/pid-fds.js';
import { readFixture } from './fixtures.js';

// Above any pid_max (2^22 on 64-bit): guaranteed not to be a live process.
const NO_SUCH_PID = 2 ** 30;

test('limits: names with spaces, numeric and unlimited values, units', async () => {
  const limits = parseLimits(await readFixture('limits'));
  assert.deepEqual(limits.get('Max open files'), { soft: 20000, hard: 20000, units: 'files' });
  assert.deepEqual(limits.get('Max cpu time'), { soft: null, hard: null, units: 'seconds' });
  assert.deepEqual(limits.get('Max stack size'), { soft: 8388608, hard: null, units: 'bytes' });
  // "Max realtime timeout" has "us" units; "Max nice priority" has none.
  assert.equal(limits.get('Max nice priority')?.units, '');
});

test('limits: a file without the header is an error', () => {
  assert.throws(() => parseLimits('Max open files 1024 4096 files\n'), /no "Soft Limit" header/);
});

test('pid readers: a process that does not exist is unknown (-1 / ""), not an error', async () => {
  assert.equal(await countFds(NO_SUCH_PID), -1);
  assert.equal(await softFdLimit(NO_SUCH_PID), -1);
  assert.equal(await readComm(NO_SUCH_PID), '');
});
