// Taint decoding, counters and pstore readers over files the test writes, and the kernel-health rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTaint, parseTaint, taintLetters } from '../../../src/collectors/kmsg/taint.js';
import { counterDelta, readKernelCounters } from '../../../src/collectors/kmsg/counters.js';
import { readPstore } from '../../../src/collectors/kmsg/pstore.js';
import { KmsgWindow } from '../../../src/collectors/kmsg/window.js';
import type { KernelHealthSignals, Signals } from '../../../src/signals/types.js';
import { ALL_RULES } from '../../../rules/index.js';
import { kernelOops } from '../../../rules/kernel_oops.js';
import { kernelTaint } from '../../../rules/kernel_taint.js';
import { kernelWarning } from '../../../rules/kernel_warning.js';
import { reportTask } from '../../../rules/lib/kernel.js';
import { records } from './fixtures.js';

function signals(kernel: Partial<KernelHealthSignals>): Signals {
  const k: KernelHealthSignals = {
    oopsCount: 0,
    oopsDelta: 0,
    warnCount: 0,
    warnDelta: 0,
    taint: 0,
    taintFlags: [],
    messages: [],
    pstore: [],
    ...kernel,
  };
  return {
    schemaVersion: 1,
    windowStart: '2025-01-01T00:00:00.000Z',
    windowEnd: '2025-01-01T00:00:30.000Z',
    durationNs: 30e9,
    host: { hostname: 'h', kernelRelease: '6.12', arch: 'x86_64', bootId: 'b' },
    coverage: [],
    kernel: k,
  };
}

const KERNEL_RULES = ALL_RULES.filter((r) => r.id.startsWith('kernel_'));
const evaluateAll = (s: Signals) => KERNEL_RULES.flatMap((r) => r.evaluate(s, r.defaults));

test('taint decoding per tainted-kernels.rst', () => {
  assert.deepEqual(decodeTaint(0), []);
  assert.equal(taintLetters(decodeTaint(4097)), 'PO');
  assert.equal(taintLetters(decodeTaint(12288)), 'OE');
  assert.equal(taintLetters(decodeTaint(128 | 512 | 16384)), 'DWL');
  assert.deepEqual(decodeTaint(16)[0], {
    letter: 'M',
    bit: 4,
    description: 'processor reported a Machine Check Exception (MCE)',
  });
  assert.equal(decodeTaint(2 ** 19)[0]?.letter, 'J');
  assert.deepEqual(decodeTaint(2 ** 25)[0], {
    letter: '?',
    bit: 25,
    description: "taint bit 25 (not in kerno's table)",
  });
  assert.equal(parseTaint('0\n'), 0);
  assert.equal(parseTaint('-1'), undefined);
});

