import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyHistogram, slotOf, type Histogram } from '../../../src/bpf/histogram.js';
import { LATENCY_BUCKETS_SECONDS, leLabel, toPromHistogram } from '../../../src/daemon/prom-histogram.js';

function histOf(valuesNs: number[]): Histogram {
  const h = emptyHistogram();
  for (const v of valuesNs) {
    h.slots[slotOf(v)]! += 1;
    h.count += 1;
    h.sumNs += v;
    h.maxNs = Math.max(h.maxNs, v);
  }
  return h;
}

describe('latency bucket bounds', () => {
  test('1-2.5-5 per decade from 1 µs to 10 s, ascending, exact decimal values', () => {
    assert.equal(LATENCY_BUCKETS_SECONDS[0], 0.000001);
    assert.equal(LATENCY_BUCKETS_SECONDS.at(-1), 10);
    assert.equal(LATENCY_BUCKETS_SECONDS.length, 22);
    for (let i = 1; i < LATENCY_BUCKETS_SECONDS.length; i++)
      assert.ok(LATENCY_BUCKETS_SECONDS[i]! > LATENCY_BUCKETS_SECONDS[i - 1]!);
    assert.ok(LATENCY_BUCKETS_SECONDS.includes(0.0000025));
    assert.ok(LATENCY_BUCKETS_SECONDS.includes(0.25));
    assert.equal(leLabel(0.0000025), '0.0000025');
    assert.equal(leLabel(Infinity), '+Inf');
  });
});

describe('toPromHistogram', () => {
  test('counts each observation under the first bound at or above it, cumulatively', () => {
    // 500 ns, 3 µs, 40 µs, 2 ms, 7 s, 30 s (the last beyond every finite bound)
    const h = histOf([500, 3_000, 40_000, 2_000_000, 7e9, 30e9]);
    const p = toPromHistogram(h);
    const at = (bound: number): number => p.buckets[LATENCY_BUCKETS_SECONDS.indexOf(bound)]!;
    assert.equal(at(0.000001), 1); // 500 ns
    assert.equal(at(0.0000025), 1);
    assert.equal(at(0.000005), 2); // + 3 µs
    assert.equal(at(0.00005), 3); // + 40 µs
    assert.equal(at(0.0025), 4); // + 2 ms
    assert.equal(at(5), 4);
    assert.equal(at(10), 5); // + 7 s
    assert.equal(p.count, 6); // + 30 s only in +Inf
    assert.ok(Math.abs(p.sum - (500 + 3_000 + 40_000 + 2_000_000 + 7e9 + 30e9) / 1e9) < 1e-9);
  });

  test('buckets never decrease and +Inf (count) is the slot total even when the count word disagrees', () => {
    const h = histOf([100, 1_000, 10_000, 100_000, 1e6, 1e7, 1e8]);
    h.count = 3; // a per-CPU read that raced an update: the slots are what the buckets are made of
    const p = toPromHistogram(h);
    for (let i = 1; i < p.buckets.length; i++) assert.ok(p.buckets[i]! >= p.buckets[i - 1]!);
    assert.equal(p.count, 7);
    assert.ok(p.buckets.at(-1)! <= p.count);
  });

  test('an empty histogram gives zero buckets', () => {
    const p = toPromHistogram(emptyHistogram());
    assert.equal(p.count, 0);
    assert.equal(p.sum, 0);
    assert.ok(p.buckets.every((b) => b === 0));
    assert.equal(p.buckets.length, LATENCY_BUCKETS_SECONDS.length);
  });

  test('custom bounds are honoured', () => {
    const p = toPromHistogram(histOf([1e6, 3e6]), [0.002, 0.004]);
    assert.deepEqual(p.buckets, [1, 2]);
  });
});
