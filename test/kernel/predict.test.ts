// `kerno predict` against real leaks with a known exhaustion time: a process opening descriptors at a set
// rate under a set RLIMIT_NOFILE (the fd collector's BPF counts and /proc), and a v1 memory cgroup filled at
// a set rate under a set limit (the cgroup_memory collector). The truth is computed from the kernel's own
// figures read after the run (/proc/PID/fd, memory.usage_in_bytes) and the known rate; the predicted
// exhaustion time must be within ±30 % of the true time left. A flat workload must predict nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { requireKernel } from '../helpers/kernel.js';
import { spawnKerno } from '../unit/cli/helpers.js';
import type { Judged, Prediction } from '../../src/doctor/predict.js';

const V1_MEMORY = '/sys/fs/cgroup/memory';
const MiB = 1024 * 1024;
/** 7 snapshots 2 s apart: the engine needs 5 points, so two may be missed on a busy host. */
const PREDICT_ARGS = ['predict', '--samples', '7', '--interval', '2s', '-o', 'json'];
const MAX_ERROR = 0.3;

interface PredictJson {
  windowEnd: string;
  snapshots: number;
  predictions: (Prediction & { exhaustedAt: string })[];
  judged: Judged[];
}

before(() => requireKernel());

const children: ChildProcess[] = [];
const cgroups: string[] = [];
const files: string[] = [];
after(async () => {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
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

/** Spawns `argv`, resolving once it prints `ready`; it starts its work on a line on stdin. */
async function spawnReady(argv: string[]): Promise<ChildProcess> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv[0]} did not print "ready" within 20 s`)), 20_000);
    lines.on('line', (l) => {
      if (l === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${argv[0]} exited (${code}) before "ready"`)));
  });
  return child;
}

async function runPredict(): Promise<PredictJson> {
  const o = await spawnKerno(PREDICT_ARGS, { timeoutMs: 150_000 });
  assert.equal(o.code, 0, `kerno predict exit ${o.code}: ${o.stderr}`);
  return JSON.parse(o.stdout) as PredictJson;
}

async function fdCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** The churner's held count: the least of a few reads, since one may catch its short-lived extra fd. */
async function heldFds(pid: number): Promise<number> {
  const reads: number[] = [];
  for (let i = 0; i < 5; i++) reads.push(await fdCount(pid));
  return Math.min(...reads);
}

