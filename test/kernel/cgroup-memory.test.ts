// Real cgroup v1 memory controller (this machine has no v2 memory controller; v2 is covered from its
// documented file format in test/unit/collectors/cgroup-memory.test.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CgroupMemoryCollector } from '../../src/collectors/cgroup-memory.js';
import type { CollectorContext } from '../../src/collectors/types.js';
import type { CgroupMemoryEntry } from '../../src/signals/types.js';
import { requireKernel } from '../helpers/kernel.js';

const V1_MEMORY = '/sys/fs/cgroup/memory';
const MiB = 1024 * 1024;

/** A node child that prints "ready", then runs `onGo` when a line arrives on stdin and prints `doneWord`. */
function spawnChild(
  onGo: string,
  doneWord: string,
): { child: ChildProcess; waitFor: (word: string) => Promise<void> } {
  const script =
    `process.stdout.write('ready\\n');` +
    `process.stdin.once('data', () => { ${onGo}; process.stdout.write('${doneWord}\\n'); setInterval(() => {}, 1e6); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const seen: string[] = [];
  const waiters: { word: string; resolve: () => void }[] = [];
  lines.on('line', (l) => {
    seen.push(l);
    for (const w of waiters.filter((x) => x.word === l)) w.resolve();
  });
  const waitFor = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (seen.includes(word)) return resolve();
      const timer = setTimeout(() => reject(new Error(`child did not print "${word}" within 20 s`)), 20_000);
      waiters.push({ word, resolve: () => (clearTimeout(timer), resolve()) });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${word}"`)));
    });
  return { child, waitFor };
}

async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function context(): CollectorContext & { faults: unknown[] } {
  const faults: unknown[] = [];
  return { signal: new AbortController().signal, fault: (e) => faults.push(e), log: () => {}, faults };
}

async function readNumber(path: string): Promise<number> {
  return Number((await readFile(path, 'utf8')).trim());
}

function findEntry(entries: CgroupMemoryEntry[], rel: string): CgroupMemoryEntry {
  const e = entries.find((x) => x.cgroupPath === rel);
  assert.ok(e, `no entry for ${rel}; got ${entries.length} entries`);
  return e;
}

before(() => requireKernel());

