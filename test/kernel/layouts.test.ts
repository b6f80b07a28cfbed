// Record layouts are checked against the BTF clang wrote into each object: a drifted or incomplete
// TypeScript layout must stop the load with a message naming the struct and member, never decode junk.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { requireKernel } from '../helpers/kernel.js';
import { BpfObject } from '../../src/bpf/object.js';
import { bpfObjectPath } from '../../src/bpf/paths.js';
import { defineLayout } from '../../src/bpf/layout.js';
import { checkLayouts, loadBpfObject } from '../../src/collectors/bpf-loader.js';

before(() => requireKernel());

const TCP_KEY = { family: 0, pad: 2, sport: 4, dport: 6, saddr: 8, daddr: 24, netns: 40 };

function withObject(name: string, fn: (obj: BpfObject) => void): void {
  const obj = BpfObject.open(bpfObjectPath(name));
  try {
    fn(obj);
  } finally {
    obj.close();
  }
}

test('the BTF of a real object describes its structs member by member', () => {
  withObject('tcp', (obj) => {
    const s = obj.btfStruct('tcp_conn_key');
    assert.ok(s);
    assert.equal(s.size, 44);
    assert.deepEqual(Object.fromEntries(s.members.map((m) => [m.name, m.offset])), TCP_KEY);
    assert.equal(s.members.find((m) => m.name === 'saddr')?.size, 16);
    assert.equal(obj.btfStruct('no_such_struct'), undefined);
  });
  // A ring-buffer record is in BTF only through BTF_LAYOUT() (bpf/common.bpf.h).
  withObject('oom', (obj) => assert.equal(obj.btfStruct('oom_event')?.size, 112));
});

test('a layout that agrees with BTF passes; moved, missing, extra members and a wrong size are refused', () => {
  withObject('tcp', (obj) => {
    checkLayouts(obj, [defineLayout('tcp_conn_key', 44, TCP_KEY)]);
    const refused = (layout: ReturnType<typeof defineLayout>, re: RegExp) =>
      assert.throws(() => checkLayouts(obj, [layout]), re);
    refused(
      defineLayout('tcp_conn_key', 44, { ...TCP_KEY, netns: 36 }),
      /tcp_conn_key\.netns is at offset 40, TypeScript says 36/,
    );
    const { netns: _netns, ...withoutNetns } = TCP_KEY;
    refused(
      defineLayout('tcp_conn_key', 44, withoutNetns),
      /\.netns \(offset 40\) is not declared in TypeScript/,
    );
    refused(
      defineLayout('tcp_conn_key', 44, { ...TCP_KEY, cookie: 44 }),
      /\.cookie is declared in TypeScript but not in C/,
    );
    refused(defineLayout('tcp_conn_key', 40, TCP_KEY), /tcp_conn_key: sizeof is 44, TypeScript says 40/);
    refused(defineLayout('tcp_conn_kye', 44, TCP_KEY), /struct tcp_conn_kye is not in the object's BTF/);
  });
});

test('loadBpfObject refuses a drifted layout before loading anything, naming the object', async () => {
  await assert.rejects(
    loadBpfObject('tcp', [{ programs: ['tcp_retransmit_skb'] }], [defineLayout('tcp_conn_key', 48, TCP_KEY)]),
    /tcp: record layout drift .*sizeof is 44, TypeScript says 48/,
  );
});
