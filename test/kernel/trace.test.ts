// `kerno trace` against ground truth: C children making a known number of known syscalls with known pids,
// a loop device written with O_DIRECT, two spinners pinned to one CPU. Filters are compiled into the
// programs, so the tests also show that what does not match never reaches the ring buffer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { startWorkload } from '../helpers/workload.js';
import { REPO, cleanEnv } from '../unit/cli/helpers.js';
import { native } from '../../src/bpf/native.js';
import { BpfObject } from '../../src/bpf/object.js';
import { bpfObjectPath } from '../../src/bpf/paths.js';
import { defineLayout, layoutDrift, type StructLayout } from '../../src/bpf/layout.js';
import { loadTraceObject } from '../../src/trace/loader.js';
import {
  DISK_EVENT,
  SCHED_EVENT,
  SYSCALL_EVENT,
  TOP_KEY,
  TOP_VALUE,
  SyscallTop,
  startDiskTrace,
  startSchedTrace,
  startSyscallTrace,
  type DiskEvent,
  type SchedEvent,
  type SyscallEvent,
  type SyscallFilters,
} from '../../src/trace/index.js';

before(() => requireKernel());

const ALL: SyscallFilters = { pid: 0, comm: '', minLatencyNs: 0, nr: -1 };
const NR_GETPPID = 110;
const NR_NANOSLEEP = 35;

function collect<T>(): { events: T[]; onEvents(e: T[]): void } {
  const events: T[] = [];
  return { events, onEvents: (e) => events.push(...e) };
}

test('--pid and a syscall filter: exactly the calls of that process, nothing of another doing the same', async () => {
  const mine = startWorkload(['getppid', '5000']);
  const other = startWorkload(['getppid', '3000']);
  const sink = collect<SyscallEvent>();
  const s = await startSyscallTrace({ ...ALL, pid: mine.pid, nr: NR_GETPPID }, sink);
  let stats;
  try {
    await Promise.all([mine.run(), other.run()]);
  } finally {
    stats = await s.stop();
    await mine.finish();
    await other.finish();
  }
  assert.equal(sink.events.length, 5000);
  assert.ok(sink.events.every((e) => e.pid === mine.pid && e.tid === mine.pid));
  assert.ok(sink.events.every((e) => e.syscall === 'getppid' && e.syscallNr === NR_GETPPID));
  assert.ok(sink.events.every((e) => e.comm === 'syscalls' && e.ret === process.pid && e.latencyNs > 0));
  assert.deepEqual(stats, {
    events: 5000,
    records: 5000,
    drops: { ringbufFull: 0, mapFull: 0, userDropped: 0 },
  });
});

test('--min-latency: 30 ms nanosleeps appear with their latency, the fast calls of the same processes do not', async () => {
  const slow = startWorkload(['nanosleep', '3', '30000']);
  const fast = startWorkload(['getppid', '4000']);
  const sink = collect<SyscallEvent>();
  // Any case: the filter is lower-cased on its way into rodata, the task's comm in the kernel.
  const s = await startSyscallTrace({ ...ALL, comm: 'SysCalls', minLatencyNs: 25e6 }, sink);
  try {
    await Promise.all([slow.run(), fast.run()]);
  } finally {
    await s.stop();
    await slow.finish();
    await fast.finish();
  }
  // Only the nanosleeps: a child still starting when the programs attached may add its slow read of "go".
  const mine = sink.events.filter((e) => e.pid === slow.pid && e.syscallNr === NR_NANOSLEEP);
  assert.equal(mine.length, 3, JSON.stringify(sink.events));
  for (const e of mine) {
    assert.ok(e.latencyNs >= 30e6, `nanosleep of 30 ms took ${e.latencyNs} ns`);
    assert.ok(e.latencyNs < 1e9);
  }
  assert.ok(!sink.events.some((e) => e.syscall === 'getppid'), 'no fast getppid passed --min-latency');
  assert.ok(sink.events.every((e) => e.comm === 'syscalls' && e.latencyNs >= 25e6));
});

test('a filter that matches nothing: the programs run for every syscall and the ring buffer gets no record', async () => {
  const w = startWorkload(['getppid', '20000']);
  const sink = collect<SyscallEvent>();
  const statsFd = native().enableStats();
  let stats;
  let ran = 0;
  try {
    const s = await startSyscallTrace({ ...ALL, minLatencyNs: 10e9 }, sink);
    const runs = () => s.object.programInfo('sys_exit')?.runCount ?? 0;
    const before = runs();
    try {
      await w.run();
    } finally {
      ran = runs() - before;
      stats = await s.stop();
      await w.finish();
    }
  } finally {
    native().closeFd(statsFd);
  }
  assert.ok(ran >= 20000, `sys_exit ran ${ran} times`);
  assert.equal(sink.events.length, 0);
  assert.deepEqual(stats, { events: 0, records: 0, drops: { ringbufFull: 0, mapFull: 0, userDropped: 0 } });
});

