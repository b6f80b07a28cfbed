// Node-name map, listen address, metrics and the setup plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { NodeNameMap, parseNodeMap } from '../../../src/netconsole/node-names.js';
import { parseListenAddress } from '../../../src/netconsole/listen.js';
import { NetconsoleReceiver } from '../../../src/netconsole/receiver.js';
import { registerNetconsoleMetrics } from '../../../src/netconsole/metrics.js';
import {
  applyNetconsole,
  detectNetconsoleSupport,
  netconsoleSetupPlan,
  parseTarget,
} from '../../../src/netconsole/setup.js';
import { plainPackets } from './fixtures.js';

test('node map: address, address:port, IPv4-mapped IPv6; bounded metric label', () => {
  const m = parseNodeMap('10.0.0.5=node-a, 10.0.0.6:6665=node-b [fd00::7]:6665=node-c');
  assert.equal(m.resolve('10.0.0.5', 1234), 'node-a');
  assert.equal(m.resolve('::ffff:10.0.0.5', 6665), 'node-a');
  assert.equal(m.resolve('10.0.0.6', 6665), 'node-b');
  assert.equal(m.resolve('10.0.0.6', 9999), '10.0.0.6');
  assert.equal(m.resolve('fd00::7', 6665), 'node-c');
  assert.equal(m.metricLabel('10.9.9.9'), 'unknown');
  assert.deepEqual(m.names(), ['node-a', 'node-b', 'node-c']);
  assert.throws(() => parseNodeMap('node-a'), /expected ADDRESS=NODE/);
  assert.throws(() => new NodeNameMap({ 'not-an-ip': 'x' }), /not an IP address/);
  assert.throws(() => new NodeNameMap({ '10.0.0.1': 'bad name!' }), /not a valid node name/);
});

test('listen address parsing', () => {
  assert.deepEqual(parseListenAddress('udp://0.0.0.0:6666'), { host: '0.0.0.0', port: 6666, family: 'udp4' });
  assert.deepEqual(parseListenAddress('udp://[::]:7000'), { host: '::', port: 7000, family: 'udp6' });
  assert.deepEqual(parseListenAddress('udp://127.0.0.1'), { host: '127.0.0.1', port: 6666, family: 'udp4' });
  assert.throws(() => parseListenAddress('tcp://0.0.0.0:6666'), /expected udp:\/\/host:port/);
  assert.throws(() => parseListenAddress('udp://example.com:6666'), /not an IP address/);
  assert.throws(() => parseListenAddress('udp://0.0.0.0:70000'), /expected udp:\/\/host:port/);
});

test('kerno_node_kernel_panics_total{node,kind}: configured nodes plus "unknown" only', async () => {
  const registry = new Registry();
  const r = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    idleTimeoutMs: 1_000,
    nodeNames: new NodeNameMap({ '10.0.0.5': 'node-a' }),
  });
  registerNetconsoleMetrics(registry, r);
  let t = 0;
  for (const p of plainPackets('panic-null-deref.log'))
    r.ingest(p, { address: '10.0.0.5', port: 6665 }, (t += 1));
  for (const p of plainPackets('hung-task.log')) r.ingest(p, { address: '192.0.2.77', port: 6665 }, (t += 1));
  for (const p of plainPackets('hung-task.log')) r.ingest(p, { address: '192.0.2.78', port: 6665 }, (t += 1));
  r.tick(t + 5_000);
  await r.settled();
  const text = await registry.metrics();
  assert.match(text, /kerno_node_kernel_panics_total\{node="node-a",kind="panic"\} 1/);
  assert.match(text, /kerno_node_kernel_panics_total\{node="node-a",kind="oops"\} 0/);
  assert.match(text, /kerno_node_kernel_panics_total\{node="unknown",kind="hung_task"\} 2/);
  assert.doesNotMatch(text, /192\.0\.2/);
  assert.match(text, /kerno_netconsole_packets_total \d+/);
  assert.match(text, /kerno_netconsole_senders 3/);
});

