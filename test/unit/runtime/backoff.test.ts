import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, DEFAULT_BACKOFF, nominalBackoffMs } from '../../../src/runtime/backoff.js';
import { FaultWindow } from '../../../src/runtime/circuit-breaker.js';
import { seededRandom } from '../../../src/runtime/random.js';

test('nominal schedule: 1, 2, 4 … s, capped at 60 s', () => {
  const schedule = Array.from({ length: 10 }, (_, i) => nominalBackoffMs(i + 1));
  assert.deepEqual(
    schedule,
    [1, 2, 4, 8, 16, 32, 60, 60, 60, 60].map((s) => s * 1_000),
  );
  assert.equal(nominalBackoffMs(5_000), 60_000, 'huge attempts stay capped');
  assert.throws(() => nominalBackoffMs(0), /attempt must be an integer >= 1/);
});

test('jitter bounds: within (0.8 × nominal, nominal] for any random value', () => {
  const rng = seededRandom(42);
  for (let attempt = 1; attempt <= 12; attempt++) {
    const nominal = nominalBackoffMs(attempt);
    assert.equal(
      backoffDelayMs(attempt, () => 0),
      nominal,
    );
    for (let i = 0; i < 200; i++) {
      const d = backoffDelayMs(attempt, rng);
      assert.ok(
        d > nominal * (1 - DEFAULT_BACKOFF.jitter) - 1 && d <= nominal,
        `${d} for nominal ${nominal}`,
      );
      assert.ok(d <= 60_000);
    }
  }
  // Out-of-range random sources are clamped rather than breaking the bounds.
  assert.equal(
    backoffDelayMs(1, () => 7),
    800,
  );
  assert.equal(
    backoffDelayMs(1, () => -1),
    1_000,
  );
});

test('seeded random is deterministic and uniform enough', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const xs = Array.from({ length: 1_000 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 1_000 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, seededRandom(8)));
});

test('fault window: the 5th fault within 10 minutes opens it, older faults leave the window', () => {
  const MIN = 60_000;
  const w = new FaultWindow({ maxFaults: 5, windowMs: 10 * MIN });
  assert.deepEqual(
    [0, 1, 2, 3].map((m) => w.record(m * MIN)),
    [false, false, false, false],
  );
  assert.equal(w.record(9.99 * MIN), true);

  const spread = new FaultWindow({ maxFaults: 5, windowMs: 10 * MIN });
  const results = [0, 2.75, 5.5, 8.25, 11].map((m) => spread.record(m * MIN));
  assert.deepEqual(results, [false, false, false, false, false]);
  assert.equal(spread.count(11 * MIN), 4);
  assert.equal(spread.count(30 * MIN), 0);

  const edge = new FaultWindow({ maxFaults: 2, windowMs: 10 * MIN });
  edge.record(0);
  assert.equal(edge.record(10 * MIN), false, 'exactly 10 minutes apart is not within 10 minutes');
});
