import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../../src/doctor/types.js';
import { formatInUnit, toViewModel } from '../../../src/render/view-model.js';
import { toLiveViewModel } from '../../../src/render/live-model.js';
import {
  completeCoverage,
  coverage,
  FIXTURE_HOST_K8S,
  fixtureFindings,
  fixtureReport,
} from '../../fixtures/render/report.js';

const info = (): Finding => fixtureFindings()[2]!;

test('findings keep the report rank and carry severity label, icon and tone', () => {
  const vm = toViewModel(fixtureReport());
  assert.deepEqual(
    vm.findings.map((f) => [f.rank, f.label, f.icon, f.tone]),
    [
      [1, 'CRITICAL', '●', 'critical'],
      [2, 'WARNING', '▲', 'warning'],
      [3, 'INFO', '•', 'info'],
    ],
  );
  assert.equal(vm.triage.counts, '1 critical · 1 warning · 1 info');
  assert.deepEqual(
    vm.triage.marks.map((m) => m.icon),
    ['●', '▲', '•'],
  );
});

test('a finding view formats its value in the metric unit, its ETA, and its process once', () => {
  const [critical, warning, infoF] = toViewModel(fixtureReport()).findings;
  assert.equal(critical!.eta, '~4m');
  const m = critical!.measure!;
  assert.deepEqual([m.value, m.threshold, m.ratio], ['97.3%', '95%', '1.0×']);
  assert.deepEqual(
    critical!.rows.map((r) => r.label),
    ['Subject', 'Process', 'Signal'],
  );
  assert.equal(critical!.rows[1]!.value, 'java (pid 4242)');
  // The warning's subject already names the process: no duplicate Process row.
  assert.deepEqual(
    warning!.rows.map((r) => r.label),
    ['Subject', 'Signal'],
  );
  assert.equal(warning!.eta, null);
  assert.equal(warning!.measure!.value, '180ms');
  // threshold 0: no bar, no ratio.
  assert.equal(infoF!.measure, null);
});

test('the value bar puts the threshold at a fixed mark and saturates at 2.5× the threshold', () => {
  const f = (value: number) =>
    toViewModel(fixtureReport({ findings: [{ ...fixtureFindings()[1]!, value, threshold: 100 }] }))
      .findings[0]!.measure!;
  assert.equal(f(100).fill, f(100).mark);
  assert.ok(f(50).fill < f(50).mark);
  assert.equal(f(250).fill, 1);
  assert.equal(f(1000).fill, 1);
});

test('formatInUnit formats a value in the unit its rule stated', () => {
  assert.equal(formatInUnit('ns', 180_000_000), '180ms');
  assert.equal(formatInUnit('ns', 2_500_000), '2.5ms');
  assert.equal(formatInUnit('percent', 2.5), '2.5%');
  assert.equal(formatInUnit('percent', 12), '12%');
  assert.equal(formatInUnit('per_sec', 14.25), '14.3/s');
  assert.equal(formatInUnit('per_sec', 3), '3/s');
  assert.equal(formatInUnit('bytes_per_sec', 2 * 1024 * 1024), '2 MiB/s');
  assert.equal(formatInUnit('bytes', 1024), '1 KiB');
  assert.equal(formatInUnit('count', 12345), '12,345');
  assert.equal(formatInUnit('bitmask', 12288), '12,288');
  // A report from an older producer has no unit: the value is shown as a number, never mislabelled.
  assert.equal(formatInUnit(undefined, 180_000_000), '180,000,000');
});

test("the metric name does not decide the unit: the finding's unit does", () => {
  const vm = toViewModel(
    fixtureReport({
      findings: [
        { ...fixtureFindings()[1]!, metric: 'looks_like_pct', unit: 'ns', value: 2e6, threshold: 1e6 },
      ],
    }),
  );
  assert.equal(vm.findings[0]!.measure!.value, '2ms');
  assert.equal(vm.findings[0]!.measure!.threshold, '1ms');
});

test('recommended actions list warning and critical findings in rank order with their first fix', () => {
  const vm = toViewModel(fixtureReport());
  assert.deepEqual(
    vm.actions.map((a) => [a.rank, a.tag, a.context, a.command]),
    [
      [1, 'NOW', 'java (pid 4242)', 'kubectl -n prod top pod checkout-7d9f --containers'],
      [2, 'SOON', 'postgres (pid 1234)', 'strace -f -T -e trace=fsync -p 1234'],
    ],
  );
});

