// The CLI where it needs root or the real kernel: a chaos run end to end (progress lines, clean exit,
// nothing left behind, also when interrupted), netconsole --apply on a kernel without netconsole, and
// `kerno doctor` as an unprivileged user (one stderr line, a report that says what it could not see).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { detectNetconsoleSupport } from '../../src/netconsole/index.js';
import { cleanEnv, REPO, spawnKerno, stderrLines } from '../unit/cli/helpers.js';

before(() => requireKernel());

const STATE_DIR = '/run/kerno-chaos';
const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

// ------------------------------------------------------------------------------------------ ground truth

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** State files whose owner is `pid` (other chaos runs may be going on concurrently: they are not ours). */
function stateFilesOwnedBy(pid: number): string[] {
  let names: string[];
  try {
    names = readdirSync(STATE_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      return (
        (JSON.parse(readFileSync(join(STATE_DIR, n), 'utf8')) as { owner?: { pid?: number } }).owner?.pid ===
        pid
      );
    } catch {
      return false;
    }
  });
}

/** kchaos-* workers started by the kerno process `pid` (the worker is told its parent on the command line). */
function workersOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('--parent-pid');
      if (comm.startsWith('kchaos-') && i >= 0 && Number(args[i + 1]) === pid) out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function subjectPid(stderr: string): number {
  const m = /^ {4}subject: pid (\d+) \(kchaos-syserr\)$/m.exec(stderr);
  assert.ok(m, `a "subject: pid N (kchaos-syserr)" line:\n${stderr}`);
  return Number(m[1]);
}

// ------------------------------------------------------------------------------------------ chaos

test('chaos --induce syscall-errors --yes: progress lines, exit 0, nothing left behind', async () => {
  let kernoPid = 0;
  const o = await spawnKerno(
    ['chaos', '--induce', 'syscall-errors', '--duration', '2s', '--intensity', 'low', '--yes'],
    {
      timeoutMs: 90_000,
      onStderr: (_all, child) => (kernoPid = child.pid ?? 0),
    },
  );
  assert.equal(o.code, 0, o.stderr);
  assert.doesNotMatch(o.stderr, /^\s+at /m, 'no stack trace');
  const lines = stderrLines(o);
  assert.equal(
    lines[0],
    '==> chaos: inducing syscall-errors (intensity=low, inducer=kerno-worker, duration=2s)',
  );
  assert.equal(lines[1], '    rule expected to fire: syscall_error_rate');
  assert.match(lines.at(-1)!, /^==> chaos: syscall-errors finished in \d+(\.\d{1,2})?s$/);
  const pid = subjectPid(o.stderr);
  assert.ok(!alive(pid), `the workload process ${pid} is gone`);
  assert.ok(kernoPid > 0);
  assert.deepEqual(stateFilesOwnedBy(kernoPid), [], 'its state file was removed');
  assert.deepEqual(workersOf(kernoPid), [], 'no kchaos-* process of this run is left');
});

test('chaos interrupted with SIGTERM: cleans up and exits 0', async () => {
  let kernoPid = 0;
  let sent = false;
  const started = Date.now();
  const o = await spawnKerno(
    ['chaos', '--induce', 'syscall-errors', '--duration', '60s', '--intensity', 'low', '--yes'],
    {
      timeoutMs: 90_000,
      onStderr: (all, child) => {
        kernoPid = child.pid ?? 0;
        if (!sent && /subject: pid \d+/.test(all)) {
          sent = true;
          child.kill('SIGTERM');
        }
      },
    },
  );
  assert.ok(sent, `the run reached its subject line:\n${o.stderr}`);
  assert.equal(o.code, 0, o.stderr);
  assert.ok(Date.now() - started < 50_000, 'stopped well before its 60 s duration');
  assert.match(
    stderrLines(o).at(-1)!,
    /^==> chaos: syscall-errors finished in .* \(interrupted; everything it created was removed\)$/,
  );
  assert.ok(!alive(subjectPid(o.stderr)), 'the workload process is gone');
  assert.deepEqual(stateFilesOwnedBy(kernoPid), []);
  assert.deepEqual(workersOf(kernoPid), []);
});