test('setup plan: configfs commands and the equivalent module parameter', () => {
  const support = detectNetconsoleSupport({
    release: 'x',
    configfsRoot: '/nonexistent',
    modulesRoot: '/nonexistent',
    bootDir: '/nonexistent',
    procConfigGz: '/nonexistent',
    mountsPath: '/nonexistent',
  });
  const plan = netconsoleSetupPlan({
    target: '10.0.0.2:6666',
    iface: 'eth1',
    localIp: '10.0.0.1',
    targetMac: '12:34:56:78:9A:BC',
    support,
  });
  assert.equal(plan.moduleParam, 'netconsole=+@10.0.0.1/eth1,6666@10.0.0.2/12:34:56:78:9a:bc');
  assert.deepEqual(plan.configfsCommands.slice(-7), [
    'echo eth1 > /sys/kernel/config/netconsole/kerno/dev_name',
    'echo 10.0.0.1 > /sys/kernel/config/netconsole/kerno/local_ip',
    'echo 10.0.0.2 > /sys/kernel/config/netconsole/kerno/remote_ip',
    'echo 6666 > /sys/kernel/config/netconsole/kerno/remote_port',
    'echo 12:34:56:78:9a:bc > /sys/kernel/config/netconsole/kerno/remote_mac',
    'echo 1 > /sys/kernel/config/netconsole/kerno/extended',
    'echo 1 > /sys/kernel/config/netconsole/kerno/enabled',
  ]);
  assert.equal(plan.supported, false);
  assert.deepEqual(parseTarget('[fd00::2]:6666'), { host: 'fd00::2', port: 6666 });
  assert.throws(() => parseTarget('logs.example.com:6666'), /not an IP address/);
  assert.throws(
    () => netconsoleSetupPlan({ target: '10.0.0.2:6666', iface: 'eth0; rm -rf /' }),
    /invalid interface/,
  );
  assert.throws(
    () => netconsoleSetupPlan({ target: '10.0.0.2:6666', targetMac: 'zz' }),
    /invalid target MAC/,
  );
});

test('support detection from a kernel config: =m with a module, built without, configfs present', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kerno-test-ncsetup-'));
  try {
    const rel = '6.12.0-test';
    mkdirSync(join(root, 'boot'));
    mkdirSync(join(root, 'modules', rel, 'kernel', 'drivers', 'net'), { recursive: true });
    writeFileSync(
      join(root, 'boot', `config-${rel}`),
      'CONFIG_NETCONSOLE=m\nCONFIG_NETCONSOLE_DYNAMIC=y\nCONFIG_CONFIGFS_FS=y\n',
    );
    writeFileSync(join(root, 'modules', rel, 'kernel', 'drivers', 'net', 'netconsole.ko.zst'), '');
    const base = {
      release: rel,
      configfsRoot: join(root, 'cfg'),
      modulesRoot: join(root, 'modules'),
      bootDir: join(root, 'boot'),
      procConfigGz: join(root, 'none'),
      mountsPath: join(root, 'none'),
    };
    const withModule = detectNetconsoleSupport(base);
    assert.equal(withModule.supported, true);
    assert.equal(withModule.moduleAvailable, true);
    const plan = netconsoleSetupPlan({ target: '10.0.0.2:6666', support: withModule });
    assert.deepEqual(plan.configfsCommands.slice(0, 2), [
      'modprobe netconsole',
      'mount -t configfs configfs /sys/kernel/config',
    ]);

    writeFileSync(
      join(root, 'config.gz'),
      gzipSync('# CONFIG_NETCONSOLE is not set\n# CONFIG_CONFIGFS_FS is not set\n'),
    );
    const without = detectNetconsoleSupport({
      ...base,
      bootDir: join(root, 'none'),
      modulesRoot: join(root, 'none'),
      procConfigGz: join(root, 'config.gz'),
    });
    assert.equal(without.supported, false);
    assert.match(
      without.reason,
      /^netconsole is not available on this kernel \(6\.12\.0-test\): it was built without CONFIG_NETCONSOLE and without configfs/,
    );
    await assert.rejects(
      applyNetconsole(netconsoleSetupPlan({ target: '10.0.0.2:6666', support: without })),
      /^Error: netconsole is not available on this kernel[^\n]*\.$/,
    );

    mkdirSync(join(root, 'cfg', 'netconsole'), { recursive: true });
    const live = detectNetconsoleSupport({ ...base, modulesRoot: join(root, 'none') });
    assert.equal(live.supported, true);
    assert.equal(live.configfsNetconsole, true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
