// `kerno preflight`, the real command (bin/kerno.ts) on this kernel: every check present and passing here,
// then each failure provoked for real rather than simulated: capabilities dropped from the bounding set
// (setpriv), a port held by a socket this test opens, a state directory on a read-only tmpfs and a masked
// bpf_stats_enabled / unmounted tracefs (in a private mount namespace, gone when the child exits), a BTF
// path that does not exist (KERNO_BTF_PATH), a BPF object the verifier rejects (KERNO_BPF_DIR), and a kubelet
// that refuses connections. Every run gets its own free --listen port and --state-dir: other helpers may
// hold 9733.
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { bpfObjectDir } from '../../src/bpf/paths.js';
import { tracefsPath } from '../../src/bpf/probe.js';
import { CHECK_NAMES, type CheckResult } from '../../src/cli/preflight-checks.js';
import type { PreflightReport } from '../../src/cli/preflight-render.js';
import { requireKernel } from '../helpers/kernel.js';
import { startFakeKubelet } from '../unit/k8s/fake-kubelet.js';
import { cleanEnv, spawnKerno, stderrLines, tempDir } from '../unit/cli/helpers.js';

before(() => {
  requireKernel();
  // "Every check passes here" includes tracefs, which a fresh machine may not have mounted (nothing kerno
  // runs needs it). Mounted once, as the benches do; the mount may stay (the machine's convention).
  if (tracefsPath() === null) {
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing']);
    process.stderr.write('preflight test: tracefs was not mounted; mounted it at /sys/kernel/tracing\n');
  }
});

const tmp = tempDir('preflight-kernel');
after(() => tmp.remove());

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen({ host: '127.0.0.1', port: 0 }, r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Run {
  code: number | null;
  report: PreflightReport;
  stderr: string[];
  check(name: CheckResult['name']): CheckResult;
}

async function preflight(
  opts: { args?: string[]; env?: Record<string, string>; wrapper?: string[]; listen?: string } = {},
): Promise<Run> {
  const listen = opts.listen ?? `127.0.0.1:${await freePort()}`;
  const o = await spawnKerno(
    ['preflight', '-o', 'json', '--listen', listen, '--state-dir', tmp.path, ...(opts.args ?? [])],
    { env: cleanEnv(opts.env), wrapper: opts.wrapper, timeoutMs: 120_000 },
  );
  let report: PreflightReport;
  try {
    report = JSON.parse(o.stdout) as PreflightReport;
  } catch {
    throw new Error(`not JSON (exit ${o.code}): ${o.stdout}\nstderr: ${o.stderr}`);
  }
  return {
    code: o.code,
    report,
    stderr: stderrLines(o),
    check: (name) => report.checks.find((c) => c.name === name)!,
  };
}

/** Every check there, in order; exit status and `ready` agree; one stderr remediation line per non-pass. */
function assertWellFormed(r: Run): void {
  assert.deepEqual(
    r.report.checks.map((c) => c.name),
    [...CHECK_NAMES],
  );
  const notPassing = r.report.checks.filter((c) => c.status !== 'pass');
  assert.equal(r.code, r.report.checks.some((c) => c.status === 'fail') ? 1 : 0);
  assert.equal(r.report.ready, r.code === 0);
  assert.equal(r.stderr.length, notPassing.length, r.stderr.join('\n'));
  for (const c of notPassing)
    assert.ok(
      r.stderr.includes(`kerno: preflight: ${c.status} ${c.name}: ${c.remediation}`),
      `${c.name}: no remediation line`,
    );
}

const statusOf = (r: Run): Record<string, string> =>
  Object.fromEntries(r.report.checks.map((c) => [c.name, c.status]));

describe('kerno preflight on this host', () => {
  test('every check passes (exit 0) and says what it found', async () => {
    const r = await preflight();
    assertWellFormed(r);
    for (const c of r.report.checks) assert.equal(c.status, 'pass', `${c.name}: ${c.detail}`);
    assert.equal(r.code, 0);
    assert.match(r.check('bpf_objects').detail, /^(\d+)\/\1 programs in \d+ objects/);
    // The layout /proc/self/mounts shows (this host: v1 memory hierarchy, cgroup2 at .../unified).
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '));
    const v2Root = mounts.some(([, mnt, fs]) => mnt === '/sys/fs/cgroup' && fs === 'cgroup2');
    const unified = mounts.some(([, mnt, fs]) => mnt === '/sys/fs/cgroup/unified' && fs === 'cgroup2');
    assert.match(
      r.check('cgroup').detail,
      v2Root
        ? /^cgroup v2/
        : unified
          ? /^cgroup v1 .*\(hybrid\).*note: v1 is supported/
          : /^cgroup v1 .*note/,
    );
    assert.deepEqual(r.report.summary, { pass: CHECK_NAMES.length, warn: 0, fail: 0 });
  });

  test('pretty output: one line per check and the result line', async () => {
    const o = await spawnKerno(
      ['preflight', '--listen', `127.0.0.1:${await freePort()}`, '--state-dir', tmp.path],
      { env: cleanEnv(), timeoutMs: 120_000 },
    );
    assert.equal(o.code, 0, o.stderr);
    const lines = o.stdout.trimEnd().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('[PASS] ')).length, CHECK_NAMES.length);
    assert.equal(lines.at(-1), `Result: ${CHECK_NAMES.length} PASS, 0 WARN, 0 FAIL → ready to start`);
  });
});

