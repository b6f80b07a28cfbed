import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryCollector } from '../../../src/collectors/memory.js';
import { manualClock, testContext, tmpDir, waitFor } from './fixtures.js';

const KiB = 1024;

function meminfo(totalKb: number, availableKb: number, swapTotalKb = 0, swapFreeKb = 0): string {
  return (
    `MemTotal: ${totalKb} kB\nMemFree: ${availableKb} kB\nMemAvailable: ${availableKb} kB\n` +
    `SwapTotal: ${swapTotalKb} kB\nSwapFree: ${swapFreeKb} kB\n`
  );
}

const psi = (some: number, full: number): string =>
  `some avg10=1.00 avg60=0.00 avg300=0.00 total=${some}\nfull avg10=0.50 avg60=0.00 avg300=0.00 total=${full}\n`;

test('memory: usage at snapshot, growth from the first to the last poll, memory PSI over the window', async () => {
  const { dir, cleanup } = await tmpDir('mem');
  const meminfoPath = join(dir, 'meminfo');
  const psiPath = join(dir, 'memory');
  const clock = manualClock();
  const c = new MemoryCollector({ meminfoPath, psiPath, pollIntervalMs: 1e9, nowNs: clock.now });
  try {
    await writeFile(meminfoPath, meminfo(8_000_000, 6_000_000, 1_000_000, 750_000));
    await writeFile(psiPath, psi(1_000, 0));
    await c.start(testContext());
    clock.advanceSec(20);
    // 400 000 kB more in use after 20 s
    await writeFile(meminfoPath, meminfo(8_000_000, 5_600_000, 1_000_000, 750_000));
    await writeFile(psiPath, psi(1_000 + 4_000_000, 1_000_000));
    const { memory } = await c.snapshot(20e9);
    assert.ok(memory);
    assert.equal(memory.totalBytes, 8_000_000 * KiB);
    assert.equal(memory.availableBytes, 5_600_000 * KiB);
    assert.equal(memory.usedBytes, 2_400_000 * KiB);
    assert.equal(memory.usedPct, 30);
    assert.equal(memory.swapTotalBytes, 1_000_000 * KiB);
    assert.equal(memory.swapUsedBytes, 250_000 * KiB);
    assert.equal(memory.growthRateBytesPerSec, (400_000 * KiB) / 20);
    assert.ok(memory.psi);
    assert.equal(memory.psi.somePct, 20);
    assert.equal(memory.psi.fullPct, 5);
    assert.equal(memory.psi.someAvg10, 1);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('memory: reset starts a new window; no pressure file means no psi', async () => {
  const { dir, cleanup } = await tmpDir('mem');
  const meminfoPath = join(dir, 'meminfo');
  const clock = manualClock();
  const c = new MemoryCollector({
    meminfoPath,
    psiPath: join(dir, 'absent'),
    pollIntervalMs: 1e9,
    nowNs: clock.now,
  });
  try {
    await writeFile(meminfoPath, meminfo(1_000_000, 900_000));
    await c.start(testContext());
    clock.advanceSec(10);
    await writeFile(meminfoPath, meminfo(1_000_000, 800_000));
    await c.reset();
    clock.advanceSec(10);
    await writeFile(meminfoPath, meminfo(1_000_000, 850_000));
    const { memory } = await c.snapshot(10e9);
    assert.ok(memory);
    assert.equal(memory.growthRateBytesPerSec, (-50_000 * KiB) / 10, 'freed memory is negative growth');
    assert.equal(memory.psi, undefined);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('memory: the 1 s poll runs on a timer and counts as events; stop ends it', async (t) => {
  const { dir, cleanup } = await tmpDir('mem');
  const meminfoPath = join(dir, 'meminfo');
  t.mock.timers.enable({ apis: ['setInterval'] });
  const c = new MemoryCollector({ meminfoPath, psiPath: join(dir, 'absent') });
  try {
    await writeFile(meminfoPath, meminfo(1_000_000, 900_000));
    await c.start(testContext());
    assert.equal(c.stats().events, 1);
    t.mock.timers.tick(999);
    assert.equal(c.stats().events, 1);
    t.mock.timers.tick(1);
    await waitFor(() => c.stats().events === 2);
    await c.stop();
    t.mock.timers.tick(5000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.stats().events, 2);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('memory: a missing meminfo fails start with the path', async () => {
  const c = new MemoryCollector({ meminfoPath: '/nonexistent/meminfo' });
  await assert.rejects(c.start(testContext()), /read \/nonexistent\/meminfo/);
  await c.stop();
});
