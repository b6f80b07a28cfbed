import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isValidRunId,
  nftTableName,
  resourceName,
  runIdOfName,
  vethNames,
} from '../../../src/chaos/names.js';
import { parseNftTables } from '../../../src/chaos/cleanup.js';
import { mountOf, parseMountinfo, pickCgroupLayout, pickCpuCgroup } from '../../../src/chaos/host.js';
import { parseDiskstats, parsePsi, parseSnmpTcp, parseStatStartTime } from '../../../src/chaos/proc.js';
import { linkAddresses, nftRuleset } from '../../../src/chaos/scenarios/tcp-loss.js';
import { newRunId } from '../../../src/chaos/session.js';

test('run ids and resource names round-trip; foreign names are not ours', () => {
  const id = newRunId();
  assert.ok(isValidRunId(id));
  assert.equal(runIdOfName(resourceName(id)), id);
  assert.equal(runIdOfName(resourceName(id, 'disk')), id);
  assert.equal(runIdOfName(nftTableName(id)), id);
  const v = vethNames(id);
  assert.equal(runIdOfName(v.host), id);
  assert.equal(runIdOfName(v.peer), id);
  assert.ok(v.host.length <= 15 && v.peer.length <= 15, 'IFNAMSIZ');
  for (const foreign of [
    'kerno-chaos-',
    'kerno-chaos-xyz',
    'my-kerno-chaos-12345678',
    'kerno-test-12345678',
    'eth0',
    'kc1234567h',
    'kerno-chaos-disk-1234567g',
  ]) {
    assert.equal(runIdOfName(foreign), undefined, foreign);
  }
});

test('parseStatStartTime survives a comm with spaces and parentheses', () => {
  const tail = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21';
  assert.equal(parseStatStartTime(`123 (a b) c)) ${tail}`), 424242);
  assert.equal(parseStatStartTime('garbage'), undefined);
});

test('parseNftTables', () => {
  assert.deepEqual(parseNftTables('table inet filter\ntable ip kerno_chaos_0a1b2c3d\n'), [
    { family: 'inet', name: 'filter' },
    { family: 'ip', name: 'kerno_chaos_0a1b2c3d' },
  ]);
});

test('procfs parsers: PSI, /proc/net/snmp, /proc/diskstats', () => {
  assert.deepEqual(
    parsePsi(
      'some avg10=1.00 avg60=0.00 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=56\n',
    ),
    { someUs: 1234, fullUs: 56 },
  );
  assert.deepEqual(parsePsi('some avg10=0.00 avg60=0.00 avg300=0.00 total=9\n'), { someUs: 9, fullUs: 0 });
  const snmp =
    'Ip: Forwarding DefaultTTL\nIp: 1 64\n' +
    'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n' +
    'Tcp: 1 200 120000 -1 10 5 0 0 2 1000 2000 40 0 3 0\n';
  assert.deepEqual(parseSnmpTcp(snmp), { outSegs: 2000, retransSegs: 40 });
  assert.equal(parseSnmpTcp('Ip: a\nIp: 1\n'), undefined);
  const ds =
    ' 254       0 vda 28209 5933 1591634 4883 10908 21825 1866400 5356 0 3708 10499 5072 34 123576 208 1371 50\n';
  assert.deepEqual(parseDiskstats(ds, 'vda'), {
    writes: 10908,
    writeTicksMs: 5356,
    weightedMs: 10499,
    flushes: 1371,
    flushTicksMs: 50,
  });
  assert.equal(parseDiskstats(ds, 'sda'), undefined);
});

const MOUNTINFO_V1 = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '50 27 0:40 / /tmp/with\\040space rw - tmpfs tmpfs rw',
].join('\n');

test('parseMountinfo unescapes paths and splits the optional fields', () => {
  const m = parseMountinfo(MOUNTINFO_V1);
  assert.equal(m.length, 7);
  assert.deepEqual(m[3], {
    majMin: '0:32',
    root: '/',
    mountPoint: '/sys/fs/cgroup/memory',
    fsType: 'cgroup',
    source: 'cgroup',
    superOptions: ['rw', 'memory'],
  });
  assert.equal(m[6]!.mountPoint, '/tmp/with space');
  const tagged = parseMountinfo('60 27 8:1 / /data rw,relatime shared:5 master:1 - xfs /dev/sda1 rw');
  assert.equal(tagged[0]!.fsType, 'xfs');
  assert.equal(tagged[0]!.source, '/dev/sda1');
});

