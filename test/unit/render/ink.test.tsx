import { afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import chalk from 'chalk';
import { cleanup, render } from 'ink-testing-library';
import { LiveView } from '../../../src/render/ink/live-view.js';
import { ReportView } from '../../../src/render/ink/report-view.js';
import { runDoctorUi, type LiveState } from '../../../src/render/ink/run-doctor-ui.js';
import type { LiveCounters } from '../../../src/render/live-model.js';
import type { LiveCollector } from '../../../src/render/live-model.js';
import { toViewModel } from '../../../src/render/view-model.js';
import { completeCoverage, fixtureReport, timelineReport } from '../../fixtures/render/report.js';
import { FakeStdin, FakeStdout, strip, waitFor } from './ink-harness.js';

afterEach(() => {
  cleanup();
  mock.timers.reset();
});

const collectors: LiveCollector[] = [
  { name: 'syscall', state: 'attached', events: 120_000, restarts: 0 },
  { name: 'tcp', state: 'restarting', events: 50, restarts: 2 },
  {
    name: 'disk',
    state: 'failed',
    hint: 'kernel lacks the block_rq_issue tracepoint',
    events: 0,
    restarts: 0,
  },
  { name: 'oom', state: 'loading', events: 0, restarts: 0 },
  { name: 'sched', state: 'disabled', hint: 'circuit breaker open', events: 10, restarts: 4 },
];

test('LiveView: progress bar, countdown, totals and one row per collector state', () => {
  // Given a 30 s window, 12 s in
  const { lastFrame } = render(
    <LiveView durationNs={30e9} startedAt={1_000} now={13_000} collectors={collectors} />,
  );
  const frame = strip(lastFrame());
  // Then the progress and countdown are shown
  assert.match(frame, /█{12}░{18} 40% · 12s elapsed · 18s left · 120,060 events/);
  // And every collector's state, count and hint
  const row = (name: string) => frame.split('\n').find((l) => l.includes(` ${name} `)) ?? '';
  assert.match(row('syscall'), /✓ syscall\s+attached\s+120,000/);
  assert.match(row('tcp'), /↻ tcp\s+restarting\s+50\s+restarted 2×/);
  assert.match(row('disk'), /✗ disk\s+failed\s+0\s+kernel lacks the block_rq_issue tracepoint/);
  assert.match(row('oom'), /◌ oom\s+loading/);
  assert.match(row('sched'), /▲ sched\s+disabled\s+10\s+circuit breaker open · restarted 4×/);
  assert.match(frame, /Ctrl\+C ends the window early/);
});

test('LiveView: a later `now` advances the countdown; an interrupt is shown', () => {
  const { lastFrame, rerender } = render(
    <LiveView durationNs={10e9} startedAt={0} now={1_000} collectors={collectors.slice(0, 1)} />,
  );
  assert.match(strip(lastFrame()), /9s left/);
  rerender(
    <LiveView durationNs={10e9} startedAt={0} now={7_500} collectors={collectors.slice(0, 1)} interrupted />,
  );
  const frame = strip(lastFrame());
  assert.match(frame, /75% · 7s elapsed · stopping/);
  assert.match(frame, /Interrupted: analysing the partial window/);
});

test('ReportView: header, findings in rank order, actions, coverage panel, summary', () => {
  const { lastFrame } = render(<ReportView vm={toViewModel(fixtureReport())} />);
  const frame = strip(lastFrame());
  const order = [
    'KERNO DOCTOR',
    'FINDINGS',
    '● CRITICAL',
    '▲ WARNING',
    '• INFO',
    'RECOMMENDED ACTION ORDER',
    'COVERAGE',
    'SYSTEM SUMMARY',
  ];
  const at = order.map((s) => frame.indexOf(s));
  assert.ok(
    at.every((i) => i >= 0),
    `all sections present: ${JSON.stringify(order.filter((_, i) => at[i]! < 0))}`,
  );
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    'sections in order',
  );
  assert.match(frame, /ETA ~4m/);
  assert.match(frame, /kubectl -n prod top pod checkout-7d9f --containers/);
  // The coverage panel says what could not be observed, in words
  assert.match(frame, /▲ Not observed: oom, disk, kernel\./);
  assert.match(frame, /▲ disk: failed to load — kernel lacks the block_rq_issue tracepoint/);
  assert.match(frame, /• tcp: restarted 2×/);
  assert.match(frame, /• syscall: 120 events dropped/);
  assert.match(frame, /disk\s+failed\s+0\/2\s+0\s+0\s+0/);
});

