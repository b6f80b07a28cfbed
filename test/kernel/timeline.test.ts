// Onsets and `doctor --watch` against real incidents with a known start (issue 18). The incidents are the
// chaos scenarios' own workloads, started at chosen offsets into a real doctor window; the ground truth is
// the moment each workload's worker reported itself ready, measured outside the doctor.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { runScenario, type ScenarioResult } from '../../src/chaos/index.js';
import { ChaosSession } from '../../src/chaos/session.js';
import { ensureWorkerBinary } from '../../src/chaos/worker.js';
import { syscallErrorRate } from '../../src/chaos/scenarios/syscall-errors.js';
import { fdLeakRate } from '../../src/chaos/scenarios/fd-leak.js';
import { loadConfig } from '../../src/config/index.js';
import { Collection } from '../../src/runtime/collection.js';
import { createLogger } from '../../src/runtime/log.js';
import { startOnsetSampling } from '../../src/runtime/onset-sampler.js';
import { evaluate, evaluateDetailed, buildReport } from '../../src/doctor/engine.js';
import type { Finding } from '../../src/doctor/types.js';
import { ALL_RULES } from '../../rules/index.js';
import { cleanEnv, REPO } from '../unit/cli/helpers.js';

before(() => requireKernel());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (ms: number) => sleep(Math.max(0, ms - Date.now()));

interface Started {
  /** Epoch ms the workload was running (the worker said it was ready). */
  startedAtMs: number;
  pid: number;
}

/**
 * One scenario's workload (the same C worker, mode and rate `kerno chaos --induce` uses), started through
 * the chaos session so it is kerno-named, journalled and removed by session.close(). Started in this
 * process without the scenario runner's start-up sweep, so the incident begins when the test says.
 */
async function startWorkload(
  session: ChaosSession,
  mode: 'syscall-errors' | 'fd-leak',
  args: Record<string, string | number>,
  comm: string,
): Promise<Started> {
  const w = session.startWorker({ mode, comm, args });
  await w.ready();
  return { startedAtMs: Date.now(), pid: w.pid };
}

test('onsets: a syscall-error storm at ~2 s and an fd leak at ~6 s are ordered and within ±2 s of their start', async () => {
  const { config } = loadConfig({ env: process.env });
  // The worker binary is built (or found) before the window: its cost is not the incident's.
  const session = new ChaosSession('timeline-test', 30e9, await ensureWorkerBinary());
  const scratch = join(tmpdir(), session.name('fd'));
  session.register({ kind: 'path', path: scratch });
  mkdirSync(scratch);
  const collection = new Collection({ config, logger: createLogger({ level: 'error' }), env: process.env });
  await collection.start();
  const t0 = collection.windowStartMs;
  const WINDOW_MS = 11_000;
  const sampling = startOnsetSampling({
    snapshot: () => collection.snapshot(),
    evaluate: (s) => evaluate(s, ALL_RULES, config.doctor.thresholds),
    startMs: t0,
    endMs: t0 + WINDOW_MS,
  });
  let storm: Started | undefined;
  let leak: Started | undefined;
  try {
    // Given a syscall-error storm from t≈2 s and an fd leak from t≈6 s, both running to the window end
    await sleepUntil(t0 + 2_000);
    storm = await startWorkload(
      session,
      'syscall-errors',
      { rate: syscallErrorRate('medium') },
      'kchaos-syserr',
    );
    await sleepUntil(t0 + 6_000);
    leak = await startWorkload(
      session,
      'fd-leak',
      { rate: fdLeakRate('medium'), 'socket-every': 5, file: join(scratch, 'leak-target') },
      'kchaos-fdleak',
    );
    await sleepUntil(t0 + WINDOW_MS);
    await sampling.stop();
    // When the window is diagnosed as `kerno doctor` does
    const signals = await collection.snapshot();
    const ev = evaluateDetailed(signals, ALL_RULES, config.doctor.thresholds);
    const findings = sampling.sampler.withOnsets(ev.findings, Date.parse(signals.windowEnd));
    const report = buildReport(signals, findings, { version: 'test' });

    const leakPid = leak.pid;
    const stormF = findings.find((f) => f.rule === 'syscall_error_rate' && f.process === 'kchaos-syserr');
    const leakF = findings.find((f) => f.rule === 'fd_leak' && f.pid === leakPid);
    const describe = (fs: Finding[]) => fs.map((f) => `${f.rule}/${f.subject}@${f.onset}`).join(', ');
    assert.ok(stormF, `syscall_error_rate for kchaos-syserr among: ${describe(findings)}`);
    assert.ok(leakF, `fd_leak for pid ${leakPid} among: ${describe(findings)}`);

    // Then each onset is within ±2 s of its workload's real start, and the storm comes first
    const stormStart = storm.startedAtMs;
    const leakStart = leak.startedAtMs;
    const stormOnset = Date.parse(stormF.onset!);
    const leakOnset = Date.parse(leakF.onset!);
    console.log(
      `storm started +${stormStart - t0} ms, onset +${stormOnset - t0} ms; ` +
        `leak started +${leakStart - t0} ms, onset +${leakOnset - t0} ms; ` +
        `${sampling.sampler.ticks.length} ticks, snapshot wall/CPU ms: ${sampling.sampler.ticks.map((t) => `${Math.round(t.snapshotMs)}/${Math.round(t.cpuMs)}`).join(' ')}`,
    );
    assert.ok(Math.abs(stormOnset - stormStart) <= 2_000, `storm onset ${stormOnset - stormStart} ms off`);
    assert.ok(Math.abs(leakOnset - leakStart) <= 2_000, `leak onset ${leakOnset - leakStart} ms off`);
    assert.ok(stormOnset < leakOnset, 'the storm began before the leak');

    // And the report's timeline lists them in that order
    const events = report.timeline!.events;
    const iStorm = events.findIndex((e) => e.rule === 'syscall_error_rate' && e.subject === stormF.subject);
    const iLeak = events.findIndex((e) => e.rule === 'fd_leak' && e.subject === leakF.subject);
    assert.ok(iStorm >= 0 && iLeak > iStorm, 'timeline order: storm, then leak');
    // The sampling never ran into the final snapshot: the window is as long as asked, give or take a tick.
    assert.ok(report.durationNs / 1e6 < WINDOW_MS + 1_000, `window lasted ${report.durationNs / 1e6} ms`);
  } finally {
    await sampling.stop();
    await session.close();
    await collection.stop();
  }
});

