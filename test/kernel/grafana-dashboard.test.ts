// deploy/grafana/kerno.json against a real Prometheus (Debian's /usr/bin/prometheus) scraping a real
// `kerno start` every second: every query of every panel returns at least one series, so a renamed metric
// or label breaks the build. The series that exist only after an event are provoked, not faked: a process
// OOM-killed in a 32 MiB memory cgroup (kerno_oom_kills_total), a kernel oops log sent to the daemon's
// netconsole port (kerno_node_kernel_panics_total), and a cgroup with a limit and a process in it
// (kerno_cgroup_memory_*).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { dashboardQueries } from '../helpers/grafana.js';
import { packageRoot } from '../../src/bpf/paths.js';
import { get, startDaemon, type DaemonProcess } from './daemon-harness.js';
import { freePort, query, spawnPrometheus, stopPrometheus } from './prometheus-harness.js';

requireKernel();

const V1_MEMORY = '/sys/fs/cgroup/memory';

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function killAndWait(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('every panel of deploy/grafana/kerno.json returns data from Prometheus scraping kerno start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-dashboard-'));
  const tag = `kerno-test-dashboard-${process.pid}`;
  const heldCgroup = `${V1_MEMORY}/${tag}-held`;
  const oomCgroup = `${V1_MEMORY}/${tag}-oom`;
  let daemon: DaemonProcess | undefined;
  let prometheus: ChildProcess | undefined;
  let sleeper: ChildProcess | undefined;
  let prom = '';
  let promLog = '';

  before(async () => {
    const token = join(dir, 'token');
    writeFileSync(token, 'kerno-test-dashboard-token\n');
    chmodSync(token, 0o600);
    mkdirSync(join(dir, 'state'));
    const netconsolePort = await freePort();
    daemon = await startDaemon({
      args: [
        '--interval',
        '2s',
        '--metrics-token-file',
        token,
        '--state-dir',
        join(dir, 'state'),
        '--netconsole-listen',
        `udp://127.0.0.1:${netconsolePort}`,
      ],
    });
    const bearer = { Authorization: 'Bearer kerno-test-dashboard-token' };

    // A cgroup with a limit and a process in it: the cgroup memory panels.
    mkdirSync(heldCgroup);
    writeFileSync(`${heldCgroup}/memory.limit_in_bytes`, String(64 << 20));
    sleeper = spawn('sh', ['-c', `echo $$ > ${heldCgroup}/cgroup.procs && exec sleep 600`], {
      stdio: 'ignore',
    });

    // An OOM kill: python allocating 256 MiB in a 32 MiB cgroup (the shell moves itself in, then execs).
    mkdirSync(oomCgroup);
    writeFileSync(`${oomCgroup}/memory.limit_in_bytes`, String(32 << 20));
    const victim = spawn(
      'sh',
      [
        '-c',
        `echo $$ > ${oomCgroup}/cgroup.procs && exec python3 -c "b = bytearray(256 << 20); print(len(b))"`,
      ],
      { stdio: 'ignore' },
    );
    const [, signal] = (await once(victim, 'exit')) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL', 'the kernel OOM-killed the victim');

    // A kernel oops as netconsole sends it: one log line per datagram.
    const lines = readFileSync(join(packageRoot(), 'test/fixtures/netconsole/panic-null-deref.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const sock = createSocket('udp4');
    for (const l of lines)
      await new Promise<void>((r, j) =>
        sock.send(`${l}\n`, netconsolePort, '127.0.0.1', (e) => (e ? j(e) : r())),
      );
    sock.close();
    // The incident closes after the receiver's idle timeout (5 s).
    await until(async () => {
      const r = await get(`${daemon!.url}/panics`, bearer);
      return r.status === 200 && (JSON.parse(r.body) as { count: number }).count >= 1 ? true : undefined;
    }, 'the oops to be recorded');

    const port = await freePort();
    prom = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: kerno',
        '    authorization:',
        '      type: Bearer',
        `      credentials_file: ${token}`,
        '    static_configs:',
        `      - targets: ['${daemon.url.replace('http://', '')}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawnPrometheus(dir, port, (c) => (promLog = (promLog + c).slice(-20_000)));
    await until(
      async () => ((await get(`${prom}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined),
      'Prometheus to be ready',
    );
  });

  after(async () => {
    await stopPrometheus(prometheus);
    if (daemon) await daemon.stop();
    await killAndWait(sleeper);
    for (const cg of [heldCgroup, oomCgroup]) {
      try {
        rmdirSync(cg);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the provoked events are in Prometheus: one OOM kill in our cgroup, one oops from netconsole', async () => {
    const oom = await until(async () => {
      const r = await query(prom, `kerno_oom_kills_total{cgroup="/${tag}-oom"}`);
      return r.length > 0 ? r : undefined;
    }, 'kerno_oom_kills_total of the test cgroup').catch((err: Error) => {
      throw new Error(`${err.message}\nPrometheus log tail:\n${promLog.slice(-3000)}`);
    });
    assert.equal(oom.length, 1);
    assert.equal(Number(oom[0]!.value[1]), 1, 'one process was killed');
    const panics = await until(async () => {
      const r = await query(prom, 'kerno_node_kernel_panics_total');
      return r.length > 0 ? r : undefined;
    }, 'kerno_node_kernel_panics_total');
    assert.equal(
      panics.reduce((n, s) => n + Number(s.value[1]), 0),
      1,
      `one incident: ${JSON.stringify(panics)}`,
    );
  });

  test('every query of every panel returns at least one series', async (t) => {
    const queries = dashboardQueries();
    assert.ok(queries.length >= 20, `${queries.length} queries`);
    const empty: string[] = [];
    const counts: string[] = [];
    // rate()/increase() need two samples in the window: wait for each query rather than a fixed time.
    for (const q of queries) {
      const r = await until(
        async () => {
          const res = await query(prom, q.expr);
          return res.length > 0 ? res : undefined;
        },
        q.expr,
        30_000,
      ).catch(() => []);
      if (r.length === 0) empty.push(`${q.panel} [${q.refId}]: ${q.expr}`);
      counts.push(`${r.length}`);
    }
    t.diagnostic(`series per query: ${counts.join(' ')}`);
    assert.deepEqual(empty, [], `panels without data (series per query: ${counts.join(' ')})`);
  });
});
