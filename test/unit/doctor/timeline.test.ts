import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTimeline,
  CAUSAL_RULES,
  linkConfidence,
  MIN_LINK_CONFIDENCE,
  OnsetTracker,
  withOnsets,
} from '../../../src/doctor/timeline.js';
import { buildReport, onlyCriticalReport } from '../../../src/doctor/engine.js';
import type { Finding } from '../../../src/doctor/types.js';
import { fixtureReport } from '../../fixtures/render/report.js';

const T0 = Date.parse('2025-01-15T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function finding(rule: string, signal: string, over: Partial<Finding> = {}): Finding {
  return {
    rule,
    severity: 'warning',
    title: rule,
    signal,
    subject: '',
    cause: '',
    impact: '',
    evidence: [],
    fix: [],
    metric: 'm',
    unit: 'ns',
    value: 2,
    threshold: 1,
    ...over,
  };
}

test('OnsetTracker keeps the first sighting per (rule, subject); withOnsets falls back to the window end', () => {
  // Given a finding seen at 2 s and 3 s, another subject of the same rule seen at 5 s
  const t = new OnsetTracker();
  t.observe([finding('a', 's', { subject: 'x' })], T0 + 3000);
  t.observe([finding('a', 's', { subject: 'x' })], T0 + 2000);
  t.observe([finding('a', 's', { subject: 'x' }), finding('a', 's', { subject: 'y' })], T0 + 5000);
  // When the final findings get their onsets (one never seen on a tick)
  const out = withOnsets(
    [finding('a', 's', { subject: 'y' }), finding('a', 's', { subject: 'x' }), finding('b', 's')],
    t,
    T0 + 10_000,
  );
  // Then each has its first sighting, the unseen one the fallback, and the order is kept
  assert.deepEqual(
    out.map((f) => [f.rule, f.subject, f.onset]),
    [
      ['a', 'y', at(5)],
      ['a', 'x', at(2)],
      ['b', '', at(10)],
    ],
  );
});

test('events come in onset order (then rule, then subject) with their offset from the window start', () => {
  const tl = buildTimeline(
    [
      finding('syscall_latency_high', 'syscall', { onset: at(9) }),
      finding('zz', 'kernel', { onset: at(1) }),
      finding('disk_io_bottleneck', 'disk', { onset: at(4), subject: 'vdb' }),
      finding('disk_io_bottleneck', 'disk', { onset: at(4), subject: 'vda' }),
      finding('aa', 'kernel', { onset: at(4) }),
      finding('no_onset', 'kernel'),
    ],
    T0,
  )!;
  assert.deepEqual(
    tl.events.map((e) => `${e.offsetMs} ${e.rule} ${e.subject}`),
    [
      '1000 zz ',
      '4000 aa ',
      '4000 disk_io_bottleneck vda',
      '4000 disk_io_bottleneck vdb',
      '9000 syscall_latency_high ',
    ],
  );
  // Both disks link to the slow syscalls; findings of one rule are never linked to each other
  assert.deepEqual(
    tl.links.map((l) => [tl.events[l.cause]!.subject, tl.events[l.effect]!.rule, l.gapMs, l.confidence]),
    [
      ['vda', 'syscall_latency_high', 5000, 0.85],
      ['vdb', 'syscall_latency_high', 5000, 0.85],
    ],
  );
});

test('no timeline without onsets', () => {
  assert.equal(buildTimeline([finding('a', 's')], T0), undefined);
});

