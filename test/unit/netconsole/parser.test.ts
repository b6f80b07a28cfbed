import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksBinary, parsePacket, type ExtendedPacket } from '../../../src/netconsole/parser.js';
import { extendedPackets } from './fixtures.js';

test('extended header: level, facility, seq, timestamp, flags and body', () => {
  const p = parsePacket(
    Buffer.from('6,339,5140900,-;NET: Registered PF_INET6 protocol family\n SUBSYSTEM=net\n'),
  );
  assert.equal(p.type, 'extended');
  const e = p as ExtendedPacket;
  assert.equal(e.level, 6);
  assert.equal(e.facility, 0);
  assert.equal(e.seq, 339);
  assert.equal(e.tsUsec, 5140900);
  assert.equal(e.flags, '-');
  assert.equal(e.release, undefined);
  assert.equal(e.fragment, undefined);
  assert.equal(e.body.toString(), 'NET: Registered PF_INET6 protocol family\n SUBSYSTEM=net\n');
});

test('extended header with the kernel release prepended and an ncfrag field', () => {
  const p = parsePacket(
    Buffer.from('6.13.0-04048-g4f561a87745a,13,468,514729715,-,ncfrag=0/31;the first chunk,'),
  ) as ExtendedPacket;
  assert.equal(p.type, 'extended');
  assert.equal(p.release, '6.13.0-04048-g4f561a87745a');
  assert.equal(p.facility, 1);
  assert.equal(p.level, 5);
  assert.equal(p.seq, 468);
  assert.deepEqual(p.fragment, { offset: 0, total: 31 });
  assert.equal(p.body.toString(), 'the first chunk,');
});

test('the documented ncfrag example parses as two fragments of one record', () => {
  const a = parsePacket(Buffer.from('6,416,1758426,-,ncfrag=0/31;the first chunk,')) as ExtendedPacket;
  const b = parsePacket(Buffer.from('6,416,1758426,-,ncfrag=16/31; the 2nd chunk.')) as ExtendedPacket;
  assert.deepEqual([a.seq, a.fragment], [416, { offset: 0, total: 31 }]);
  assert.deepEqual([b.seq, b.fragment], [416, { offset: 16, total: 31 }]);
  assert.equal(Buffer.concat([a.body, b.body]).toString(), 'the first chunk, the 2nd chunk.');
});

test('a fragment that claims bytes past its total is not trusted as extended', () => {
  const p = parsePacket(Buffer.from('6,416,1758426,-,ncfrag=30/31;way more than one byte'));
  assert.equal(p.type, 'plain');
});

test('plain console text stays plain (a printk timestamp is not an extended header)', () => {
  const p = parsePacket(
    Buffer.from('[ 8123.403012] BUG: kernel NULL pointer dereference, address: 0000000000000008\n'),
  );
  assert.deepEqual(p, {
    type: 'plain',
    text: '[ 8123.403012] BUG: kernel NULL pointer dereference, address: 0000000000000008\n',
  });
});

test('garbage: empty, oversized and binary packets are rejected with a reason', () => {
  assert.deepEqual(parsePacket(Buffer.alloc(0)), { type: 'rejected', reason: 'empty' });
  assert.deepEqual(parsePacket(Buffer.alloc(9000, 0x41)), { type: 'rejected', reason: 'oversized' });
  assert.deepEqual(parsePacket(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00])), {
    type: 'rejected',
    reason: 'binary',
  });
  assert.equal(looksBinary(Buffer.from('ünïcödé text\twith tabs\n')), false);
});

test('every packet of the extended GPF capture parses as extended, with the release prefix', () => {
  const packets = extendedPackets('oops-gpf-extended.jsonl');
  assert.ok(packets.length > 30);
  for (const buf of packets) {
    const p = parsePacket(buf);
    assert.equal(p.type, 'extended', buf.toString().slice(0, 80));
    assert.equal((p as ExtendedPacket).release, '6.12.48-1-cloud-amd64');
    assert.ok(buf.length <= 1000, 'netconsole never sends more than MAX_PRINT_CHUNK bytes');
  }
  const frags = packets.map((b) => parsePacket(b) as ExtendedPacket).filter((p) => p.fragment);
  assert.equal(frags.length, 2);
  assert.equal(frags[0]?.seq, frags[1]?.seq);
});
