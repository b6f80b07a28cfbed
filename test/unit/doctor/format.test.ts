import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatByteRate,
  formatBytes,
  formatCount,
  formatEta,
  formatNs,
  formatPct,
  formatRate,
} from '../../../src/doctor/format.js';

describe('formatNs', () => {
  it('picks ns/µs/ms/s (Go syntax beyond a minute) with up to 3 significant digits', () => {
    assert.equal(formatNs(0), '0s');
    assert.equal(formatNs(850), '850ns');
    assert.equal(formatNs(999), '999ns');
    assert.equal(formatNs(1000), '1µs');
    assert.equal(formatNs(12_345), '12.3µs');
    assert.equal(formatNs(123_456), '123µs');
    assert.equal(formatNs(5_000_000), '5ms');
    assert.equal(formatNs(12_580_000), '12.6ms');
    assert.equal(formatNs(1_234_567_890), '1.23s');
    assert.equal(formatNs(30e9), '30s');
    assert.equal(formatNs(1234e9), '20m30s');
  });

  it('promotes to the next unit when rounding reaches 1000', () => {
    assert.equal(formatNs(999.6), '1µs');
    assert.equal(formatNs(999_999), '1ms');
    assert.equal(formatNs(999_600_000), '1s');
  });

  it('handles negatives and non-finite values', () => {
    assert.equal(formatNs(-2_000_000), '-2ms');
    assert.equal(formatNs(Number.NaN), 'n/a');
    assert.equal(formatNs(Number.POSITIVE_INFINITY), 'n/a');
  });
});

describe('formatBytes', () => {
  it('binary units, 3 significant digits', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
    assert.equal(formatBytes(7.72 * 1024 ** 3), '7.72 GiB');
    assert.equal(formatBytes(1023.9), '1 KiB');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024 ** 2 - 1), '1 MiB');
    assert.equal(formatBytes(1020 * 1024), '1020 KiB');
    assert.equal(formatByteRate(2 * 1024 * 1024), '2 MiB/s');
  });
});

describe('formatEta', () => {
  it('~Ns under a minute, ~Nm under an hour, ~Nh beyond (reference §4.1)', () => {
    assert.equal(formatEta(45e9), '~45s');
    assert.equal(formatEta(59.4e9), '~59s');
    assert.equal(formatEta(59.6e9), '~1m');
    assert.equal(formatEta(12 * 60e9), '~12m');
    assert.equal(formatEta(59.4 * 60e9), '~59m');
    assert.equal(formatEta(59.6 * 60e9), '~1h');
    assert.equal(formatEta(3 * 3600e9), '~3h');
    assert.equal(formatEta(150 * 3600e9), '~150h');
    assert.equal(formatEta(0.2e9), '<1s');
    assert.equal(formatEta(-1), 'n/a');
  });
});

describe('formatPct / formatRate / formatCount', () => {
  it('formats', () => {
    assert.equal(formatPct(2), '2%');
    assert.equal(formatPct(2.5), '2.5%');
    assert.equal(formatPct(96.54), '96.5%');
    assert.equal(formatPct(100), '100%');
    assert.equal(formatPct(0.0512), '0.0512%');
    assert.equal(formatRate(12.345), '12.3/s');
    assert.equal(formatCount(12345), '12,345');
    assert.equal(formatCount(Number.NaN), 'n/a');
  });
});
