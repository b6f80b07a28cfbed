import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { etaFromRate, MAX_ETA_NS, validEtaNs } from '../../../src/doctor/eta.js';

describe('ETA', () => {
  it('accepts positive estimates up to 7 days', () => {
    assert.equal(validEtaNs(1), 1);
    assert.equal(validEtaNs(MAX_ETA_NS), MAX_ETA_NS);
    assert.equal(MAX_ETA_NS, 604_800e9);
  });

  it('rejects ≤ 0, NaN, infinite, and beyond 7 days', () => {
    for (const v of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, MAX_ETA_NS + 1, undefined])
      assert.equal(validEtaNs(v), undefined, String(v));
  });

  it('remaining ÷ rate, in ns', () => {
    assert.equal(etaFromRate(3000, 10), 300e9);
    assert.equal(etaFromRate(0, 10), undefined);
    assert.equal(etaFromRate(-1, 10), undefined);
    assert.equal(etaFromRate(100, 0), undefined);
    assert.equal(etaFromRate(100, -3), undefined);
    assert.equal(etaFromRate(1e12, 1), undefined);
  });
});
