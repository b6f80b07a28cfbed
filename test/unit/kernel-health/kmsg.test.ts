// /dev/kmsg records (recorded on this project's VM, kernel 6.18), line classification, report assembly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKmsgRecord, unescapeKmsg } from '../../../src/kernel-log/record.js';
import { classifyKernelLine, stripConsolePrefix } from '../../../src/kernel-log/classify.js';
import { ReportAssembler } from '../../../src/kernel-log/assembler.js';
import { KmsgWindow } from '../../../src/collectors/kmsg/window.js';
import { records } from './fixtures.js';

test('real boot records parse: facility, level, seq, timestamp, dictionary', () => {
  const recs = records('boot-6.18-firecracker.txt').map((r) => parseKmsgRecord(r));
  assert.ok(recs.length > 150);
  assert.ok(recs.every((r) => r !== undefined));
  const first = recs[0];
  assert.equal(first?.facility, 0);
  assert.equal(first?.level, 5);
  assert.equal(first?.seq, 0);
  assert.equal(first?.tsUsec, 0);
  assert.match(first?.message ?? '', /^Linux version 6\.18\.44-fc-v657/);
  const osc = recs.find((r) => r?.seq === 197);
  assert.deepEqual(osc?.dict, { SUBSYSTEM: 'acpi', DEVICE: '+acpi:PNP0A08:00' });
  assert.equal(osc?.tsUsec, 103436);
  const user = recs.filter((r) => r && r.facility !== 0);
  assert.deepEqual(
    user.map((r) => [r?.facility, r?.level, r?.message]),
    [
      [1, 4, 'kerno-probe BUG: fake'],
      [1, 4, 'kerno-probe noprefix'],
    ],
  );
});

test('nothing in a healthy boot log is classified as trouble', () => {
  for (const raw of records('boot-6.18-firecracker.txt')) {
    const r = parseKmsgRecord(raw);
    if (!r || r.facility !== 0) continue;
    assert.equal(classifyKernelLine(r.message), undefined, r.message);
  }
});

test('malformed records are refused, escapes decoded byte-wise (UTF-8 included)', () => {
  assert.equal(parseKmsgRecord('no header here'), undefined);
  assert.equal(parseKmsgRecord('x,1,2,-;text'), undefined);
  assert.equal(parseKmsgRecord(';text'), undefined);
  assert.equal(unescapeKmsg('a\\x09b\\x5cc'), 'a\tb\\c');
  assert.equal(unescapeKmsg('caf\\xc3\\xa9'), 'café');
  const r = parseKmsgRecord('6,12,345,-,caller=T42;hello\n');
  assert.deepEqual(r?.extra, ['caller=T42']);
});

test('classification of the kernel report openers', () => {
  const cases: [string, ReturnType<typeof classifyKernelLine>][] = [
    ['Kernel panic - not syncing: Fatal exception', 'panic'],
    ['watchdog: BUG: soft lockup - CPU#3 stuck for 26s! [stress-ng-cpu:7781]', 'soft_lockup'],
    ['watchdog: Watchdog detected hard LOCKUP on cpu 2', 'hard_lockup'],
    ['NMI watchdog: Watchdog detected hard LOCKUP on cpu 1', 'hard_lockup'],
    ['INFO: task postgres:20117 blocked for more than 122 seconds.', 'hung_task'],
    ['rcu: INFO: rcu_preempt self-detected stall on CPU', 'rcu_stall'],
    ['INFO: rcu_sched detected stalls on CPUs/tasks:', 'rcu_stall'],
    ['mce: [Hardware Error]: Machine check events logged', 'mce'],
    [
      'Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP',
      'gpf',
    ],
    ['general protection fault, probably for non-canonical address 0x1: 0000 [#1] SMP', 'gpf'],
    ['Oops: 0002 [#1] PREEMPT SMP NOPTI', 'oops'],
    ['Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI', 'oops'],
    ['BUG: kernel NULL pointer dereference, address: 0000000000000008', 'bug'],
    ['kernel BUG at mm/slub.c:412!', 'bug'],
    ['WARNING: CPU: 2 PID: 18831 at fs/ext4/inode.c:3884 ext4_set_page_dirty+0x52/0x60 [ext4]', 'warning'],
    ['x86/split lock detection: #DB: warning on user-space bus_locks', undefined],
    ['PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug', undefined],
    ['loader[30832]: segfault at 561785740960 ip 000056178369d502', undefined],
  ];
  for (const [line, kind] of cases) assert.equal(classifyKernelLine(line), kind, line);
});

