import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DurationParseError, formatDuration, parseDuration } from '../../../src/util/duration.js';

const NS = 1;
const US = 1_000;
const MS = 1_000_000;
const S = 1_000_000_000;
const M = 60 * S;
const H = 60 * M;

test('parseDuration accepts Go-style durations', () => {
  const cases: Array<[string, number]> = [
    ['500ms', 500 * MS],
    ['30s', 30 * S],
    ['1m30s', 90 * S],
    ['5m', 5 * M],
    ['2h', 2 * H],
    ['1.5s', 1500 * MS],
    ['100us', 100 * US],
    ['100µs', 100 * US], // U+00B5 micro sign
    ['100μs', 100 * US], // U+03BC greek mu
    ['10ns', 10 * NS],
    ['1h2m3.5s', H + 2 * M + 3500 * MS],
    ['.5s', 500 * MS],
    ['0', 0],
    ['0s', 0],
    ['+3s', 3 * S],
    ['1.0000000015s', S + 1], // sub-ns fraction truncated, as in Go
  ];
  for (const [text, ns] of cases) assert.equal(parseDuration(text), ns, text);
});

test('parseDuration rejects garbage with a precise reason', () => {
  const cases: Array<[string, string]> = [
    ['abc', 'invalid duration "abc": expected a number followed by a unit (ns, us, ms, s, m, h)'],
    ['', 'invalid duration "": must not be empty'],
    ['-1s', 'invalid duration "-1s": must not be negative'],
    ['10', 'invalid duration "10": missing unit (ns, us, ms, s, m, h)'],
    ['1m30', 'invalid duration "1m30": missing unit (ns, us, ms, s, m, h)'],
    ['5x', 'invalid duration "5x": unknown unit "x" (use ns, us, ms, s, m, h)'],
    ['5 s', 'invalid duration "5 s": unknown unit " s" (use ns, us, ms, s, m, h)'],
    ['.s', 'invalid duration ".s": expected a number followed by a unit (ns, us, ms, s, m, h)'],
    ['+', 'invalid duration "+": expected a number followed by a unit (ns, us, ms, s, m, h)'],
    ['1s ', 'invalid duration "1s ": unknown unit "s " (use ns, us, ms, s, m, h)'],
    ['999999999h', 'invalid duration "999999999h": too large'],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseDuration(text),
      (err: unknown) => err instanceof DurationParseError && err.message === message && err.input === text,
      text,
    );
  }
});

test('formatDuration prints compact Go syntax', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [30 * S, '30s'],
    [90 * S, '1m30s'],
    [250 * MS, '250ms'],
    [1500 * MS, '1.5s'],
    [2 * H, '2h'],
    [H + 5 * S, '1h5s'],
    [5 * M, '5m'],
    [1500, '1.5µs'],
    [999, '999ns'],
    [1_000_001, '1.000001ms'],
    [-2 * S, '-2s'],
  ];
  for (const [ns, text] of cases) assert.equal(formatDuration(ns), text, String(ns));
});

test('formatDuration output parses back to the same value', () => {
  const fixed = [1, 999, 1000, 1001, MS - 1, MS, S - 1, S, S + 1, M - 1, H + 1, 25 * H + 61 * S + 7];
  // Deterministic pseudo-random values across every magnitude (no Math.random: failures must reproduce).
  let x = 0x2545f491;
  const random: number[] = [];
  for (let i = 0; i < 2000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    random.push(Math.floor((x / 2 ** 31) * 10 ** (1 + (i % 15))));
  }
  for (const ns of [...fixed, ...random]) {
    assert.equal(parseDuration(formatDuration(ns)), ns, `${ns} → ${formatDuration(ns)}`);
  }
});

test('canonical duration text survives parse then format', () => {
  for (const text of ['30s', '1m30s', '250ms', '1.5s', '2h', '1h5s', '10ns', '100µs', '2h30m', '1m0.5s']) {
    assert.equal(formatDuration(parseDuration(text)), text);
  }
});

test('formatDuration with significant digits rounds before picking the unit', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [999.6, '1µs'],
    [12_345, '12.3µs'],
    [999_999, '1ms'],
    [12_580_000, '12.6ms'],
    [1_234_567_890, '1.23s'],
    [(10 * S) / 3, '3.33s'],
    [90 * S, '1m30s'],
    [1234 * S, '20m30s'],
    [60 * M, '1h'],
    [-2 * MS, '-2ms'],
  ];
  for (const [ns, text] of cases) assert.equal(formatDuration(ns, { significant: 3 }), text, String(ns));
});

test('formatDuration refuses non-finite input', () => {
  assert.throws(() => formatDuration(Number.NaN), RangeError);
  assert.throws(() => formatDuration(Infinity), RangeError);
});
