import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitLine,
  MIN_POINTS,
  predict,
  predictSeries,
  urgencyOf,
  type Judged,
  type Prediction,
  type Series,
} from '../../../src/doctor/predict.js';
import { SeriesBuilder } from '../../../src/doctor/predict-series.js';
import { DEFAULT_THRESHOLDS } from '../../../src/doctor/thresholds.js';
import { MAX_ETA_NS } from '../../../src/doctor/eta.js';
import type { Signals } from '../../../src/signals/types.js';

function series(values: number[], opts: Partial<Series> = {}, dt = 10): Series {
  return {
    kind: 'fd',
    subject: 'pid 42',
    label: 'leaker (42)',
    unit: 'fds',
    limit: 1024,
    limitSource: 'soft RLIMIT_NOFILE',
    samples: values.map((value, i) => ({ t: 1000 + i * dt, value })),
    ...opts,
  };
}

function asPrediction(r: Prediction | Judged): Prediction {
  assert.ok('etaNs' in r, `expected a prediction, got ${JSON.stringify(r)}`);
  return r;
}

function asJudged(r: Prediction | Judged): Judged {
  assert.ok(!('etaNs' in r), `expected no prediction, got ${JSON.stringify(r)}`);
  return r;
}

test('fitLine: exact slope, intercept and R² = 1 on a straight line', () => {
  const fit = fitLine([0, 1, 2, 3].map((t) => ({ t, value: 5 + 2.5 * t })))!;
  assert.equal(fit.slope, 2.5);
  assert.equal(fit.intercept, 5);
  assert.equal(fit.r2, 1);
  assert.equal(fitLine([{ t: 1, value: 1 }]), undefined);
  assert.equal(fitLine([1, 1, 1].map(() => ({ t: 3, value: 7 }))), undefined, 'no spread in time');
});

test('a steady leak: exact ETA from the last sample to the limit, confidence 1', () => {
  // 100, 200 … 500 fds at 10 s apart: 10 fds/s, 524 left at the last sample → 52.4 s.
  const p = asPrediction(predictSeries(series([100, 200, 300, 400, 500])));
  assert.equal(p.trendPerSec, 10);
  assert.equal(p.etaNs, 52.4e9);
  assert.equal(p.confidence, 1);
  assert.equal(p.current, 500);
  assert.equal(p.limit, 1024);
  assert.equal(p.urgency, 'imminent');
  assert.equal(p.points, 5);
});

test('uneven sample times: the slope is per real second', () => {
  const s = series([]);
  s.samples = [0, 3, 11, 12, 30].map((t) => ({ t, value: 2 * t + 7 }));
  s.limit = 1000;
  const p = asPrediction(predictSeries(s));
  assert.ok(Math.abs(p.trendPerSec - 2) < 1e-12);
  assert.ok(Math.abs(p.etaNs - ((1000 - 67) / 2) * 1e9) < 1);
});

test('noise around a trend: ETA from the fitted line, confidence below 1', () => {
  const noise = [3, -4, 2, -1, 4, -3, 1, -2];
  const values = noise.map((n, i) => 1000 + 100 * i + n);
  const p = asPrediction(predictSeries(series(values, { limit: 10_000, unit: 'bytes' }, 1)));
  assert.ok(p.confidence > 0.99 && p.confidence < 1, `confidence ${p.confidence}`);
  // True line: 1000 + 100·i → reaches 10 000 at i = 90, 83 s after the last sample (i = 7).
  assert.ok(Math.abs(p.etaNs / 1e9 - 83) < 0.5, `eta ${p.etaNs / 1e9}`);
});

test('noise without a trend predicts nothing (poor fit or not growing)', () => {
  const r = asJudged(predictSeries(series([500, 540, 470, 530, 480, 520])));
  assert.ok(r.reason === 'poor_fit' || r.reason === 'not_growing', r.reason);
  assert.ok((r.confidence ?? 1) < 0.8);
});

test('flat and falling series predict nothing', () => {
  const flat = asJudged(predictSeries(series([300, 300, 300, 300, 300, 300])));
  assert.equal(flat.reason, 'not_growing');
  assert.equal(flat.trendPerSec, 0);
  const falling = asJudged(predictSeries(series([600, 500, 400, 300, 200])));
  assert.equal(falling.reason, 'not_growing');
  assert.ok(falling.trendPerSec! < 0);
});

test(`fewer than ${MIN_POINTS} points predict nothing, however straight`, () => {
  const r = asJudged(predictSeries(series([100, 200, 300, 400])));
  assert.equal(r.reason, 'too_few_points');
  assert.equal(r.points, 4);
});

