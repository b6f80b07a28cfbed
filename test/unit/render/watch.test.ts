// `kerno watch` rendering: cells and tones (RTT colours, red retransmits, LEAK), the text table with and
// without colour, and one JSON object per line (an empty fd window is an empty array).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  endpoint,
  fdTable,
  oomCells,
  rttTone,
  tcpTable,
  OOM_ALERT_BANNER,
} from '../../../src/render/watch/model.js';
import { fdJsonLine, oomJsonLine, tcpJsonLine } from '../../../src/render/watch/json.js';
import { renderCells, renderWatchTable } from '../../../src/render/watch/text.js';
import type { TcpWatchWindow } from '../../../src/watch/tcp.js';
import type { FdWatchWindow } from '../../../src/watch/fd.js';
import type { OomEvent } from '../../../src/signals/types.js';

const hasEscapes = (s: string): boolean => s.includes('\u001b[');

const tcpWindow: TcpWatchWindow = {
  timestamp: '2026-01-01T00:00:02.000Z',
  intervalNs: 2e9,
  elapsedNs: 2e9,
  seen: 2,
  droppedByReason: { map_full: 0, recursion: 0 },
  connections: [
    {
      family: 6,
      srcAddr: 'fd00::1',
      dstAddr: 'fd00::2',
      srcPort: 40000,
      dstPort: 443,
      pid: 42,
      comm: 'curl',
      netns: 4026532000,
      netnsName: 'pod-a',
      rttP50Ns: 20e6,
      rttP99Ns: 60e6,
      rttSamples: 100,
      retransmits: 3,
      retransSegs: 3,
      events: 103,
    },
    {
      family: 4,
      srcAddr: '10.0.0.1',
      dstAddr: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      pid: 0,
      comm: '',
      netns: 4026531840,
      netnsName: 'host',
      rttP50Ns: 1e6,
      rttP99Ns: 2e6,
      rttSamples: 10,
      retransmits: 0,
      retransSegs: 0,
      events: 10,
    },
  ],
};

test('RTT tones: warning from 5 ms, critical from 50 ms', () => {
  assert.equal(rttTone(4.99e6), 'plain');
  assert.equal(rttTone(5e6), 'warning');
  assert.equal(rttTone(49e6), 'warning');
  assert.equal(rttTone(50e6), 'critical');
});

test('tcp table: endpoints, owner, namespace, RTT colours, red retransmits', () => {
  const t = tcpTable(tcpWindow);
  assert.deepEqual(t.head, ['SRC', 'DST', 'COMM', 'NETNS', 'RTT P50', 'RTT P99', 'RETRANS', 'EVENTS']);
  const [a, b] = t.rows;
  assert.deepEqual(
    a!.map((c) => c.text),
    ['[fd00::1]:40000', '[fd00::2]:443', 'curl (42)', 'pod-a (4026532000)', '20ms', '60ms', '3', '103'],
  );
  assert.equal(a![4]!.tone, 'warning');
  assert.equal(a![5]!.tone, 'critical');
  assert.equal(a![6]!.tone, 'critical');
  assert.equal(b![2]!.text, '-', 'unknown owner');
  assert.equal(b![6]!.tone, 'plain', 'zero retransmits are not red');
  assert.equal(endpoint(4, '1.2.3.4', 5), '1.2.3.4:5');
  assert.equal(tcpTable(tcpWindow, 1).note, '1 more connections');
  assert.equal(tcpTable({ ...tcpWindow, connections: [], seen: 0 }).note, 'no TCP activity');
});

test('text table: colour only when asked (NO_COLOR path has no escape codes)', () => {
  const plain = renderWatchTable(tcpTable(tcpWindow), false);
  assert.ok(!hasEscapes(plain));
  assert.match(plain, /SRC\s+DST\s+COMM/);
  assert.match(plain, /\[fd00::1\]:40000\s+\[fd00::2\]:443\s+curl \(42\)/);
  assert.ok(hasEscapes(renderWatchTable(tcpTable(tcpWindow), true)));
});

