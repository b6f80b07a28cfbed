// The fault boundary end to end, in the real `kerno doctor` process: one collector faults (injected through
// KERNO_FAULT_INJECT) and is restarted from its factory while the others keep collecting correct data, and
// a collector that hangs in stop() does not hold the exit beyond the stop timeout.
//
// Ground truth comes from outside kerno: a known syscall workload (exactly 20 000 getppid calls),
// /proc/meminfo, and the BPF links the child holds (/proc/<pid>/fdinfo) to know when the window opened.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { startWorkload } from '../helpers/workload.js';
import { packageRoot } from '../../src/bpf/paths.js';
import type { CollectorCoverage, Signals } from '../../src/signals/types.js';

before(() => requireKernel());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The supervisor's default stop timeout (runtime.stop_timeout, 2 s). */
const STOP_TIMEOUT_MS = 2_000;
/**
 * Fixed start-up + snapshot + render + exit cost of `doctor --duration 2s` under tsx, beyond the window.
 * Measured on this machine kind (2 cores) without any fault: 1.5 s warm and idle, 2.8 s with other test
 * suites running beside it, 3.7 s on the first run of a cold tsx cache (wall 3.5 / 4.8 / 5.7 s for a 2 s
 * window); the baseline test below prints the figure of each run. The allowance is generous so a busy
 * machine does not fail the test; what it bounds is that a hung stop costs the stop timeout, not forever.
 */
const STARTUP_ALLOWANCE_MS = 8_000;

interface DoctorRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

interface DoctorReport {
  coverage: CollectorCoverage[];
  signals: Signals;
}

interface Child {
  child: ChildProcess;
  pid: number;
  done: Promise<DoctorRun>;
  kill(): void;
}

