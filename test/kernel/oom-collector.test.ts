// oom collector against ground truth: a process in a small cgroup-v1 memory cgroup allocating past its
// limit is killed by the kernel; kerno must report exactly that victim, matching /proc/vmstat oom_kill and
// the cgroup's memory.oom_control.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { requireKernel } from '../helpers/kernel.js';
import { OomCollector } from '../../src/collectors/oom.js';

before(() => requireKernel());

const V1 = '/sys/fs/cgroup/memory';
const vmstatOomKills = () => Number(/^oom_kill (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))![1]);

test('an allocation past a v1 cgroup limit → one OOM event naming the victim and its cgroup', async () => {
  assert.ok(
    existsSync(`${V1}/memory.limit_in_bytes`),
    'cgroup v1 memory controller mounted (this machine kind has it)',
  );
  const name = `kerno-test-oom-${process.pid}`;
  const dir = `${V1}/${name}`;
  mkdirSync(dir);
  const c = new OomCollector();
  try {
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(32 << 20));
    await c.start({
      signal: new AbortController().signal,
      fault: (e) => assert.fail(String(e)),
      log: () => {},
    });
    const before = vmstatOomKills();
    // The shell moves itself into the cgroup, then execs the allocator (same pid).
    const child = spawn(
      'sh',
      ['-c', `echo $$ > ${dir}/cgroup.procs && exec python3 -c "b = bytearray(256 << 20); print(len(b))"`],
      { stdio: 'ignore' },
    );
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL', `the kernel OOM-killed the child (exit ${code})`);
    const { oom } = await c.snapshot(1e9);
    const delta = vmstatOomKills() - before;
    const mine = oom!.events.filter((e) => e.pid === child.pid);
    assert.equal(mine.length, 1, 'exactly one event for the victim');
    assert.equal(delta, 1, '/proc/vmstat oom_kill moved by one');
    const e = mine[0]!;
    assert.equal(e.comm, 'python3');
    assert.equal(e.cgroupPath, `/${name}`);
    assert.ok(e.rssBytes > 16 << 20 && e.rssBytes <= 40 << 20, `rss ${e.rssBytes} near the 32 MiB limit`);
    assert.ok(Math.abs(Date.parse(e.timestamp) - Date.now()) < 10_000, `wall-clock timestamp ${e.timestamp}`);
    assert.equal(e.triggeredPid, child.pid, 'the victim itself was allocating');
    assert.match(readFileSync(`${dir}/memory.oom_control`, 'utf8'), /^oom_kill 1$/m);
  } finally {
    await c.stop();
    rmdirSync(dir);
  }
});