async function makeCgroup(tag: string, limitBytes: number): Promise<{ dir: string; rel: string }> {
  const name = `kerno-test-predict-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = `${V1_MEMORY}/${name}`;
  await mkdir(dir);
  cgroups.push(dir);
  await writeFile(`${dir}/memory.limit_in_bytes`, String(limitBytes));
  return { dir, rel: `/${name}` };
}

/**
 * The predicted exhaustion time against the true one, relative to the true time left when the prediction
 * was made. `truthAtMs` is when the resource really runs out, from a kernel reading and the known rate.
 */
function etaError(p: PredictJson['predictions'][number], windowEnd: string, truthAtMs: number): number {
  const trueLeftMs = truthAtMs - Date.parse(windowEnd);
  assert.ok(trueLeftMs > 0, 'the resource ran out during the run: the test parameters are wrong');
  return Math.abs(Date.parse(p.exhaustedAt) - truthAtMs) / trueLeftMs;
}

test('an fd leaker under a known RLIMIT_NOFILE: ETA within ±30 % of the true time to exhaustion', async (t) => {
  const rate = 100; // fds per second
  // ~160 s to exhaustion: room for a predict run slowed down by a loaded host (measured: 20-40 s).
  const limit = 16384;
  // The target count follows the clock, so timer jitter on a busy host does not change the rate.
  const script =
    `const fs = require('fs'); const held = [];` +
    `process.stdout.write('ready\\n');` +
    `process.stdin.once('data', () => { const t0 = Date.now();` +
    ` setInterval(() => { const want = Math.floor(${rate} * (Date.now() - t0) / 1000);` +
    `  while (held.length < want) { try { held.push(fs.openSync('/dev/null', 'r')); } catch { break; } } }, 10); });`;
  const child = await spawnReady([process.execPath, '-e', script]);
  execFileSync('prlimit', ['--pid', String(child.pid), `--nofile=${limit}:${limit}`]);
  child.stdin!.write('go\n');

  const out = await runPredict();
  const nowMs = Date.now();
  const held = await fdCount(child.pid!);
  const truthAtMs = nowMs + ((limit - held) / rate) * 1000;

  const p = out.predictions.find((x) => x.kind === 'fd' && x.subject === `pid ${child.pid}`);
  const seen = out.judged.find((x) => x.kind === 'fd' && x.subject === `pid ${child.pid}`);
  assert.ok(p, `no fd prediction for the leaker (pid ${child.pid}); judged: ${JSON.stringify(seen)}`);
  assert.equal(p.limit, limit);
  const err = etaError(p, out.windowEnd, truthAtMs);
  t.diagnostic(
    `fd: ETA ${(p.etaNs / 1e9).toFixed(1)} s, true ${((truthAtMs - Date.parse(out.windowEnd)) / 1000).toFixed(1)} s, ` +
      `error ${(err * 100).toFixed(1)} %; trend ${p.trendPerSec.toFixed(1)}/s (true ${rate}), ` +
      `R² ${p.confidence.toFixed(4)}, ${p.points}/${out.snapshots} points, urgency ${p.urgency}`,
  );
  assert.ok(err <= MAX_ERROR, `ETA error ${(err * 100).toFixed(1)} % > ${MAX_ERROR * 100} %`);
  assert.ok(Math.abs(p.trendPerSec - rate) / rate <= MAX_ERROR, `trend ${p.trendPerSec}/s vs ${rate}/s`);
});

test('a memory cgroup filling at a known rate: ETA within ±30 % of the true time to its limit', async (t) => {
  const rate = 2 * MiB; // bytes per second
  // ~128 s to the limit, for the same reason; at most ~100 MiB is allocated before the test ends.
  const limit = 256 * MiB;
  const { dir, rel } = await makeCgroup('fill', limit);
  // Touched (filled) buffers are charged when allocated; the target follows the clock, as above.
  const script =
    `const held = []; process.stdout.write('ready\\n');` +
    `process.stdin.once('data', () => { const t0 = Date.now(); let bytes = 0;` +
    ` setInterval(() => { const want = ${rate} * (Date.now() - t0) / 1000;` +
    `  while (bytes + 65536 <= want) { held.push(Buffer.alloc(65536, 1)); bytes += 65536; } }, 20); });`;
  const child = await spawnReady([process.execPath, '-e', script]);
  // v1 charges what is allocated after the move, so usage starts near zero and grows at the set rate.
  await writeFile(`${dir}/cgroup.procs`, String(child.pid));
  child.stdin!.write('go\n');

  const out = await runPredict();
  const nowMs = Date.now();
  const usage = Number((await readFile(`${dir}/memory.usage_in_bytes`, 'utf8')).trim());
  const truthAtMs = nowMs + ((limit - usage) / rate) * 1000;

  const p = out.predictions.find((x) => x.kind === 'cgroup_memory' && x.subject === `v1:${rel}`);
  const seen = out.judged.find((x) => x.kind === 'cgroup_memory' && x.subject === `v1:${rel}`);
  assert.ok(p, `no cgroup_memory prediction for ${rel}; judged: ${JSON.stringify(seen)}`);
  assert.equal(p.limit, limit);
  assert.equal(p.limitSource, 'memory.limit_in_bytes');
  const err = etaError(p, out.windowEnd, truthAtMs);
  t.diagnostic(
    `cgroup memory: ETA ${(p.etaNs / 1e9).toFixed(1)} s, true ${((truthAtMs - Date.parse(out.windowEnd)) / 1000).toFixed(1)} s, ` +
      `error ${(err * 100).toFixed(1)} %; trend ${(p.trendPerSec / MiB).toFixed(2)} MiB/s (true ${rate / MiB}), ` +
      `R² ${p.confidence.toFixed(4)}, ${p.points}/${out.snapshots} points, urgency ${p.urgency}`,
  );
  assert.ok(err <= MAX_ERROR, `ETA error ${(err * 100).toFixed(1)} % > ${MAX_ERROR * 100} %`);
});

test('a flat workload predicts nothing: a cgroup holding 32 MiB and a process holding 64 fds', async (t) => {
  const { dir, rel } = await makeCgroup('flat', 128 * MiB);
  const file = `/dev/shm/kerno-test-predict-flat-${process.pid}`;
  files.push(file);
  // tmpfs pages are charged to the writer's cgroup and stay there; `sleep` allocates nothing after.
  await spawnReady([
    'sh',
    '-c',
    `echo $$ > ${dir}/cgroup.procs && head -c ${32 * MiB} /dev/zero > ${file} && echo ready && exec sleep 600`,
  ]);
  // 64 descriptors held, and one opened and closed every 10 ms so the fd collector sees the process.
  const script =
    `const fs = require('fs'); const held = []; for (let i = 0; i < 64; i++) held.push(fs.openSync('/dev/null', 'r'));` +
    `process.stdout.write('ready\\n');` +
    `setInterval(() => fs.closeSync(fs.openSync('/dev/null', 'r')), 10);`;
  const churner = await spawnReady([process.execPath, '-e', script]);
  const fdsBefore = await heldFds(churner.pid!);

  const out = await runPredict();
  const fdsAfter = await heldFds(churner.pid!);
  assert.equal(fdsAfter, fdsBefore, 'the churner held its descriptors constant');

  const cgroup = `v1:${rel}`;
  const fdSubject = `pid ${churner.pid}`;
  assert.deepEqual(
    out.predictions.filter((p) => p.subject === cgroup || p.subject === fdSubject),
    [],
    'no prediction for the flat cgroup or the flat process',
  );
  // The cgroup is always observed (every limited cgroup is): it was looked at and judged flat.
  const judged = out.judged.find((j) => j.kind === 'cgroup_memory' && j.subject === cgroup);
  assert.ok(judged, `the flat cgroup ${rel} was not observed`);
  assert.ok(judged.points >= 5, `the flat cgroup has ${judged.points} points`);
  assert.ok(judged.reason === 'not_growing' || judged.reason === 'poor_fit', judged.reason);
  // The fd collector reads counts for its top 5 processes by growth: on a busy host a flat one may not be.
  const fdJudged = out.judged.find((j) => j.kind === 'fd' && j.subject === fdSubject);
  t.diagnostic(
    `flat cgroup: ${judged.reason}, ${judged.points} points, trend ${judged.trendPerSec?.toFixed(1)} B/s, ` +
      `R² ${judged.confidence?.toFixed(3)}; flat process: ${fdJudged ? `${fdJudged.reason}, ${fdJudged.points} points` : 'not among the top fd processes'}`,
  );
});
