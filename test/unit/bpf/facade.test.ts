import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfError, toBpfError } from '../../../src/bpf/errors.js';
import { splitBatch } from '../../../src/bpf/ringbuf.js';
import { attachKind } from '../../../src/bpf/object.js';
import { classifyError } from '../../../src/runtime/classify-error.js';
import { renderTable, type VerifyResult } from '../../../src/cli/bpf-verify.js';

test('toBpfError keeps errno, code, program and the verifier log of a native error', () => {
  const native = Object.assign(new Error('load x (program p): Permission denied'), {
    errno: 13,
    code: 'EACCES',
    program: 'p',
    verifierLog: 'line\n'.repeat(30) + 'R1 invalid mem access\n',
  });
  const e = toBpfError(native, { object: '/o.bpf.o' });
  assert.ok(e instanceof BpfError);
  assert.equal(e.errno, 13);
  assert.equal(e.code, 'EACCES');
  assert.equal(e.program, 'p');
  assert.equal(e.object, '/o.bpf.o');
  assert.equal(e.verifierTail(2), 'line\nR1 invalid mem access');
  assert.equal(e.cause, native);
});

test('errors map to plain-language hints', () => {
  assert.equal(classifyError(new BpfError('load: x', { verifierLog: 'R1 invalid mem access' })).kind, 'verifier');
  assert.equal(classifyError(new BpfError('attach: Operation not permitted', { errno: 1, code: 'EPERM' }), { uid: 1000 }).kind, 'permission');
  assert.match(classifyError(new BpfError('attach: Operation not permitted', { errno: 1, code: 'EPERM' }), { uid: 1000 }).hint, /CAP_BPF/);
});

test('ring-buffer batches are split on their [u32 len][bytes][pad to 4] framing', () => {
  const recs = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.alloc(0), Buffer.from('12345678')];
  const parts: Buffer[] = [];
  for (const r of recs) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(r.length);
    parts.push(len, r, Buffer.alloc((4 - (r.length % 4)) % 4));
  }
  const out = splitBatch(Buffer.concat(parts), recs.length);
  assert.deepEqual(
    out.map((b) => b.toString()),
    recs.map((b) => b.toString()),
  );
});

test('attach kind comes from the ELF section', () => {
  assert.equal(attachKind('tp_btf/sys_enter'), 'tp_btf');
  assert.equal(attachKind('raw_tp/sched_switch'), 'raw_tp');
  assert.equal(attachKind('tracepoint/syscalls/sys_enter_openat'), 'tracepoint');
});

test('bpf-verify table: N/M result line, failures with hint and verifier tail', () => {
  const r: VerifyResult = {
    total: 2,
    loaded: 1,
    attached: 1,
    readSeconds: 0,
    programs: [
      { object: '/b/syscall.bpf.o', program: 'sys_enter', section: 'tp_btf/sys_enter', attachType: 'tp_btf', loaded: true, attached: true, loadMs: 12.3, verifiedInsns: 29, events: null },
      {
        object: '/b/bad.bpf.o',
        program: 'oops',
        section: 'tp_btf/sys_enter',
        attachType: 'tp_btf',
        loaded: false,
        attached: false,
        loadMs: 0,
        verifiedInsns: 0,
        events: null,
        error: 'load bad (program oops): Permission denied',
        hint: 'the kernel BPF verifier rejected a program',
        verifierTail: 'invalid access to map value',
      },
    ],
  };
  const text = renderTable(r);
  assert.match(text, /Result: 1\/2 programs loaded and attached/);
  assert.match(text, /REJECTED/);
  assert.match(text, /hint: the kernel BPF verifier rejected/);
  assert.match(text, /verifier log \(tail\):\n\s+invalid access to map value/);
});
