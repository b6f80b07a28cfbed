// Shared pieces of the end-to-end tests: a chaos scenario running in its own process (test/e2e/run-scenario.ts),
// `kerno doctor` run exactly as an operator runs it (default configuration, JSON output), the production
// threshold each finding must quote, and the check that no chaos resource is left on the host.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosSubject, Inducer, Intensity, ScenarioResult } from '../../src/chaos/index.js';
import { parseNftTables } from '../../src/chaos/cleanup.js';
import { readStates } from '../../src/chaos/journal.js';
import { NAME_PREFIX, NFT_PREFIX, runIdOfName } from '../../src/chaos/names.js';
import type { Finding, Report } from '../../src/doctor/types.js';
import type { RunnerLine } from './run-scenario.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const RUNNER = join(REPO, 'test', 'e2e', 'run-scenario.ts');
const KERNO = join(REPO, 'bin', 'kerno.ts');
export const DOCTOR_WINDOW_S = 10;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Environment for the processes the tests start. No KERNO_* variable (they would override the production
 * defaults: thresholds, KERNO_CGROUP_ROOT …). ESBUILD_WORKER_THREADS=0 makes tsx compile in-process instead
 * of keeping an esbuild service child that waits in read() on its stdin pipe: that child exists only because
 * the tests run TypeScript sources; an installed kerno runs compiled JavaScript and has no such child.
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KERNO_')) env[k] = v;
  env.ESBUILD_WORKER_THREADS = '0';
  return env;
}

/** Config files doctor would pick up on its own (src/config/load.ts): none may exist, or the run is not "default". */
export function assertDefaultConfig(): void {
  const found = [
    '/etc/kerno/config.yaml',
    join(homedir(), '.kerno', 'config.yaml'),
    join(REPO, 'config.yaml'),
  ].filter((f) => existsSync(f));
  if (found.length > 0) {
    throw new Error(
      `e2e tests run doctor with its production defaults, but a config file would override them: ${found.join(', ')}`,
    );
  }
}

// ------------------------------------------------------------------------------------------ processes

