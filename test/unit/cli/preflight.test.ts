// kerno preflight without the kernel: the pure verdicts (kernel release, cgroup layout, capability bits,
// memlock), the checks that need only a file or a socket, the report (summary, exit status, pretty and JSON
// shapes against docs/preflight.schema.json), the kubelet check against the test kubelet (no real one can
// run here), and the command line's usage errors. test/kernel/preflight.test.ts runs the real command.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  bpfStatsCheck,
  btfCheck,
  CAP,
  capabilityChecks,
  CHECK_NAMES,
  cgroupVerdict,
  kernelCheck,
  kubeletCheck,
  listenCheck,
  memlockCheck,
  parseKernelRelease,
  parseMemlock,
  procfsCheck,
  stateDirCheck,
  tracefsCheck,
  type CheckResult,
} from '../../../src/cli/preflight-checks.js';
import {
  preflightExitCode,
  preflightReport,
  renderJson,
  renderPretty,
  renderRemediation,
} from '../../../src/cli/preflight-render.js';
import { loadConfig } from '../../../src/config/index.js';
import { validate, type JsonSchema } from '../render/json-schema-subset.js';
import { startFakeKubelet } from '../k8s/fake-kubelet.js';
import { runKerno, tempDir } from './helpers.js';

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../../docs/preflight.schema.json', import.meta.url), 'utf8'),
) as JsonSchema;

const bits = (...b: number[]): bigint => b.reduce((a, x) => a | (1n << BigInt(x)), 0n);

describe('pure verdicts', () => {
  test('kernel release: parsed up to "-", "+" or a space; 5.8 is the minimum', () => {
    assert.deepEqual(parseKernelRelease('6.18.44-fc-v1272'), [6, 18]);
    assert.deepEqual(parseKernelRelease('5.8.0+'), [5, 8]);
    assert.deepEqual(parseKernelRelease('5.10.0 #1 SMP'), [5, 10]);
    assert.equal(parseKernelRelease('linux'), undefined);
    assert.equal(kernelCheck('5.8.0-1-amd64').status, 'pass');
    assert.equal(kernelCheck('6.18.44-fc-v1272').status, 'pass');
    assert.equal(kernelCheck('5.7.19').status, 'fail');
    assert.equal(kernelCheck('4.19.0+').status, 'fail');
    assert.equal(kernelCheck('garbage').status, 'fail');
  });

  test('cgroup: v2, v1 and hybrid pass (v1 with a note); no hierarchy fails', () => {
    const v2 = cgroupVerdict('/sys/fs/cgroup', 0x63677270, []);
    assert.equal(v2.status, 'pass');
    assert.match(v2.detail, /cgroup v2/);
    const hybrid = cgroupVerdict('/sys/fs/cgroup', 0x01021994, ['cpu', 'memory', 'unified', 'systemd']);
    assert.equal(hybrid.status, 'pass');
    assert.match(
      hybrid.detail,
      /v1 .*cgroup2 at \/sys\/fs\/cgroup\/unified \(hybrid\).*note: v1 is supported/,
    );
    assert.equal(cgroupVerdict('/h/memory', 0x27e0eb, []).status, 'pass');
    const empty = cgroupVerdict('/sys/fs/cgroup', 0x01021994, ['systemd']);
    assert.equal(empty.status, 'fail');
    assert.match(empty.remediation!, /cgroup_root/);
    assert.equal(cgroupVerdict('/nope', undefined, []).status, 'fail');
  });

  test('capabilities: BPF and PERFMON fail when missing, NET_ADMIN only warns, SYS_ADMIN stands in with a warning', () => {
    const all = capabilityChecks(bits(CAP.BPF, CAP.PERFMON, CAP.NET_ADMIN));
    assert.deepEqual(
      Object.values(all).map((c) => c.status),
      ['pass', 'pass', 'pass'],
    );
    const none = capabilityChecks(0n);
    assert.deepEqual(
      [none.cap_bpf.status, none.cap_perfmon.status, none.cap_net_admin.status],
      ['fail', 'fail', 'warn'],
    );
    assert.match(none.cap_bpf.remediation!, /grant CAP_BPF/);
    const admin = capabilityChecks(bits(CAP.SYS_ADMIN));
    assert.deepEqual(
      [admin.cap_bpf.status, admin.cap_perfmon.status, admin.cap_net_admin.status],
      ['warn', 'warn', 'warn'],
    );
    assert.match(admin.cap_bpf.detail, /CAP_SYS_ADMIN/);
  });

  test('memlock: irrelevant from 5.11; before, unlimited or CAP_SYS_RESOURCE passes, a low limit fails', () => {
    const limits = (soft: string, hard: string): string =>
      `Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         ${soft}              ${hard}              bytes\n`;
    assert.deepEqual(parseMemlock(limits('65536', 'unlimited')), { soft: 65536, hard: Infinity });
    assert.equal(parseMemlock('nothing'), undefined);
    assert.equal(memlockCheck('6.1.0', limits('65536', '65536'), 0n).status, 'pass');
    assert.equal(memlockCheck('5.10.0', limits('unlimited', 'unlimited'), 0n).status, 'pass');
    assert.equal(memlockCheck('5.10.0', limits('65536', '65536'), bits(CAP.SYS_RESOURCE)).status, 'pass');
    const low = memlockCheck('5.10.0', limits('65536', '65536'), 0n);
    assert.equal(low.status, 'fail');
    assert.match(low.detail, /64 KiB/);
    assert.match(low.remediation!, /LimitMEMLOCK=infinity/);
  });
});

