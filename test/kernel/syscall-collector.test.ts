// syscall collector against ground truth: a C child making a known number of syscalls with a known number
// of failures and a known latency.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { requireKernel } from '../helpers/kernel.js';
import { startWorkload } from '../helpers/workload.js';
import { SyscallCollector } from '../../src/collectors/syscall/index.js';
import type { CollectorContext } from '../../src/collectors/types.js';

before(() => requireKernel());

function ctx(): CollectorContext {
  return { signal: new AbortController().signal, fault: (e) => assert.fail(String(e)), log: () => {} };
}

const comm = 'syscalls'; // the workload binary's comm

test('exact counts and errors for a known workload', async () => {
  const c = new SyscallCollector();
  await c.start(ctx());
  const ok = startWorkload(['getppid', '20000']);
  const bad = startWorkload(['enoent', '3000']);
  try {
    await ok.run();
    await bad.run();
    const { syscall } = await c.snapshot(1e9);
    assert.ok(syscall);
    const getppid = syscall.entries.find((e) => e.name === 'getppid' && e.comm === comm);
    assert.ok(getppid, 'getppid entry for the workload');
    assert.equal(getppid.count, 20000);
    assert.equal(getppid.errors, 0);
    const openat = syscall.entries.find((e) => e.name === 'openat' && e.comm === comm);
    assert.ok(openat);
    // the dynamic loader's own openat calls happen before "go" (and before this window) only partly:
    // count at least the failures, and failures exactly
    assert.equal(openat.errors, 3000);
    assert.ok(openat.count >= 3000);
    assert.deepEqual(openat.errnos[0], { errno: 2, name: 'ENOENT', count: 3000 });
    assert.equal(openat.blocking, false);
    assert.ok(syscall.totalCount >= 23000);
    assert.ok(syscall.blockingSyscalls.includes('futex'));
    // kerno's own pid is filtered in the kernel
    assert.ok(!syscall.entries.some((e) => e.comm === 'node' && e.count > 0 && e.comm === process.title));
    const stats = c.stats();
    assert.equal(stats.programsLoaded, 4);
    assert.ok(stats.events >= 23000);
  } finally {
    await ok.finish();
    await bad.finish();
    await c.stop();
  }
});

test('reads of a regular file are "read[file]" (measured); of a pipe or /proc stay "read" (blocking)', async () => {
  const c = new SyscallCollector();
  await c.start(ctx());
  const w = startWorkload(['reads', '2000']);
  try {
    await w.run();
    const { syscall } = await c.snapshot(1e9);
    const file = syscall!.entries.find((e) => e.name === 'read[file]' && e.comm === comm);
    const pipe = syscall!.entries.find((e) => e.name === 'read' && e.comm === comm);
    assert.ok(file, 'file reads recorded apart');
    assert.ok(pipe, 'pipe reads recorded as read');
    // The dynamic loader reads a library or two before main: a handful more than the loop's 2000.
    assert.ok(file.count >= 2000 && file.count <= 2010, `read[file] count ${file.count}`);
    assert.equal(file.blocking, false);
    // The loop's 2000 pipe and 2000 /proc reads, plus the workload's own reads of its stdin pipe.
    assert.ok(pipe.count >= 4000 && pipe.count <= 4010, `read count ${pipe.count}`);
    assert.equal(pipe.blocking, true);
  } finally {
    await w.finish();
    await c.stop();
  }
});

test('nanosleep(2ms) ×200: p50/p99 within the histogram bound of the true latency', async () => {
  const c = new SyscallCollector();
  await c.start(ctx());
  const w = startWorkload(['nanosleep', '200', '2000']);
  try {
    const t0 = process.hrtime.bigint();
    await w.run();
    const wall = Number(process.hrtime.bigint() - t0) / 200;
    const { syscall } = await c.snapshot(1e9);
    const e = syscall!.entries.find((x) => x.name === 'nanosleep' && x.comm === comm);
    assert.ok(e);
    assert.equal(e.count, 200);
    assert.equal(e.blocking, true);
    // A 2 ms sleep takes 2 ms plus timer slack (≈50 µs) plus wakeup latency: the truth is in [2.0, wall] ms.
    for (const p of [e.latency.p50, e.latency.p99]) {
      assert.ok(p >= 2_000_000 * (1 - 0.0625), `percentile ${p} ns below 2 ms - bound`);
      assert.ok(p <= Math.max(wall, e.latency.max) * 1.0625, `percentile ${p} ns above observed max`);
    }
  } finally {
    await w.finish();
    await c.stop();
  }
});

test('reset starts a new window while metrics stay cumulative', async () => {
  const c = new SyscallCollector();
  await c.start(ctx());
  const w = startWorkload(['getppid', '1000']);
  const w2 = startWorkload(['getppid', '700']);
  try {
    await w.run();
    await c.reset();
    await w2.run();
    const { syscall } = await c.snapshot(1e9);
    const e = syscall!.entries.filter((x) => x.name === 'getppid' && x.comm === comm);
    assert.equal(
      e.reduce((n, x) => n + x.count, 0),
      700,
      'only the calls after reset are in the window',
    );
    const m = await c.metrics();
    const total = m.counters!.syscalls_total!.find((x) => x.labels.syscall === 'getppid')!.value;
    assert.ok(total >= 1700, `metrics are cumulative since attach (${total})`);
    const hist = m.histograms!.syscall_duration_seconds!.find((x) => x.labels.syscall === 'getppid')!.value;
    assert.equal(hist.count, total);
  } finally {
    await w2.finish();
    await w.finish();
    await c.stop();
  }
});