test('tcp JSON: one line with timestamp, interval and the reference fields per connection', () => {
  const line = tcpJsonLine(tcpWindow);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one line');
  const o = JSON.parse(line) as Record<string, unknown>;
  assert.equal(o.timestamp, tcpWindow.timestamp);
  assert.equal(o.interval, '2s');
  const c = (o.connections as Record<string, unknown>[])[0]!;
  for (const k of [
    'srcAddr',
    'dstAddr',
    'srcPort',
    'dstPort',
    'comm',
    'rttP50Ns',
    'rttP99Ns',
    'retransmits',
    'events',
  ])
    assert.ok(k in c, k);
  assert.equal(c.netns, 4026532000);
});

test('tcp window losses: each reason in the table note, the split in JSON', () => {
  const w: TcpWatchWindow = { ...tcpWindow, droppedByReason: { map_full: 3, recursion: 2 } };
  const note = tcpTable(w).note;
  assert.match(note, /3 events not stored \(connection map full\)/);
  assert.match(note, /2 events missed \(program already running on that CPU\)/);
  assert.doesNotMatch(tcpTable(tcpWindow).note, /events/);
  const o = JSON.parse(tcpJsonLine(w)) as Record<string, unknown>;
  assert.equal(o.dropped, 5);
  assert.deepEqual(o.droppedByReason, { map_full: 3, recursion: 2 });
});

const fdWindow: FdWatchWindow = {
  timestamp: '2026-01-01T00:00:05.000Z',
  intervalNs: 5e9,
  elapsedNs: 5e9,
  thresholdPerSec: 10,
  processes: [
    { pid: 7, comm: 'leaky', opens: 120, closes: 20, net: 100, ratePerSec: 20, leak: true },
    { pid: 8, comm: 'fine', opens: 50, closes: 50, net: 0, ratePerSec: 0, leak: false },
  ],
};

test('fd table: LEAK marker on suspects only', () => {
  const t = fdTable(fdWindow);
  assert.deepEqual(
    t.rows[0]!.map((c) => c.text),
    ['7', 'leaky', '120', '20', '+100', '20/s', '!! LEAK'],
  );
  assert.equal(t.rows[0]![6]!.tone, 'critical');
  assert.equal(t.rows[1]![6]!.text, '');
  assert.match(renderWatchTable(t, false), /leaky\s+120\s+20\s+\+100\s+20\/s\s+!! LEAK/);
});

test('an empty fd window: JSON has processes: [] and the table says so', () => {
  const empty = { ...fdWindow, processes: [] };
  const o = JSON.parse(fdJsonLine(empty)) as { processes: unknown[]; interval: string };
  assert.deepEqual(o.processes, []);
  assert.equal(o.interval, '5s');
  const text = renderWatchTable(fdTable(empty), false);
  assert.match(text, /no process at or above 10\/s/);
});

test('oom line and JSON: victim, pid, cgroup, RSS, total, oom_score_adj, trigger', () => {
  const e: OomEvent = {
    timestamp: '2026-01-01T00:00:00.123Z',
    pid: 99,
    comm: 'python3',
    cgroupId: 5,
    cgroupPath: '/kerno-test',
    rssBytes: 32 << 20,
    totalVmBytes: 300 << 20,
    oomScoreAdj: 500,
    triggeredPid: 99,
    triggeredComm: 'python3',
  };
  const line = renderCells(oomCells(e), false);
  assert.equal(
    line,
    '2026-01-01T00:00:00Z  VICTIM python3  PID 99  CGROUP /kerno-test  RSS 32 MiB  TOTAL 300 MiB  ' +
      'OOM_SCORE_ADJ 500  TRIGGERED_BY python3 (99)\n',
  );
  assert.equal(
    renderCells([{ text: OOM_ALERT_BANNER, tone: 'critical' }], false),
    '!! OOM KILL DETECTED !!\n',
  );
  const o = JSON.parse(oomJsonLine(e)) as Record<string, unknown>;
  assert.equal(o.rssBytes, 32 << 20);
  assert.equal(o.totalBytes, 300 << 20);
  assert.equal(o.triggeredByPid, 99);
  assert.equal(o.cgroupPath, '/kerno-test');
});
