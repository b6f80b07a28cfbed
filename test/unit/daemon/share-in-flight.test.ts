import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareInFlight } from '../../../src/daemon/share-in-flight.js';
import { deferred } from './helpers.js';

test('callers during a read share it; the next caller after it settles starts a fresh one', async () => {
  let reads = 0;
  let gate = deferred();
  const read = shareInFlight(async () => {
    reads++;
    await gate.promise;
    return reads;
  });
  const a = read();
  const b = read();
  assert.equal(a, b);
  gate.resolve();
  assert.deepEqual(await Promise.all([a, b]), [1, 1]);
  gate = deferred();
  const c = read();
  gate.resolve();
  assert.equal(await c, 2);
  assert.equal(reads, 2);
});

test('a failed read is not cached', async () => {
  let n = 0;
  const read = shareInFlight(async () => {
    n++;
    if (n === 1) throw new Error('boom');
    return n;
  });
  await assert.rejects(read(), /boom/);
  assert.equal(await read(), 2);
});
