// oom collector against ground truth: a process in a small memory cgroup allocating past its limit is
// killed by the kernel; kerno must report exactly that victim, matching /proc/vmstat oom_kill and the
// cgroup's own count (v1 memory.oom_control, v2 memory.events). The hierarchy is the one the kernel has
// mounted: v1 on this machine kind, v2 in the kernels phase's guests (6.12 has no v1 memory controller).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { requireKernel } from '../helpers/kernel.js';
import { OomCollector } from '../../src/collectors/oom.js';

before(() => requireKernel());

const V1 = '/sys/fs/cgroup/memory';

interface MemoryHierarchy {
  version: 1 | 2;
  root: string;
}

/** v1 memory mount if there is one, else a cgroup2 mount whose root offers the memory controller. */
function memoryHierarchy(): MemoryHierarchy | undefined {
  if (existsSync(`${V1}/memory.limit_in_bytes`)) return { version: 1, root: V1 };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[sep + 1] !== 'cgroup2') continue;
    const root = f[4]!;
    if (readFileSync(`${root}/cgroup.controllers`, 'utf8').split(/\s+/).includes('memory'))
      return { version: 2, root };
  }
  return undefined;
}

const vmstatOomKills = () => Number(/^oom_kill (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))![1]);

test('an allocation past a memory cgroup limit → one OOM event naming the victim and its cgroup', async () => {
  const h = memoryHierarchy();
  assert.ok(h, 'a memory cgroup controller is mounted (v1 memory, or cgroup2 offering memory)');
  const name = `kerno-test-oom-${process.pid}`;
  const dir = `${h.root}/${name}`;
  if (h.version === 2) {
    const ctl = `${h.root}/cgroup.subtree_control`;
    if (!readFileSync(ctl, 'utf8').split(/\s+/).includes('memory')) writeFileSync(ctl, '+memory');
  }
  mkdirSync(dir);
  const c = new OomCollector();
  try {
    if (h.version === 1) writeFileSync(`${dir}/memory.limit_in_bytes`, String(32 << 20));
    else {
      writeFileSync(`${dir}/memory.max`, String(32 << 20));
      if (existsSync(`${dir}/memory.swap.max`)) writeFileSync(`${dir}/memory.swap.max`, '0');
    }
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
    const own = h.version === 1 ? 'memory.oom_control' : 'memory.events';
    assert.match(readFileSync(`${dir}/${own}`, 'utf8'), /^oom_kill 1$/m, `${own} counts one kill`);
  } finally {
    await c.stop();
    rmdirSync(dir);
  }
});
