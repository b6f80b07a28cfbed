import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyError,
  errorMessage,
  hintFor,
  UnsupportedError,
} from '../../../src/runtime/classify-error.js';
import { TimeoutError } from '../../../src/util/clock.js';
import { nativeError } from './helpers.js';

const asUser = { uid: 1000 };
const asRoot = { uid: 0 };

test('EPERM as a normal user says run as root or grant CAP_BPF + CAP_PERFMON', () => {
  const c = classifyError(
    nativeError('load syscall_lat: Operation not permitted', { errno: 1, code: 'EPERM' }),
    asUser,
  );
  assert.equal(c.kind, 'permission');
  assert.equal(c.permanent, true);
  assert.match(c.hint, /not running as root/);
  assert.match(c.hint, /CAP_BPF and CAP_PERFMON/);
});

test('EPERM as root points at capabilities or lockdown instead', () => {
  const c = classifyError(nativeError('attach fentry: Operation not permitted', { errno: 1 }), asRoot);
  assert.equal(c.kind, 'permission');
  assert.match(c.hint, /although running as root/);
  assert.match(c.hint, /lockdown/);
});

test('a verifier log wins over the EACCES it comes with', () => {
  const err = nativeError('load tcp: Permission denied', {
    errno: 13,
    code: 'EACCES',
    verifierLog: 'R1 invalid mem access',
  });
  const c = classifyError(err, asRoot);
  assert.equal(c.kind, 'verifier');
  assert.equal(c.permanent, true);
  assert.match(c.hint, /verifier rejected/);
  assert.equal(classifyError(nativeError('load: invalid', { verifierLog: '   ' }), asRoot).kind, 'unknown');
});

test('missing BTF', () => {
  const c = classifyError(
    nativeError('open BTF /sys/kernel/btf/vmlinux: No such file or directory', { errno: 2, code: 'ENOENT' }),
  );
  assert.equal(c.kind, 'no_btf');
  assert.match(c.hint, /CONFIG_DEBUG_INFO_BTF/);
});

test('a missing tracepoint is not mistaken for missing BTF (tp_btf is a program type)', () => {
  const c = classifyError(
    nativeError('attach tp_btf/tcp_retransmit_skb: No such file or directory', { errno: 2, code: 'ENOENT' }),
  );
  assert.equal(c.kind, 'tracepoint_missing');
  assert.match(c.hint, /tracepoint/);
  const raw = classifyError(nativeError('attach raw_tp/block_rq_issue', { errno: 22 }));
  assert.equal(raw.kind, 'tracepoint_missing');
});

test('memlock', () => {
  assert.equal(classifyError(nativeError('create map events', { errno: 12 })).kind, 'memlock');
  const c = classifyError(new Error('failed to raise RLIMIT_MEMLOCK'));
  assert.equal(c.kind, 'memlock');
  assert.match(c.hint, /ulimit -l/);
});

test('a missing file names the path', () => {
  const fsErr = Object.assign(new Error("ENOENT: no such file or directory, open '/proc/pressure/io'"), {
    errno: -2,
    code: 'ENOENT',
    path: '/proc/pressure/io',
  });
  const c = classifyError(fsErr);
  assert.equal(c.kind, 'file_missing');
  assert.equal(c.hint, 'a file it needs is missing (/proc/pressure/io)');
});

test('unsupported: UnsupportedError and ENOTSUP-like codes', () => {
  assert.equal(classifyError(new UnsupportedError('no cgroup memory controller')).kind, 'unsupported');
  assert.equal(classifyError(nativeError('ringbuf', { errno: 95 })).kind, 'unsupported');
  assert.equal(classifyError(nativeError('prog load', { errno: 524 })).kind, 'unsupported');
});

test('the cause chain is searched (collectors wrap native errors with context)', () => {
  const native = nativeError('bpf_prog_load: Operation not permitted', { errno: 1, code: 'EPERM' });
  const wrapped = new Error('start tcp: load programs', { cause: native });
  assert.equal(classifyError(wrapped, asUser).kind, 'permission');
});

test('timeouts and unknown errors are not permanent (the supervisor may retry)', () => {
  const t = classifyError(new TimeoutError('start tcp', 10_000));
  assert.equal(t.kind, 'timeout');
  assert.equal(t.permanent, false);
  const u = classifyError(new TypeError("Cannot read properties of undefined (reading 'x')"));
  assert.equal(u.kind, 'unknown');
  assert.equal(u.permanent, false);
  assert.equal(classifyError('plain string').kind, 'unknown');
  assert.equal(classifyError(undefined).kind, 'unknown');
  assert.equal(hintFor(null), 'unexpected error; see the log for the stack');
});

test('errorMessage handles non-Error values', () => {
  assert.equal(errorMessage(new Error('x')), 'x');
  assert.equal(errorMessage('y'), 'y');
  assert.equal(errorMessage({ a: 1 }), '{"a":1}');
  assert.equal(errorMessage(undefined), 'undefined');
});

test('libbpf: ESRCH or "failed to find kernel BTF type ID" means the tracepoint is absent', () => {
  const esrch = classifyError(nativeError('load tcp: No such process (ESRCH)', { errno: 3, code: 'ESRCH' }));
  assert.equal(esrch.kind, 'tracepoint_missing');
  const logged = Object.assign(new Error('load sched: Invalid argument (EINVAL)'), {
    errno: 22,
    libbpfLog: "prog 'handle_switch': failed to find kernel BTF type ID of 'sched_switch_x': -3\n",
  });
  assert.equal(classifyError(logged).kind, 'tracepoint_missing');
});

test('a missing BPF object file names the object (BpfError carries it in `object`)', () => {
  const err = Object.assign(
    new Error('open build/bpf/tcp.bpf.o: no such file (build it with scripts/setup.sh)'),
    {
      errno: 2,
      code: 'ENOENT',
      object: 'build/bpf/tcp.bpf.o',
    },
  );
  const c = classifyError(err);
  assert.equal(c.kind, 'file_missing');
  assert.equal(c.hint, 'a file it needs is missing (build/bpf/tcp.bpf.o)');
});