test('console prefixes: level, timestamp and caller are stripped and parsed', () => {
  assert.deepEqual(stripConsolePrefix('[ 8123.403012] BUG: x'), { text: 'BUG: x', tsUsec: 8123_403012 });
  assert.deepEqual(stripConsolePrefix('<4>[    1.5] Oops: y'), {
    text: 'Oops: y',
    tsUsec: 1_500000,
    level: 4,
  });
  assert.deepEqual(stripConsolePrefix('[   12.000001][  T123] WARNING: z'), {
    text: 'WARNING: z',
    tsUsec: 12_000001,
  });
  assert.deepEqual(stripConsolePrefix('[ 1.000000]  <TASK>'), { text: ' <TASK>', tsUsec: 1_000000 });
  assert.deepEqual(stripConsolePrefix('plain'), { text: 'plain' });
});

test('assembler: BUG then Oops then panic is one report; idle gap and bounds close reports', () => {
  const a = new ReportAssembler({ idleGapMs: 100, maxLines: 5, maxBytes: 10_000 });
  assert.deepEqual(a.push('BUG: kernel NULL pointer dereference', 0), []);
  assert.deepEqual(a.push('Oops: 0002 [#1] SMP', 1), []);
  assert.deepEqual(a.push('Kernel panic - not syncing: Fatal exception', 2), []);
  const [r] = a.push('ordinary line much later', 500);
  assert.equal(r?.kind, 'panic');
  assert.equal(r?.endedBy, 'idle');
  assert.deepEqual(r?.triggers, [
    'BUG: kernel NULL pointer dereference',
    'Oops: 0002 [#1] SMP',
    'Kernel panic - not syncing: Fatal exception',
  ]);
  assert.equal(a.open, false);

  a.push('INFO: task a:1 blocked for more than 120 seconds.', 1_000);
  const [first] = a.push('INFO: task b:2 blocked for more than 120 seconds.', 1_001);
  assert.equal(first?.endedBy, 'next-report');
  for (let i = 0; i < 4; i++) assert.deepEqual(a.push(`line ${i}`, 1_002 + i), []);
  const [capped] = a.push('line 4', 1_010);
  assert.equal(capped?.endedBy, 'line-limit');
  assert.equal(capped?.truncated, true);
  assert.equal(capped?.context.length, 4, 'opener + 4 lines = maxLines');

  const b = new ReportAssembler({ idleGapMs: 100, maxLines: 100, maxBytes: 10_000 });
  b.push('Kernel panic - not syncing: x', 0);
  const [ended] = b.push('---[ end Kernel panic - not syncing: x ]---', 1);
  assert.equal(ended?.endedBy, 'end-marker');
  assert.deepEqual(b.expire(10_000), []);
});

test('a window over synthetic incident records: kinds, context, user-facility lines ignored', () => {
  const w = new KmsgWindow({ afterSeq: 9000, bootTimeMs: Date.UTC(2025, 0, 1) });
  for (const raw of records('incidents-synthetic.txt')) w.addRaw(raw);
  const msgs = w.messages();
  assert.deepEqual(
    msgs.map((m) => m.kind),
    ['warning', 'hung_task', 'rcu_stall', 'mce', 'soft_lockup'],
  );
  const warn = msgs[0];
  assert.equal(warn?.seq, 9002);
  assert.equal(warn?.timestamp, new Date(Date.UTC(2025, 0, 1) + 5120331.209).toISOString());
  assert.ok(warn?.context.includes('---[ end trace 0000000000000000 ]---'));
  assert.ok(
    !warn?.context.some((l) => l.startsWith('EXT4-fs')),
    'the warning ends at its end-of-trace marker',
  );
  assert.deepEqual(msgs[3]?.context, [
    'mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 8: cc00008000010090',
    'mce: [Hardware Error]: TSC 0 ADDR 1f3b7c000 MISC 2000c084001f3b8c',
  ]);
  assert.equal(
    msgs[2]?.context[0],
    'rcu: \t1-....: (21002 ticks this GP) idle=9b54/1/0x4000000000000000 softirq=442118/442118 fqs=5248',
  );
  assert.equal(w.stats.ignoredRecords, 2);
  assert.ok(!msgs.some((m) => m.line.includes('kerno-test') || m.line.includes('pretending')));
  assert.ok(!msgs.at(-1)?.context.some((l) => l.includes('kerno-test')), 'user lines are not even context');
});

test('a window skips records from before it started', () => {
  const w = new KmsgWindow({ afterSeq: 9020, bootTimeMs: 0 });
  for (const raw of records('incidents-synthetic.txt')) w.addRaw(raw);
  assert.deepEqual(
    w.messages().map((m) => m.kind),
    ['rcu_stall', 'mce', 'soft_lockup'],
  );
});
