// `kerno predict` command line: a bad --samples / --interval / output is one stderr line and exit 2 before
// any collector is built; the plain and JSON renderings of a run (no collection: a fixed PredictRun).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKerno } from './helpers.js';
import { predictPlainView, renderPredictJson, type PredictRun } from '../../../src/render/predict.js';
import { predict } from '../../../src/doctor/predict.js';

async function usageError(args: string[], pattern: RegExp): Promise<void> {
  const o = await runKerno(args);
  assert.equal(o.code, 2, `exit code; stderr: ${o.stderr}`);
  const lines = o.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one stderr line, got:\n${o.stderr}`);
  assert.match(lines[0]!, /^kerno: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(o.stderr, /^\s+at /m);
  assert.equal(o.stdout, '');
}

test('bad flags → exit 2, one line naming the flag', async () => {
  await usageError(['predict', '--interval', '2x'], /--interval: invalid duration "2x"/);
  await usageError(['predict', '--interval', '500ms'], /--interval: 500ms is too short \(at least 1s\)/);
  await usageError(['predict', '--samples', 'many'], /--samples: many is not a whole number/);
  await usageError(
    ['predict', '--samples', '3'],
    /--samples: 3 is too few \(a trend needs at least 5 points\)/,
  );
  await usageError(['predict', '--samples', '100000'], /--samples: 100000 is too many/);
  await usageError(['predict', '-o', 'md'], /argument 'md' is invalid/);
});

test('--help names every signal, the limits and the urgency bounds', async () => {
  const o = await runKerno(['predict', '--help']);
  assert.equal(o.code, 0);
  for (const word of [
    'RLIMIT_NOFILE',
    'memory.max',
    'disk_p99_critical_ns',
    '[IMMINENT] under 5m',
    '--samples',
  ])
    assert.ok(o.stdout.includes(word), `help mentions ${word}`);
});

function run(): PredictRun {
  const samples = (f: (i: number) => number) => [0, 1, 2, 3, 4].map((i) => ({ t: i * 10, value: f(i) }));
  const r = predict([
    {
      kind: 'fd',
      subject: 'pid 7',
      label: 'leaker (7)',
      unit: 'fds',
      limit: 1024,
      limitSource: 'soft RLIMIT_NOFILE',
      samples: samples((i) => 100 + 100 * i),
    },
    {
      kind: 'disk_latency',
      subject: '8:0',
      label: 'sda sync write p99',
      unit: 'ns',
      limit: 200e6,
      limitSource: 'doctor critical threshold disk_p99_critical_ns',
      samples: samples((i) => 10e6 + 1e6 * i),
    },
    {
      kind: 'runq_delay',
      subject: 'host',
      label: 'run-queue delay p99',
      unit: 'ns',
      limit: 20e6,
      limitSource: 'doctor critical threshold sched_delay_critical_ns',
      samples: samples(() => 1e6),
    },
  ]);
  return {
    version: 'test',
    startedAtMs: Date.parse('2026-01-01T00:00:00Z'),
    endedAtMs: Date.parse('2026-01-01T00:00:40Z'),
    snapshots: 5,
    intervalNs: 10e9,
    partial: false,
    minPoints: 5,
    minConfidence: 0.8,
    ...r,
    coverage: [],
  };
}

test('plain view: banner, one row per prediction with urgency, ETA, confidence, current, trend, limit', () => {
  const v = predictPlainView(run());
  assert.deepEqual(v.banner, ['KERNO PREDICT', '5 snapshots 10s apart, fitted over 40s']);
  assert.deepEqual(
    v.rows.map((r) => r.cells),
    [
      [
        '[IMMINENT]',
        'File descriptor exhaustion',
        'leaker (7)',
        '~52s',
        '100%',
        '500',
        '+10/s',
        '1,024',
        'soft RLIMIT_NOFILE',
      ],
      [
        '[WATCH]',
        'Disk sync latency',
        'sda sync write p99',
        '~31m', // (200 − 14) ms at 0.1 ms/s = 1860 s
        '100%',
        '14ms',
        '+100µs/s',
        '200ms',
        'doctor critical threshold disk_p99_critical_ns',
      ],
    ],
  );
  assert.match(v.notes.join('\n'), /not a hard limit/);
});

test('no prediction: says so and suggests a longer run', () => {
  const r = { ...run(), predictions: [] };
  const v = predictPlainView(r);
  assert.equal(v.rows.length, 0);
  assert.match(v.notes[0]!, /No resource is trending toward its limit .*--samples 10 --interval 15s/);
});

test('JSON: the documented shape, exhaustedAt = windowEnd + ETA', () => {
  const doc = JSON.parse(renderPredictJson(run()));
  assert.deepEqual(Object.keys(doc), [
    'schemaVersion',
    'version',
    'windowStart',
    'windowEnd',
    'snapshots',
    'intervalNs',
    'partial',
    'minPoints',
    'minConfidence',
    'predictions',
    'judged',
    'coverage',
  ]);
  const fd = doc.predictions[0];
  assert.equal(fd.kind, 'fd');
  assert.equal(fd.etaNs, 52.4e9);
  assert.equal(fd.exhaustedAt, '2026-01-01T00:01:32.400Z');
  assert.equal(fd.urgency, 'imminent');
  assert.equal(fd.title, 'File descriptor exhaustion');
  assert.deepEqual(doc.judged, [
    {
      kind: 'runq_delay',
      subject: 'host',
      label: 'run-queue delay p99',
      points: 5,
      reason: 'not_growing',
      trendPerSec: 0,
      confidence: 0,
    },
  ]);
});