interface WatchLine {
  cycle: number;
  findings: { status: string; finding: Finding }[];
}

test('doctor --watch --interval 2s: a storm that starts then stops shows NEW, then RESOLVED', async () => {
  const argv = [
    '--import',
    'tsx',
    join(REPO, 'bin/kerno.ts'),
    'doctor',
    '--watch',
    '--interval',
    '2s',
    '--duration',
    '40s',
    '-o',
    'json',
  ];
  const child = spawn(process.execPath, argv, {
    cwd: REPO,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: WatchLine[] = [];
  let stderr = '';
  let buf = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as WatchLine);
      buf = buf.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const nextLine = () => new Promise<void>((r) => waiters.push(r));
  const stopScenario = new AbortController();
  let storm: Promise<ScenarioResult> | undefined;
  const ours = (l: WatchLine) =>
    l.findings.find((e) => e.finding.rule === 'syscall_error_rate' && e.finding.process === 'kchaos-syserr');
  try {
    // Given the watch has produced its first window
    await Promise.race([nextLine(), exited]);
    assert.ok(lines.length >= 1, `a first window line; stderr: ${stderr}`);
    // When a storm runs for ~5 s and then stops
    storm = runScenario(
      'syscall-errors',
      { durationNs: 5e9, intensity: 'medium' },
      { signal: stopScenario.signal },
    );
    await storm;
    // Then, within a few windows after it stopped, its finding is RESOLVED
    const deadline = Date.now() + 12_000;
    while (!lines.some((l) => ours(l)?.status === 'resolved') && Date.now() < deadline) {
      await Promise.race([nextLine(), sleep(deadline - Date.now())]);
    }
  } finally {
    stopScenario.abort();
    await storm?.catch(() => undefined);
    child.kill('SIGINT');
  }
  const code = await exited;
  const statuses = lines.map((l) => `${l.cycle}:${ours(l)?.status ?? '-'}`);
  console.log(`watch windows (cycle:status of the storm's finding): ${statuses.join(' ')}`);
  const firstNew = lines.findIndex((l) => ours(l)?.status === 'new');
  const firstResolved = lines.findIndex((l) => ours(l)?.status === 'resolved');
  assert.ok(firstNew >= 0, `NEW seen: ${statuses.join(' ')}`);
  assert.ok(firstResolved > firstNew, `RESOLVED after NEW: ${statuses.join(' ')}`);
  // Between them only ONGOING (the finding never vanished and came back)
  for (const l of lines.slice(firstNew + 1, firstResolved)) assert.equal(ours(l)?.status, 'ongoing');
  assert.equal(code, 0, `exit status after Ctrl+C; stderr: ${stderr}`);
});