test('coverage lines say what was not observed first, then what is incomplete', () => {
  const vm = toViewModel(fixtureReport());
  assert.equal(vm.coverage.complete, false);
  assert.equal(vm.coverage.tone, 'warning');
  assert.match(vm.coverage.headline, /^Not observed: oom, disk, kernel\./);
  assert.deepEqual(
    vm.coverage.lines.map((l) => l.text),
    [
      'oom: disabled after 5 faults — circuit breaker open; see the collector fault lines in the log',
      'disk: failed to load — kernel lacks the block_rq_issue tracepoint',
      'kernel: off in config',
      'syscall: 120 events dropped',
      'tcp: restarted 2×',
      'sched: 2/3 programs loaded',
    ],
  );
  assert.deepEqual(vm.coverage.table.rows[0]!.cells, ['syscall', 'ok', '2/2', '1,204,331', '120', '0']);
  // A procfs collector (memory) has no eBPF programs: shown as a dash, not as 0/0.
  assert.equal(vm.coverage.table.rows[4]!.cells[0], 'memory');
  assert.equal(vm.coverage.table.rows[4]!.cells[2], '—');
});

test('a failed collector without a hint falls back to its error text', () => {
  const cov = [coverage('disk', { state: 'failed', error: 'attach tp_btf/block_rq_issue: ENOENT' })];
  const vm = toViewModel(fixtureReport({ coverage: cov }));
  assert.equal(vm.coverage.lines[0]!.text, 'disk: failed to load — attach tp_btf/block_rq_issue: ENOENT');
});

test('complete coverage is stated as such', () => {
  const vm = toViewModel(fixtureReport({ coverage: completeCoverage() }));
  assert.equal(vm.coverage.complete, true);
  assert.equal(vm.coverage.tone, 'ok');
  assert.equal(vm.coverage.headline, 'All 11 collectors observed the whole window.');
  assert.deepEqual(vm.coverage.lines, []);
});

test('rules that could not evaluate are reported as gaps', () => {
  const report = {
    ...fixtureReport({ coverage: completeCoverage(), findings: [] }),
    ruleErrors: [{ rule: 'fd_leak', error: 'evaluate fd_leak: boom' }],
  };
  const vm = toViewModel(report);
  assert.equal(vm.coverage.complete, false);
  assert.match(vm.coverage.headline, /Not evaluated: rule fd_leak\./);
  assert.equal(vm.coverage.lines[0]!.text, 'rule fd_leak: could not evaluate — evaluate fd_leak: boom');
  assert.equal(
    vm.quietLine,
    'kerno: ✓ no issues in observed signals (30s window, 2,184,332 events); not evaluated: rule fd_leak',
  );
  assert.match(vm.noFindings!, /see COVERAGE/);
});

test('quiet line: all nominal only with complete coverage and no warning/critical finding', () => {
  const vm = toViewModel(fixtureReport({ coverage: completeCoverage(), findings: [info()] }));
  assert.equal(vm.quietLine, 'kerno: ✓ all kernel signals nominal (30s window, 2,184,332 events)');
});

test('quiet line: absent when a warning or critical finding must be shown', () => {
  assert.equal(toViewModel(fixtureReport({ coverage: completeCoverage() })).quietLine, null);
  const warningOnly = fixtureFindings().filter((f) => f.severity === 'warning');
  assert.equal(toViewModel(fixtureReport({ findings: warningOnly })).quietLine, null);
});

test('quiet line: names what was not observed and what is incomplete instead of claiming nominal', () => {
  const line = toViewModel(fixtureReport({ findings: [] })).quietLine!;
  assert.doesNotMatch(line, /nominal/);
  assert.equal(
    line,
    'kerno: ✓ no issues in observed signals (30s window, 2,184,332 events); ' +
      'not observed: oom (disabled after 5 faults), disk (failed to load), kernel (off in config); ' +
      'incomplete: syscall (120 events dropped), tcp (restarted 2×), sched (2/3 programs loaded)',
  );
});

test('no coverage at all is never reported as nominal', () => {
  const vm = toViewModel(fixtureReport({ findings: [], coverage: [] }));
  assert.equal(vm.coverage.complete, false);
  assert.match(vm.coverage.headline, /^No collector reported coverage/);
  assert.equal(
    vm.quietLine,
    'kerno: ✓ no issues in observed signals (30s window, 2,184,332 events); not observed: no collector reported coverage',
  );
});

test('quiet line: a partial window says so', () => {
  const vm = toViewModel(
    fixtureReport({ findings: [], coverage: completeCoverage(), partial: true, durationNs: 12e9 }),
  );
  assert.equal(vm.quietLine, 'kerno: ✓ all kernel signals nominal (12s partial window, 2,184,332 events)');
});

