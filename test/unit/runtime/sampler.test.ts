import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../../../src/runtime/sampler.js';

interface Ev {
  kind: 'retransmit' | 'oom_kill';
}
const ordinary: Ev = { kind: 'retransmit' };
const oom: Ev = { kind: 'oom_kill' };

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('keeps everything within the budget, then samples at the over-budget probability', () => {
  const c = clock();
  const s = new Sampler<Ev>({ ratePerSec: 100, overBudgetProbability: 0.1, seed: 1, now: c.now });
  let kept = 0;
  for (let i = 0; i < 100; i++) if (s.offer(ordinary)) kept++;
  assert.equal(kept, 100, 'the burst (= budget) is kept whole');
  let over = 0;
  for (let i = 0; i < 10_000; i++) if (s.offer(ordinary)) over++;
  assert.ok(over > 850 && over < 1_150, `about 10 % kept over budget, got ${over}`);
  const st = s.stats();
  assert.equal(st.seen, 10_100);
  assert.equal(st.kept, 100 + over);
  assert.equal(st.sampledOut, 10_000 - over);
  assert.equal(st.critical, 0);
});

test('tokens refill at ratePerSec up to the burst size', () => {
  const c = clock();
  const s = new Sampler<Ev>({ ratePerSec: 10, burst: 10, overBudgetProbability: 0, now: c.now });
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
  const s = new Sampler<Ev>({
    ratePerSec: 5,
    overBudgetProbability: 0,
    seed: 3,
    now: c.now,
    keep: (e) => e.kind === 'oom_kill',
  });
  for (let i = 0; i < 1_000; i++) s.offer(ordinary); // storm spends the budget
  for (let i = 0; i < 50; i++) assert.equal(s.offer(oom), true, 'an OOM kill is always kept');
  const st = s.stats();
  assert.equal(st.critical, 50);
  assert.equal(st.kept, 55);
  assert.equal(st.sampledOut, 995);
});

test('same seed, same decisions', () => {
  const run = (seed: number): boolean[] => {
    const s = new Sampler<Ev>({ ratePerSec: 0, burst: 0, overBudgetProbability: 0.5, seed, now: () => 0 });
    return Array.from({ length: 200 }, () => s.offer(ordinary));
  };
  assert.deepEqual(run(9), run(9));
  assert.notDeepEqual(run(9), run(10));
});

test('invalid options are rejected with the bad value', () => {
  assert.throws(
    () => new Sampler({ ratePerSec: -1, overBudgetProbability: 0 }),
    /ratePerSec must be a finite number >= 0, got -1/,
  );
  assert.throws(() => new Sampler({ ratePerSec: 1, overBudgetProbability: 1.5 }), /within 0…1, got 1.5/);
  assert.throws(
    () => new Sampler({ ratePerSec: 1, overBudgetProbability: Number.NaN }),
    /overBudgetProbability/,
  );
});