describe('checks on files and sockets', () => {
  const tmp = tempDir('preflight');
  after(() => tmp.remove());

  test('BTF, /proc, tracefs and bpf_stats: a missing or odd file is a fail or warn naming it', async () => {
    assert.equal((await btfCheck(tmp.file('vmlinux', 'btf'))).status, 'pass');
    const missing = await btfCheck(join(tmp.path, 'no-vmlinux'));
    assert.equal(missing.status, 'fail');
    assert.match(missing.detail, /no-vmlinux: ENOENT/);
    assert.equal(procfsCheck(join(tmp.path, 'no-version')).status, 'fail');
    assert.equal(procfsCheck(tmp.file('version', 'Linux version 6.18\n')).status, 'pass');
    assert.equal(tracefsCheck([join(tmp.path, 'no-tracing')]).status, 'warn');
    mkdirSync(join(tmp.path, 'tracing', 'events'), { recursive: true });
    const mounted = tracefsCheck([join(tmp.path, 'no-tracing'), join(tmp.path, 'tracing')]);
    assert.equal(mounted.status, 'pass');
    assert.equal(mounted.detail, join(tmp.path, 'tracing'));
    assert.equal(bpfStatsCheck(tmp.file('stats0', '0\n')).status, 'pass');
    assert.match(bpfStatsCheck(tmp.file('stats1', '1\n')).detail, /on \(1\)/);
    assert.equal(bpfStatsCheck(tmp.file('stats-empty', '')).status, 'warn');
    assert.equal(bpfStatsCheck(join(tmp.path, 'no-stats')).status, 'warn');
  });

  test('state dir: an existing one gets a probe file (removed); a missing one passes uncreated; a file fails', async () => {
    const ok = await stateDirCheck(tmp.path);
    assert.equal(ok.status, 'pass', ok.detail);
    assert.ok(!existsSync(join(tmp.path, `.kerno-preflight-${process.pid}`)), 'probe file left behind');
    const later = join(tmp.path, 'state', 'kerno');
    const missing = await stateDirCheck(later);
    assert.equal(missing.status, 'pass', missing.detail);
    assert.match(missing.detail, /will create it/);
    assert.ok(!existsSync(later), 'preflight created the state directory');
    const file = await stateDirCheck(tmp.file('not-a-dir', ''));
    assert.equal(file.status, 'fail');
    assert.match(file.detail, /not a directory/);
    const proc = await stateDirCheck('/proc/sys/kerno');
    assert.equal(proc.status, 'fail');
    assert.match(proc.detail, /procfs/);
  });

  test('listen: a port another socket holds fails with EADDRINUSE; once released it passes', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen({ host: '127.0.0.1', port: 0 }, r));
    const { port } = holder.address() as AddressInfo;
    try {
      const held = await listenCheck(`127.0.0.1:${port}`);
      assert.equal(held.status, 'fail');
      assert.match(held.detail, /EADDRINUSE/);
      assert.match(held.remediation!, /--listen/);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
    assert.equal((await listenCheck(`127.0.0.1:${port}`)).status, 'pass');
    assert.equal((await listenCheck('not an address')).status, 'fail');
  });

  test('listen: a configured netconsole UDP port another socket holds fails too; free, both are named', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind({ address: '127.0.0.1', port: 0 }, r));
    const { port } = holder.address();
    const http = createServer();
    await new Promise<void>((r) => http.listen({ host: '127.0.0.1', port: 0 }, r));
    const httpPort = (http.address() as AddressInfo).port;
    await new Promise<void>((r) => http.close(() => r()));
    try {
      const held = await listenCheck(`127.0.0.1:${httpPort}`, `udp://127.0.0.1:${port}`);
      assert.equal(held.status, 'fail');
      assert.match(held.detail, new RegExp(`netconsole receiver udp://127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      assert.match(held.remediation!, /--netconsole-listen/);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
    const free = await listenCheck(`127.0.0.1:${httpPort}`, `udp://127.0.0.1:${port}`);
    assert.equal(free.status, 'pass', free.detail);
    assert.match(free.detail, /\(HTTP\), udp:\/\/127\.0\.0\.1:\d+ \(netconsole\)/);
  });
});

