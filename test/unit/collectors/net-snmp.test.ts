import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseSnmp,
  parseSnmp6,
  readSnmp,
  snmpPathForPid,
  tcpCounters,
  tcpCountersDelta,
} from '../../../src/collectors/procfs/net-snmp.js';
import { fixturePath, readFixture } from './fixtures.js';

test('snmp: Tcp section by name, signed values kept', async () => {
  const table = parseSnmp(await readFixture('snmp'));
  assert.deepEqual([...table.keys()], ['Ip', 'Icmp', 'IcmpMsg', 'Tcp', 'Udp', 'UdpLite']);
  assert.equal(table.get('Tcp')?.get('MaxConn'), -1);
  assert.deepEqual(tcpCounters(table), {
    activeOpens: 1523,
    passiveOpens: 874,
    attemptFails: 12,
    estabResets: 31,
    currEstab: 42,
    inSegs: 998877,
    outSegs: 1234567,
    retransSegs: 4321,
    inErrs: 3,
    outRsts: 210,
    inCsumErrors: 1,
  });
});

test('snmp: /proc/net/netstat has the same header/value layout (TcpExt)', async () => {
  const table = parseSnmp(await readFixture('netstat'));
  assert.ok(table.get('TcpExt')?.has('TCPTimeouts'));
  assert.ok(table.get('IpExt')?.has('InOctets'));
});

test('snmp6: name/value lines; no Tcp6 section exists (TCP MIB is shared with IPv4)', async () => {
  const six = parseSnmp6(await readFixture('snmp6'));
  assert.equal(six.get('Ip6InReceives'), 1);
  assert.ok(six.has('Udp6InDatagrams'));
  assert.equal([...six.keys()].filter((k) => k.startsWith('Tcp')).length, 0);
});

test('snmp: delta subtracts counters, keeps the CurrEstab gauge, clamps a reset counter to 0', async () => {
  const before = tcpCounters(parseSnmp(await readFixture('snmp')));
  const after = {
    ...before,
    outSegs: before.outSegs + 100,
    retransSegs: before.retransSegs + 7,
    currEstab: 5,
  };
  after.inSegs = 0; // netns recreated
  const d = tcpCountersDelta(before, after);
  assert.equal(d.outSegs, 100);
  assert.equal(d.retransSegs, 7);
  assert.equal(d.currEstab, 5);
  assert.equal(d.inSegs, 0);
  assert.equal(d.activeOpens, 0);
});

test('snmp: mismatched header/value lines are an error', async () => {
  assert.throws(() => parseSnmp('Tcp: A B\nUdp: 1 2\n'), /not a header\/value pair/);
  await assert.rejects(readSnmp(fixturePath('meminfo')), /fixtures\/procfs\/meminfo: parse snmp/);
});

test('snmp: per-netns path goes through /proc/<pid>/net', () => {
  assert.equal(snmpPathForPid(1234), '/proc/1234/net/snmp');
});
