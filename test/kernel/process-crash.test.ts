// Process-level crash handling of the real `kerno doctor`: an uncaught exception or an unhandled rejection
// mid-window writes exactly ONE crash-record line (JSON: time, kind, message, stack, version) on stderr and
// exits non-zero (bin/kerno.ts: EXIT.INTERNAL), and the BPF programs it had attached are gone with it.
//
// The fault is injected from outside src/: a `data:` module preloaded with --import installs a SIGUSR2
// listener that throws (or rejects). The test sends SIGUSR2 once every collector has attached, so the
// crash happens in the running window, through the handlers bin/kerno.ts installed — nothing in kerno
// knows it is being tested.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { packageRoot } from '../../src/bpf/paths.js';
import { EXIT } from '../../src/cli/io.js';
import { VERSION } from '../../src/version.js';

before(() => requireKernel());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const MESSAGE = 'kerno-test injected crash';
const PRELOAD = {
  uncaughtException: `process.on('SIGUSR2', () => { throw new Error(${JSON.stringify(MESSAGE)}); });`,
  unhandledRejection: `process.on('SIGUSR2', () => { Promise.reject(new Error(${JSON.stringify(MESSAGE)})); });`,
} as const;
type CrashKind = keyof typeof PRELOAD;

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Kerno {
  child: ChildProcess;
  pid: number;
  exited: Promise<Exited>;
  kill(): void;
}

function spawnKerno(args: string[], opts: { preload?: string; env?: Record<string, string> } = {}): Kerno {
  const root = packageRoot();
  const entry = process.env.KERNO_TEST_ENTRY ?? join(root, 'bin', 'kerno.ts');
  const imports = ['--import', 'tsx'];
  if (opts.preload) imports.push('--import', `data:text/javascript,${encodeURIComponent(opts.preload)}`);
  const child = spawn(process.execPath, [...imports, entry, ...args], {
    cwd: root,
    env: { ...process.env, KERNO_LOG_FORMAT: 'json', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<Exited>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    pid: child.pid!,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function within(k: Kerno, ms: number): Promise<Exited> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      k.kill();
      reject(new Error(`kerno (pid ${k.pid}) did not exit within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([k.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Program ids behind the BPF links `pid` holds (/proc/<pid>/fdinfo): the programs it has attached. */
function attachedProgramIds(pid: number): Set<number> {
  const ids = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return ids;
  }
  for (const fd of fds) {
    try {
      const text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const m = /^link_id:[\s\S]*^prog_id:\s+(\d+)$/m.exec(text);
      if (m) ids.add(Number(m[1]));
    } catch {
      /* fd closed meanwhile */
    }
  }
  return ids;
}

/** Waits until `pid` has attached `n` programs. */
async function waitAttached(k: Kerno, n: number, ms: number): Promise<Set<number>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ids = attachedProgramIds(k.pid);
    if (ids.size >= n) return ids;
    if (k.child.exitCode !== null) throw new Error(`kerno exited before attaching (${ids.size}/${n})`);
    if (Date.now() > deadline) throw new Error(`kerno attached ${ids.size}/${n} programs within ${ms} ms`);
    await sleep(20);
  }
}

function programExists(id: number): boolean {
  try {
    execFileSync('bpftool', ['prog', 'show', 'id', String(id)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** stderr lines that are crash records (bin/kerno.ts writes them with level "fatal"). */
function crashRecords(stderr: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (rec.level === 'fatal' || 'kind' in rec) out.push(rec);
  }
  return out;
}

for (const kind of Object.keys(PRELOAD) as CrashKind[]) {
  test(`${kind} mid-window: exactly one crash-record line, non-zero exit, programs detached`, async (t) => {
    // Long window: the crash, not the window, ends the run.
    const k = spawnKerno(['doctor', '--duration', '60s', '--output', 'json'], { preload: PRELOAD[kind] });
    try {
      // A few BPF collectors attached means the window is running (the exact number does not matter here).
      const ids = await waitAttached(k, 3, 60_000);
      const t0 = Date.now();
      k.child.kill('SIGUSR2');
      const run = await within(k, 15_000);
      t.diagnostic(`exit ${run.code} ${Date.now() - t0} ms after the injected ${kind}`);

      assert.equal(run.signal, null, 'exited by itself, not killed');
      assert.notEqual(run.code, 0, 'non-zero exit');
      assert.equal(run.code, EXIT.INTERNAL, 'bin/kerno.ts exit code for a crash');
      assert.equal(run.stdout, '', 'no report: the window never finished');

      const records = crashRecords(run.stderr);
      assert.equal(records.length, 1, `exactly one crash record (stderr:\n${run.stderr})`);
      const rec = records[0]!;
      assert.equal(rec.kind, kind);
      assert.equal(rec.message, MESSAGE);
      assert.equal(rec.version, VERSION);
      assert.equal(typeof rec.time, 'string');
      assert.ok(!Number.isNaN(Date.parse(rec.time as string)), `time is a timestamp: ${String(rec.time)}`);
      assert.ok(Math.abs(Date.parse(rec.time as string) - t0) < 15_000, 'time is now');
      assert.equal(typeof rec.stack, 'string');
      assert.match(
        rec.stack as string,
        new RegExp(`^Error: ${MESSAGE}\\n\\s+at `),
        'stack of the thrown error',
      );
      // One line: the record is a single JSON line, the stack's newlines are escaped inside it.
      assert.equal(run.stderr.split('\n').filter((l) => l.includes(MESSAGE)).length, 1);

      // BPF links vanish with the process: nothing it attached is left in the kernel. The kernel frees
      // programs asynchronously (RCU, deferred work) after the last fd closes: a bounded wait.
      let left = [...ids];
      for (const deadline = Date.now() + 10_000; left.length > 0 && Date.now() < deadline; await sleep(100)) {
        left = left.filter(programExists);
      }
      assert.deepEqual(left, [], `programs still loaded 10 s after the crash: ${left.join(', ')}`);
    } finally {
      k.kill();
    }
  });
}

// Not an uncaught exception but the other process-level exit: a collector whose policy is fail_fast faults,
// and doctor ends with a non-zero exit instead of a report that merely lists it as failed.
test('fail_fast collector fault ends doctor with a non-zero exit (and no crash record)', async () => {
  const k = spawnKerno(['doctor', '--duration', '5s', '--output', 'json'], {
    env: {
      KERNO_FAULT_INJECT: 'tcp:throw-in-start',
      KERNO_RUNTIME_FAILURE_POLICY_OVERRIDES_TCP: 'fail_fast',
    },
  });
  try {
    const run = await within(k, 60_000);
    assert.match(run.stderr, /fatal collector failure \(policy fail_fast\)/);
    assert.notEqual(run.code, 0, `exit code with a fail_fast fault (stderr:\n${run.stderr})`);
    assert.notEqual(run.code, EXIT.INTERNAL, 'an orderly failure, not a crash');
    assert.deepEqual(crashRecords(run.stderr), [], 'no crash record');
  } finally {
    k.kill();
  }
});
