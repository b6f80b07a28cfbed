import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { MemoryCollector } from '../../src/collectors/memory.js';
import { readMeminfo } from '../../src/collectors/procfs/meminfo.js';
import { requireKernel } from '../helpers/kernel.js';

const MiB = 1024 * 1024;

before(() => requireKernel());

function context(): { signal: AbortSignal; fault: (e: unknown) => void; log: () => void } {
  return {
    signal: new AbortController().signal,
    fault: (e) => assert.fail(`collector fault: ${String(e)}`),
    log: () => {},
  };
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('meminfo agrees with the kernel figures Node reads through sysinfo(2)', async () => {
  const m = await readMeminfo();
  // os.totalmem() is sysinfo totalram × mem_unit: the same number as MemTotal.
  assert.equal(m.totalBytes, os.totalmem());
  // os.freemem() is libuv's MemAvailable read (or sysinfo freeram): same quantity, read a moment apart.
  const drift = Math.abs(m.availableBytes - os.freemem());
  assert.ok(drift < 0.05 * m.totalBytes, `available ${m.availableBytes} vs os.freemem ${os.freemem()}`);
  assert.ok(m.availableBytes > 0 && m.availableBytes <= m.totalBytes);
  assert.ok(m.freeBytes <= m.availableBytes + 0.05 * m.totalBytes);

  const c = new MemoryCollector();
  await c.start(context());
  const { memory } = await c.snapshot(0);
  await c.stop();
  assert.ok(memory);
  assert.equal(memory.totalBytes, os.totalmem());
  assert.ok(memory.usedPct > 0 && memory.usedPct < 100);
  assert.ok(memory.psi, '/proc/pressure/memory exists on this kernel');
});

test('growth rate over a window in which a child allocates and holds 512 MiB', async () => {
  const c = new MemoryCollector();
  await c.start(context());
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `globalThis.held = Buffer.alloc(512 * 1024 * 1024, 1); console.log('allocated'); setInterval(() => {}, 1e6);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child did not allocate within 20 s')), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('allocated')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const { memory } = await c.snapshot((performance.now() - startedAt) * 1e6);
    const elapsedSec = (performance.now() - startedAt) / 1000;
    assert.ok(memory);
    // Host-wide used memory also moves with everything else running (a parallel build frees or takes a
    // few hundred MiB), so the buffer is large and the check is the order of magnitude: the growth over the
    // window is within 0.5×…2× of what the child holds (its resident set: the 512 MiB buffer plus node).
    const rssBytes =
      Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1]) * 1024;
    const grownBytes = memory.growthRateBytesPerSec * elapsedSec;
    assert.ok(rssBytes >= 512 * MiB, `child rss ${rssBytes}`);
    assert.ok(memory.growthRateBytesPerSec > 0, `growth ${memory.growthRateBytesPerSec} B/s`);
    assert.ok(
      grownBytes > 0.5 * rssBytes && grownBytes < 2 * rssBytes,
      `grew ~${(grownBytes / MiB).toFixed(0)} MiB while the child holds ${(rssBytes / MiB).toFixed(0)} MiB`,
    );
  } finally {
    await c.stop();
    await killAndWait(child);
  }
});
