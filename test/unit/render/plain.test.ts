import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { colorEnabled } from '../../../src/render/color.js';
import { renderPlain, renderQuietLine } from '../../../src/render/plain/report.js';
import {
  completeCoverage,
  fixtureReport,
  fixtureSelfCost,
  timelineReport,
} from '../../fixtures/render/report.js';
import { renderMarkdown } from '../../../src/render/md.js';
import { assertGolden } from './golden.js';

/** ESC or CSI: any escape sequence at all. */
const hasEscapes = (s: string) => s.includes('\u001b') || s.includes('\u009b');

test('plain report matches the golden file (color off)', () => {
  assertGolden('report.plain.txt', renderPlain(fixtureReport(), { color: false, banner: true }));
});

test('partial plain report with --no-banner matches the golden file', () => {
  const out = renderPlain(fixtureReport({ partial: true, durationNs: 12_300_000_000 }), {
    color: false,
    banner: false,
  });
  assertGolden('report-partial-nobanner.plain.txt', out);
});

test('color off yields no escape codes; color on colours severities and only adds escapes', () => {
  const off = renderPlain(fixtureReport(), { color: false, banner: true });
  assert.equal(hasEscapes(off), false);
  const on = renderPlain(fixtureReport(), { color: true, banner: true });
  assert.equal(hasEscapes(on), true);
  assert.ok(on.includes('\u001b[31m● CRITICAL'), 'critical badge in red');
  assert.ok(on.includes('\u001b[33m▲ WARNING'), 'warning badge in yellow');
  assert.ok(on.includes('\u001b[36m• INFO'), 'info badge in cyan');
  assert.equal(stripVTControlCharacters(on), off);
});

test('NO_COLOR on a terminal yields no escape codes even when FORCE_COLOR is set', () => {
  const color = colorEnabled({ env: { NO_COLOR: '1', FORCE_COLOR: '3' }, isTTY: true });
  const out = renderPlain(fixtureReport(), { color, banner: true });
  assert.equal(hasEscapes(out), false);
});

test('the banner carries the literal KERNO DOCTOR; --no-banner drops banner and metadata', () => {
  const withBanner = renderPlain(fixtureReport(), { color: false, banner: true });
  assert.match(withBanner, /KERNO DOCTOR/);
  assert.match(withBanner, /Host {6}web-01/);
  const without = renderPlain(fixtureReport(), { color: false, banner: false });
  assert.doesNotMatch(without, /KERNO DOCTOR|Host {6}web-01/);
  assert.match(without, /^ FINDINGS /);
});

test('sections appear in the documented order', () => {
  const out = renderPlain(fixtureReport({ partial: true }), { color: false, banner: true });
  const at = (s: string) => out.indexOf(s);
  const order = [
    'KERNO DOCTOR',
    'PARTIAL WINDOW',
    ' FINDINGS ',
    '● CRITICAL',
    '▲ WARNING',
    '• INFO',
    ' RECOMMENDED ACTION ORDER ',
    ' COVERAGE ',
    ' SYSTEM SUMMARY ',
  ];
  for (const s of order) assert.ok(at(s) >= 0, `missing ${s}`);
  assert.deepEqual(
    [...order].sort((a, b) => at(a) - at(b)),
    order,
  );
});

test('lines fit the requested width, except fix commands which are never wrapped', () => {
  for (const width of [76, 80, 120]) {
    const report = fixtureReport();
    const commands = new Set(report.findings.flatMap((f) => f.fix));
    const out = renderPlain(report, { color: false, banner: true, width });
    for (const line of out.split('\n')) {
      if (commands.has(line.trim())) continue;
      assert.ok(line.length <= width, `width ${width}: ${line.length} > ${width}: ${JSON.stringify(line)}`);
    }
    for (const cmd of commands) assert.ok(out.includes(cmd), `command intact at width ${width}: ${cmd}`);
  }
  const narrow = renderPlain(fixtureReport(), { color: false, banner: true, width: 40 });
  assert.equal(
    narrow,
    renderPlain(fixtureReport(), { color: false, banner: true, width: 76 }),
    'clamped to 76',
  );
});

test('a report without findings says so and points at coverage when data is missing', () => {
  const clean = renderPlain(fixtureReport({ findings: [], coverage: completeCoverage() }), {
    color: false,
    banner: false,
  });
  assert.match(clean, /✓ No findings: every kernel signal stayed within its thresholds\./);
  assert.doesNotMatch(clean, /RECOMMENDED ACTION ORDER/);
  const gappy = renderPlain(fixtureReport({ findings: [] }), { color: false, banner: false });
  assert.match(gappy, /No findings in the signals that were observed; see COVERAGE/);
});