test('cgroup layout: hybrid v1 memory, pure v2, v2 without memory', () => {
  const mounts = parseMountinfo(MOUNTINFO_V1);
  assert.deepEqual(
    pickCgroupLayout(mounts, () => []),
    { memory: { version: 1, root: '/sys/fs/cgroup/memory' }, pressureRoot: '/sys/fs/cgroup/unified' },
  );
  const v2 = parseMountinfo('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate');
  assert.deepEqual(
    pickCgroupLayout(v2, (mp) => (mp === '/sys/fs/cgroup' ? ['cpuset', 'cpu', 'io', 'memory', 'pids'] : [])),
    { memory: { version: 2, root: '/sys/fs/cgroup' } },
  );
  assert.deepEqual(
    pickCgroupLayout(v2, () => ['cpu']),
    { pressureRoot: '/sys/fs/cgroup' },
  );
});

test('cpu cgroup: v2 with the cpu controller, else v1 cpu with its cpuacct (separate or co-mounted)', () => {
  const hybrid = parseMountinfo(
    [
      '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
      '32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
      '33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
      '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n'),
  );
  assert.deepEqual(
    pickCpuCgroup(hybrid, () => ['hugetlb']),
    {
      version: 1,
      root: '/sys/fs/cgroup/cpu',
      cpuacctRoot: '/sys/fs/cgroup/cpuacct',
    },
  );
  const comounted = parseMountinfo(
    '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
  );
  assert.deepEqual(
    pickCpuCgroup(comounted, () => []),
    {
      version: 1,
      root: '/sys/fs/cgroup/cpu,cpuacct',
      cpuacctRoot: '/sys/fs/cgroup/cpu,cpuacct',
    },
  );
  const v2 = parseMountinfo('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate');
  assert.deepEqual(
    pickCpuCgroup(v2, () => ['cpu', 'memory']),
    { version: 2, root: '/sys/fs/cgroup' },
  );
  assert.equal(
    pickCpuCgroup(v2, () => ['memory']),
    undefined,
  );
});

test('mountOf picks the longest mount-point prefix, not a string prefix', () => {
  const mounts = parseMountinfo(MOUNTINFO_V1);
  assert.equal(mountOf('/var/tmp', mounts)?.fsType, 'ext4');
  assert.equal(mountOf('/tmp/with space/x', mounts)?.fsType, 'tmpfs');
  assert.equal(mountOf('/sys/fs/cgroup/memoryX', mounts)?.mountPoint, '/sys/fs/cgroup');
});

test('tcp-loss link addresses: a /30 inside 198.18.0.0/15, host .1 and peer .2 of it', () => {
  const seen = new Set<string>();
  for (const id of ['00000000', '0000ffff', 'ffffffff', '12345678', '00003fff']) {
    const { host, peer } = linkAddresses(id);
    const h = host.split('.').map(Number);
    const p = peer.split('.').map(Number);
    assert.equal(h[0], 198);
    assert.ok(h[1] === 18 || h[1] === 19, host);
    assert.equal(h[3]! % 4, 1, host);
    assert.deepEqual(p.slice(0, 3), h.slice(0, 3));
    assert.equal(p[3], h[3]! + 1);
    seen.add(host);
  }
  // The low 14 bits pick the subnet: 0000ffff, ffffffff and 00003fff share the last one.
  assert.equal(seen.size, 3);
});

test('nft ruleset drops the given share of TCP to the port, counts it, in its own table', () => {
  const rs = nftRuleset('kerno_chaos_0a1b2c3d', 10, 5201);
  assert.match(rs, /^table inet kerno_chaos_0a1b2c3d \{/);
  assert.match(rs, /type filter hook input priority -150; policy accept;/);
  assert.match(rs, /tcp dport 5201 numgen random mod 100 < 10 counter drop/);
});