const cgroups: string[] = [];
const children: ChildProcess[] = [];
const files: string[] = [];
after(async () => {
  for (const c of children) await killAndWait(c);
  for (const f of files) await rm(f, { force: true });
  const left: string[] = [];
  for (const dir of cgroups) {
    try {
      await rmdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(`${dir}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(left, [], 'test cgroups removed');
});

async function makeCgroup(limitBytes: number): Promise<{ dir: string; rel: string }> {
  const name = `kerno-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const dir = `${V1_MEMORY}/${name}`;
  await mkdir(dir);
  cgroups.push(dir);
  await writeFile(`${dir}/memory.limit_in_bytes`, String(limitBytes));
  return { dir, rel: `/${name}` };
}

test('v1 cgroup with a 64 MiB limit holding a 40 MiB allocation', async () => {
  const { dir, rel } = await makeCgroup(64 * MiB);
  const { child, waitFor } = spawnChild('globalThis.held = Buffer.alloc(40 * 1024 * 1024, 1)', 'allocated');
  children.push(child);
  const collector = new CgroupMemoryCollector({
    root: V1_MEMORY,
    pollIntervalMs: 60_000,
    maxEntries: 100_000,
  });
  try {
    await waitFor('ready');
    // Charges follow allocations made after the move (v1 does not move existing charges by default), so the
    // cgroup's usage is the 40 MiB buffer plus what node allocates while handling the "go" line.
    await writeFile(`${dir}/cgroup.procs`, String(child.pid));
    child.stdin!.write('go\n');
    await waitFor('allocated');

    const ctx = context();
    await collector.start(ctx);
    const usageBefore = await readNumber(`${dir}/memory.usage_in_bytes`);
    const { cgroupMemory } = await collector.snapshot(0);
    const usageAfter = await readNumber(`${dir}/memory.usage_in_bytes`);
    assert.ok(cgroupMemory);
    assert.equal(cgroupMemory.root, V1_MEMORY);
    const e = findEntry(cgroupMemory.containers, rel);

    assert.equal(e.version, 1);
    assert.equal(e.limitBytes, 64 * MiB);
    // The kernel's own figure, read just before and just after the snapshot: usage can move by a few pages
    // in between (node's heap), so allow 2 points (1.28 MiB) around either read.
    const pctBefore = (usageBefore / (64 * MiB)) * 100;
    const pctAfter = (usageAfter / (64 * MiB)) * 100;
    assert.ok(
      Math.abs(e.usedPct - pctBefore) <= 2 || Math.abs(e.usedPct - pctAfter) <= 2,
      `used% ${e.usedPct} vs usage_in_bytes ${pctBefore}..${pctAfter}`,
    );
    // The known allocation: 40/64 = 62.5 %. The 2-point (1.28 MiB) margin covers what the child charges
    // besides the buffer after the move: page tables, slab, and the V8 heap growth from running the handler
    // (measured here: about 0.25 MiB).
    assert.ok(Math.abs(e.usedPct - 62.5) <= 2, `used% ${e.usedPct} vs 62.5 for 40 MiB of 64 MiB`);
    assert.ok(e.currentBytes >= 40 * MiB, 'the touched buffer is charged in full');

    assert.equal(e.failcnt, await readNumber(`${dir}/memory.failcnt`));
    const oomControl = await readFile(`${dir}/memory.oom_control`, 'utf8');
    assert.equal(e.underOom, /under_oom 1/.test(oomControl));
    assert.equal(e.underOom, false);
    assert.equal(e.events.oomKill, Number(/oom_kill (\d+)/.exec(oomControl)?.[1]));
    assert.equal(e.highBytes, 0);
    assert.deepEqual(ctx.faults, []);
  } finally {
    await collector.stop();
    await killAndWait(child);
  }
});

test('v1 cgroup hitting its limit through page cache: failcnt rises over the window', async () => {
  const { dir, rel } = await makeCgroup(32 * MiB);
  // 96 MiB of file writes into a 32 MiB cgroup: reclaimable page cache, so no OOM, but every charge that
  // meets the limit bumps memory.failcnt before reclaim makes room.
  const file = `/var/tmp/kerno-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const write =
    `const fs = require('fs'); const chunk = Buffer.alloc(1 << 20, 7); const fd = fs.openSync('${file}', 'w');` +
    `for (let i = 0; i < 96; i++) fs.writeSync(fd, chunk); fs.closeSync(fd); fs.unlinkSync('${file}')`;
  files.push(file);
  const { child, waitFor } = spawnChild(write, 'written');
  children.push(child);
  const collector = new CgroupMemoryCollector({
    root: V1_MEMORY,
    pollIntervalMs: 60_000,
    maxEntries: 100_000,
  });
  try {
    await waitFor('ready');
    await writeFile(`${dir}/cgroup.procs`, String(child.pid));
    await collector.start(context());
    const startedAt = performance.now();
    child.stdin!.write('go\n');
    await waitFor('written');
    const { cgroupMemory } = await collector.snapshot((performance.now() - startedAt) * 1e6);
    assert.ok(cgroupMemory);
    const e = findEntry(cgroupMemory.containers, rel);
    const failcnt = await readNumber(`${dir}/memory.failcnt`);
    assert.ok(failcnt > 0, 'the kernel counted limit hits');
    assert.equal(e.failcnt, failcnt);
    assert.ok(e.failcntRatePerSec > 0, `failcnt rate ${e.failcntRatePerSec}`);
    assert.equal(e.underOom, false);
  } finally {
    await collector.stop();
    await killAndWait(child);
  }
});
