import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile as execFileCb, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CgroupIdResolver, resolveCgroupId } from '../../src/collectors/procfs/cgroup-ids.js';
import { PressureCollector } from '../../src/collectors/pressure.js';
import { hostInfo } from '../../src/collectors/procfs/host.js';
import { readTcpCounters, tcpCountersDelta } from '../../src/collectors/procfs/net-snmp.js';
import { countFds, readComm, softFdLimit } from '../../src/collectors/procfs/pid-fds.js';
import { countEstablished, netDirOf } from '../../src/collectors/procfs/tcp-sockets.js';
import { requireKernel } from '../helpers/kernel.js';

const execFile = promisify(execFileCb);
const UNIFIED = '/sys/fs/cgroup/unified';
const V1_MEMORY = '/sys/fs/cgroup/memory';

before(() => requireKernel());

const tag = (): string => `kerno-test-${process.pid}-${randomBytes(4).toString('hex')}`;
const children: ChildProcess[] = [];
const cgroups: string[] = [];
const netnses: string[] = [];

after(async () => {
  for (const c of children) await killAndWait(c);
  const left: string[] = [];
  for (const dir of cgroups) {
    await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') left.push(`${dir}: ${err.message}`);
    });
  }
  for (const ns of netnses) {
    await execFile('ip', ['netns', 'del', ns]).catch((err: Error) => {
      if (!/No such file/.test(err.message)) left.push(`netns ${ns}: ${err.message}`);
    });
  }
  assert.deepEqual(left, [], 'everything the tests created is removed');
});

/**
 * A child that prints "ready", runs `onGo` on the first stdin line, prints "done" and stays alive.
 * `argv` prefixes the node command (e.g. ["ip", "netns", "exec", ns]).
 */
function spawnChild(
  onGo: string,
  argv: string[] = [],
): { child: ChildProcess; waitFor: (w: string) => Promise<void> } {
  const script =
    `process.stdout.write('ready\\n');` +
    `process.stdin.once('data', async () => { ${onGo}; process.stdout.write('done\\n'); setInterval(() => {}, 1e6); });`;
  const cmd = [...argv, process.execPath, '-e', script];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const seen = new Set<string>();
  const waiters = new Map<string, () => void>();
  createInterface({ input: child.stdout! }).on('line', (l) => {
    seen.add(l);
    waiters.get(l)?.();
  });
  const waitFor = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (seen.has(word)) return resolve();
      const timer = setTimeout(() => reject(new Error(`child did not print "${word}" within 20 s`)), 20_000);
      waiters.set(word, () => (clearTimeout(timer), resolve()));
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${word}"`)));
    });
  return { child, waitFor };
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('countFds counts what the process holds; limits and comm come from its /proc entries', async () => {
  const K = 25;
  const open =
    `require('fs').writeFileSync('/proc/self/comm', 'kerno-fdtest');` +
    `globalThis.fds = Array.from({ length: ${K} }, () => require('fs').openSync('/dev/null', 'r'))`;
  // NOFILE is set by the shell before exec, so the child's limits file must show it. Node raises its soft
  // limit to the hard one at startup, hence both are lowered.
  const { child, waitFor } = spawnChild(open, ['sh', '-c', 'ulimit -n 777 && exec "$@"', 'sh']);
  try {
    await waitFor('ready');
    const pid = child.pid!;
    const baseline = await countFds(pid);
    assert.equal(baseline, (await readdir(`/proc/${pid}/fd`)).length);
    assert.ok(baseline >= 3, 'stdio at least');
    child.stdin!.write('go\n');
    await waitFor('done');
    const now = await countFds(pid);
    assert.equal(now, (await readdir(`/proc/${pid}/fd`)).length);
    assert.equal(now, baseline + K);
    assert.equal(await softFdLimit(pid), 777);
    assert.equal(await readComm(pid), 'kerno-fdtest');
  } finally {
    await killAndWait(child);
  }
  assert.equal(await countFds(child.pid!), -1, 'an exited process is unknown, not an error');
});