test('renderQuietLine: nominal, gaps, or null when the report must be shown', () => {
  assert.equal(
    renderQuietLine(fixtureReport({ findings: [], coverage: completeCoverage() })),
    'kerno: ✓ all kernel signals nominal (30s window, 2,184,332 events)',
  );
  assert.match(renderQuietLine(fixtureReport({ findings: [] }))!, /not observed: oom .*disk .*kernel/);
  assert.equal(renderQuietLine(fixtureReport()), null);
});

test('colorEnabled honours --no-color, NO_COLOR, FORCE_COLOR and the TTY', () => {
  assert.equal(colorEnabled({ env: {}, isTTY: true }), true);
  assert.equal(colorEnabled({ env: {}, isTTY: false }), false);
  assert.equal(colorEnabled({ colorFlag: false, env: { FORCE_COLOR: '1' }, isTTY: true }), false);
  assert.equal(colorEnabled({ env: { NO_COLOR: '1' }, isTTY: true }), false);
  assert.equal(
    colorEnabled({ env: { NO_COLOR: '' }, isTTY: true }),
    true,
    'empty NO_COLOR is not set (no-color.org)',
  );
  assert.equal(colorEnabled({ env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: false }), false);
  assert.equal(colorEnabled({ env: { FORCE_COLOR: '1' }, isTTY: false }), true);
  assert.equal(colorEnabled({ env: { FORCE_COLOR: '0' }, isTTY: true }), true);
  assert.equal(colorEnabled({ env: { TERM: 'dumb' }, isTTY: true }), false);
});

test('plain report with onsets shows the causal timeline after the triage (golden)', () => {
  const out = renderPlain(timelineReport(), { color: false, banner: false });
  assertGolden('report-timeline.plain.txt', out);
  const at = (s: string) => out.indexOf(s);
  assert.ok(at(' FINDINGS ') < at(' CAUSAL TIMELINE ') && at(' CAUSAL TIMELINE ') < at('┏'));
});

test('no timeline section without onsets, or with a single finding', () => {
  assert.ok(!renderPlain(fixtureReport(), { color: false, banner: false }).includes('CAUSAL TIMELINE'));
  const one = timelineReport();
  const single = { ...one, findings: one.findings.slice(0, 1) };
  assert.ok(!renderPlain(single, { color: false, banner: false }).includes('CAUSAL TIMELINE'));
});

test('kerno’s own cost: the triage line states the share of one CPU; coverage lists the busiest programs', () => {
  const report = { ...fixtureReport(), selfCost: fixtureSelfCost() };
  const out = renderPlain(report, { color: false, banner: false, width: 160 });
  // 3 M × 120 + 3 M × 60 + 400 k × 150 + 300 k × 80 + 20 k × 200 + 10 k × (150 + 100) + 5 k × 90 + 900 ns ≈ 631 ms of 30 s
  assert.match(out, /kerno's probes used 2\.1% of one CPU/);
  assert.match(
    out,
    /kerno's own probes: 6,745,001 runs, 631ms of CPU = 2\.1% of one CPU over the window; 3 events skipped/,
  );
  const rows = out
    .split('\n')
    .map((l) =>
      l
        .split('│')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    )
    .filter((cells) => /^(syscall|sched|tcp|disk|fd|oom)\/|other program/.test(cells[0] ?? ''));
  assert.deepEqual(
    rows.map((cells) => cells[0]),
    [
      'syscall/sys_exit',
      'syscall/sys_enter',
      'sched/sched_switch',
      'sched/sched_wakeup',
      'tcp/tcp_probe',
      'disk/block_rq_complete',
      'disk/block_rq_issue',
      'fd/fd_install',
      '1 other program',
    ],
    'the eight busiest by name, the rest summed; a program that never ran is left out',
  );
  assert.deepEqual(rows[0], ['syscall/sys_exit', '3,000,000', '120ns', '360ms', '0']);
  assert.deepEqual(rows[4], ['tcp/tcp_probe', '20,000', '200ns', '4ms', '3']);
  assert.deepEqual(rows.at(-1), ['1 other program', '1', '900ns', '900ns', '0']);
  const md = renderMarkdown(report, {});
  assert.match(md, /\| syscall\/sys_exit \| 3,000,000 \| 120ns \| 360ms \| 0 \|/);
  assert.ok(
    !renderPlain(fixtureReport(), { color: false, banner: false }).includes('own probes'),
    'absent without selfCost',
  );
});

test('kerno’s own cost when the kernel would not count: said in one line, no percentage claimed', () => {
  const report = {
    ...fixtureReport(),
    selfCost: { ...fixtureSelfCost(), counted: false, reason: 'BPF run-time statistics unavailable (EPERM)' },
  };
  const out = renderPlain(report, { color: false, banner: false, width: 160 });
  assert.match(
    out,
    /kerno's own probes: run time not counted — BPF run-time statistics unavailable \(EPERM\)/,
  );
  assert.ok(!/probes used/.test(out));
});