test('metrics stay cumulative across scrapes and after an exited process is pruned', async () => {
  const c = new SyscallCollector();
  await c.start(ctx());
  const w = startWorkload(['getppid', '1500']);
  const getppid = async (): Promise<number> =>
    (await c.metrics()).counters!.syscalls_total!.find((x) => x.labels.syscall === 'getppid')?.value ?? 0;
  try {
    const before = await getppid();
    await w.run();
    const mid = await getppid();
    assert.ok(mid - before >= 1500, `a scrape adds what the workload did (${mid - before})`);
    assert.ok((await getppid()) >= mid, 'an idle scrape never goes back');
    await w.finish();
    // reset() deletes the exited workload's keys from the kernel maps; their totals must stay.
    await c.reset();
    const after = await getppid();
    assert.ok(after >= mid, `after pruning ${after} ≥ ${mid}`);
    const { syscall } = await c.snapshot(1e9);
    assert.ok(!syscall!.entries.some((e) => e.comm === comm && e.name === 'getppid'));
  } finally {
    await w.finish();
    await c.stop();
  }
});

test('a process that renames itself (prctl PR_SET_NAME) is reported under its current name', async () => {
  const c = new SyscallCollector();
  await c.start(ctx());
  // 500 getppid() under the name "python3", then the rename, then 500 more: all 1 000 must carry the new
  // name — the key is (syscall, tgid), so the rename creates no new key and the name follows the process.
  const child = spawn(
    'python3',
    [
      '-c',
      `import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for _ in range(500): os.getppid()
assert libc.prctl(15, b"kerno-renamed", 0, 0, 0) == 0
for _ in range(500): os.getppid()
print("done", flush=True)
sys.stdin.readline()`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await once(child.stdout!, 'data');
    assert.equal(readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), 'kerno-renamed');
    const { syscall } = await c.snapshot(1e9);
    const renamed = syscall!.entries.find((e) => e.name === 'getppid' && e.comm === 'kerno-renamed');
    assert.ok(renamed, 'getppid entry under the new name');
    // ≥: the interpreter calls getppid() a few times itself while starting (9 here).
    assert.ok(
      renamed.count >= 1000,
      `calls before and after the rename under the current name: ${renamed.count}`,
    );
  } finally {
    child.stdin!.end();
    await once(child, 'exit').catch(() => {});
    await c.stop();
  }
});

test('a stream of short-lived processes: exited ones are compacted mid-window; calls stay attributed, no errno dropped', async (t) => {
  const c = new SyscallCollector();
  await c.start(ctx());
  try {
    // Short Python scripts with piped stdio, as a cron- or CI-heavy host runs them: each process inserts a
    // (syscall, tgid) key per distinct syscall and a (syscall, tgid, errno) key per failing one. Without
    // compaction the maps filled within seconds: in this test 92 % of the calls went to "[other]" (24 827
    // python3 vs 279 998), and in a 10 s doctor window 43 559 errnos were dropped. Keys of exited processes
    // are now deleted under map pressure, after their window share is folded in (measured: 68 % attributed;
    // the rest spill when the maps' allocator cannot keep up with the insert rate, not for lack of room).
    const child = spawn(
      'sh',
      [
        '-c',
        `end=$(($(date +%s) + 6)); while [ $(date +%s) -lt $end ]; do printf 'a b\\n' | python3 -c 'import sys, json; print(json.dumps(sys.stdin.read().split()))' | cat >/dev/null; done`,
      ],
      { stdio: 'ignore' },
    );
    await once(child, 'exit');
    const { syscall } = await c.snapshot(1e9);
    const py = syscall!.entries.filter((e) => e.comm === 'python3');
    const calls = py.reduce((a, e) => a + e.count, 0);
    const errnos = py.reduce((a, e) => a + e.errnos.reduce((b, x) => b + x.count, 0), 0);
    const other = syscall!.entries.filter((e) => e.comm === '[other]').reduce((a, e) => a + e.count, 0);
    t.diagnostic(
      `python3: ${calls} calls, ${errnos} errnos itemised; [other] ${other} calls; dropped ${c.stats().eventsDropped} (map_full ${c.stats().droppedByReason?.map_full ?? 0})`,
    );
    // Precondition only (a TCG guest runs a handful of scripts in 6 s); the claims are the two below.
    assert.ok(calls > 1_000, `the stream ran (${calls} python3 calls)`);
    assert.ok(calls > other, `most calls attributed to python3, not "[other]" (${calls} vs ${other})`);
    assert.ok(errnos > 0, 'errno breakdown present');
    // Calls that spilled to the overflow bucket are map_full drops in coverage (attribution lost, the call
    // still in "[other]"); errnos and start timestamps must not be lost at all.
    const loss = c.lossCounters();
    assert.equal(loss.errnoFull + loss.startFail, 0, 'no errno or start timestamp dropped');
    assert.ok(c.stats().eventsDropped >= loss.overflowed, 'the overflow is counted in coverage');
  } finally {
    await c.stop();
  }
});