test('host TCP counters move with loopback traffic; ESTABLISHED sockets are counted', async () => {
  const before = await readTcpCounters();
  const payload = Buffer.alloc(1 << 20, 1);
  const server = net.createServer((sock) => sock.on('data', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((r) => client.once('connect', r));
    await new Promise<void>((r, j) => client.write(payload, (e) => (e ? j(e) : r())));
    assert.ok((await countEstablished()) >= 2, 'both ends of the connection are ESTABLISHED');
  } finally {
    client.destroy();
    await new Promise((r) => server.close(r));
  }
  const d = tcpCountersDelta(before, await readTcpCounters());
  assert.ok(d.activeOpens >= 1 && d.passiveOpens >= 1, `opens ${d.activeOpens}/${d.passiveOpens}`);
  // 1 MiB over loopback (MSS ≈ 64 KiB) is at least 16 data segments out and in.
  assert.ok(d.outSegs >= 16 && d.inSegs >= 16, `segments out ${d.outSegs} in ${d.inSegs}`);
});

test('per-netns counters through /proc/<pid>/net: a fresh netns sees exactly its own connection', async () => {
  const ns = tag();
  await execFile('ip', ['netns', 'add', ns]);
  netnses.push(ns);
  await execFile('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const exchange =
    `const net = require('net'); const server = net.createServer((s) => { globalThis.peer = s; });` +
    `await new Promise((r) => server.listen(0, '127.0.0.1', r));` +
    `globalThis.c = net.connect(server.address().port, '127.0.0.1');` +
    `await new Promise((r) => globalThis.c.once('connect', r));` +
    `await new Promise((r) => globalThis.c.write(Buffer.alloc(100000, 1), r));` +
    `while (!globalThis.peer) await new Promise((r) => setTimeout(r, 10))`;
  const { child, waitFor } = spawnChild(exchange, ['ip', 'netns', 'exec', ns]);
  try {
    await waitFor('ready');
    const pid = child.pid!;
    const before = await readTcpCounters(pid);
    assert.equal(before.activeOpens, 0, 'a new netns starts with zeroed TCP MIB');
    assert.equal(await countEstablished(netDirOf(pid)), 0);
    child.stdin!.write('go\n');
    await waitFor('done');
    const after = await readTcpCounters(pid);
    assert.equal(after.activeOpens, 1);
    assert.equal(after.passiveOpens, 1);
    assert.equal(after.currEstab, 2);
    assert.ok(after.outSegs >= 3, 'handshake plus data');
    assert.equal(await countEstablished(netDirOf(pid)), 2);
  } finally {
    await killAndWait(child);
  }
});

test('resolveCgroupId: the kernfs id of a cgroup is its directory inode, per hierarchy', async () => {
  const name = tag();
  const v2dir = `${UNIFIED}/${name}`;
  const v1dir = `${V1_MEMORY}/${name}`;
  await mkdir(v2dir);
  cgroups.push(v2dir);
  await mkdir(v1dir);
  cgroups.push(v1dir);
  const { child, waitFor } = spawnChild('');
  try {
    await waitFor('ready');
    await writeFile(`${v2dir}/cgroup.procs`, String(child.pid));
    await writeFile(`${v1dir}/cgroup.procs`, String(child.pid));
    // The kernel's own account of where the process lives.
    const lines = (await readFile(`/proc/${child.pid}/cgroup`, 'utf8')).trim().split('\n');
    const v2path = lines.find((l) => l.startsWith('0::'))?.slice(3);
    const v1path = lines.find((l) => /^\d+:memory:/.test(l))?.split(':')[2];
    assert.equal(v2path, `/${name}`);
    assert.equal(v1path, `/${name}`);

    const v2id = (await stat(v2dir, { bigint: true })).ino;
    const v1id = (await stat(v1dir, { bigint: true })).ino;
    assert.equal(await resolveCgroupId(v2id), v2path, 'default hierarchy is the cgroup2 mount');
    assert.equal(await resolveCgroupId(Number(v2id), UNIFIED), v2path);
    const v1 = new CgroupIdResolver({ root: V1_MEMORY });
    assert.deepEqual(await v1.resolve(v1id), { root: V1_MEMORY, path: v1path, absPath: v1dir });
    assert.equal(await resolveCgroupId(1), '/', 'every hierarchy root is id 1');
  } finally {
    await killAndWait(child);
  }
});

test('hostInfo: boot id and kernel release from this kernel', async () => {
  const info = await hostInfo();
  assert.match(info.bootId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(info.kernelRelease, (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim());
});

test('pressure: CPU oversubscription shows up as cpu "some" stall over the window', async () => {
  const c = new PressureCollector();
  await c.start({
    signal: new AbortController().signal,
    fault: (e) => assert.fail(String(e)),
    log: () => {},
  });
  // One more spinner than CPUs: some task is always runnable but waiting, for the whole 2 s window.
  const spinners = Array.from({ length: availableParallelism() + 1 }, () =>
    spawn(process.execPath, ['-e', 'const end = Date.now() + 2000; while (Date.now() < end);'], {
      stdio: 'ignore',
    }),
  );
  children.push(...spinners);
  const startedAt = performance.now();
  await Promise.all(spinners.map((p) => new Promise((r) => p.once('exit', r))));
  const { pressure } = await c.snapshot((performance.now() - startedAt) * 1e6);
  await c.stop();
  assert.ok(pressure?.cpu && pressure.memory && pressure.io);
  assert.ok(pressure.cpu.someStallNs > 0);
  assert.ok(pressure.cpu.somePct > 20, `cpu some ${pressure.cpu.somePct.toFixed(1)} %`);
  assert.ok(pressure.cpu.somePct <= 100);
});
