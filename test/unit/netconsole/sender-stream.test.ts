import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_STREAM_LIMITS,
  SenderStream,
  type StreamLine,
} from '../../../src/netconsole/sender-stream.js';
import { extendedPackets, plainPackets } from './fixtures.js';

const texts = (lines: StreamLine[]) => lines.map((l) => l.text);

function drain(s: SenderStream, packets: Buffer[], t0 = 1_000): StreamLine[] {
  const out: StreamLine[] = [];
  let t = t0;
  for (const p of packets) out.push(...s.ingest(p, t++));
  out.push(...s.expire(t + 10_000));
  return out;
}

test('documented ncfrag example reassembles into one line', () => {
  const s = new SenderStream();
  const out = drain(s, [
    Buffer.from('6,416,1758426,-,ncfrag=0/31;the first chunk,'),
    Buffer.from('6,416,1758426,-,ncfrag=16/31; the 2nd chunk.'),
  ]);
  assert.deepEqual(texts(out), ['the first chunk, the 2nd chunk.']);
  assert.equal(out[0]?.seq, 416);
  assert.equal(s.counters.incompleteRecords, 0);
});

test('fragments arriving in reverse order and duplicated still give the record once', () => {
  const s = new SenderStream();
  const b = Buffer.from('6,416,1758426,-,ncfrag=16/31; the 2nd chunk.');
  const a = Buffer.from('6,416,1758426,-,ncfrag=0/31;the first chunk,');
  const out = drain(s, [b, b, a, a, b]);
  assert.deepEqual(texts(out), ['the first chunk, the 2nd chunk.']);
  assert.equal(s.counters.duplicates, 3);
});

test('a lost fragment: the record is released with a gap marker after the fragment timeout', () => {
  const s = new SenderStream();
  assert.deepEqual(s.ingest(Buffer.from('6,416,1758426,-,ncfrag=0/31;the first chunk,'), 0), []);
  assert.deepEqual(texts(s.expire(DEFAULT_STREAM_LIMITS.fragmentTimeoutMs - 1)), []);
  const out = s.expire(DEFAULT_STREAM_LIMITS.fragmentTimeoutMs + DEFAULT_STREAM_LIMITS.reorderHoldMs + 10);
  assert.deepEqual(texts(out), ['the first chunk, […]']);
  assert.equal(s.counters.incompleteRecords, 1);
  assert.ok(s.idle);
});

test('extended records: reordered and duplicated packets come out once, in sequence order', () => {
  const packets = extendedPackets('oops-gpf-extended.jsonl');
  const inOrder = texts(drain(new SenderStream(), packets));
  const shuffled = [...packets];
  // swap neighbours, repeat some packets
  for (let i = 0; i + 1 < shuffled.length; i += 3)
    [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1] as Buffer, shuffled[i] as Buffer];
  shuffled.splice(10, 0, packets[4] as Buffer, packets[20] as Buffer, packets[20] as Buffer);
  const s = new SenderStream();
  const out = texts(drain(s, shuffled));
  assert.deepEqual(out, inOrder);
  assert.equal(s.counters.duplicates, 3);
  assert.ok(
    inOrder.includes('nvme nvme0: identifiers changed for nsid 2\t(eui64 mismatch)'),
    'kmsg \\x escapes are decoded',
  );
});

test('plain lines with printk timestamps are deduplicated and put back in time order', () => {
  const packets = plainPackets('hung-task.log');
  const expected = texts(drain(new SenderStream(), packets));
  const mixed = [
    packets[1],
    packets[0],
    packets[0],
    ...packets.slice(2, 10),
    packets[11],
    packets[10],
    ...packets.slice(12),
    packets[5],
  ] as Buffer[];
  const s = new SenderStream();
  assert.deepEqual(texts(drain(s, mixed)), expected);
  assert.equal(s.counters.duplicates, 2);
  assert.equal(expected[0], 'INFO: task postgres:20117 blocked for more than 122 seconds.');
});

test('a plain line split across packets is joined; a half line is flushed after a quiet period', () => {
  const s = new SenderStream();
  assert.deepEqual(s.ingest(Buffer.from('[ 1.000000] Kernel panic - not sy'), 0), []);
  s.ingest(Buffer.from('ncing: Fatal exception\n[ 1.000100] Kernel Off'), 1);
  const out = texts(s.expire(5_000));
  assert.deepEqual(out, ['Kernel panic - not syncing: Fatal exception', 'Kernel Off']);
});

test('an endless line without newline is cut at maxLineBytes, never buffered without bound', () => {
  const s = new SenderStream({ ...DEFAULT_STREAM_LIMITS, maxLineBytes: 256 });
  const out: StreamLine[] = [];
  for (let i = 0; i < 100; i++) {
    out.push(...s.ingest(Buffer.from('x'.repeat(100)), i));
    assert.ok(s.bufferedBytes < 256 + 64 * 8 + 48 * 1000, `buffered ${s.bufferedBytes}`);
  }
  out.push(...s.flush(1_000));
  assert.ok(out.every((l) => Buffer.byteLength(l.text) <= 256));
  assert.equal(out.map((l) => l.text).join('').length, 10_000);
});

test('a rebooted sender (sequence restarts at 0) is not mistaken for duplicates', () => {
  const s = new SenderStream();
  const first = drain(s, [Buffer.from('6,90000,500000000,-;before reboot\n')]);
  const after = drain(
    s,
    [
      Buffer.from('6,0,0,-;Linux version 6.12.48-1-cloud-amd64\n'),
      Buffer.from('6,1,100,-;Command line: root=/dev/vda1\n'),
    ],
    100_000,
  );
  assert.deepEqual(texts(first), ['before reboot']);
  assert.deepEqual(texts(after), ['Linux version 6.12.48-1-cloud-amd64', 'Command line: root=/dev/vda1']);
});