test('chaos scenario that needs root, as nobody: exit 4, one line, nothing run', async () => {
  assertNobodyCanRead();
  const o = await spawnKerno(['chaos', '--induce', 'cgroup-memory', '--duration', '1s', '--yes'], {
    wrapper: AS_NOBODY,
    env: cleanEnv({ HOME: '/nonexistent' }),
  });
  assert.equal(o.code, 4, o.stderr);
  assert.deepEqual(stderrLines(o), [
    'kerno: chaos scenarios need root: cgroup-memory creates cgroups, network namespaces or nftables rules; re-run with sudo',
  ]);
});

// ------------------------------------------------------------------------------------------ netconsole

test('netconsole setup --apply on a kernel without netconsole: exit 4, one sentence', async () => {
  const support = detectNetconsoleSupport();
  assert.equal(
    support.supported,
    false,
    `this test expects a kernel without netconsole, like the test VM (it must not configure a real target); here: ${support.reason}`,
  );
  const o = await spawnKerno(['netconsole', 'setup', '--target', '127.0.0.1:6666', '--apply']);
  assert.equal(o.code, 4, o.stderr);
  assert.deepEqual(stderrLines(o), [
    `kerno: ${support.reason.endsWith('.') ? support.reason : `${support.reason}.`}`,
  ]);
  assert.match(o.stderr, /CONFIG_NETCONSOLE/);
  assert.equal(o.stdout, '');
});

// ------------------------------------------------------------------------------------------ doctor, unprivileged

test('doctor as nobody: one stderr line naming CAP_BPF/CAP_PERFMON, a JSON report with honest coverage', async () => {
  assertNobodyCanRead();
  const o = await spawnKerno(['doctor', '--duration', '1s', '--output', 'json'], {
    wrapper: AS_NOBODY,
    // nobody's usual HOME: with root's, /root/.kerno is EACCES for uid 65534 and ends the run with exit 3.
    env: cleanEnv({ HOME: '/nonexistent' }),
    timeoutMs: 90_000,
  });
  assert.equal(o.code, 0, o.stderr);
  const lines = stderrLines(o);
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${o.stderr}`);
  assert.match(lines[0]!, /^kerno: not root \(uid 65534\).*CAP_BPF and CAP_PERFMON/);
  const report = JSON.parse(o.stdout) as {
    coverage: { name: string; state: string; hint?: string; programsTotal: number }[];
  };
  const bpf = report.coverage.filter((c) => c.programsTotal > 0);
  assert.ok(bpf.length >= 6, `the BPF collectors are listed: ${bpf.map((c) => c.name).join(', ')}`);
  for (const c of bpf) {
    assert.equal(c.state, 'failed', `${c.name} is marked failed`);
    assert.match(c.hint ?? '', /CAP_BPF/, `${c.name} carries a hint`);
  }
  for (const name of ['memory', 'pressure', 'cgroup_memory']) {
    assert.equal(report.coverage.find((c) => c.name === name)?.state, 'ok', `${name} still runs`);
  }
});

/** The unprivileged user must be able to read the checkout; never copy it or loosen its permissions. */
function assertNobodyCanRead(): void {
  const paths = [
    join(REPO, 'bin/kerno.ts'),
    join(REPO, 'node_modules/tsx/package.json'),
    join(REPO, 'src/cli/main.ts'),
  ];
  const check = `const fs=require('fs');for(const p of ${JSON.stringify(paths)}){try{fs.accessSync(p,fs.constants.R_OK)}catch(e){console.error(p+': '+e.code);process.exit(1)}}`;
  try {
    execFileSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e', check], { stdio: 'pipe' });
  } catch (err) {
    assert.fail(
      `cannot run this test: uid ${NOBODY} cannot read the repository at ${REPO} ` +
        `(${String((err as { stderr?: Buffer }).stderr ?? err).trim()}); make the checkout world-readable (chmod o+rX) ` +
        `or run the suite from a readable location — this is a failure, not a skip`,
    );
  }
}
