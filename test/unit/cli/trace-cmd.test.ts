// `kerno trace` flag handling: bad input is one line on stderr and exit 2, before anything is loaded
// (these run without root); the flags become the filters the kernel compares against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKerno } from './helpers.js';
import { parseDiskFlags, parseSyscallFlags } from '../../../src/cli/trace-cmd.js';
import { UsageError } from '../../../src/cli/io.js';

const BAD: [string[], RegExp][] = [
  [['trace', 'syscall', '--filter', 'nosuchcall'], /^kerno: --filter: unknown syscall "nosuchcall"/],
  [['trace', 'syscall', 'nosuchcall'], /^kerno: syscall: unknown syscall/],
  [['trace', 'syscall', 'read', '--filter', 'write'], /disagree/],
  [['trace', 'syscall', '--pid', 'abc'], /^kerno: --pid: expected a process id/],
  [['trace', 'syscall', '--min-latency', '10'], /^kerno: --min-latency: .*missing unit/],
  [['trace', 'syscall', '--top', 'x'], /^kerno: --top: expected a number of rows/],
  [['trace', 'syscall', '--duration', 'soon'], /^kerno: --duration: /],
  [['trace', 'disk', '--op', 'flush'], /^kerno: --op: unknown operation "flush"/],
  [['trace', 'disk', '--threshold', '-5ms'], /^kerno: --threshold: .*negative/],
  [['trace', 'disk', '--process', 'a', '--comm', 'b'], /disagree/],
  [
    ['trace', 'sched', '-o', 'yaml'],
    /^kerno: error: option '-o, --output <format>' argument 'yaml' is invalid/,
  ],
  [['trace', 'sched', '--comm', ''], /^kerno: --comm: expected a process name/],
  [['trace', 'nothing'], /^kerno: error: unknown command 'nothing'/],
];

for (const [args, re] of BAD) {
  test(`kerno ${args.join(' ')} → one line, exit 2`, async () => {
    const r = await runKerno(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  });
}

test('syscall flags: positional and --filter agree or one is given; defaults trace everything', () => {
  const base = { pid: '0', duration: '0', minLatency: '0', top: '0' };
  assert.deepEqual(parseSyscallFlags(undefined, base), { pid: 0, comm: '', minLatencyNs: 0, nr: -1, top: 0 });
  assert.equal(parseSyscallFlags('NANOSLEEP', { ...base, filter: '35' }).nr, 35);
  assert.deepEqual(
    parseSyscallFlags(undefined, {
      ...base,
      filter: 'getppid',
      pid: '12',
      comm: 'Foo',
      minLatency: '30ms',
      top: '5',
    }),
    {
      pid: 12,
      comm: 'foo',
      minLatencyNs: 30e6,
      nr: 110,
      top: 5,
    },
  );
  assert.throws(() => parseSyscallFlags(undefined, { ...base, top: '1001' }), UsageError);
});

test('disk flags: --process is --comm; --op takes the short forms', () => {
  const base = { pid: '0', duration: '0', threshold: '0' };
  assert.equal(parseDiskFlags({ ...base, process: 'Postgres' }).comm, 'postgres');
  assert.equal(parseDiskFlags({ ...base, process: 'pg', comm: 'PG' }).comm, 'pg');
  assert.deepEqual(parseDiskFlags({ ...base, op: 'w,s', threshold: '5ms' }), {
    pid: 0,
    comm: '',
    minLatencyNs: 5e6,
    ops: ['write', 'sync'],
  });
});

test('a pid that does not exist is refused before anything loads', async () => {
  const r = await runKerno(['trace', 'sched', '--pid', '4194000']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^kerno: --pid: no process 4194000\n$/);
});
