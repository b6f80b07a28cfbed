import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../../../src/events/sampler.js';

interface Ev {
  kind: 'warning' | 'oom_kill';
}
const ordinary: Ev = { kind: 'warning' };
const oom: Ev = { kind: 'oom_kill' };

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('keeps everything within the budget and refuses the rest', () => {
  const c = clock();
  const s = new Sampler<Ev>({ ratePerSec: 100, now: c.now });
  let kept = 0;
  for (let i = 0; i < 10_100; i++) if (s.offer(ordinary)) kept++;
  assert.equal(kept, 100, 'the burst (= budget) is kept whole, nothing beyond it');
  assert.deepEqual(s.stats(), { seen: 10_100, kept: 100, sampledOut: 10_000, critical: 0 });
});

test('tokens refill at ratePerSec up to the burst size', () => {
  const c = clock();
  const s = new Sampler<Ev>({ ratePerSec: 10, burst: 10, now: c.now });
  for (let i = 0; i < 10; i++) assert.equal(s.offer(ordinary), true);
  assert.equal(s.offer(ordinary), false);
  c.advance(500); // half a second → 5 tokens
  let kept = 0;
  for (let i = 0; i < 20; i++) if (s.offer(ordinary)) kept++;
  assert.equal(kept, 5);
  c.advance(60_000); // long idle: capped at the burst
  kept = 0;
  for (let i = 0; i < 50; i++) if (s.offer(ordinary)) kept++;
  assert.equal(kept, 10);
});

test('critical events are never sampled and spend no budget', () => {
  const c = clock();
  const s = new Sampler<Ev>({ ratePerSec: 5, now: c.now, keep: (e) => e.kind === 'oom_kill' });
  for (let i = 0; i < 1_000; i++) s.offer(ordinary); // storm spends the budget
  for (let i = 0; i < 50; i++) assert.equal(s.offer(oom), true, 'an OOM kill is always kept');
  const st = s.stats();
  assert.equal(st.critical, 50);
  assert.equal(st.kept, 55);
  assert.equal(st.sampledOut, 995);
});

test('invalid options are rejected with the bad value', () => {
  assert.throws(() => new Sampler({ ratePerSec: -1 }), /ratePerSec must be a finite number >= 0, got -1/);
  assert.throws(() => new Sampler({ ratePerSec: Number.NaN }), /ratePerSec/);
  assert.throws(
    () => new Sampler({ ratePerSec: 1, burst: -2 }),
    /burst must be a finite number >= 0, got -2/,
  );
});
