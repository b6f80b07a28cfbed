import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMeminfo, readMeminfo, usedBytes } from '../../../src/collectors/procfs/meminfo.js';
import { fixturePath, readFixture } from './fixtures.js';

test('meminfo: kB fields become bytes, unitless fields stay counts', async () => {
  const m = parseMeminfo(await readFixture('meminfo'));
  assert.equal(m.totalBytes, 24731708 * 1024);
  assert.equal(m.freeBytes, 22596612 * 1024);
  assert.equal(m.availableBytes, 24238172 * 1024);
  assert.equal(m.swapTotalBytes, 2097148 * 1024);
  assert.equal(m.swapFreeBytes, 1048572 * 1024);
  assert.equal(m.fields.get('HugePages_Total'), 4);
  assert.equal(m.fields.get('Hugepagesize'), 2048 * 1024);
  assert.equal(usedBytes(m), (24731708 - 24238172) * 1024);
});

test('meminfo: without MemAvailable (pre-3.14) available = MemFree + Buffers + Cached', () => {
  const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n');
  assert.equal(m.availableBytes, 420 * 1024);
});

test('meminfo: a file without MemTotal is an error naming the path', async () => {
  assert.throws(() => parseMeminfo('MemFree: 1 kB\n'), /no MemTotal/);
  await assert.rejects(
    readMeminfo(fixturePath('snmp')),
    /fixtures\/procfs\/snmp: parse meminfo: no MemTotal/,
  );
});

test('meminfo: a missing file is an error naming the path', async () => {
  await assert.rejects(readMeminfo('/nonexistent/meminfo'), /read \/nonexistent\/meminfo: .*ENOENT/);
});
