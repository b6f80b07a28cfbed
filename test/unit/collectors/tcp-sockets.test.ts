import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  countEstablished,
  countTcpStates,
  TCP_ESTABLISHED,
} from '../../../src/collectors/procfs/tcp-sockets.js';
import { PROCFS_FIXTURES, readFixture } from './fixtures.js';

test('tcp table: states counted from the hex st column', async () => {
  const states = countTcpStates(await readFixture('tcp'));
  assert.equal(states.get(TCP_ESTABLISHED), 3);
  assert.equal(states.get(0x0a), 1); // LISTEN
  assert.equal(states.get(0x06), 1); // TIME_WAIT
  assert.equal(states.get(0x08), 1); // CLOSE_WAIT
});

test('tcp tables: ESTABLISHED over tcp + tcp6', async () => {
  assert.equal(await countEstablished(PROCFS_FIXTURES), 3 + 2);
});

test('tcp tables: a directory with neither table is an error', async () => {
  await assert.rejects(countEstablished('/nonexistent'), /\/nonexistent\/tcp not readable/);
});