/** Runs the real `kerno doctor` (bin/kerno.ts under tsx, or KERNO_TEST_ENTRY) as a child process. */
function spawnDoctor(duration: string, env: Record<string, string> = {}): Child {
  const root = packageRoot();
  const entry = process.env.KERNO_TEST_ENTRY ?? join(root, 'bin', 'kerno.ts');
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', entry, 'doctor', '--duration', duration, '--output', 'json'],
    {
      cwd: root,
      env: { ...process.env, KERNO_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<DoctorRun>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, wallMs: Date.now() - t0 })),
  );
  return {
    child,
    pid: child.pid!,
    done,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Resolves with the run, or kills the child by its PID and fails after `ms`. */
async function within(c: Child, ms: number): Promise<DoctorRun> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      c.kill();
      reject(new Error(`kerno doctor (pid ${c.pid}) did not exit within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([c.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseReport(run: DoctorRun): DoctorReport {
  assert.equal(run.code, 0, `doctor exit code (stderr:\n${run.stderr})`);
  try {
    return JSON.parse(run.stdout) as DoctorReport;
  } catch (err) {
    throw new Error(`doctor stdout is not JSON (${(err as Error).message}):\n${run.stdout.slice(0, 2000)}`);
  }
}

function coverageOf(report: DoctorReport, name: string): CollectorCoverage {
  const c = report.coverage.find((x) => x.name === name);
  assert.ok(c, `coverage entry for ${name}`);
  return c;
}

/**
 * IDs of the BPF links `pid` holds: one per attached program. (Program fds appear at load, before
 * attach; only a link means the program runs.)
 */
function bpfLinkIds(pid: number): Set<number> {
  const ids = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return ids; // exited
  }
  for (const fd of fds) {
    try {
      const m = /^link_id:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      /* fd closed meanwhile */
    }
  }
  return ids;
}

/** Waits until the child has attached `n` programs: every collector has started, so the window is open. */
async function waitForLinks(c: Child, n: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const have = bpfLinkIds(c.pid).size;
    if (have >= n) return;
    if (c.child.exitCode !== null)
      throw new Error(`kerno doctor exited before attaching (${have}/${n} links)`);
    if (Date.now() > deadline) throw new Error(`kerno doctor attached ${have}/${n} programs within ${ms} ms`);
    await sleep(20);
  }
}

function logLines(stderr: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

/**
 * Loopback TCP connections to a server in this process, each with a small echo (~10 state changes per
 * connection pair plus RTT samples, all counted by the tcp collector: this process is not kerno), until
 * `stop()` says so. Returns how many connections it made.
 */
async function tcpTrafficUntil(server: Server, stop: () => boolean, maxConnections: number): Promise<number> {
  const { port } = server.address() as AddressInfo;
  let n = 0;
  while (!stop() && n < maxConnections) {
    await new Promise<void>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => sock.end(Buffer.alloc(1024, n)));
      sock.on('error', reject);
      sock.on('data', () => {});
      sock.on('close', () => resolve());
    });
    n++;
  }
  return n;
}

function echoServer(): Promise<Server> {
  const server = createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const memTotalBytes = (): number =>
  Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;

// Set by the baseline run: how many BPF programs a fault-free doctor attaches on this machine, and its
// fixed cost beyond the window.
let programsAttached = 0;
let baselineOverheadMs = 0;

test('baseline: doctor --duration 2s without faults (every collector ok; measures the fixed overhead)', async (t) => {
  const c = spawnDoctor('2s');
  try {
    const run = await within(c, 60_000);
    const report = parseReport(run);
    for (const cov of report.coverage) {
      assert.ok(cov.state === 'ok' || cov.state === 'off', `${cov.name}: ${cov.state} ${cov.hint ?? ''}`);
      assert.equal(cov.faults, 0, `${cov.name} faults`);
    }
    programsAttached = report.coverage.reduce((n, cov) => n + cov.programsLoaded, 0);
    assert.ok(programsAttached > 0, 'BPF collectors attached programs');
    baselineOverheadMs = run.wallMs - 2_000;
    t.diagnostic(
      `baseline: wall ${run.wallMs} ms for a 2 s window (overhead ${baselineOverheadMs} ms), ${programsAttached} BPF programs`,
    );
  } finally {
    c.kill();
  }
});

test('tcp faults mid-window (throw-after=200): restarted, while syscall/sched/memory stay complete and correct', async (t) => {
  assert.ok(programsAttached > 0, 'the baseline test ran first');
  const CALLS = 20_000;
  const server = await echoServer();
  const workload = startWorkload(['getppid', String(CALLS)]);
  const c = spawnDoctor('5s', { KERNO_FAULT_INJECT: 'tcp:throw-after=200' });
  try {
    await waitForLinks(c, programsAttached, 60_000);
    // Inside the window: the known syscall workload, then loopback connections until the tcp instance
    // passes 200 events and faults (its links close). Traffic stops there, so its replacement, started
    // ~1 s later after the backoff, sees no burst and is attached (state ok) at the snapshot.
    await workload.run();
    const connections = await tcpTrafficUntil(server, () => bpfLinkIds(c.pid).size < programsAttached, 2_000);
    t.diagnostic(`${connections} loopback connections until the tcp instance faulted`);
    assert.ok(bpfLinkIds(c.pid).size < programsAttached, `tcp faulted after ${connections} connections`);
    const run = await within(c, 60_000);
    const report = parseReport(run);

    const faults = logLines(run.stderr).filter((l) => l.msg === 'collector fault');
    assert.ok(faults.length >= 1, `a collector-fault log line (stderr:\n${run.stderr})`);
    for (const f of faults) {
      assert.equal(f.collector, 'tcp', `only tcp faulted: ${JSON.stringify(f)}`);
      assert.match(String(f.error), /injected fault \(KERNO_FAULT_INJECT\): tcp throw-after=200/);
      assert.equal(typeof f.stack, 'string', 'the fault log line carries the stack');
    }

    const tcp = coverageOf(report, 'tcp');
    assert.equal(tcp.state, 'ok', `tcp is attached again at the snapshot: ${JSON.stringify(tcp)}`);
    assert.ok(tcp.restarts >= 1, `tcp restarts ≥ 1: ${JSON.stringify(tcp)}`);
    assert.ok(tcp.faults >= 1, `tcp faults ≥ 1: ${JSON.stringify(tcp)}`);
    assert.ok(tcp.events >= 200, `tcp events include the faulted instance's: ${tcp.events}`);
    assert.ok(report.signals.tcp, 'the restarted tcp instance contributed its snapshot');

    for (const cov of report.coverage) {
      if (cov.name === 'tcp') continue;
      assert.ok(cov.state === 'ok' || cov.state === 'off', `${cov.name} unaffected: ${JSON.stringify(cov)}`);
      assert.equal(cov.faults, 0, `${cov.name} faults`);
      assert.equal(cov.restarts, 0, `${cov.name} restarts`);
    }

    // syscall: the workload's calls, exactly.
    const sys = report.signals.syscall;
    assert.ok(sys, 'syscall signals');
    const getppid = sys.entries.filter((e) => e.name === 'getppid' && e.comm === 'syscalls');
    assert.equal(getppid.length, 1, `one getppid entry for the workload: ${JSON.stringify(getppid)}`);
    assert.equal(getppid[0]!.count, CALLS, 'every workload getppid counted, none twice');
    assert.equal(getppid[0]!.errors, 0);
    assert.equal(getppid[0]!.latency.count, CALLS);
    assert.equal(coverageOf(report, 'syscall').eventsDropped, 0);

    // sched: a full window of scheduler events, a consistent distribution.
    const sched = report.signals.sched;
    assert.ok(sched, 'sched signals');
    assert.ok(sched.totalCount > 0, `sched events: ${sched.totalCount}`);
    assert.equal(sched.runqDelay.count, sched.totalCount);
    assert.ok(sched.runqDelay.p50 <= sched.runqDelay.p99 && sched.runqDelay.p99 <= sched.runqDelay.max);

    // memory: MemTotal is constant, so it must match /proc/meminfo exactly.
    const mem = report.signals.memory;
    assert.ok(mem, 'memory signals');
    assert.equal(mem.totalBytes, memTotalBytes());
    assert.ok(mem.usedBytes > 0 && mem.usedBytes <= mem.totalBytes);
  } finally {
    c.kill();
    await workload.finish();
    server.close();
  }
});