test('links need the cause first and a gap within the mechanism; confidence decays past half the gap', () => {
  const link = (causeAt: number, effectAt: number) =>
    buildTimeline(
      [
        finding('disk_io_bottleneck', 'disk', { onset: at(causeAt) }),
        finding('io_pressure_stall', 'pressure', { onset: at(effectAt) }),
      ],
      T0,
    )!.links;
  // Same second: linked (1-s onsets cannot order them)
  assert.equal(link(3, 3).length, 1);
  // Effect before cause: not linked
  assert.deepEqual(link(5, 3), []);
  // 5 s of a 10 s maximum: full base confidence
  assert.equal(link(0, 5)[0]!.confidence, 0.85);
  // 6 s: 0.85 × 0.4 = 0.34 < 0.7 → dropped, as in the reference
  assert.deepEqual(link(0, 6), []);
  assert.equal(linkConfidence({ base: 0.9, maxGapMs: 120_000 }, 70_000), 0.9 * (1 - 70 / 120));
  assert.equal(linkConfidence({ base: 0.9, maxGapMs: 120_000 }, 121_000), 0);
  assert.ok(linkConfidence({ base: 0.9, maxGapMs: 120_000 }, 60_000) >= MIN_LINK_CONFIDENCE);
});

test('the brief example chains: slow disk → io stall → slow fsync; unrelated findings stay unlinked', () => {
  const tl = buildTimeline(
    [
      finding('syscall_latency_high', 'syscall', { onset: at(9) }),
      finding('io_pressure_stall', 'pressure', { onset: at(6) }),
      finding('disk_io_bottleneck', 'disk', { onset: at(4) }),
      finding('kernel_taint', 'kernel', { onset: at(0) }),
      finding('memory_limit_pressure', 'cgroupMemory', { onset: at(2) }),
    ],
    T0,
  )!;
  const named = tl.links.map((l) => `${tl.events[l.cause]!.rule}→${tl.events[l.effect]!.rule}`);
  assert.deepEqual(named.sort(), [
    'disk_io_bottleneck→io_pressure_stall',
    'disk_io_bottleneck→syscall_latency_high',
    'io_pressure_stall→syscall_latency_high',
  ]);
});

test('fd exhaustion links to syscall errors only for the same process', () => {
  const fd = (pid: number) => finding('fd_leak', 'fd', { onset: at(1), pid });
  const errs = finding('syscall_error_rate', 'syscall', { onset: at(20), pid: 42 });
  assert.equal(buildTimeline([fd(42), errs], T0)!.links.length, 1);
  assert.equal(buildTimeline([fd(7), errs], T0)!.links.length, 0);
});

test('every causal row names a real direction and a reason, with a base that can pass the cut', () => {
  for (const row of CAUSAL_RULES) {
    assert.ok(row.cause.rule ?? row.cause.signal);
    assert.ok(row.effect.rule ?? row.effect.signal);
    assert.ok(row.why.length > 10);
    assert.ok(row.base >= MIN_LINK_CONFIDENCE && row.base <= 1);
  }
});

test('buildReport carries the timeline when findings have onsets, and none otherwise', () => {
  const { signals } = fixtureReport();
  const plain = buildReport(signals, [finding('a', 's')], { version: 't' });
  assert.equal(plain.timeline, undefined);
  const timed = buildReport(
    signals,
    [
      finding('disk_io_bottleneck', 'disk', { onset: at(4) }),
      finding('io_pressure_stall', 'pressure', { onset: at(5) }),
    ],
    { version: 't' },
  );
  assert.equal(timed.timeline?.events.length, 2);
  assert.equal(timed.timeline?.links.length, 1);
});

test('--only-critical JSON: the timeline keeps only the critical findings and their links', () => {
  const { signals } = fixtureReport();
  const report = buildReport(
    signals,
    [
      finding('disk_io_bottleneck', 'disk', { onset: at(4), severity: 'critical' }),
      finding('io_pressure_stall', 'pressure', { onset: at(5) }),
      finding('oom_kill_occurred', 'oom', { onset: at(9), severity: 'critical' }),
    ],
    { version: 't' },
  );
  assert.equal(report.timeline?.links.length, 1);
  const shown = onlyCriticalReport(report);
  assert.deepEqual(
    shown.timeline?.events.map((e) => e.rule),
    ['disk_io_bottleneck', 'oom_kill_occurred'],
  );
  assert.deepEqual(shown.timeline?.links, []);
  assert.equal(report.findings.length, 3, 'the input report is not modified');
});