describe('each failure, provoked for real', () => {
  test('CAP_BPF, CAP_PERFMON (and CAP_SYS_ADMIN) dropped: both FAIL, no program loads; CAP_NET_ADMIN dropped only warns', async () => {
    const drop = '-bpf,-perfmon,-net_admin,-sys_admin';
    const r = await preflight({ wrapper: ['setpriv', `--inh-caps=${drop}`, `--bounding-set=${drop}`] });
    assertWellFormed(r);
    assert.equal(r.code, 1);
    const s = statusOf(r);
    assert.equal(s.cap_bpf, 'fail');
    assert.equal(s.cap_perfmon, 'fail');
    assert.equal(s.cap_net_admin, 'warn');
    // Ground truth of the capability verdicts: the kernel really refused every program.
    assert.equal(s.bpf_objects, 'fail');
    assert.match(r.check('bpf_objects').detail, /^(\d+)\/\1 rejected: .*Operation not permitted/);
    const capEff = BigInt(`0x${/CapEff ([0-9a-f]+)/.exec(r.check('cap_bpf').detail)![1]}`);
    assert.equal(capEff & (1n << 39n), 0n);
    assert.equal(capEff & (1n << 38n), 0n);
    assert.equal(capEff & (1n << 12n), 0n);
  });

  test('CAP_BPF and CAP_PERFMON dropped but CAP_SYS_ADMIN kept: warnings, and the programs still load (exit 0)', async () => {
    const drop = '-bpf,-perfmon';
    const r = await preflight({ wrapper: ['setpriv', `--inh-caps=${drop}`, `--bounding-set=${drop}`] });
    assertWellFormed(r);
    assert.equal(r.code, 0);
    const s = statusOf(r);
    assert.equal(s.cap_bpf, 'warn');
    assert.equal(s.cap_perfmon, 'warn');
    assert.equal(s.bpf_objects, 'pass', r.check('bpf_objects').detail);
  });

  test('a port held by another socket: listen FAILs with EADDRINUSE', async () => {
    const holder: Server = createServer();
    await new Promise<void>((res) => holder.listen({ host: '127.0.0.1', port: 0 }, res));
    const { port } = holder.address() as AddressInfo;
    try {
      const r = await preflight({ listen: `127.0.0.1:${port}` });
      assertWellFormed(r);
      assert.equal(r.code, 1);
      assert.deepEqual(
        r.report.checks.filter((c) => c.status !== 'pass').map((c) => c.name),
        ['listen'],
      );
      assert.match(r.check('listen').detail, new RegExp(`cannot bind 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      await new Promise<void>((res) => holder.close(() => res()));
    }
  });

  test('a read-only state dir (kerno tmpfs mounted ro), a masked bpf_stats_enabled, no tracefs: one FAIL, two warnings', async () => {
    const dir = join(tmp.path, 'ro-state');
    mkdirSync(dir);
    // In a private mount namespace: the mounts vanish with the child, whatever happens to this test.
    const script = [
      `mount -t tmpfs -o ro,size=64k kerno-preflight-ro "${dir}"`,
      'mount --bind /dev/null /proc/sys/kernel/bpf_stats_enabled',
      // Either mount point may be absent; only the ones there are taken away.
      '{ umount -l /sys/kernel/debug/tracing 2>/dev/null; umount -l /sys/kernel/tracing 2>/dev/null; true; }',
      'exec "$@"',
    ].join(' && ');
    try {
      const r = await preflight({
        wrapper: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh'],
        args: ['--state-dir', dir],
      });
      assertWellFormed(r);
      assert.equal(r.code, 1);
      assert.deepEqual(
        r.report.checks.filter((c) => c.status !== 'pass').map((c) => [c.name, c.status]),
        [
          ['state_dir', 'fail'],
          ['tracefs', 'warn'],
          ['bpf_stats', 'warn'],
        ],
      );
      assert.match(r.check('state_dir').detail, /read-only filesystem \(EROFS\)/);
      assert.match(r.check('bpf_stats').detail, /holds "", not 0 or 1/);
    } finally {
      rmdirSync(dir);
    }
    assert.doesNotMatch(readFileSync('/proc/self/mounts', 'utf8'), /kerno-preflight-ro/);
  });

  test('a missing BTF file (KERNO_BTF_PATH): btf FAILs naming the path', async () => {
    const missing = join(tmp.path, 'no-such-vmlinux');
    const r = await preflight({ env: { KERNO_BTF_PATH: missing } });
    assertWellFormed(r);
    assert.equal(r.code, 1);
    assert.equal(r.check('btf').status, 'fail');
    assert.equal(r.check('btf').detail, `cannot open ${missing}: ENOENT`);
    assert.equal(r.report.summary.fail, 1);
  });

  test('a BPF object the verifier rejects (KERNO_BPF_DIR): bpf_objects FAILs naming the program', async () => {
    const dir = join(tmp.path, 'bpf');
    mkdirSync(dir);
    copyFileSync(
      join(bpfObjectDir(), 'fixtures', 'verifier_reject.bpf.o'),
      join(dir, 'verifier_reject.bpf.o'),
    );
    copyFileSync(join(bpfObjectDir(), 'fd.bpf.o'), join(dir, 'fd.bpf.o'));
    const r = await preflight({ env: { KERNO_BPF_DIR: dir } });
    assertWellFormed(r);
    assert.equal(r.code, 1);
    const c = r.check('bpf_objects');
    assert.equal(c.status, 'fail');
    // fd's programs load; only the fixture's is rejected.
    assert.match(c.detail, /^1\/\d+ rejected: read_past_value \(verifier_reject\): .*Permission denied/);
    assert.equal(r.report.summary.fail, 1);
  });

  test('pod names configured and the kubelet refuses connections: kubelet FAILs unreachable; the test kubelet passes', async () => {
    const token = tmp.file('token', 'kerno-preflight-token\n');
    const port = await freePort();
    const env = {
      KERNO_KUBERNETES_ENABLED: 'true',
      KERNO_KUBERNETES_TOKEN_FILE: token,
      KERNO_KUBERNETES_INSECURE_SKIP_TLS_VERIFY: 'true',
    };
    const r = await preflight({ env: { ...env, KERNO_KUBERNETES_KUBELET_URL: `https://127.0.0.1:${port}` } });
    assertWellFormed(r);
    assert.equal(r.code, 1);
    assert.equal(r.check('kubelet').status, 'fail');
    assert.match(r.check('kubelet').detail, /unreachable: .*ECONNREFUSED/);

    const body = readFileSync(new URL('../fixtures/k8s/pods.json', import.meta.url), 'utf8');
    const kubelet = await startFakeKubelet({ kind: 'pods', body });
    try {
      const ok = await preflight({
        env: {
          KERNO_KUBERNETES_ENABLED: 'true',
          KERNO_KUBERNETES_KUBELET_URL: kubelet.url,
          KERNO_KUBERNETES_TOKEN_FILE: kubelet.tokenFile,
          KERNO_KUBERNETES_CA_FILE: kubelet.caFile,
        },
      });
      assertWellFormed(ok);
      assert.equal(ok.code, 0);
      assert.match(ok.check('kubelet').detail, /: \d+ pods$/);
      assert.equal(kubelet.requests, 1);
    } finally {
      await kubelet.close();
    }
  });
});
