// Trace filter parsing and its rodata encoding (what the BPF programs compare against), record decoding
// and the --top ranking: pure, no kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MonoClock,
  SYSCALL_EVENT,
  DISK_EVENT,
  SCHED_EVENT,
  TraceFilterError,
  decodeDiskEvent,
  decodeSchedEvent,
  decodeSyscallEvent,
  devName,
  diskRodata,
  parseComm,
  parseLatency,
  parseOps,
  parsePid,
  parseSyscall,
  rankRows,
  syscallRodata,
  type TopRow,
} from '../../../src/trace/index.js';

test('syscalls by name (any case, optional sys_ prefix) or number', () => {
  assert.equal(parseSyscall('getppid'), 110);
  assert.equal(parseSyscall('GetPPid'), 110);
  assert.equal(parseSyscall('sys_openat'), 257);
  assert.equal(parseSyscall('35'), 35);
  assert.throws(() => parseSyscall('getppidd'), /unknown syscall "getppidd".*did you mean getppid, /);
  assert.throws(() => parseSyscall('4096'), /out of range/);
  assert.throws(() => parseSyscall(''), TraceFilterError);
});

test('pids, comms, operations and latencies', () => {
  assert.equal(parsePid('0'), 0);
  assert.equal(parsePid(' 42 '), 42);
  assert.throws(() => parsePid('-1'), /expected a process id/);
  assert.throws(() => parsePid('12abc'), /expected a process id/);
  assert.throws(() => parsePid('99999999'), /maximum/);
  assert.equal(parseComm('NGINX'), 'nginx');
  // The kernel keeps 15 bytes of a name: the full name of a long program still matches its comm.
  assert.equal(parseComm('systemd-journald'), 'systemd-journal');
  assert.throws(() => parseComm('  '), /empty/);
  assert.throws(() => parseComm('bad\tname'), /control characters/);
  assert.deepEqual(parseOps('read'), ['read']);
  assert.deepEqual(parseOps('s,R'), ['read', 'sync']);
  assert.deepEqual(parseOps('write,w'), ['write']);
  assert.throws(() => parseOps('flush'), /unknown operation "flush"/);
  assert.equal(parseLatency('10ms'), 10_000_000);
  assert.equal(parseLatency('0'), 0);
  assert.throws(() => parseLatency('10'), /missing unit/);
  assert.throws(() => parseLatency('-1ms'), /negative/);
});

test('rodata: little-endian values of the C types, comm NUL-padded, -1 = every syscall', () => {
  const r = new Map(
    syscallRodata({ pid: 513, comm: 'ab', minLatencyNs: 2 ** 33, nr: -1 }).map((x) => [x.name, x.value]),
  );
  assert.deepEqual([...r.keys()].sort(), ['filter_comm', 'filter_nr', 'filter_tgid', 'min_latency_ns']);
  assert.deepEqual(r.get('filter_tgid'), Buffer.from([1, 2, 0, 0]));
  assert.deepEqual(r.get('filter_nr'), Buffer.from([0xff, 0xff, 0xff, 0xff]));
  assert.equal(r.get('min_latency_ns')!.readBigUInt64LE(0), 2n ** 33n);
  assert.equal(r.get('filter_comm')!.length, 16);
  assert.equal(r.get('filter_comm')!.toString('latin1'), 'ab' + '\0'.repeat(14));
  const d = new Map(
    diskRodata({ pid: 0, comm: '', minLatencyNs: 0, ops: ['read', 'sync'] }).map((x) => [x.name, x.value]),
  );
  // bit DISK_OP_* (bpf/disk.h: read 0, write 1, sync 2)
  assert.equal(d.get('op_mask')!.readUInt32LE(0), 0b101);
  assert.equal(
    diskRodata({ pid: 0, comm: '', minLatencyNs: 0, ops: [] })
      .find((x) => x.name === 'op_mask')!
      .value.readUInt32LE(0),
    0,
  );
});