test('counters: read from files, missing files are -1, deltas never negative', () => {
  const root = mkdtempSync(join(tmpdir(), 'kerno-test-counters-'));
  try {
    mkdirSync(join(root, 'sys'));
    mkdirSync(join(root, 'proc'));
    writeFileSync(join(root, 'sys', 'oops_count'), '2\n');
    writeFileSync(join(root, 'proc', 'tainted'), '4096\n');
    assert.deepEqual(
      readKernelCounters({ sysKernel: join(root, 'sys'), procSysKernel: join(root, 'proc') }),
      { oopsCount: 2, warnCount: -1, taint: 4096 },
    );
    assert.equal(counterDelta(2, 5), 3);
    assert.equal(counterDelta(-1, 5), 0);
    assert.equal(counterDelta(5, 2), 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('pstore: read only when mounted; the panic reason is kept in the summary', () => {
  const root = mkdtempSync(join(tmpdir(), 'kerno-test-pstore-'));
  try {
    const dir = join(root, 'pstore');
    mkdirSync(dir);
    const dump = [
      'Panic#1 Part1',
      ...Array.from({ length: 60 }, (_, i) => `<6>[  ${i}.000000] routine line ${i}`),
      '<0>[ 61.000000] Kernel panic - not syncing: Fatal exception',
      '<0>[ 61.000100] CPU: 0 PID: 1 Comm: init',
    ].join('\n');
    writeFileSync(join(dir, 'dmesg-efi-173600000001'), dump);
    writeFileSync(join(root, 'mounts'), `pstore ${dir} pstore rw,nosuid,nodev,noexec,relatime 0 0\n`);
    writeFileSync(join(root, 'nomounts'), 'proc /proc proc rw 0 0\n');
    assert.deepEqual(readPstore({ dir, mountsPath: join(root, 'nomounts') }), []);
    const entries = readPstore({ dir, mountsPath: join(root, 'mounts'), maxLines: 6 });
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.file, 'dmesg-efi-173600000001');
    assert.equal(entries[0]?.firstLines[0], 'Panic#1 Part1');
    assert.ok(entries[0]?.firstLines.some((l) => l.includes('Kernel panic - not syncing: Fatal exception')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a healthy kernel (counts 0, taint 0, no reports, no pstore) produces no finding', () => {
  assert.deepEqual(evaluateAll(signals({})), []);
  const noKernel = { ...signals({}) };
  delete noKernel.kernel;
  assert.deepEqual(evaluateAll(noKernel), []);
});

test('benign taint (out-of-tree + unsigned module) is a single info finding', () => {
  const f = evaluateAll(signals({ taint: 12288, taintFlags: decodeTaint(12288) }));
  assert.equal(f.length, 1);
  assert.equal(f[0]?.rule, 'kernel_taint');
  assert.equal(f[0]?.severity, 'info');
  assert.equal(f[0]?.title, 'Kernel Tainted (OE)');
  assert.ok(f[0]?.evidence.includes('O (bit 12): externally-built ("out-of-tree") module was loaded [info]'));
});

test('taint severity by flag; D and W left to the counter rules when counts are known', () => {
  assert.equal(
    kernelTaint.evaluate(signals({ taint: 1, taintFlags: decodeTaint(1) }), {})[0]?.severity,
    'info',
  );
  assert.equal(
    kernelTaint.evaluate(signals({ taint: 16, taintFlags: decodeTaint(16) }), {})[0]?.severity,
    'critical',
  );
  assert.equal(
    kernelTaint.evaluate(signals({ taint: 16384, taintFlags: decodeTaint(16384) }), {})[0]?.severity,
    'warning',
  );
  // D with oops_count known: kernel_oops reports it, taint stays quiet
  assert.deepEqual(
    kernelTaint.evaluate(signals({ taint: 128, taintFlags: decodeTaint(128), oopsCount: 1 }), {}),
    [],
  );
  // D on a kernel without oops_count (-1): taint is the only evidence, so it reports
  assert.equal(
    kernelTaint.evaluate(signals({ taint: 128, taintFlags: decodeTaint(128), oopsCount: -1 }), {})[0]
      ?.severity,
    'warning',
  );
});

test('oops during the window is critical with the task named; one from earlier this boot is a warning', () => {
  const w = new KmsgWindow({ afterSeq: -1, bootTimeMs: 0 });
  const lines = [
    'BUG: kernel NULL pointer dereference, address: 0000000000000008',
    '#PF: supervisor write access in kernel mode',
    'Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI',
    'CPU: 1 UID: 0 PID: 48211 Comm: insmod Tainted: G           O       6.12.48-1-cloud-amd64 #1',
    'RIP: 0010:kerno_crash_init+0x1d/0xff0 [kerno_crash]',
    'RAX: 0000000000000000 RBX: ffffffffc0a1e000 RCX: 0000000000000000',
    'Call Trace:',
    '---[ end trace 0000000000000000 ]---',
  ];
  lines.forEach((l, i) => w.addRaw(`4,${100 + i},${5_000_000 + i},-;${l}\n`));
  const s = signals({
    oopsCount: 1,
    oopsDelta: 1,
    taint: 4224,
    taintFlags: decodeTaint(4224),
    messages: w.messages(),
  });
  const [f] = kernelOops.evaluate(s, {});
  assert.equal(f?.severity, 'critical');
  assert.equal(f?.process, 'insmod');
  assert.equal(f?.pid, 48211);
  assert.equal(f?.subject, 'insmod (pid 48211)');
  assert.ok(f?.evidence.some((l) => l.includes('RIP: 0010:kerno_crash_init')));
  assert.ok(!f?.evidence.some((l) => l.includes('RAX:')), 'register dumps are left out');
  const all = evaluateAll(s);
  assert.deepEqual(
    all.map((x) => `${x.rule}:${x.severity}`),
    ['kernel_oops:critical', 'kernel_taint:info'],
  );
  assert.equal(kernelOops.evaluate(signals({ oopsCount: 3 }), {})[0]?.severity, 'warning');
  assert.equal(kernelWarning.evaluate(signals({ warnCount: 2 }), {})[0]?.severity, 'info');
  assert.equal(kernelWarning.evaluate(signals({ warnCount: 2, warnDelta: 1 }), {})[0]?.severity, 'warning');
});

test('every report kind maps to its rule and severity', () => {
  const w = new KmsgWindow({ afterSeq: 9000, bootTimeMs: 0 });
  for (const raw of records('incidents-synthetic.txt')) w.addRaw(raw);
  const s = signals({
    warnCount: 1,
    warnDelta: 1,
    messages: w.messages(),
    pstore: [{ file: 'dmesg-efi-1', firstLines: ['Panic#1 Part1', 'Kernel panic - not syncing: x'] }],
  });
  const got = evaluateAll(s).map((f) => `${f.rule}:${f.severity}`);
  // In registry order (by rule id): evaluateAll runs the rules, it does not rank.
  assert.deepEqual(got, [
    'kernel_hung_task:warning',
    'kernel_mce:critical',
    'kernel_previous_panic:warning',
    'kernel_rcu_stall:warning',
    'kernel_soft_lockup:critical',
    'kernel_warning:warning',
  ]);
  const hung = evaluateAll(s).find((f) => f.rule === 'kernel_hung_task');
  assert.equal(hung?.pid, 2231);
  assert.equal(hung?.process, 'kworker/u8:3');
  assert.ok(hung?.fix.some((c) => c.includes('/proc/2231/stack')));
  const soft = evaluateAll(s).find((f) => f.rule === 'kernel_soft_lockup');
  assert.equal(soft?.subject, 'kcompactd0 (pid 41)');
  assert.deepEqual(
    reportTask({
      timestamp: '',
      seq: 0,
      level: 0,
      kind: 'warning',
      line: 'WARNING: x',
      context: ['CPU: 2 UID: 1000 PID: 18831 Comm: java Not tainted'],
    }),
    { comm: 'java', pid: 18831 },
  );
  assert.equal(KERNEL_RULES.length, 9);
  for (const r of KERNEL_RULES) {
    assert.match(r.id, /^kernel_[a-z_]+$/);
    assert.equal(r.signal, 'kernel');
    assert.ok(r.doc && r.doc.fix.length > 0 && r.doc.why.length > 0, r.id);
  }
});
