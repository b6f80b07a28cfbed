import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HIST_BYTES,
  HIST_SLOTS,
  addHistogram,
  addHistogramDelta,
  readHistogram,
  cumulativeBuckets,
  emptyHistogram,
  percentiles,
  quantile,
  slotBounds,
  slotOf,
} from '../../../src/bpf/histogram.js';

/** Builds what the kernel would have written for these samples (struct hist, little-endian). */
function kernelHist(samples: number[]): Buffer {
  const buf = Buffer.alloc(HIST_BYTES);
  let sum = 0n;
  let max = 0;
  for (const v of samples) {
    const off = 24 + slotOf(v) * 8;
    buf.writeBigUInt64LE(buf.readBigUInt64LE(off) + 1n, off);
    sum += BigInt(v);
    max = Math.max(max, v);
  }
  buf.writeBigUInt64LE(BigInt(samples.length), 0);
  buf.writeBigUInt64LE(sum, 8);
  buf.writeBigUInt64LE(BigInt(max), 16);
  return buf;
}

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)]!;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('every value lands in a slot whose bounds contain it', () => {
  const r = rng(1);
  for (let i = 0; i < 20000; i++) {
    const v = Math.floor(Math.exp(r() * 30)); // 1 ns … ~10 s
    const s = slotOf(v);
    const [lo, hi] = slotBounds(s);
    if (s < HIST_SLOTS - 1) assert.ok(v >= lo && v < hi, `v=${v} slot=${s} [${lo},${hi})`);
  }
  // exact powers of two start a new power's first sub-bucket
  assert.equal(slotOf(64), 1);
  assert.equal(slotOf(128), 9);
  assert.equal(slotOf(63), 0);
  assert.equal(slotOf(2 ** 40), HIST_SLOTS - 1);
});

test('reported percentiles are within 6.25 % of the true sample (issue bound: 10 %)', () => {
  const r = rng(42);
  for (const [name, gen] of [
    ['lognormal', () => Math.exp(10 + 2 * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()))],
    ['uniform 1µs-1s', () => 1000 + r() * 1e9],
    ['bimodal', () => (r() < 0.9 ? 2000 + r() * 500 : 5e6 + r() * 1e6)],
  ] as const) {
    const samples = Array.from({ length: 50000 }, () => Math.max(64, Math.round(gen())));
    const h = emptyHistogram();
    addHistogram(h, kernelHist(samples));
    const sorted = [...samples].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const truth = exactQuantile(sorted, q);
      const got = quantile(h, q);
      const rel = Math.abs(got - truth) / truth;
      assert.ok(rel <= 0.0625, `${name} q=${q}: got ${got} truth ${truth} rel ${(rel * 100).toFixed(2)}%`);
    }
    assert.equal(percentiles(h).max, sorted[sorted.length - 1]);
    assert.equal(percentiles(h).count, samples.length);
  }
});

test('per-CPU structs sum counts and slots and keep the max', () => {
  const h = emptyHistogram();
  addHistogram(h, kernelHist([1000, 2000]));
  addHistogram(h, kernelHist([3000, 1_000_000]));
  assert.equal(h.count, 4);
  assert.equal(h.sumNs, 1_006_000);
  assert.equal(h.maxNs, 1_000_000);
  assert.equal(percentiles(h).p99, 1_000_000);
});

test('a window decoded from two cumulative readings equals the histogram of the samples in between', () => {
  const before = [1000, 2000, 50_000];
  const during = [3000, 3100, 7_000_000, 64];
  const base = kernelHist(before);
  const cur = kernelHist([...before, ...during]);
  const into = emptyHistogram();
  assert.equal(addHistogramDelta(into, cur, 0, readHistogram(base, 0)), during.length);
  const want = emptyHistogram();
  addHistogram(want, kernelHist(during));
  assert.deepEqual([...into.slots], [...want.slots]);
  assert.equal(into.count, want.count);
  assert.equal(into.sumNs, want.sumNs);
  // The kernel's running max (7 ms) is in this window; the bound is the top of the highest non-empty slot.
  assert.ok(into.maxNs >= 7_000_000 && into.maxNs <= slotBounds(slotOf(7_000_000))[1]);
  // Unchanged key: nothing added, the aggregate is untouched.
  const same = emptyHistogram();
  assert.equal(addHistogramDelta(same, base, 0, readHistogram(base, 0)), 0);
  assert.equal(same.count, 0);
  // No base: everything since the key was created, max exact; decodes at an unaligned offset too.
  const shifted = Buffer.alloc(HIST_BYTES + 3);
  cur.copy(shifted, 3);
  const all = emptyHistogram();
  addHistogramDelta(all, shifted, 3);
  assert.equal(all.count, before.length + during.length);
  assert.equal(all.maxNs, 7_000_000);
});

test('empty histogram reports zeros', () => {
  assert.deepEqual(percentiles(emptyHistogram()), { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
});

test('cumulative Prometheus buckets are monotonic and end at the count', () => {
  const h = emptyHistogram();
  addHistogram(h, kernelHist([500, 5000, 50_000, 5_000_000, 500_000_000]));
  const b = cumulativeBuckets(h, [1e-6, 1e-5, 1e-3, 0.01, 1]);
  assert.deepEqual(b, [1, 2, 3, 4, 5]);
});
