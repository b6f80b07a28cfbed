import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnsetSampler, startOnsetSampling } from '../../../src/runtime/onset-sampler.js';
import type { Finding } from '../../../src/doctor/types.js';
import type { Signals } from '../../../src/signals/types.js';
import { fixtureReport } from '../../fixtures/render/report.js';

/** A snapshot whose window ends now; `tick` counts the calls. */
function source(findingsAt: (tick: number) => Pick<Finding, 'rule' | 'subject'>[], costMs = 0) {
  const base = fixtureReport().signals;
  let tick = 0;
  let cpu = 0;
  const ends: number[] = [];
  const starts: number[] = [];
  return {
    ends,
    starts,
    /** A fake CPU clock: each snapshot "uses" its cost in CPU. */
    cpuMs: () => cpu,
    snapshot: async (): Promise<Signals> => {
      starts.push(Date.now());
      if (costMs > 0) await new Promise((r) => setTimeout(r, costMs));
      cpu += costMs;
      tick++;
      const end = Date.now();
      ends.push(end);
      return { ...base, windowEnd: new Date(end).toISOString(), tick } as unknown as Signals;
    },
    evaluate: (s: Signals) => findingsAt((s as unknown as { tick: number }).tick),
  };
}

test('each (rule, subject) gets the window end of the first snapshot it appeared on', async () => {
  // Given a storm visible from the 2nd tick and a disk incident from the 4th
  const src = source((t) => [
    ...(t >= 2 ? [{ rule: 'syscall_error_rate', subject: 'p' }] : []),
    ...(t >= 4 ? [{ rule: 'disk_io_bottleneck', subject: 'vda' }] : []),
  ]);
  const stop = new AbortController();
  const sampler = new OnsetSampler({ ...src, startMs: Date.now(), periodMs: 20, signal: stop.signal });
  const run = sampler.run();
  while (sampler.ticks.length < 5) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  await run;
  // Then the onsets are those snapshots' ends, in order
  assert.equal(sampler.tracker.onsetMs({ rule: 'syscall_error_rate', subject: 'p' }), src.ends[1]);
  assert.equal(sampler.tracker.onsetMs({ rule: 'disk_io_bottleneck', subject: 'vda' }), src.ends[3]);
  assert.equal(sampler.errors, 0);
});

test('an abort ends the loop at once, even mid-period', async () => {
  const src = source(() => []);
  const sampling = startOnsetSampling({ ...src, startMs: Date.now(), periodMs: 3_600_000 });
  const t0 = Date.now();
  await sampling.stop();
  assert.ok(Date.now() - t0 < 1_000, 'stop() returned without waiting for the hour-long period');
  assert.equal(sampling.sampler.ticks.length, 0);
});

test('no tick starts so close to the window end that the final snapshot would wait for it', async () => {
  const src = source(() => [], 15);
  const start = Date.now();
  const endMs = start + 400;
  const sampler = new OnsetSampler({
    ...src,
    startMs: start,
    endMs,
    periodMs: 10,
    signal: new AbortController().signal,
  });
  // The loop ends by itself before the window end.
  await sampler.run();
  assert.ok(Date.now() <= endMs, 'the loop stopped before the window end');
  assert.ok(src.starts.length > 0);
  // 5 ms: the check and the snapshot's first line are not the same instant.
  for (const s of src.starts)
    assert.ok(s + 100 <= endMs + 5, `tick at ${s - start} ms started within the guard`);
});

test('ticks keep at least 4× their CPU cost apart (sampling ≤ 20 % of a core)', async () => {
  // Given 30 ms snapshots and a 10 ms period
  const src = source(() => [], 30);
  const stop = new AbortController();
  const sampler = new OnsetSampler({ ...src, startMs: Date.now(), periodMs: 10, signal: stop.signal });
  const run = sampler.run();
  while (sampler.ticks.length < 4) await new Promise((r) => setTimeout(r, 10));
  stop.abort();
  await run;
  // Then, after the first (cold, exempt) tick, each tick starts at least 4 × 30 ms of CPU after the previous
  assert.ok(src.starts.length >= 3);
  for (let i = 2; i < src.starts.length; i++) {
    assert.ok(src.starts[i]! - src.ends[i - 1]! >= 4 * 30 - 2, `gap after tick ${i}`);
  }
});

test('a snapshot that throws is counted and the loop goes on', async () => {
  let n = 0;
  const base = fixtureReport().signals;
  const stop = new AbortController();
  const sampler = new OnsetSampler({
    snapshot: async () => {
      if (++n === 1) throw new Error('collector gone');
      return { ...base, windowEnd: new Date().toISOString() };
    },
    evaluate: () => [{ rule: 'r', subject: '' }],
    startMs: Date.now(),
    periodMs: 10,
    signal: stop.signal,
  });
  const run = sampler.run();
  while (sampler.ticks.length < 1) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  await run;
  assert.equal(sampler.errors, 1);
  assert.ok(sampler.tracker.onsetMs({ rule: 'r', subject: '' }) !== undefined);
});
