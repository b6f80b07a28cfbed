// kerno's own cost in its output: against a known workload (N getppid calls inside the window), the
// report's selfCost gives the syscall programs at least N runs each, a run time, the share of one CPU that
// adds up, and leaves kernel.bpf_stats_enabled as it found it; the text report says it in its summary; the
// daemon exports the same counters.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { startWorkload } from '../helpers/workload.js';
import { cleanEnv, REPO } from '../unit/cli/helpers.js';
import { get, sampleValue, startDaemon } from './daemon-harness.js';
import type { SelfCost } from '../../src/signals/types.js';

before(() => requireKernel());

const N = 200_000;
const statsSysctl = (): string => readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();

/** True once process `pid` holds a loaded BPF program named `name` (its fds' prog_id, then the kernel's name). */
function holdsProgram(pid: number, name: string): boolean {
  const ids = new Set<number>();
  const dir = `/proc/${pid}/fdinfo`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^prog_id:\s+(\d+)$/m.exec(readFileSync(join(dir, fd), 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  if (ids.size === 0) return false;
  const progs = JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' })) as {
    id: number;
    name?: string;
  }[];
  return progs.some((p) => ids.has(p.id) && p.name === name);
}

/**
 * `kerno doctor` for a window with N getppid calls made inside it (after its syscall programs are attached
 * and the window is open); resolves with its stdout.
 */
async function doctorAround(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bin/kerno.ts'), 'doctor', ...args], {
    cwd: REPO,
    env: { ...cleanEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!holdsProgram(child.pid!, 'sys_exit') && !holdsProgram(child.pid!, 'sys_exit_hash')) {
    assert.ok(Date.now() < deadline, `doctor attached its syscall programs within 60 s (stderr: ${stderr})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The window opens right after the last collector attaches: give it that moment.
  await new Promise((r) => setTimeout(r, 1000));
  const w = startWorkload(['getppid', String(N)]);
  await w.run();
  await w.finish();
  const code = await exited;
  assert.equal(code, 0, `doctor exit code (stderr: ${stderr})`);
  return stdout;
}

test('doctor --output json: selfCost counts the syscall programs at least N times, with their run time', async (t) => {
  const sysctlBefore = statsSysctl();
  const report = JSON.parse(await doctorAround(['--duration', '6s', '--output', 'json'])) as {
    selfCost?: SelfCost;
    durationNs: number;
  };
  const c = report.selfCost;
  assert.ok(c, 'the report has selfCost');
  assert.equal(c.counted, true, `run time counted (${c.reason ?? ''})`);
  const syscall = c.programs.filter((p) => p.object === 'syscall' && p.runs > 0);
  t.diagnostic(
    `syscall programs: ${syscall.map((p) => `${p.program} ${p.runs} runs, ${p.avgNs.toFixed(0)} ns avg`).join('; ')}; ` +
      `total ${c.totalRuns} runs, ${(c.totalRunTimeNs / 1e6).toFixed(1)} ms = ${c.cpuPctOfOneCore.toFixed(3)}% of one CPU`,
  );
  // One enter and one exit program run per system call of every process: N getppid calls at least.
  const enter = syscall.find((p) => p.program.startsWith('sys_enter'));
  const exit = syscall.find((p) => p.program.startsWith('sys_exit'));
  assert.ok(enter && exit, `an enter and an exit program ran: ${syscall.map((p) => p.program).join(', ')}`);
  assert.ok(enter.runs >= N, `sys_enter ran ≥ ${N} times (${enter.runs})`);
  assert.ok(exit.runs >= N, `sys_exit ran ≥ ${N} times (${exit.runs})`);
  for (const p of [enter, exit]) {
    assert.ok(p.runTimeNs > 0, `${p.program} has a run time`);
    assert.ok(Math.abs(p.avgNs - p.runTimeNs / p.runs) < 1e-6, 'avgNs = runTimeNs / runs');
  }
  assert.equal(
    c.totalRunTimeNs,
    c.programs.reduce((n, p) => n + p.runTimeNs, 0),
  );
  assert.ok(Math.abs(c.cpuPctOfOneCore - (c.totalRunTimeNs / c.windowNs) * 100) < 1e-9);
  assert.ok(c.windowNs > 5e9 && c.windowNs < 20e9, `the window's length (${c.windowNs} ns)`);
  for (let i = 1; i < c.programs.length; i++) {
    assert.ok(c.programs[i - 1]!.runTimeNs >= c.programs[i]!.runTimeNs, 'busiest first');
  }
  assert.equal(statsSysctl(), sysctlBefore, 'kernel.bpf_stats_enabled left as it was');
});

test('runtime.bpf_stats: false leaves the statistics off and the report says they were not counted', async () => {
  const sysctlBefore = statsSysctl();
  const report = JSON.parse(
    await doctorAround(['--duration', '3s', '--output', 'json'], { KERNO_RUNTIME_BPF_STATS: 'false' }),
  ) as { selfCost?: SelfCost };
  const c = report.selfCost;
  assert.ok(c, 'the report still has selfCost (run counts and recursion misses need no statistics)');
  // Run time is counted only if something else on the host holds statistics on (the sysctl, or another
  // process's BPF_ENABLE_STATS handle, which the sysctl does not show); the report says which it was.
  if (c.counted) {
    assert.ok(c.totalRunTimeNs > 0, 'counted means run time was counted');
  } else {
    assert.equal(sysctlBefore, '0');
    assert.match(c.reason ?? '', /runtime\.bpf_stats: false/);
    assert.equal(c.totalRunTimeNs, 0, 'no run time without statistics');
    assert.ok(c.totalRuns === 0, 'nor run counts');
  }
  if (process.env.CI) assert.equal(c.counted, false, 'in CI nothing else holds BPF statistics on');
  assert.equal(statsSysctl(), sysctlBefore, 'kernel.bpf_stats_enabled left as it was');
});

test('the text report states kerno’s own overhead in its summary and lists the busiest programs', async () => {
  const text = await doctorAround(['--duration', '5s', '--output', 'plain', '--no-color']);
  assert.match(text, /kerno's probes used [\d.]+% of one CPU/, text);
  assert.match(text, /kerno's own probes: [\d,]+ runs, /);
  assert.match(text, /syscall\/sys_(enter|exit)/);
});

test('the daemon exports each program’s runs and run seconds', async () => {
  const d = await startDaemon({ args: ['--interval', '60s'] });
  try {
    const w = startWorkload(['getppid', String(N)]);
    await w.run();
    await w.finish();
    const m = (await get(`${d.url}/metrics`)).body;
    const names = [...m.matchAll(/^kerno_bpf_program_runs_total\{program="([^"]+)"\}/gm)].map((x) => x[1]!);
    const exit = names.find((n) => /^syscall\/sys_exit/.test(n));
    assert.ok(exit, `a syscall exit program among ${names.join(', ')}`);
    assert.ok((sampleValue(m, 'kerno_bpf_program_runs_total', { program: exit }) ?? 0) >= N);
    assert.ok((sampleValue(m, 'kerno_bpf_program_run_seconds_total', { program: exit }) ?? 0) > 0);
    assert.notEqual(sampleValue(m, 'kerno_bpf_program_recursion_misses_total', { program: exit }), undefined);
  } finally {
    await d.stop();
  }
});