test('ReportView: partial window notice, --no-banner, all-clear', () => {
  const partial = strip(
    render(
      <ReportView vm={toViewModel(fixtureReport({ partial: true, durationNs: 4e9 }))} banner={false} />,
    ).lastFrame(),
  );
  assert.match(partial, /▲ PARTIAL WINDOW\s+The window was ended early after 4s/);
  assert.doesNotMatch(partial, /KERNO DOCTOR/);
  const clean = strip(
    render(
      <ReportView vm={toViewModel(fixtureReport({ findings: [], coverage: completeCoverage() }))} />,
    ).lastFrame(),
  );
  assert.match(clean, /✓ No findings: every kernel signal stayed within its thresholds\./);
  assert.match(clean, /✓ All 11 collectors observed the whole window\./);
  assert.doesNotMatch(clean, /RECOMMENDED ACTION ORDER/);
});

/** A live state source like the supervisor's: counts change often, listeners are told every time. */
function liveSource(initial: LiveCollector[]) {
  let state: LiveState = { collectors: initial };
  const listeners = new Set<() => void>();
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    listeners,
    update(collectors: LiveCollector[]) {
      state = { collectors };
      for (const l of listeners) l();
    },
    subscribe(l: () => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getState() {
      reads += 1;
      return state;
    },
  };
}

function startUi(source: ReturnType<typeof liveSource>, onInterrupt: (n: number) => void = () => {}) {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  let clock = 1_000;
  const ui = runDoctorUi({
    durationNs: 30e9,
    subscribe: (l) => source.subscribe(l),
    getState: () => source.getState(),
    onInterrupt,
    now: () => clock,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    debug: true,
  });
  return {
    ui,
    stdout,
    stdin,
    advance(ms: number) {
      clock += ms;
      mock.timers.tick(ms);
    },
  };
}

test('runDoctorUi: updates are sampled by a 4 Hz timer, not rendered per event', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const source = liveSource([{ name: 'syscall', state: 'loading', events: 0, restarts: 0 }]);
  const { ui, stdout, advance } = startUi(source);
  await waitFor(() => /syscall\s+loading/.test(stdout.text()), 'first frame');
  const readsAtStart = source.reads;
  const framesAtStart = stdout.frames.length;

  // When a thousand updates arrive between two ticks
  for (let i = 1; i <= 1000; i++)
    source.update([{ name: 'syscall', state: 'attached', events: i, restarts: 0 }]);
  await new Promise((r) => setImmediate(r));
  // Then nothing is read or rendered until the timer fires
  assert.equal(source.reads, readsAtStart);
  assert.equal(stdout.frames.length, framesAtStart);

  // And one tick reads the state once and renders the latest value
  advance(250);
  await waitFor(() => /syscall\s+attached\s+1,000/.test(stdout.text()), 'sampled frame');
  assert.equal(source.reads, readsAtStart + 1);
  assert.ok(
    stdout.frames.length - framesAtStart <= 2,
    `frames rendered for one tick: ${stdout.frames.length - framesAtStart}`,
  );

  // And a tick with no news does not read the state again (the clock still moves the countdown)
  advance(1_000);
  await waitFor(() => /29s left|28s left/.test(stdout.text()), 'countdown moved');
  assert.equal(source.reads, readsAtStart + 1);
  ui.unmount();
});

