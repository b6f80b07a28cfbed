import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PressureCollector } from '../../../src/collectors/pressure.js';
import { isUnsupported } from '../../../src/collectors/procfs/unsupported.js';
import { classifyError } from '../../../src/runtime/classify-error.js';
import { manualClock, readFixture, testContext, tmpDir } from './fixtures.js';

const line = (kind: string, total: number): string =>
  `${kind} avg10=2.00 avg60=1.00 avg300=0.50 total=${total}\n`;

test('pressure: cpu/memory/io windows from total deltas between start and snapshot', async () => {
  const { dir, cleanup } = await tmpDir('psi');
  const clock = manualClock();
  const c = new PressureCollector({ dir, nowNs: clock.now });
  try {
    await writeFile(join(dir, 'cpu'), await readFixture('pressure-cpu-nofull'));
    await writeFile(join(dir, 'memory'), await readFixture('pressure-memory'));
    await writeFile(join(dir, 'io'), await readFixture('pressure-io'));
    await c.start(testContext());
    clock.advanceSec(10);
    await writeFile(join(dir, 'cpu'), line('some', 812345 + 2_500_000));
    await writeFile(join(dir, 'memory'), line('some', 5123456 + 100_000) + line('full', 3456789 + 50_000));
    await writeFile(join(dir, 'io'), line('some', 2145598) + line('full', 2101019));
    const { pressure } = await c.snapshot(10e9);
    assert.ok(pressure?.cpu && pressure.memory && pressure.io);
    assert.equal(pressure.cpu.somePct, 25);
    assert.equal(pressure.cpu.fullPct, 0, 'no full line for cpu on this kernel');
    assert.equal(pressure.memory.somePct, 1);
    assert.equal(pressure.memory.fullPct, 0.5);
    assert.equal(pressure.memory.someAvg10, 2);
    assert.equal(pressure.io.someStallNs, 0);

    await c.reset();
    clock.advanceSec(1);
    const again = await c.snapshot(1e9);
    assert.equal(again.pressure?.cpu?.somePct, 0);
  } finally {
    await c.stop();
    await cleanup();
  }
});

test('pressure: a missing /proc/pressure is unsupported (not failed) with a clear reason', async () => {
  const c = new PressureCollector({ dir: '/nonexistent/pressure' });
  await assert.rejects(c.start(testContext()), (err: Error) => {
    assert.ok(isUnsupported(err));
    // The supervisor's classifier is what turns this into coverage state 'unsupported' without restarts.
    assert.deepEqual([classifyError(err).kind, classifyError(err).permanent], ['unsupported', true]);
    assert.match(err.message, /\/nonexistent\/pressure does not exist .*CONFIG_PSI/);
    return true;
  });
});

test('pressure: a directory with no readable pressure files is unsupported (psi=0)', async () => {
  const { dir, cleanup } = await tmpDir('psi');
  try {
    const c = new PressureCollector({ dir });
    await assert.rejects(
      c.start(testContext()),
      (err: Error) => isUnsupported(err) && /psi=1/.test(err.message),
    );
  } finally {
    await cleanup();
  }
});
