// `kerno trace` line and table formatting: columns, latency colours at 10 ms / 100 ms, errno names, and
// the drop summary the user is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dropsWarning,
  formatRet,
  jsonRenderer,
  latencyTone,
  prettyRenderer,
  renderTopPlain,
  summaryLine,
  summaryObject,
  topJson,
} from '../../../src/render/trace/lines.js';
import type { SyscallEvent, TopWindow, TraceStats } from '../../../src/trace/index.js';

const ev: SyscallEvent = {
  timestamp: '2026-01-02T03:04:05.250Z',
  pid: 4242,
  tid: 4243,
  comm: 'nginx',
  syscall: 'openat',
  syscallNr: 257,
  latencyNs: 30_000_000,
  ret: -2,
};

test('pretty syscall lines: header, aligned columns, errno name, colour only when asked', () => {
  const plain = prettyRenderer('syscall', false);
  assert.match(plain.header(), /^TIME +PID +TID +COMM +SYSCALL +LATENCY +RET\n$/);
  const line = plain.lines([ev]);
  assert.match(line, /^\d\d:\d\d:\d\d\.250 +4242 +4243 +nginx +openat +30ms +-2 ENOENT\n$/);
  assert.ok(!line.includes('\x1b['));
  const coloured = prettyRenderer('syscall', true).lines([ev]);
  assert.ok(coloured.includes('\x1b[33m'), 'a 30 ms latency is yellow');
  assert.equal(plain.lines([ev, ev]).split('\n').length, 3, 'one line per event');
});

test('latency tones: warning from 10 ms, critical from 100 ms', () => {
  assert.equal(latencyTone(9_999_999), 'plain');
  assert.equal(latencyTone(10_000_000), 'warning');
  assert.equal(latencyTone(99_999_999), 'warning');
  assert.equal(latencyTone(100_000_000), 'critical');
  assert.equal(formatRet(3), '3');
  assert.equal(formatRet(-11), '-11 EAGAIN');
  assert.equal(formatRet(-5000), '-5000');
});

test('json lines: one object per event with the reference field names, no header', () => {
  const r = jsonRenderer<SyscallEvent>();
  assert.equal(r.header(), '');
  const out = r.lines([ev, ev]).trimEnd().split('\n');
  assert.equal(out.length, 2);
  assert.deepEqual(Object.keys(JSON.parse(out[0]!)), [
    'timestamp',
    'pid',
    'tid',
    'comm',
    'syscall',
    'syscallNr',
    'latencyNs',
    'ret',
  ]);
});

test('disk and sched lines carry their columns', () => {
  const disk = prettyRenderer('disk', false);
  assert.match(disk.header(), /PID +COMM +OP +LATENCY +DEV +BYTES +SECTOR/);
  assert.match(
    disk.lines([
      {
        timestamp: ev.timestamp,
        pid: 1,
        comm: 'dd',
        op: 'sync',
        latencyNs: 1500,
        dev: '7:3',
        sector: 8,
        bytes: 4096,
      },
    ]),
    / 1 +dd +sync +1\.5µs +7:3 +4096 +8\n$/,
  );
  const sched = prettyRenderer('sched', false);
  assert.match(sched.header(), /PID +TID +COMM +CPU +RUNQ_DELAY +PREV_PID/);
  assert.match(
    sched.lines([
      {
        timestamp: ev.timestamp,
        pid: 9,
        tid: 10,
        comm: 'spin',
        cpu: 1,
        runqDelayNs: 120_000_000,
        prevPid: 11,
      },
    ]),
    / 9 +10 +spin +1 +120ms +11\n$/,
  );
});

const stats = (ringbufFull: number, mapFull = 0, userDropped = 0): TraceStats => ({
  events: 10,
  records: 10,
  drops: { ringbufFull, mapFull, userDropped },
});

test('the summary says how many events and, loudly, how many were dropped', () => {
  assert.equal(summaryLine(stats(0), 2e9), 'kerno: 10 events in 2s, none dropped\n');
  assert.equal(
    summaryLine(stats(3, 1, 2), 2e9),
    'kerno: 10 events in 2s, 6 DROPPED (3 ring buffer full, 1 state map full, 2 reader behind)\n',
  );
  assert.deepEqual(summaryObject(stats(3), 5), {
    summary: true,
    events: 10,
    records: 10,
    durationNs: 5,
    dropped: { ringbufFull: 3, mapFull: 0, userDropped: 0 },
  });
  assert.equal(dropsWarning(0, stats(0)), undefined);
  assert.match(dropsWarning(1, stats(4))!, /3 events dropped since the last report \(4 in total\)/);
  assert.equal(dropsWarning(4, stats(4)), undefined);
});

test('--top table: the N slowest rows, p99 coloured; JSON keeps raw nanoseconds', () => {
  const w: TopWindow = {
    timestamp: ev.timestamp,
    windowNs: 1e9,
    rows: [
      {
        syscall: 'fsync',
        syscallNr: 74,
        pid: 7,
        comm: 'pg',
        count: 3,
        p50Ns: 1e6,
        p95Ns: 90e6,
        p99Ns: 150e6,
        maxNs: 2e8,
      },
      {
        syscall: 'read',
        syscallNr: 0,
        pid: 8,
        comm: 'cat',
        count: 9,
        p50Ns: 1e3,
        p95Ns: 1e4,
        p99Ns: 20e6,
        maxNs: 3e7,
      },
      {
        syscall: 'brk',
        syscallNr: 12,
        pid: 8,
        comm: 'cat',
        count: 1,
        p50Ns: 1e3,
        p95Ns: 1e3,
        p99Ns: 1e3,
        maxNs: 1e3,
      },
    ],
  };
  const plain = renderTopPlain(w, 2, false).split('\n');
  assert.match(plain[1]!, /^SYSCALL +PROCESS +COUNT +P50 +P95 +P99$/);
  assert.match(plain[2]!, /^fsync +pg \(7\) +3 +1ms +90ms +150ms$/);
  assert.match(plain[3]!, /^read +cat \(8\) +9/);
  assert.ok(!plain.join('\n').includes('brk'), 'only the top N');
  const coloured = renderTopPlain(w, 2, true);
  assert.ok(coloured.includes('\x1b[31m'), '150 ms p99 is red');
  assert.ok(coloured.includes('\x1b[33m'), '20 ms p99 is yellow');
  const j = topJson(w, 2, 4) as { top: unknown[]; dropped: number };
  assert.equal(j.dropped, 4);
  assert.equal(j.top.length, 2);
  assert.match(renderTopPlain({ ...w, rows: [] }, 5, false), /no syscalls matched/);
});