test('runDoctorUi: Ctrl+C calls onInterrupt and the live view says it is stopping', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const presses: number[] = [];
  const source = liveSource(collectors);
  const { ui, stdout, stdin } = startUi(source, (n) => presses.push(n));
  await waitFor(() => stdout.text().includes('Ctrl+C ends the window early'), 'live view');

  stdin.write('\u0003');
  await waitFor(() => presses.length === 1, 'onInterrupt');
  assert.deepEqual(presses, [1]);
  await waitFor(
    () => stdout.text().includes('Interrupted: analysing the partial window'),
    'interrupted frame',
  );

  stdin.write('\u0003');
  await waitFor(() => presses.length === 2, 'second press reported');
  assert.deepEqual(presses, [1, 2]);
  ui.unmount();
});

test('runDoctorUi: showReport replaces the live view with the report, exits Ink and stops sampling', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const source = liveSource(collectors);
  const { ui, stdout, advance } = startUi(source);
  await waitFor(() => stdout.text().includes('collecting kernel signals'), 'live view');

  await ui.showReport(fixtureReport({ partial: true, durationNs: 9e9 }), { banner: true });
  const frame = stdout.text();
  assert.equal(frame.split('Kernel Diagnostic Report').length - 1, 1, 'report written exactly once');
  assert.match(frame, /PARTIAL WINDOW/);
  assert.ok(frame.indexOf('● CRITICAL') < frame.indexOf('▲ WARNING'));
  assert.doesNotMatch(frame, /collecting kernel signals/, 'live view is gone');
  assert.equal(source.listeners.size, 0, 'unsubscribed from the live state');

  const reads = source.reads;
  source.update(collectors);
  advance(5_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(source.reads, reads, 'timer stopped');
  ui.unmount(); // idempotent after exit
});

test('runDoctorUi: unmount without a report tears down cleanly and is idempotent', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const source = liveSource(collectors);
  const { ui, stdout } = startUi(source);
  await waitFor(() => stdout.text().includes('collecting kernel signals'), 'live view');
  ui.unmount();
  ui.unmount();
  assert.equal(source.listeners.size, 0);
  await ui.showReport(fixtureReport()); // after unmount: a no-op, not a hang
});

/** Live counters like Collection.live(): every read sees more events and, now and then, a new worst offender. */
function counterSource() {
  let reads = 0;
  const tops = [
    { label: 'slowest clone · bash (4242)', value: 2.5e6, unit: 'ns' },
    { label: 'slowest fsync · pg (17)', value: 412e6, unit: 'ns' },
  ];
  return {
    get reads() {
      return reads;
    },
    readLive(): Promise<LiveCounters> {
      reads += 1;
      return Promise.resolve(
        new Map([
          ['syscall', { events: reads * 1_000, top: tops[Math.min(reads - 1, 1)]! }],
          ['fd', { events: reads * 3, top: { label: 'grew bash (99)', value: reads, unit: 'fds' } }],
        ]),
      );
    },
  };
}

test('runDoctorUi: every frame reads the live counters; counts and top offenders move without state changes', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const state = liveSource([
    { name: 'syscall', state: 'attached', events: 0, restarts: 0 },
    { name: 'fd', state: 'attached', events: 0, restarts: 0 },
    { name: 'tcp', state: 'restarting', events: 5, restarts: 1 },
  ]);
  const counters = counterSource();
  const stdout = new FakeStdout();
  stdout.columns = 120;
  let clock = 1_000;
  const ui = runDoctorUi({
    durationNs: 30e9,
    subscribe: (l) => state.subscribe(l),
    getState: () => state.getState(),
    readLive: () => counters.readLive(),
    onInterrupt: () => {},
    now: () => clock,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    debug: true,
  });
  const tick = async (want: RegExp, what: string) => {
    clock += 250;
    mock.timers.tick(250);
    await waitFor(() => want.test(stdout.text()), what);
    return stdout.text();
  };
  await waitFor(() => /syscall\s+attached\s+0\b/.test(stdout.text()), 'first frame');
  const stateReads = state.reads;

  // Frame 1: the first counters and offenders
  const f1 = await tick(/syscall\s+attached\s+1,000\s+slowest clone · bash \(4242\) 2\.5ms/, 'frame 1');
  assert.match(f1, /fd\s+attached\s+3\s+grew bash \(99\) 1 fds/);
  // A collector that is not attached keeps its state's count and shows no offender
  assert.match(f1, /tcp\s+restarting\s+5\s+restarted 1×/);
  assert.match(f1, /1,008 events/);

  // Frame 2: counts grew and the worst syscall changed, with no supervisor state change at all
  const f2 = await tick(/syscall\s+attached\s+2,000\s+slowest fsync · pg \(17\) 412ms/, 'frame 2');
  assert.match(f2, /fd\s+attached\s+6\s+grew bash \(99\) 2 fds/);
  assert.match(f2, /2,011 events/);

  // Frame 3: still moving
  await tick(/syscall\s+attached\s+3,000\s/, 'frame 3');
  assert.equal(counters.reads, 3, 'one counter read per frame');
  assert.equal(state.reads, stateReads, 'the supervisor state is still read only on news');

  // A state change is picked up and merged with the counters
  state.update([
    { name: 'syscall', state: 'attached', events: 0, restarts: 0 },
    { name: 'fd', state: 'attached', events: 0, restarts: 0 },
    { name: 'tcp', state: 'attached', events: 5, restarts: 1 },
  ]);
  const f4 = await tick(/tcp\s+attached/, 'frame 4');
  assert.match(f4, /syscall\s+attached\s+4,000\s/);
  ui.unmount();
});

