import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countByStatus,
  diffFindings,
  EMPTY_WATCH_STATE,
  evidenceChanges,
  type WatchState,
} from '../../../src/doctor/watch-diff.js';
import type { Finding } from '../../../src/doctor/types.js';

const MS = 1e6;

function finding(rule: string, subject = '', over: Partial<Finding> = {}): Finding {
  return {
    rule,
    severity: 'warning',
    title: rule,
    signal: 's',
    subject,
    cause: '',
    impact: '',
    evidence: [],
    fix: [],
    metric: 'm',
    unit: 'ns',
    value: 120 * MS,
    threshold: 100 * MS,
    ...over,
  };
}

const view = (s: WatchState) => s.entries.map((e) => `${e.status} ${e.finding.rule}/${e.finding.subject}`);

test('first window: every finding is NEW, in the given (rank) order', () => {
  const s = diffFindings(EMPTY_WATCH_STATE, [finding('b'), finding('a')], 10_000);
  assert.equal(s.cycle, 1);
  assert.deepEqual(view(s), ['new b/', 'new a/']);
  assert.deepEqual(
    s.entries.map((e) => [e.sinceMs, e.lastSeenMs]),
    [
      [10_000, 10_000],
      [10_000, 10_000],
    ],
  );
});

test('NEW → ONGOING (keeps its start) → RESOLVED (once, then gone without keepResolvedMs)', () => {
  let s = diffFindings(EMPTY_WATCH_STATE, [finding('a', 'x')], 10_000);
  s = diffFindings(s, [finding('a', 'x'), finding('b')], 20_000);
  assert.deepEqual(view(s), ['ongoing a/x', 'new b/']);
  assert.equal(s.entries[0]!.sinceMs, 10_000);
  s = diffFindings(s, [finding('b')], 30_000);
  assert.deepEqual(view(s), ['ongoing b/', 'resolved a/x']);
  assert.equal(s.entries[1]!.resolvedAtMs, 30_000);
  assert.equal(s.entries[1]!.lastSeenMs, 20_000);
  s = diffFindings(s, [finding('b')], 40_000);
  assert.deepEqual(view(s), ['ongoing b/']);
  assert.deepEqual(countByStatus(s), { new: 0, ongoing: 1, resolved: 0 });
});

test('the same rule on another subject is another finding', () => {
  let s = diffFindings(EMPTY_WATCH_STATE, [finding('fd_leak', 'pid 1')], 1);
  s = diffFindings(s, [finding('fd_leak', 'pid 2')], 2);
  assert.deepEqual(view(s), ['new fd_leak/pid 2', 'resolved fd_leak/pid 1']);
});

test('keepResolvedMs keeps a resolved finding listed for that long; a return makes it NEW again', () => {
  const keep = { keepResolvedMs: 30_000 };
  let s = diffFindings(EMPTY_WATCH_STATE, [finding('a')], 0, keep);
  s = diffFindings(s, [], 10_000, keep);
  s = diffFindings(s, [], 20_000, keep);
  assert.deepEqual(view(s), ['resolved a/']);
  assert.equal(s.entries[0]!.resolvedAtMs, 10_000);
  s = diffFindings(s, [], 40_000, keep);
  assert.deepEqual(view(s), []);
  // It comes back while still listed as resolved: NEW, with a fresh start
  s = diffFindings(EMPTY_WATCH_STATE, [finding('a')], 0, keep);
  s = diffFindings(s, [], 10_000, keep);
  s = diffFindings(s, [finding('a')], 20_000, keep);
  assert.deepEqual(view(s), ['new a/']);
  assert.equal(s.entries[0]!.sinceMs, 20_000);
});

test('resolved findings come after the current ones, most recently resolved first', () => {
  const keep = { keepResolvedMs: 60_000 };
  let s = diffFindings(EMPTY_WATCH_STATE, [finding('a'), finding('b'), finding('c')], 0, keep);
  s = diffFindings(s, [finding('b'), finding('c')], 10_000, keep);
  s = diffFindings(s, [finding('c')], 20_000, keep);
  assert.deepEqual(view(s), ['ongoing c/', 'resolved b/', 'resolved a/']);
});

test('ONGOING says what changed: value 120ms → 180ms, severity, ETA, new evidence', () => {
  const before = finding('a', '', {
    evidence: ['fsync(postgres) p99 120ms over 4,200 calls', 'most delayed: postgres (pid 7)'],
    etaNs: 240e9,
  });
  const after = finding('a', '', {
    severity: 'critical',
    value: 180 * MS,
    evidence: ['fsync(postgres) p99 180ms over 5,100 calls', 'most delayed: java (pid 9)'],
    etaNs: 60e9,
  });
  let s = diffFindings(EMPTY_WATCH_STATE, [before], 1);
  s = diffFindings(s, [after], 2);
  assert.deepEqual(s.entries[0]!.changes, [
    { what: 'severity (escalated)', from: 'warning', to: 'critical' },
    { what: 'value', from: '120ms', to: '180ms' },
    { what: 'eta', from: '~4m', to: '~1m' },
    { what: 'evidence', from: 'most delayed: postgres (pid 7)', to: 'most delayed: java (pid 9)' },
    { what: 'evidence', from: '', to: '1 more line with new numbers' },
  ]);
});

test('nothing a reader would notice is no change: same formatted value, same evidence', () => {
  const a = finding('a', '', { value: 120.0001 * MS, evidence: ['x 1'] });
  const b = finding('a', '', { value: 120.0002 * MS, evidence: ['x 1'] });
  assert.deepEqual(evidenceChanges(a, b), []);
});

test('evidence lines that only changed numbers are counted; new words are listed up to the cap', () => {
  const a = finding('a', '', { evidence: ['p99 1ms', 'p50 2ms', 'top: a', 'dev: x', 'via: q'] });
  const b = finding('a', '', { evidence: ['p99 3ms', 'p50 4ms', 'top: b', 'dev: y', 'via: r'] });
  const ev = evidenceChanges(a, b, 2).filter((c) => c.what === 'evidence');
  assert.deepEqual(ev, [
    { what: 'evidence', from: 'top: a', to: 'top: b' },
    { what: 'evidence', from: 'dev: x', to: 'dev: y' },
    { what: 'evidence', from: '', to: '3 more lines with new numbers' },
  ]);
  // A line added or removed is shown as such
  const c = finding('a', '', { evidence: ['p99 1ms'] });
  assert.deepEqual(evidenceChanges(c, finding('a', '', { evidence: ['p99 1ms', 'new fact'] })), [
    { what: 'evidence', from: '', to: 'new fact' },
  ]);
  assert.deepEqual(evidenceChanges(finding('a', '', { evidence: ['p99 1ms', 'old fact'] }), c), [
    { what: 'evidence', from: 'old fact', to: '' },
  ]);
});