test('records decode at the declared offsets; monotonic time becomes wall time', () => {
  const clock = new MonoClock(Date.parse('2026-01-02T03:04:05.000Z'), 1_000_000_000);
  const s = Buffer.alloc(SYSCALL_EVENT.size);
  s.writeBigUInt64LE(1_250_000_000n, SYSCALL_EVENT.offset.ts_ns);
  s.writeBigUInt64LE(30_000_123n, SYSCALL_EVENT.offset.latency_ns);
  s.writeBigInt64LE(-2n, SYSCALL_EVENT.offset.ret);
  s.writeUInt32LE(100, SYSCALL_EVENT.offset.pid);
  s.writeUInt32LE(101, SYSCALL_EVENT.offset.tid);
  s.writeUInt32LE(257, SYSCALL_EVENT.offset.nr);
  s.write('worker\0junk', SYSCALL_EVENT.offset.comm, 'latin1');
  assert.deepEqual(decodeSyscallEvent(s, clock), {
    timestamp: '2026-01-02T03:04:05.250Z',
    pid: 100,
    tid: 101,
    comm: 'worker',
    syscall: 'openat',
    syscallNr: 257,
    latencyNs: 30_000_123,
    ret: -2,
  });
  assert.equal(decodeSyscallEvent(s.subarray(0, 40), clock), undefined);

  const d = Buffer.alloc(DISK_EVENT.size);
  d.writeBigUInt64LE(1_000_000_000n, 0);
  d.writeBigUInt64LE(5_000_000n, DISK_EVENT.offset.latency_ns);
  d.writeBigUInt64LE(2048n, DISK_EVENT.offset.sector);
  d.writeUInt32LE(7, DISK_EVENT.offset.pid);
  d.writeUInt32LE((254 << 20) | 16, DISK_EVENT.offset.dev);
  d.writeUInt32LE(4096, DISK_EVENT.offset.bytes);
  d.writeUInt32LE(2, DISK_EVENT.offset.op);
  d.write('dd', DISK_EVENT.offset.comm, 'latin1');
  const de = decodeDiskEvent(d, clock);
  assert.equal(de?.dev, '254:16');
  assert.equal(de?.op, 'sync');
  assert.equal(de?.bytes, 4096);
  assert.equal(de?.sector, 2048);
  d.writeUInt32LE(9, DISK_EVENT.offset.op);
  assert.equal(decodeDiskEvent(d, clock), undefined, 'an unknown op class is not guessed');
  assert.equal(devName(0), '0:0');

  const c = Buffer.alloc(SCHED_EVENT.size);
  c.writeBigUInt64LE(7_000_000n, SCHED_EVENT.offset.delay_ns);
  c.writeUInt32LE(3, SCHED_EVENT.offset.cpu);
  c.writeUInt32LE(55, SCHED_EVENT.offset.prev_pid);
  c.write('spin', SCHED_EVENT.offset.comm, 'latin1');
  const ce = decodeSchedEvent(c, clock);
  assert.equal(ce?.runqDelayNs, 7_000_000);
  assert.equal(ce?.cpu, 3);
  assert.equal(ce?.prevPid, 55);
  assert.equal(ce?.comm, 'spin');
});

test('--top ranks by p99, then count, then name: stable between refreshes', () => {
  const row = (syscall: string, p99Ns: number, count: number, pid = 1): TopRow => ({
    syscall,
    syscallNr: 0,
    pid,
    comm: 'x',
    count,
    p50Ns: 0,
    p95Ns: 0,
    p99Ns,
    maxNs: p99Ns,
  });
  const ranked = rankRows([row('read', 5, 1), row('write', 50, 1), row('futex', 5, 9), row('brk', 5, 1)]);
  assert.deepEqual(
    ranked.map((r) => r.syscall),
    ['write', 'futex', 'brk', 'read'],
  );
});