test('runDoctorUi: a live read still in flight is not doubled, and a failed read keeps the last counts', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const state = liveSource([{ name: 'syscall', state: 'attached', events: 0, restarts: 0 }]);
  let calls = 0;
  let release: (() => void) | undefined;
  const stdout = new FakeStdout();
  let clock = 1_000;
  const ui = runDoctorUi({
    durationNs: 30e9,
    subscribe: (l) => state.subscribe(l),
    getState: () => state.getState(),
    readLive: () => {
      calls += 1;
      if (calls === 1) return new Map([['syscall', { events: 10 }]]);
      if (calls === 2)
        return new Promise<LiveCounters>((resolve) => {
          release = () => resolve(new Map([['syscall', { events: 20 }]]));
        });
      return Promise.reject(new Error('boom'));
    },
    onInterrupt: () => {},
    now: () => clock,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    debug: true,
  });
  const advance = (ms: number) => {
    clock += ms;
    mock.timers.tick(ms);
  };
  advance(250);
  await waitFor(() => /syscall\s+attached\s+10\b/.test(stdout.text()), 'first read');
  advance(250); // read 2 starts and hangs
  advance(250);
  advance(250);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 2, 'no second read while one is in flight');
  release!();
  await waitFor(() => /syscall\s+attached\s+20\b/.test(stdout.text()), 'slow read lands');
  advance(250); // read 3 fails
  await waitFor(() => calls === 3, 'third read');
  await new Promise((r) => setImmediate(r));
  advance(250);
  await waitFor(() => calls === 4, 'fourth read');
  assert.match(stdout.text(), /syscall\s+attached\s+20\b/, 'last counts kept');
  ui.unmount();
});

