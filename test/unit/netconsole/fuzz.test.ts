// Random input for a bounded time: the parser, the per-sender stream and the receiver never throw, and
// under a flood of garbage the receiver's buffers and sender table stay within their configured bounds
// (internal sizes, not RSS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePacket } from '../../../src/netconsole/parser.js';
import { SenderStream } from '../../../src/netconsole/sender-stream.js';
import { NetconsoleReceiver } from '../../../src/netconsole/receiver.js';
import { seededRandom } from '../../../src/runtime/random.js';
import { extendedPackets, plainPackets } from './fixtures.js';

const FUZZ_MS = 2_000;

function randomPacket(rand: () => number, corpus: Buffer[]): Buffer {
  const pick = rand();
  const len = Math.floor(rand() * 1400);
  if (pick < 0.3) {
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
    return b;
  }
  const base = corpus[Math.floor(rand() * corpus.length)] as Buffer;
  if (pick < 0.6) {
    // mutate a real packet: flip bytes, truncate, splice
    const b = Buffer.from(base);
    for (let i = 0; i < 1 + Math.floor(rand() * 6); i++)
      b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    return b.subarray(0, Math.floor(rand() * (b.length + 1)));
  }
  if (pick < 0.8) {
    // hostile headers: huge numbers, lying fragments
    const seq = Math.floor(rand() * 2 ** 53);
    const off = Math.floor(rand() * 40_000);
    const total = Math.floor(rand() * 40_000);
    return Buffer.from(
      `${Math.floor(rand() * 2000)},${seq},${seq},-,ncfrag=${off}/${total};${'A'.repeat(len)}`,
    );
  }
  return base;
}

test(`parser and stream survive ${FUZZ_MS} ms of random and mutated packets`, () => {
  const rand = seededRandom(0x6b65726e);
  const corpus = [...plainPackets('panic-null-deref.log'), ...extendedPackets('oops-gpf-extended.jsonl')];
  const stream = new SenderStream();
  const end = Date.now() + FUZZ_MS;
  let n = 0;
  let t = 0;
  while (Date.now() < end) {
    const pkt = randomPacket(rand, corpus);
    parsePacket(pkt);
    const lines = stream.ingest(pkt, (t += 3));
    for (const l of lines) assert.equal(typeof l.text, 'string');
    if (n % 50 === 0) stream.expire(t);
    assert.ok(stream.bufferedBytes < 1024 * 1024, `stream buffered ${stream.bufferedBytes}`);
    n++;
  }
  assert.ok(n > 1_000, `fuzzed only ${n} packets`);
});

test('a garbage flood from many senders keeps the sender table and buffers bounded', async () => {
  const rand = seededRandom(42);
  const maxSenders = 64;
  const maxTotal = 2 * 1024 * 1024;
  const r = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    maxSenders,
    maxTotalBufferedBytes: maxTotal,
    idleTimeoutMs: 5_000,
    events: { queueSize: 256 },
  });
  const corpus = plainPackets('panic-null-deref.log');
  let peakSenders = 0;
  let peakBytes = 0;
  let t = 0;
  for (let i = 0; i < 40_000; i++) {
    const sender = { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 6665 };
    // every packet from a new address, half of them opening an incident that never ends
    const pkt =
      i % 2 === 0
        ? Buffer.from(`BUG: flood ${i} ${'y'.repeat(Math.floor(rand() * 900))}`)
        : randomPacket(rand, corpus);
    r.ingest(pkt, sender, (t += 1));
    // and a few senders that keep streaming long half-lines
    r.ingest(Buffer.from('z'.repeat(999)), { address: '10.255.255.1', port: 6665 }, t);
    if (i % 1000 === 0) r.tick(t);
    const st = r.stats();
    peakSenders = Math.max(peakSenders, st.senders);
    peakBytes = Math.max(peakBytes, st.bufferedBytes);
  }
  await r.stop();
  assert.ok(peakSenders <= maxSenders, `senders peaked at ${peakSenders}`);
  assert.ok(peakBytes <= maxTotal, `buffered bytes peaked at ${peakBytes}`);
  const st = r.stats();
  assert.ok(st.sendersEvicted > 30_000, `evicted ${st.sendersEvicted}`);
  // evicted senders' open incidents were recorded (bounded in-memory list without a store), not lost silently
  assert.ok(st.incidents > 1_000);
  assert.ok((await r.listIncidents()).length <= 256);
});