test('--top: per (syscall, process) counts and percentiles from in-kernel histograms, reset each window', async () => {
  const slow = startWorkload(['nanosleep', '5', '30000']);
  const fast = startWorkload(['getppid', '7000']);
  const top = await SyscallTop.start({ ...ALL, comm: 'syscalls' });
  try {
    await Promise.all([slow.run(), fast.run()]);
    const w = top.tick();
    const sleeps = w.rows.find((r) => r.pid === slow.pid && r.syscall === 'nanosleep');
    const ppid = w.rows.find((r) => r.pid === fast.pid && r.syscall === 'getppid');
    assert.ok(sleeps && ppid, JSON.stringify(w.rows));
    assert.equal(sleeps.count, 5);
    assert.equal(sleeps.comm, 'syscalls');
    // Log-linear buckets: a percentile is within 12.5 % of the truth, and never above the maximum.
    assert.ok(sleeps.p99Ns >= 30e6 * 0.875 && sleeps.p99Ns <= sleeps.maxNs, String(sleeps.p99Ns));
    assert.ok(sleeps.maxNs >= 30e6);
    assert.equal(ppid.count, 7000);
    assert.ok(ppid.p99Ns < 10e6);
    assert.equal(w.rows[0]!.p99Ns, Math.max(...w.rows.map((r) => r.p99Ns)), 'slowest p99 first');
    assert.ok(w.rows.every((r) => r.comm === 'syscalls'));
    // The next window starts empty: the workloads are idle (blocked in a read of stdin that has not returned).
    const next = top.tick();
    assert.ok(
      !next.rows.some((r) => r.pid === fast.pid && r.syscall === 'getppid'),
      JSON.stringify(next.rows),
    );
    assert.equal(top.stats().drops.mapFull, 0);
  } finally {
    top.stop();
    await slow.finish();
    await fast.finish();
  }
});

// ---- disk: a kerno-named loop device over a file, written with O_DIRECT ----

const LOOP_FILE = '/var/tmp/kerno-trace-test-loop.img';
let loopDev = '';

function loopMajMin(dev: string): string {
  return execFileSync('lsblk', ['-dno', 'MAJ:MIN', dev], { encoding: 'utf8' }).trim();
}

after(() => {
  if (loopDev) execFileSync('losetup', ['-d', loopDev]);
  rmSync(LOOP_FILE, { force: true });
});

test('disk: O_DIRECT writes to a loop device appear with their bytes; the op filter keeps them out', async () => {
  writeFileSync(LOOP_FILE, Buffer.alloc(8 << 20));
  loopDev = execFileSync('losetup', ['-f', '--show', LOOP_FILE], { encoding: 'utf8' }).trim();
  const majmin = loopMajMin(loopDev);
  const writes = collect<DiskEvent>();
  const reads = collect<DiskEvent>();
  const a = await startDiskTrace({ pid: 0, comm: 'DD', minLatencyNs: 0, ops: [] }, writes);
  const b = await startDiskTrace({ pid: 0, comm: 'dd', minLatencyNs: 0, ops: ['read'] }, reads);
  try {
    // 16 writes of 64 KiB, each waited for (O_DIRECT), then an fsync.
    execFileSync(
      'dd',
      ['if=/dev/zero', `of=${loopDev}`, 'bs=64k', 'count=16', 'oflag=direct', 'conv=fsync'],
      {
        stdio: 'ignore',
      },
    );
  } finally {
    await a.stop();
    await b.stop();
    execFileSync('losetup', ['-d', loopDev]);
    loopDev = '';
  }
  const onLoop = writes.events.filter((e) => e.dev === majmin);
  const data = onLoop.filter((e) => e.bytes > 0);
  assert.equal(
    data.reduce((sum, e) => sum + e.bytes, 0),
    16 * 65536,
    JSON.stringify(onLoop),
  );
  assert.ok(data.every((e) => e.comm === 'dd' && e.op !== 'read' && e.latencyNs > 0));
  // Sectors of 512 bytes: the 16 writes cover sectors 0 … 2047 exactly once.
  const sectors = data
    .flatMap((e) => Array.from({ length: e.bytes / 512 }, (_, i) => (e.sector ?? Number.NaN) + i))
    .sort((x, y) => x - y);
  assert.deepEqual(
    sectors,
    Array.from({ length: 2048 }, (_, i) => i),
  );
  assert.equal(reads.events.filter((e) => e.dev === majmin).length, 0, 'no read of the loop device');
});

// ---- sched: two CPU-bound spinners pinned to one CPU ----

