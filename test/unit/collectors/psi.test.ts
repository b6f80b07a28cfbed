import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePsi, psiWindow, readPsi } from '../../../src/collectors/procfs/psi.js';
import { fixturePath, readFixture } from './fixtures.js';

test('psi: some and full lines with averages and µs totals', async () => {
  const mem = parsePsi(await readFixture('pressure-memory'));
  assert.deepEqual(mem.some, { avg10: 12.5, avg60: 4.02, avg300: 1.07, totalUs: 5123456 });
  assert.deepEqual(mem.full, { avg10: 8.75, avg60: 2.51, avg300: 0.66, totalUs: 3456789 });
});

test('psi: host cpu carries an all-zero full line on newer kernels', async () => {
  const cpu = parsePsi(await readFixture('pressure-cpu'));
  assert.equal(cpu.some.totalUs, 3859553);
  assert.deepEqual(cpu.full, { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 });
});

test('psi: cpu without a full line (kernels before 5.13) parses with full absent', async () => {
  const cpu = parsePsi(await readFixture('pressure-cpu-nofull'));
  assert.equal(cpu.some.totalUs, 812345);
  assert.equal(cpu.full, undefined);
  const w = psiWindow(cpu, { some: { ...cpu.some, totalUs: cpu.some.totalUs + 500_000 } }, 10e9);
  assert.equal(w.fullStallNs, 0);
  assert.equal(w.fullPct, 0);
  assert.equal(w.somePct, 5);
});

test('psi: window is the total delta (µs → ns) as a share of the window', async () => {
  const before = parsePsi(await readFixture('pressure-memory'));
  const after = parsePsi(
    'some avg10=30.00 avg60=9.00 avg300=2.00 total=6623456\nfull avg10=20.00 avg60=5.00 avg300=1.00 total=4206789\n',
  );
  const w = psiWindow(before, after, 5e9);
  assert.equal(w.someStallNs, 1_500_000 * 1000);
  assert.equal(w.somePct, 30);
  assert.equal(w.fullStallNs, 750_000 * 1000);
  assert.equal(w.fullPct, 15);
  assert.equal(w.someAvg10, 30);
  assert.equal(w.fullAvg10, 20);
});

test('psi: a counter that went backwards gives zero stall, a zero window gives 0 %', async () => {
  const a = parsePsi(await readFixture('pressure-io'));
  const b = parsePsi('some avg10=0 avg60=0 avg300=0 total=10\nfull avg10=0 avg60=0 avg300=0 total=10\n');
  assert.equal(psiWindow(a, b, 1e9).someStallNs, 0);
  assert.equal(psiWindow(b, a, 0).somePct, 0);
});

test('psi: a missing file reads as undefined, garbage is an error', async () => {
  assert.equal(await readPsi('/nonexistent/pressure/cpu'), undefined);
  await assert.rejects(readPsi(fixturePath('meminfo')), /no "some" line/);
});
