// `kerno start` as root with the real collectors: every endpoint, partial loads, auth with token rotation on
// SIGHUP, running without root, and a SIGTERM that exits 0 within 5 s leaving no BPF program behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { startWorkload } from '../helpers/workload.js';
import { get, sampleValue, startDaemon, type DaemonProcess } from './daemon-harness.js';
import { SCHEMA_VERSION } from '../../src/signals/types.js';

requireKernel();

function promtool(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
    child.stdin!.end(text);
  });
}

function liveProgramIds(): Set<number> {
  const list = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as {
    id: number;
  }[];
  return new Set(list.map((p) => p.id));
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stateDir = mkdtempSync(join(tmpdir(), 'kerno-test-daemon-state-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

describe('kerno start with every collector', () => {
  let d: DaemonProcess;
  before(async () => {
    d = await startDaemon({ args: ['--interval', '2s', '--state-dir', stateDir] });
  });
  after(() => d?.kill());

  test('/healthz and /readyz report every collector attached and its programs loaded', async () => {
    const h = await get(`${d.url}/healthz`);
    assert.equal(h.status, 200);
    assert.match(String(h.headers['content-type']), /^application\/json/);
    const body = JSON.parse(h.body) as {
      status: string;
      uptime: number;
      programs_loaded: number;
      programs_total: number;
      collectors: { name: string; state: string }[];
    };
    assert.equal(body.status, 'ok');
    assert.ok(body.uptime > 0);
    assert.ok(body.programs_total >= 10, `programs_total ${body.programs_total}`);
    assert.equal(body.programs_loaded, body.programs_total);
    assert.deepEqual(
      body.collectors.filter((c) => c.state !== 'attached').map((c) => c.name),
      [],
      'every collector attached',
    );
    const r = await get(`${d.url}/readyz`);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).status, 'ready');
  });

  test('/metrics: promtool accepts it; programs loaded; collector series present; syscalls counted', async () => {
    const m = await get(`${d.url}/metrics`);
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const lint = await promtool(m.body);
    assert.equal(lint.code, 0, lint.output);
    assert.ok(sampleValue(m.body, 'kerno_bpf_programs_loaded')! >= 10);
    assert.equal(sampleValue(m.body, 'kerno_collector_up', { collector: 'syscall' }), 1);
    assert.match(m.body, /^kerno_collector_events_total\{collector="syscall"\} \d+/m);
    assert.match(m.body, /^kerno_syscall_duration_seconds_bucket\{syscall="[^"]+",le="0\.000001"\} \d+/m);
    assert.match(m.body, /^process_resident_memory_bytes \d+/m);
  });

  test('a known syscall workload moves kerno_syscalls_total{syscall="getppid"} by at least its count', async () => {
    const before =
      sampleValue((await get(`${d.url}/metrics`)).body, 'kerno_syscalls_total', { syscall: 'getppid' }) ?? 0;
    const w = startWorkload(['getppid', '200000']);
    try {
      await w.run();
    } finally {
      await w.finish();
    }
    // A rendered exposition is reused for 500 ms: poll (bounded) rather than expect the very next scrape.
    const afterValue = await until(
      async () => {
        const v = sampleValue((await get(`${d.url}/metrics`)).body, 'kerno_syscalls_total', {
          syscall: 'getppid',
        });
        return v !== undefined && v - before >= 200_000 ? v : undefined;
      },
      'kerno_syscalls_total{syscall="getppid"} to grow by the workload',
      10_000,
    );
    assert.ok(afterValue - before >= 200_000, `getppid moved by ${afterValue - before}`);
  });

  test('/findings: 200 with a doctor report once a window completed; /panics lists the state dir', async () => {
    const f = await until(async () => {
      const r = await get(`${d.url}/findings`);
      return r.status === 200 ? r : undefined;
    }, 'the first diagnosis window');
    const report = JSON.parse(f.body) as {
      schemaVersion: number;
      coverage: { name: string }[];
      durationNs: number;
    };
    assert.equal(report.schemaVersion, SCHEMA_VERSION);
    assert.ok(report.coverage.some((c) => c.name === 'syscall'));
    assert.ok(report.durationNs >= 1.5e9 && report.durationNs < 10e9, `window ${report.durationNs} ns`);
    const p = await get(`${d.url}/panics`);
    assert.equal(p.status, 200);
    assert.deepEqual(JSON.parse(p.body), { count: 0, corruptRecords: 0, incidents: [] });
    const m = await get(`${d.url}/metrics`);
    assert.ok(sampleValue(m.body, 'kerno_diagnosis_windows_total')! >= 1);
  });

  test('SIGTERM: exit 0 within 5 s, and none of its BPF programs is left in the kernel', async () => {
    const ours = d.bpfProgramIds();
    assert.ok(ours.length >= 10, `the daemon holds ${ours.length} programs`);
    const live = liveProgramIds();
    assert.ok(
      ours.every((id) => live.has(id)),
      'bpftool lists them while it runs',
    );
    const { code, signal, ms } = await d.stop('SIGTERM');
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.ok(ms < 5_000, `took ${ms} ms`);
    // The kernel frees a detached program after an RCU grace period (tracepoint programs after an RCU
    // tasks-trace one), so bpftool may list it for a moment after the process is gone: bounded wait.
    let left: number[] = ours;
    const deadline = Date.now() + 15_000;
    while (left.length > 0 && Date.now() < deadline) {
      const live = liveProgramIds();
      left = ours.filter((id) => live.has(id));
      if (left.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(left, [], 'bpftool prog show still lists programs of the stopped daemon after 15 s');
    assert.match(d.stderr(), /"msg":"kerno daemon stopped"/);
  });
});

describe('kerno start with partial loads', () => {
  test('a collector whose start throws (fault injection) leaves the daemon ready, the failure visible', async () => {
    const d = await startDaemon({
      args: ['--interval', '60s'],
      env: { KERNO_FAULT_INJECT: 'tcp:throw-in-start' },
    });
    try {
      const r = JSON.parse((await get(`${d.url}/readyz`)).body) as {
        status: string;
        programs_loaded: number;
        programs_total: number;
        collectors: { name: string; state: string; faults: number }[];
      };
      assert.equal(r.status, 'ready');
      const tcp = r.collectors.find((c) => c.name === 'tcp')!;
      assert.notEqual(tcp.state, 'attached');
      assert.ok(tcp.faults >= 1);
      assert.ok(r.programs_loaded > 0 && r.programs_loaded < r.programs_total);
      const m = (await get(`${d.url}/metrics`)).body;
      assert.equal(sampleValue(m, 'kerno_collector_up', { collector: 'tcp' }), 0);
      assert.ok(sampleValue(m, 'kerno_collector_panics_total', { collector: 'tcp' })! >= 1);
    } finally {
      await d.stop();
    }
  });

  test('a collector switched off by KERNO_COLLECTORS_SYSCALL=false is absent; the rest serve', async () => {
    const d = await startDaemon({ args: ['--interval', '60s'], env: { KERNO_COLLECTORS_SYSCALL: 'false' } });
    try {
      const h = JSON.parse((await get(`${d.url}/healthz`)).body) as { collectors: { name: string }[] };
      assert.ok(!h.collectors.some((c) => c.name === 'syscall'));
      assert.ok(h.collectors.some((c) => c.name === 'tcp'));
      const m = (await get(`${d.url}/metrics`)).body;
      assert.doesNotMatch(m, /^kerno_syscalls_total\{/m);
      assert.match(d.stderr(), /off by configuration: syscall/);
    } finally {
      await d.stop();
    }
  });

  test('without root: starts, procfs collectors run, BPF collectors fail with a hint, /readyz 503', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerno-test-daemon-nobody-'));
    chownSync(dir, 65534, 65534);
    const d = await startDaemon({
      args: ['--interval', '60s', '--state-dir', dir],
      env: { HOME: dir },
      uid: 65534,
      gid: 65534,
      waitReady: false,
    });
    try {
      const r = await get(`${d.url}/readyz`);
      assert.equal(r.status, 503);
      const body = JSON.parse(r.body) as {
        status: string;
        programs_loaded: number;
        collectors: { name: string; state: string; hint?: string }[];
      };
      assert.equal(body.status, 'not_ready');
      assert.equal(body.programs_loaded, 0);
      const syscall = body.collectors.find((c) => c.name === 'syscall')!;
      assert.equal(syscall.state, 'failed');
      assert.match(syscall.hint!, /root|CAP_BPF/);
      assert.equal(body.collectors.find((c) => c.name === 'memory')!.state, 'attached');
      assert.equal((await get(`${d.url}/healthz`)).status, 200);
      assert.match(d.stderr(), /BPF collectors did not load \(.*syscall.*\): not root \(uid 65534\)/);
      const m = (await get(`${d.url}/metrics`)).body;
      assert.equal(sampleValue(m, 'kerno_bpf_programs_loaded'), 0);
      assert.ok(
        sampleValue(m, 'kerno_memory_total_bytes') === undefined ||
          sampleValue(m, 'kerno_memory_total_bytes')! > 0,
      );
      const { code } = await d.stop();
      assert.equal(code, 0);
    } finally {
      d.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kerno start with a metrics token', () => {
  test('missing/wrong token 401, right token 200, probes open; SIGHUP rotates the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerno-test-daemon-token-'));
    const token = join(dir, 'token');
    writeFileSync(token, 'kerno-test-token-one\n');
    chmodSync(token, 0o600);
    const d = await startDaemon({ args: ['--interval', '60s', '--metrics-token-file', token] });
    try {
      const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
      assert.equal((await get(`${d.url}/metrics`)).status, 401);
      assert.equal((await get(`${d.url}/metrics`)).headers['www-authenticate'], 'Bearer realm="kerno"');
      assert.equal((await get(`${d.url}/metrics`, bearer('nope'))).status, 401);
      assert.equal((await get(`${d.url}/findings`)).status, 401);
      assert.equal((await get(`${d.url}/panics`)).status, 401);
      assert.equal((await get(`${d.url}/metrics`, bearer('kerno-test-token-one'))).status, 200);
      assert.equal((await get(`${d.url}/healthz`)).status, 200);
      assert.equal((await get(`${d.url}/readyz`)).status, 200);

      writeFileSync(token, 'kerno-test-token-two\n');
      process.kill(d.pid, 'SIGHUP');
      await until(
        async () =>
          (await get(`${d.url}/metrics`, bearer('kerno-test-token-two'))).status === 200 ? true : undefined,
        'the rotated token',
      );
      assert.equal((await get(`${d.url}/metrics`, bearer('kerno-test-token-one'))).status, 401);
      assert.match(d.stderr(), /"msg":"config reloaded; \d+ changes applied; 0 changes require restart"/);
      const { code } = await d.stop();
      assert.equal(code, 0);
    } finally {
      d.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
