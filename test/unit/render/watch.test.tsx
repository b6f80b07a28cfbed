import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { diffFindings, EMPTY_WATCH_STATE } from '../../../src/doctor/watch-diff.js';
import type { Finding } from '../../../src/doctor/types.js';
import {
  renderWatchJson,
  renderWatchPlain,
  toWatchView,
  type WatchFrame,
} from '../../../src/render/watch.js';
import { runWatchUi, WatchScreen } from '../../../src/render/ink/watch-view.js';
import { fixtureFindings, fixtureReport } from '../../fixtures/render/report.js';
import { assertGolden } from './golden.js';
import { FakeStdin, FakeStdout, strip, waitFor } from './ink-harness.js';

afterEach(() => cleanup());

const START = Date.parse('2025-01-15T10:00:00.000Z');
const [memory, fsync, taint] = fixtureFindings() as [Finding, Finding, Finding];

/** Window 3 of a watch: fsync got slower (ongoing), memory appeared (new), the taint finding resolved. */
function frames(): WatchFrame[] {
  const at = (s: number) => START + s * 1000;
  const report = (s: number, findings: Finding[]) => {
    const r = fixtureReport({ findings, durationNs: 10e9 });
    return {
      ...r,
      windowStart: new Date(at(s - 10)).toISOString(),
      windowEnd: new Date(at(s)).toISOString(),
    };
  };
  const slower: Finding = {
    ...fsync,
    value: 240e6,
    evidence: [fsync.evidence[0]!, 'fsync(postgres) p99 240ms over 5100 calls'],
  };
  const w1 = [fsync, taint];
  const w2 = [fsync, taint];
  const w3 = [memory, slower];
  let state = EMPTY_WATCH_STATE;
  const out: WatchFrame[] = [];
  for (const [i, fs] of [w1, w2, w3].entries()) {
    state = diffFindings(state, fs, at(10 * (i + 1)), { keepResolvedMs: 0 });
    out.push({ state, report: report(10 * (i + 1), fs), startedAtMs: START, intervalNs: 10e9 });
  }
  return out;
}

test('watch view: statuses, ages and changes in words', () => {
  const v = toWatchView(frames()[2]!);
  assert.equal(v.status, 'cycle 3 · up 30s · 10s windows · window ended 10:00:30 UTC');
  assert.equal(v.counts, '1 new · 1 ongoing · 1 resolved');
  assert.deepEqual(
    v.rows.map((r) => `${r.mark} ${r.label} ${r.title} · ${r.age}`),
    [
      '+ NEW prod/checkout-7d9f is at 97% of its memory limit · since this window',
      '~ ONGOING High fsync() Syscall Latency · for 20s',
      '− RESOLVED Kernel is tainted (O: out-of-tree module) · resolved in this window',
    ],
  );
  assert.deepEqual(v.rows[1]!.changes, ['value 180ms → 240ms', 'evidence: 1 line with new numbers']);
});

test('watch plain blocks match the golden file (one block per window)', () => {
  assertGolden(
    'watch.plain.txt',
    frames()
      .map((f) => renderWatchPlain(f, { color: false }))
      .join(''),
  );
});

test('watch JSON: one compact object per window with status, times, changes and the full finding', () => {
  const lines = frames().map(renderWatchJson);
  for (const l of lines) {
    assert.ok(l.endsWith('\n') && !l.slice(0, -1).includes('\n'), 'one line per window');
  }
  const last = JSON.parse(lines[2]!) as {
    cycle: number;
    counts: Record<string, number>;
    findings: { status: string; since: string; resolvedAt?: string; changes: unknown[]; finding: Finding }[];
    coverage: { name: string; state: string }[];
  };
  assert.equal(last.cycle, 3);
  assert.deepEqual(last.counts, { new: 1, ongoing: 1, resolved: 1 });
  assert.deepEqual(
    last.findings.map((f) => [f.status, f.finding.rule, f.since]),
    [
      ['new', 'memory_limit_pressure', '2025-01-15T10:00:30.000Z'],
      ['ongoing', 'syscall_latency_high', '2025-01-15T10:00:10.000Z'],
      ['resolved', 'kernel_tainted', '2025-01-15T10:00:10.000Z'],
    ],
  );
  assert.equal(last.findings[2]!.resolvedAt, '2025-01-15T10:00:30.000Z');
  assert.deepEqual(last.findings[1]!.changes[0], { what: 'value', from: '180ms', to: '240ms' });
  // Collectors that did not observe are named, so an empty window is not read as a healthy one
  assert.deepEqual(
    last.coverage.map((c) => `${c.name}:${c.state}`),
    ['oom:disabled', 'disk:failed', 'kernel:off'],
  );
});

test('WatchScreen (Ink): marks in order, changes under their row, not-observed line, footer', () => {
  const { lastFrame } = render(<WatchScreen view={toWatchView(frames()[2]!)} waiting="" />);
  const frame = strip(lastFrame());
  assert.match(frame, /KERNO DOCTOR — WATCH\s+cycle 3 · up 30s/);
  const rows = [
    '+ NEW',
    '~ ONGOING',
    'value 180ms → 240ms',
    '− RESOLVED',
    'not observed: oom',
    '[Ctrl+C] quit',
  ].map((s) => frame.indexOf(s));
  assert.ok(
    rows.every((r) => r >= 0),
    frame,
  );
  assert.deepEqual(
    [...rows].sort((a, b) => a - b),
    rows,
  );
});

test('runWatchUi: a waiting line until the first window, then each frame replaces the last; Ctrl+C is reported', async () => {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const presses: number[] = [];
  const ui = runWatchUi({
    waiting: 'collecting the first 10s window…',
    onInterrupt: (n) => presses.push(n),
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
  });
  try {
    await waitFor(() => stdout.text().includes('collecting the first 10s window'), 'waiting line');
    const [f1, , f3] = frames();
    ui.show(f1!);
    await waitFor(() => stdout.text().includes('cycle 1'), 'first frame');
    ui.show(f3!);
    await waitFor(() => stdout.text().includes('cycle 3'), 'third frame');
    assert.ok(!stdout.text().includes('cycle 1'));
    stdin.write('\u0003');
    await waitFor(() => presses.length === 1, 'Ctrl+C reported');
    // close() exits Ink with the last frame left on the terminal
    ui.show(f1!);
    await ui.close();
    assert.match(stdout.text(), /cycle 1/);
  } finally {
    ui.unmount();
    ui.unmount();
  }
});