function spinnerBinary(): string {
  const dir = join(REPO, 'build', 'test');
  const bin = join(dir, 'kerno-spin');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    // A copy of `yes` under a kerno name: CPU-bound with output to /dev/null, comm "kerno-spin".
    copyFileSync('/usr/bin/yes', bin);
  }
  return bin;
}

test('sched: two spinners sharing one CPU wait for each other longer than the threshold', async () => {
  const bin = spinnerBinary();
  const spin = (): ChildProcess =>
    spawn('taskset', ['-c', '0', bin], { stdio: ['ignore', 'ignore', 'inherit'] });
  const all = collect<SchedEvent>();
  const one = collect<SchedEvent>();
  const s1 = spin();
  const s2 = spin();
  await new Promise((r) => setTimeout(r, 100)); // taskset has exec'd the spinner
  const a = await startSchedTrace({ pid: 0, comm: 'kerno-spin', minLatencyNs: 1e6 }, all);
  const b = await startSchedTrace({ pid: s1.pid!, comm: '', minLatencyNs: 1e6 }, one);
  try {
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await a.stop();
    await b.stop();
    for (const c of [s1, s2]) {
      const exited = once(c, 'exit');
      c.kill('SIGKILL');
      await exited;
    }
  }
  const pids = new Set([s1.pid, s2.pid]);
  assert.ok(all.events.length >= 20, `${all.events.length} waits in 1.5 s of contention`);
  assert.ok(all.events.every((e) => pids.has(e.pid) && e.comm === 'kerno-spin' && e.runqDelayNs >= 1e6));
  assert.ok(
    all.events.every((e) => e.cpu === 0),
    'pinned to CPU 0',
  );
  for (const pid of pids)
    assert.ok(
      all.events.some((e) => e.pid === pid),
      `waits of ${pid}`,
    );
  // They waited for each other (the shared machine's other tasks take turns on CPU 0 as well).
  for (const pid of pids)
    assert.ok(all.events.some((e) => e.pid === pid && pids.has(e.prevPid) && e.prevPid !== pid));
  assert.ok(one.events.length > 0);
  assert.ok(one.events.every((e) => e.pid === s1.pid));
});

// ---- the command itself ----

function kernoArgv(args: string[]): string[] {
  return ['--import', 'tsx', join(REPO, 'bin/kerno.ts'), ...args];
}

test('kerno trace syscall | head -3: three JSON lines, exit 0, nothing on stderr but the start line', async () => {
  const script = `"${process.execPath}" ${kernoArgv(['trace', 'syscall'])
    .map((a) => `'${a}'`)
    .join(' ')} | head -3; echo "exit=\${PIPESTATUS[0]}" >&2`;
  const child = spawn('bash', ['-c', script], {
    cwd: REPO,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await once(child, 'close');
  clearTimeout(timer);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 3, out);
  for (const l of lines) assert.ok('syscallNr' in JSON.parse(l));
  assert.match(err, /exit=0\n$/);
  assert.deepEqual(
    err.split('\n').filter((l) => l && !l.startsWith('exit=')),
    ['kerno: tracing syscall; Ctrl+C to stop'],
    err,
  );
});

test('SIGTERM ends a trace cleanly: exit 0 and the JSON summary on stderr', async () => {
  const child = spawn(process.execPath, kernoArgv(['trace', 'sched', '-o', 'json', '--threshold', '1s']), {
    cwd: REPO,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const attached = new Promise<void>((resolve) =>
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('tracing sched')) resolve();
    }),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await attached;
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  assert.equal(code, 0, err);
  const last = JSON.parse(err.trimEnd().split('\n').at(-1)!) as { summary: boolean; dropped: object };
  assert.equal(last.summary, true);
  assert.deepEqual(last.dropped, { ringbufFull: 0, mapFull: 0, userDropped: 0 });
});

// ---- record layouts ----

test('every trace record layout agrees with the BTF of its object; a drifted one is refused at load', async () => {
  const objects: [string, StructLayout[]][] = [
    ['trace_syscall', [SYSCALL_EVENT, TOP_KEY, TOP_VALUE]],
    ['trace_disk', [DISK_EVENT]],
    ['trace_sched', [SCHED_EVENT]],
  ];
  for (const [name, layouts] of objects) {
    const obj = BpfObject.open(bpfObjectPath(name));
    try {
      for (const l of layouts)
        assert.deepEqual(layoutDrift(l, obj.btfStruct(l.struct)), [], `${name}: ${l.struct}`);
    } finally {
      obj.close();
    }
  }
  await assert.rejects(
    loadTraceObject({
      object: 'trace_sched',
      programs: ['sched_switch'],
      rodata: [],
      layouts: [defineLayout('trace_sched_event', 48, { ...SCHED_EVENT.offset, cpu: 28, prev_pid: 24 })],
    }),
    /trace trace_sched: record layout drift .*trace_sched_event\.cpu is at offset 24, TypeScript says 28/,
  );
});