test('at the limit, without a limit, or beyond the horizon: no prediction', () => {
  assert.equal(asJudged(predictSeries(series([1000, 1010, 1020, 1023, 1024]))).reason, 'at_limit');
  assert.equal(asJudged(predictSeries(series([1, 2, 3, 4, 5], { limit: 0 }))).reason, 'no_limit');
  // 1 fd per 10 s with ~1e9 to go: far beyond a week.
  const slow = asJudged(predictSeries(series([1, 2, 3, 4, 5], { limit: 1e9 })));
  assert.equal(slow.reason, 'beyond_horizon');
  assert.ok(1e9 * 10e9 > MAX_ETA_NS);
});

test('urgency bounds: IMMINENT < 5m ≤ SOON < 30m ≤ WATCH', () => {
  assert.equal(urgencyOf(299e9), 'imminent');
  assert.equal(urgencyOf(300e9), 'soon');
  assert.equal(urgencyOf(1799e9), 'soon');
  assert.equal(urgencyOf(1800e9), 'watch');
});

test('predict: sorted by ETA, every other series accounted for', () => {
  const fast = series([100, 200, 300, 400, 500], { subject: 'pid 1' });
  const slow = series([100, 110, 120, 130, 140], { subject: 'pid 2' });
  const flat = series([5, 5, 5, 5, 5], { subject: 'pid 3' });
  const r = predict([slow, flat, fast]);
  assert.deepEqual(
    r.predictions.map((p) => p.subject),
    ['pid 1', 'pid 2'],
  );
  assert.deepEqual(
    r.judged.map((j) => [j.subject, j.reason]),
    [['pid 3', 'not_growing']],
  );
});

function snapshot(endMs: number, part: Partial<Signals>): Signals {
  return {
    schemaVersion: 2,
    windowStart: new Date(endMs - 1000).toISOString(),
    windowEnd: new Date(endMs).toISOString(),
    durationNs: 1e9,
    host: { hostname: 'h', kernelRelease: 'k', arch: 'x64', bootId: 'b' },
    coverage: [],
    ...part,
  };
}

test('SeriesBuilder: fds against their own limit, cgroups against theirs, latencies against the critical threshold', () => {
  const b = new SeriesBuilder(DEFAULT_THRESHOLDS);
  const p = { count: 10, p50: 1, p95: 2, p99: 3e6, max: 4e6 };
  for (let i = 0; i < 3; i++) {
    b.add(
      snapshot(1_000_000 + i * 2000, {
        fd: {
          totalOpens: 0,
          totalCloses: 0,
          netDelta: 0,
          growthRatePerSec: 0,
          entries: [
            {
              pid: 7,
              comm: 'leaker',
              opens: 1,
              closes: 0,
              netDelta: 1,
              growthRatePerSec: 1,
              currentFds: 10 + i,
              fdLimit: 64,
            },
            // Unknown count or unlimited: nothing to predict against.
            {
              pid: 8,
              comm: 'x',
              opens: 1,
              closes: 0,
              netDelta: 1,
              growthRatePerSec: 1,
              currentFds: -1,
              fdLimit: 64,
            },
            {
              pid: 9,
              comm: 'y',
              opens: 1,
              closes: 0,
              netDelta: 1,
              growthRatePerSec: 1,
              currentFds: 5,
              fdLimit: 0,
            },
          ],
        },
        sched: { totalCount: 10, runqDelay: p, topDelayed: [] },
        disk: {
          totalReads: 0,
          totalWrites: 0,
          totalSyncs: 0,
          readBytes: 0,
          writeBytes: 0,
          readLatency: p,
          writeLatency: p,
          syncLatency: p,
          devices: [
            {
              dev: '8:0',
              name: 'sda',
              read: p,
              write: p,
              sync: i === 1 ? { ...p, count: 0 } : p,
              readBytes: 0,
              writeBytes: 0,
            },
          ],
        },
      }),
    );
  }
  const s = b.series();
  const fd = s.find((x) => x.kind === 'fd')!;
  assert.equal(s.filter((x) => x.kind === 'fd').length, 1);
  assert.deepEqual(
    fd.samples.map((x) => x.value),
    [10, 11, 12],
  );
  assert.deepEqual(
    fd.samples.map((x) => x.t),
    [1000, 1002, 1004],
  );
  assert.equal(fd.limit, 64);
  const runq = s.find((x) => x.kind === 'runq_delay')!;
  assert.equal(runq.limit, DEFAULT_THRESHOLDS.sched_delay_critical_ns);
  assert.match(runq.limitSource, /critical threshold/);
  const disk = s.find((x) => x.kind === 'disk_latency')!;
  assert.equal(disk.samples.length, 2, 'an interval without sync writes adds no point');
  assert.equal(disk.limit, DEFAULT_THRESHOLDS.disk_p99_critical_ns);
});
