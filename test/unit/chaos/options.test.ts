import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  byIntensity,
  DEFAULT_DURATION_NS,
  MAX_DURATION_NS,
  MIN_DURATION_NS,
  parseIntensity,
  parseInducer,
  validateOptions,
} from '../../../src/chaos/options.js';
import { formatBytes } from '../../../src/util/bytes.js';

test('parseIntensity accepts names and first letters, any case', () => {
  assert.equal(parseIntensity('low'), 'low');
  assert.equal(parseIntensity('L'), 'low');
  assert.equal(parseIntensity(' medium '), 'medium');
  assert.equal(parseIntensity('m'), 'medium');
  assert.equal(parseIntensity('High'), 'high');
  assert.equal(parseIntensity('h'), 'high');
});

test('parseIntensity rejects a typo instead of silently using medium', () => {
  assert.throws(() => parseIntensity('hgih'), /invalid --intensity "hgih": expected low, medium or high/);
  assert.throws(() => parseIntensity(''), /invalid --intensity/);
});

test('parseInducer accepts kerno-worker (kerno, worker) and stress-ng, and rejects a typo', () => {
  assert.equal(parseInducer('stress-ng'), 'stress-ng');
  assert.equal(parseInducer(' Kerno '), 'kerno-worker');
  assert.equal(parseInducer('worker'), 'kerno-worker');
  assert.equal(parseInducer('kerno-worker'), 'kerno-worker');
  assert.throws(
    () => parseInducer('stressng'),
    /invalid --inducer "stressng": expected kerno-worker or stress-ng/,
  );
});

test('validateOptions bounds the duration and names the bad value', () => {
  assert.deepEqual(validateOptions({ durationNs: DEFAULT_DURATION_NS, intensity: 'low' }), {
    durationNs: 30e9,
    intensity: 'low',
    inducer: 'kerno-worker',
  });
  assert.throws(
    () => validateOptions({ durationNs: 1e9, intensity: 'low', inducer: 'stress' as never }),
    /invalid chaos inducer "stress"/,
  );
  assert.equal(validateOptions({ durationNs: 1e9 + 0.4, intensity: 'high' }).durationNs, 1e9);
  assert.doesNotThrow(() => validateOptions({ durationNs: MIN_DURATION_NS, intensity: 'low' }));
  assert.doesNotThrow(() => validateOptions({ durationNs: MAX_DURATION_NS, intensity: 'low' }));
  assert.throws(() => validateOptions({ durationNs: 0, intensity: 'low' }), /invalid chaos duration 0s/);
  assert.throws(
    () => validateOptions({ durationNs: MAX_DURATION_NS + 1, intensity: 'low' }),
    /between 100ms and 1h/,
  );
  assert.throws(() => validateOptions({ durationNs: NaN, intensity: 'low' }), /invalid chaos duration NaN/);
  assert.throws(
    () => validateOptions({ durationNs: 1e9, intensity: 'extreme' as never }),
    /invalid chaos intensity "extreme"/,
  );
});

test('formatBytes', () => {
  assert.equal(formatBytes(64 * 1024 * 1024), '64 MiB');
  assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
  assert.equal(formatBytes(65536), '64 KiB');
});

test('byIntensity picks the row', () => {
  const t = { low: 1, medium: 2, high: 3 };
  assert.equal(byIntensity('low', t), 1);
  assert.equal(byIntensity('high', t), 3);
});