test('disk hangs in stop(): doctor exits within window + stop timeout + start-up allowance', async (t) => {
  const DURATION_MS = 2_000;
  const c = spawnDoctor('2s', { KERNO_FAULT_INJECT: 'disk:hang-on-stop' });
  try {
    const run = await within(c, 60_000);
    const report = parseReport(run);
    assert.equal(coverageOf(report, 'disk').state, 'ok', 'disk collected normally; only its stop hangs');
    const abandoned = logLines(run.stderr).filter(
      (l) => l.msg === 'collector stop timed out; instance abandoned',
    );
    assert.equal(abandoned.length, 1, `one abandoned stop (stderr:\n${run.stderr})`);
    assert.equal(abandoned[0]!.collector, 'disk');
    assert.equal(abandoned[0]!.timeoutMs, STOP_TIMEOUT_MS);
    const bound = DURATION_MS + STOP_TIMEOUT_MS + STARTUP_ALLOWANCE_MS;
    t.diagnostic(
      `hang-on-stop: wall ${run.wallMs} ms (bound ${bound} ms; baseline overhead ${baselineOverheadMs} ms ` +
        `→ stop wait ≈ ${run.wallMs - DURATION_MS - baselineOverheadMs} ms)`,
    );
    // The hung stop is waited for (up to the timeout), then abandoned: never longer.
    assert.ok(run.wallMs >= DURATION_MS + STOP_TIMEOUT_MS, `waited for the stop timeout: ${run.wallMs} ms`);
    assert.ok(run.wallMs < bound, `exit within ${bound} ms: took ${run.wallMs} ms`);
  } finally {
    c.kill();
  }
});