function startTime(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

function aliveSince(pid: number, start: number | undefined): boolean {
  if (start === undefined) return false;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return rest[0] !== 'Z' && Number(rest[19]) === start;
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// ------------------------------------------------------------------------------------------ scenario runner

export interface ScenarioRun {
  name: string;
  child: ChildProcess;
  subjects: ChaosSubject[];
  /** Process subjects with the start time read when they were announced (to check they are gone later). */
  processes: Map<number, number | undefined>;
  result?: ScenarioResult;
  stderr(): string;
  /** Resolves with the first subject satisfying `pred`; rejects if the runner exits first or on timeout. */
  waitFor(pred: (s: ChaosSubject) => boolean, what: string, timeoutMs?: number): Promise<ChaosSubject>;
  running(): boolean;
  /** SIGTERM, then wait for the scenario to clean up and exit (SIGKILL after `graceMs`). Idempotent. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startScenario(
  name: string,
  seconds: number,
  intensity: Intensity,
  inducer: Inducer = 'kerno-worker',
): ScenarioRun {
  const args = [RUNNER, name, String(seconds), intensity, inducer];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let buf = '';
  const waiters = new Set<() => void>();
  const run: ScenarioRun = {
    name,
    child,
    subjects: [],
    processes: new Map(),
    stderr: () => err,
    running: () => child.exitCode === null && child.signalCode === null,
    waitFor(pred, what, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const s = run.subjects.find(pred);
          if (s !== undefined) {
            resolve(s);
            return true;
          }
          if (!run.running()) {
            reject(new Error(`chaos ${name} exited before ${what}:\n${err.slice(-2000)}`));
            return true;
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.delete(fn);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what} from chaos ${name}:\n${err.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        const fn = () => {
          if (check()) {
            clearTimeout(timer);
            waiters.delete(fn);
          }
        };
        waiters.add(fn);
      });
    },
    async stop(graceMs = 60_000) {
      if (run.running()) child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await waitExit(child);
      } finally {
        clearTimeout(kill);
      }
    },
  };
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = JSON.parse(buf.slice(0, nl)) as RunnerLine;
      buf = buf.slice(nl + 1);
      if (line.type === 'subject') {
        run.subjects.push(line.subject);
        if (line.subject.kind === 'process') run.processes.set(line.subject.pid, startTime(line.subject.pid));
      } else run.result = line.result;
    }
    for (const w of [...waiters]) w();
  });
  child.on('exit', () => {
    for (const w of [...waiters]) w();
  });
  return run;
}

/** The run id, from the result or from any subject that embeds it (kerno-chaos-<tag>-<id>, kerno-chaos-<id>). */
export function runIdOf(run: ScenarioRun): string | undefined {
  if (run.result) return run.result.runId;
  for (const s of run.subjects) {
    const name =
      s.kind === 'cgroup' ? s.path.split('/').pop() : s.kind === 'connection' ? s.netns : undefined;
    const id = name !== undefined ? runIdOfName(name) : undefined;
    if (id !== undefined) return id;
  }
  return /kerno-chaos-(?:[a-z]+-)?([0-9a-f]{8})\b/.exec(run.stderr())?.[1];
}

/** Stops the scenario and returns every problem with its teardown (empty when all is gone). */
export async function stopAndVerifyCleanup(run: ScenarioRun): Promise<string[]> {
  const exit = await run.stop();
  const problems: string[] = [];
  if (exit.code !== 0)
    problems.push(`runner exited with ${exit.code ?? exit.signal}:\n${run.stderr().slice(-3000)}`);
  for (const [pid, start] of run.processes)
    if (aliveSince(pid, start)) problems.push(`scenario process ${pid} still running`);
  problems.push(...leftovers());
  return problems;
}

// ------------------------------------------------------------------------------------------ leftovers

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Run ids whose owner (a chaos run in another process, e.g. someone's `kerno chaos`) is still alive. */
function liveForeignRuns(): Set<string> {
  const live = new Set<string>();
  for (const { state } of readStates()) {
    if (state && state.owner.pid !== process.pid && aliveSince(state.owner.pid, state.owner.startTime))
      live.add(state.id);
  }
  return live;
}

/**
 * Every kerno-chaos-* network namespace, kerno_chaos_* nft table, kc<id>h/n link and kerno-chaos-* memory or
 * pressure cgroup on the host, except those of a chaos run still in progress in another process.
 */
export function leftovers(): string[] {
  const live = liveForeignRuns();
  const foreign = (name: string) => {
    const id = runIdOfName(name);
    return id !== undefined && live.has(id);
  };
  const out: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(NAME_PREFIX) && !foreign(n));
  out.push(...netns.map((n) => `network namespace ${n}`));
  const tables = parseNftTables(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).filter(
    (t) => t.name.startsWith(NFT_PREFIX) && !foreign(t.name),
  );
  out.push(...tables.map((t) => `nft table ${t.family} ${t.name}`));
  const links = safeReaddir('/sys/class/net').filter(
    (n) => /^kc[0-9a-f]{8}[hn]$/.test(n) && !live.has(n.slice(2, 10)),
  );
  out.push(...links.map((n) => `link ${n}`));
  for (const root of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/blkio']) {
    const dirs = safeReaddir(root).filter((n) => n.startsWith(NAME_PREFIX) && !foreign(n));
    out.push(...dirs.map((n) => `cgroup ${join(root, n)}`));
  }
  return out;
}

// ------------------------------------------------------------------------------------------ doctor

export interface DoctorRun {
  /** The doctor process (gone by now). */
  pid: number;
  report: Report;
  elapsedMs: number;
  stderr: string;
}

/** `kerno doctor --duration 10s --output json`, default configuration, from the source tree. */
export async function runDoctor(): Promise<DoctorRun> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', KERNO, 'doctor', '--duration', `${DOCTOR_WINDOW_S}s`, '--output', 'json'],
    { cwd: REPO, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = await waitExit(child);
  clearTimeout(kill);
  const elapsedMs = performance.now() - t0;
  if (exit.code !== 0) throw new Error(`kerno doctor exited with ${exit.code ?? exit.signal}:\n${err}`);
  let report: Report;
  try {
    report = JSON.parse(out) as Report;
  } catch (e) {
    throw new Error(
      `kerno doctor printed no JSON report (${(e as Error).message}):\n${out.slice(0, 500)}\n${err}`,
    );
  }
  return { pid: child.pid!, report, elapsedMs, stderr: err };
}

/** Collectors that did not observe the whole window: a missing finding there is "no data", not "no problem". */
export function coverageGaps(report: Report): string[] {
  return report.coverage
    .filter((c) => c.state !== 'ok' || c.eventsDropped > 0 || c.restarts > 0)
    .map(
      (c) =>
        `${c.name}: ${c.state}${c.eventsDropped > 0 ? `, ${c.eventsDropped} events dropped` : ''}${c.restarts > 0 ? `, ${c.restarts} restarts` : ''}${c.error ? ` (${c.error})` : ''}`,
    );
}

/** One finding on one line plus its evidence, for diagnostics and failure messages. */
export function describeFinding(f: Finding): string {
  const who = f.subject !== '' ? f.subject : '(host-wide)';
  const proc = f.pid !== undefined ? ` pid ${f.pid}` : '';
  return (
    `${f.rule} ${f.severity} ${who}${f.process !== undefined ? ` [${f.process}${proc}]` : ''}: ` +
    `${f.metric} ${round(f.value)} vs threshold ${round(f.threshold)}\n      ${f.evidence.join('\n      ')}`
  );
}

export function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

export const isAlarm = (f: Finding) => f.severity === 'warning' || f.severity === 'critical';