describe('kubelet check (the test kubelet: no real one here)', () => {
  const config = (extra: Record<string, unknown>) =>
    loadConfig({ env: {}, explicitPath: undefined, flags: { kubernetes: extra } as never }).config;

  test('not configured: a pass that says so, without a request', async () => {
    const r = await kubeletCheck(config({ enabled: false }), {});
    assert.equal(r.status, 'pass');
    assert.match(r.detail, /not configured \(kubernetes.enabled: false/);
  });

  test('configured: pods from the kubelet pass; 401 fails with an RBAC remediation', async () => {
    const body = readFileSync(new URL('../../fixtures/k8s/pods.json', import.meta.url), 'utf8');
    const kubelet = await startFakeKubelet({ kind: 'pods', body });
    try {
      const cfg = config({
        enabled: true,
        kubelet_url: kubelet.url,
        token_file: kubelet.tokenFile,
        ca_file: kubelet.caFile,
      });
      const ok = await kubeletCheck(cfg, {});
      assert.equal(ok.status, 'pass', ok.detail);
      assert.match(ok.detail, /\d+ pods/);
      assert.ok(kubelet.requests >= 1);
      kubelet.answer = { kind: 'status', status: 401 };
      const denied = await kubeletCheck(cfg, {});
      assert.equal(denied.status, 'fail');
      assert.match(denied.detail, /unauthorized/);
      assert.match(denied.remediation!, /nodes\/proxy/);
    } finally {
      await kubelet.close();
    }
  });
});

describe('report, exit status and output', () => {
  const c = (name: CheckResult['name'], status: CheckResult['status']): CheckResult => ({
    name,
    title: name,
    status,
    detail: `${name} detail`,
    ...(status === 'pass' ? {} : { remediation: `fix ${name}` }),
  });
  const allPass = CHECK_NAMES.map((n) => c(n, 'pass'));

  test('exit 0 when every check passes or only warns, 1 on any fail; summary counts', () => {
    assert.equal(preflightExitCode(preflightReport(allPass)), 0);
    const warned = preflightReport(allPass.map((x) => (x.name === 'tracefs' ? c('tracefs', 'warn') : x)));
    assert.deepEqual(warned.summary, { pass: CHECK_NAMES.length - 1, warn: 1, fail: 0 });
    assert.equal(warned.ready, true);
    assert.equal(preflightExitCode(warned), 0);
    const failed = preflightReport(allPass.map((x) => (x.name === 'listen' ? c('listen', 'fail') : x)));
    assert.equal(failed.ready, false);
    assert.equal(preflightExitCode(failed), 1);
  });

  test('pretty: one [STATUS] line per check, the result line, no colour codes when off; remediation on stderr, fails first', () => {
    const r = preflightReport(
      allPass.map((x) =>
        x.name === 'tracefs' ? c('tracefs', 'warn') : x.name === 'btf' ? c('btf', 'fail') : x,
      ),
    );
    const out = renderPretty(r, false);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.filter((l) => /^\[(PASS|WARN|FAIL)\] /.test(l)).length, CHECK_NAMES.length);
    assert.match(out, /^\[FAIL\] btf +btf detail$/m);
    assert.equal(lines.at(-1), `Result: ${CHECK_NAMES.length - 2} PASS, 1 WARN, 1 FAIL → not ready`);
    assert.ok(!out.includes('\x1b['));
    assert.ok(renderPretty(r, true).includes('\x1b['));
    assert.equal(
      renderRemediation(r),
      'kerno: preflight: fail btf: fix btf\nkerno: preflight: warn tracefs: fix tracefs\n',
    );
    assert.equal(renderRemediation(preflightReport(allPass)), '');
  });

  test('JSON: validates against docs/preflight.schema.json, whose name list is CHECK_NAMES', () => {
    const r = preflightReport(allPass.map((x) => (x.name === 'kubelet' ? c('kubelet', 'fail') : x)));
    const doc = JSON.parse(renderJson(r)) as unknown;
    assert.deepEqual(validate(SCHEMA, doc), []);
    const schema = SCHEMA as { $defs: { check: { properties: { name: { enum: string[] } } } } };
    assert.deepEqual(schema.$defs.check.properties.name.enum, [...CHECK_NAMES]);
    assert.notDeepEqual(validate(SCHEMA, { ...(doc as object), extra: 1 }), []);
  });
});

describe('command line', () => {
  test('--help names the flags and exit codes', async () => {
    const r = await runKerno(['preflight', '--help']);
    assert.equal(r.code, 0);
    for (const s of [
      '--listen',
      '--state-dir',
      '-o, --output',
      'pretty',
      'json',
      'KERNO_BTF_PATH',
      'Exit status',
    ])
      assert.ok(r.stdout.includes(s), s);
  });

  test('bad usage exits 2 with one line: output format, empty or malformed --listen', async () => {
    for (const args of [
      ['preflight', '-o', 'xml'],
      ['preflight', '--listen', ''],
      ['preflight', '--listen', 'nonsense'],
    ]) {
      const r = await runKerno(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
  });
});