// ESC [ <n> m — any SGR sequence: colour, bold, dim. What NO_COLOR / --no-color must keep out.
const ESC = String.fromCharCode(27);
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`);

function colourRun(color: boolean) {
  const stdout = new FakeStdout();
  const ui = runDoctorUi({
    durationNs: 30e9,
    subscribe: () => () => {},
    getState: () => ({ collectors }),
    onInterrupt: () => {},
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    debug: true,
    color,
  });
  return { ui, stdout, frames: () => stdout.frames.join('') };
}

test('runDoctorUi: color false (NO_COLOR, --no-color) writes no ANSI styling, live view and report alike', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const { ui, stdout, frames } = colourRun(false);
  await waitFor(() => stdout.text().includes('collecting kernel signals'), 'live view');
  assert.doesNotMatch(frames(), SGR, 'live view without escapes');
  await ui.showReport(fixtureReport());
  assert.match(stdout.text(), /● CRITICAL/);
  assert.doesNotMatch(frames(), SGR, 'report without escapes');
});

test('runDoctorUi: color true styles the view, and the colour setting does not outlive the UI', async () => {
  mock.timers.enable({ apis: ['setInterval'] });
  const before = chalk.level;
  const off = colourRun(false);
  await waitFor(() => off.stdout.text().includes('collecting kernel signals'), 'live view (off)');
  assert.equal(chalk.level, 0);
  off.ui.unmount();
  assert.equal(chalk.level, before, 'restored at unmount');
  const on = colourRun(true);
  await waitFor(() => on.stdout.text().includes('collecting kernel signals'), 'live view (on)');
  assert.ok(on.frames().includes(`${ESC}[32m✓`), 'attached collector in green');
  assert.ok(on.frames().includes(`${ESC}[31m✗`), 'failed collector in red');
  on.ui.unmount();
  assert.equal(chalk.level, before, 'restored at unmount');
});

test('LiveView: offenders are formatted by unit and a long one is cut, never wrapped', () => {
  const rows: LiveCollector[] = [
    {
      name: 'syscall',
      state: 'attached',
      events: 5,
      restarts: 0,
      top: { label: 'slowest fsync · pg (17)', value: 1.5e9, unit: 'ns' },
    },
    {
      name: 'disk',
      state: 'attached',
      events: 5,
      restarts: 0,
      top: { label: 'busiest vda', value: 42, unit: 'I/Os' },
    },
    {
      name: 'oom',
      state: 'attached',
      events: 1,
      restarts: 0,
      top: { label: 'killed x'.repeat(40), value: 1 << 30, unit: 'bytes' },
    },
    {
      name: 'cgroup_memory',
      state: 'attached',
      events: 9,
      restarts: 0,
      top: { label: 'fullest /kerno', value: 97.25, unit: '%' },
    },
  ];
  const frame = strip(
    render(<LiveView durationNs={10e9} startedAt={0} now={1_000} collectors={rows} />).lastFrame(),
  );
  assert.match(frame, /syscall\s+attached\s+5\s+slowest fsync · pg \(17\) 1\.5s/);
  assert.match(frame, /disk\s+attached\s+5\s+busiest vda 42 I\/Os/);
  assert.match(frame, /cgroup_memory\s+attached\s+9\s+fullest \/kerno 97\.3%/);
  const oomRows = frame.split('\n').filter((l) => l.includes('killed x'));
  assert.equal(oomRows.length, 1, 'one line');
  assert.ok(oomRows[0]!.length <= 100, `fits the terminal: ${oomRows[0]!.length}`);
});

test('ReportView: the causal timeline sits between the triage and the cards, chain first, causes under effects', () => {
  const { lastFrame } = render(<ReportView vm={toViewModel(timelineReport())} banner={false} />);
  const frame = strip(lastFrame());
  const at = (s: string) => frame.indexOf(s);
  assert.ok(at('FINDINGS') < at('CAUSAL TIMELINE'));
  assert.ok(at('CAUSAL TIMELINE') < at('● CRITICAL'));
  // The chain names the three linked findings in onset order
  const chain = frame.slice(at('⇢'), at('10:00:01 +1s'));
  assert.match(
    chain.replace(/\s+/g, ' '),
    /10:00:04 Disk I\/O .* → 10:00:06 I\/O Pressure Stall · 31% → 10:00:09 High fsync/,
  );
  // Each event on its own row, in onset order, with its causes below it
  const rows = ['10:00:01 +1s', '10:00:02 +2s', '10:00:04 +4s', '10:00:06 +6s', '10:00:09 +9s'].map(at);
  assert.deepEqual(
    [...rows].sort((a, b) => a - b),
    rows,
  );
  assert.ok(rows.every((r) => r > 0));
  const cause = at('↳ after Disk I/O Bottleneck Detected on vda (+2s, 85%)');
  assert.ok(cause > rows[3]! && cause < rows[4]!);
});

test('ReportView: no timeline panel for a report without onsets', () => {
  const { lastFrame } = render(<ReportView vm={toViewModel(fixtureReport())} />);
  assert.ok(!strip(lastFrame()).includes('CAUSAL TIMELINE'));
});
