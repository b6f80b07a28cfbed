// Kernel receive-buffer drops for the receiver's socket (issue 15 item 5), from /proc/net/udp text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { parseUdpDrops, readUdpDrops } from '../../../src/netconsole/socket-drops.js';

const TEXT = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  120: 0100007F:1A0A 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 31337 2 0000000000000000 58231
  121: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12 2 0000000000000000 0
`;

test('parseUdpDrops: the drops column of the socket on the port (and inode, when given)', () => {
  assert.equal(parseUdpDrops(TEXT, { port: 6666, family: 'udp4' }), 58231);
  assert.equal(parseUdpDrops(TEXT, { port: 6666, family: 'udp4', inode: 31337 }), 58231);
  assert.equal(parseUdpDrops(TEXT, { port: 6666, family: 'udp4', inode: 1 }), undefined);
  assert.equal(parseUdpDrops(TEXT, { port: 68, family: 'udp4' }), 0);
  assert.equal(parseUdpDrops(TEXT, { port: 9999, family: 'udp4' }), undefined);
  assert.equal(parseUdpDrops('garbage', { port: 6666, family: 'udp4' }), undefined);
});

test('readUdpDrops finds a real bound socket in /proc/self/net/udp', async () => {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  try {
    assert.equal(await readUdpDrops({ port: s.address().port, family: 'udp4' }), 0);
  } finally {
    s.close();
  }
});