test('--only-critical hides the rest, says so, and never lets the quiet line claim nominal', () => {
  const vm = toViewModel(fixtureReport({ coverage: completeCoverage() }), { onlyCritical: true });
  assert.deepEqual(
    vm.findings.map((f) => f.severity),
    ['critical'],
  );
  assert.equal(vm.triage.hidden, '2 non-critical findings hidden (--only-critical)');

  const noCritical = fixtureFindings().filter((f) => f.severity !== 'critical');
  const quiet = toViewModel(fixtureReport({ coverage: completeCoverage(), findings: noCritical }), {
    onlyCritical: true,
  });
  assert.equal(
    quiet.quietLine,
    'kerno: ✓ no critical findings in observed signals (30s window, 2,184,332 events); ' +
      '2 non-critical findings hidden by --only-critical',
  );
});

test('a partial window is a notice in the view model', () => {
  assert.equal(toViewModel(fixtureReport()).partial, null);
  const vm = toViewModel(fixtureReport({ partial: true, durationNs: 12_300_000_000 }));
  assert.equal(vm.partial!.title, 'PARTIAL WINDOW');
  assert.match(vm.partial!.text, /ended early after 12\.3s/);
  assert.equal(vm.triage.window, '12.3s partial window · 2,184,332 events');
});

test('no findings with complete coverage is a plain all-clear', () => {
  const vm = toViewModel(fixtureReport({ coverage: completeCoverage(), findings: [] }));
  assert.equal(vm.noFindings, 'No findings: every kernel signal stayed within its thresholds.');
  assert.deepEqual(vm.triage.marks, [{ icon: '✓', tone: 'ok' }]);
  assert.deepEqual(vm.actions, []);
});

test('live view model: progress, countdown, totals and per-collector notes', () => {
  const vm = toLiveViewModel({
    durationNs: 30e9,
    startedAt: 1_000,
    now: 13_000,
    collectors: [
      { name: 'syscall', state: 'attached', events: 1_200, restarts: 0, eventsDropped: 5 },
      { name: 'disk', state: 'failed', hint: 'kernel lacks block_rq_issue', events: 0, restarts: 0 },
      { name: 'tcp', state: 'restarting', events: 30, restarts: 2 },
    ],
  });
  assert.equal(vm.progress, 0.4);
  assert.equal(vm.percent, '40%');
  assert.equal(vm.elapsed, '12s');
  assert.equal(vm.remaining, '18s left');
  assert.equal(vm.events, '1,230 events');
  assert.deepEqual(
    vm.rows.map((r) => [r.icon, r.state, r.note]),
    [
      ['✓', 'attached', '5 dropped'],
      ['✗', 'failed', 'kernel lacks block_rq_issue'],
      ['↻', 'restarting', 'restarted 2×'],
    ],
  );
});

test('live view model: clamps past the end and reports an interrupt', () => {
  const done = toLiveViewModel({ durationNs: 10e9, startedAt: 0, now: 60_000, collectors: [] });
  assert.equal(done.progress, 1);
  assert.equal(done.remaining, 'analysing');
  const stopped = toLiveViewModel({
    durationNs: 10e9,
    startedAt: 0,
    now: 2_000,
    collectors: [],
    interrupted: true,
  });
  assert.equal(stopped.remaining, 'stopping');
  assert.match(stopped.footer.text, /Interrupted/);
});

test('environment in the header; an unavailable pod lookup is a coverage line saying why', () => {
  const base = fixtureReport({ coverage: completeCoverage() });
  const plain = toViewModel(base);
  assert.ok(!plain.header.rows.some((r) => r.label === 'Runs on'));
  assert.ok(!plain.coverage.lines.some((l) => l.name === 'pod names'));

  const k8s = toViewModel({ ...base, host: FIXTURE_HOST_K8S });
  assert.equal(k8s.header.rows.find((r) => r.label === 'Runs on')?.value, 'Kubernetes · node node-a1');
  const line = k8s.coverage.lines.find((l) => l.name === 'pod names');
  assert.equal(line?.tone, 'warning');
  assert.match(
    line?.text ?? '',
    /unavailable \(unauthorized\) — .*401 Unauthorized.*; findings name cgroup paths/,
  );
  // Names are enrichment: a missing pod list does not make the signals' coverage incomplete.
  assert.equal(k8s.coverage.complete, true);

  const named = toViewModel({
    ...base,
    host: { ...FIXTURE_HOST_K8S, environment: { kind: 'kubernetes', podNames: { state: 'ok', pods: 42 } } },
  });
  assert.equal(
    named.header.rows.find((r) => r.label === 'Runs on')?.value,
    'Kubernetes · 42 pods named by the kubelet',
  );
  assert.ok(!named.coverage.lines.some((l) => l.name === 'pod names'));
  const systemd = toViewModel({ ...base, host: { ...base.host, environment: { kind: 'systemd' } } });
  assert.equal(systemd.header.rows.find((r) => r.label === 'Runs on')?.value, 'systemd host');
});
