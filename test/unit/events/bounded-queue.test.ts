import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from '../../../src/events/bounded-queue.js';

test('FIFO below capacity, nothing dropped', () => {
  const q = new BoundedQueue<number>({ capacity: 3 });
  assert.equal(q.pushAll([1, 2, 3]), 3);
  assert.equal(q.size, 3);
  assert.equal(q.shift(), 1);
  q.push(4);
  assert.deepEqual(q.drain(), [2, 3, 4]);
  assert.equal(q.shift(), undefined);
  assert.equal(q.dropped, 0);
});

test('drop oldest keeps the newest items and counts the evicted ones', () => {
  const q = new BoundedQueue<number>({ capacity: 3, dropPolicy: 'oldest' });
  const accepted = q.pushAll([1, 2, 3, 4, 5]);
  assert.equal(accepted, 5, 'every incoming item is accepted …');
  assert.equal(q.dropped, 2, '… by evicting the oldest');
  assert.deepEqual(q.drain(), [3, 4, 5]);
});

test('drop newest keeps what is queued and refuses incoming items', () => {
  const q = new BoundedQueue<string>({ capacity: 2, dropPolicy: 'newest' });
  assert.equal(q.push('a'), true);
  assert.equal(q.push('b'), true);
  assert.equal(q.push('c'), false);
  assert.equal(q.pushAll(['d', 'e']), 0);
  assert.equal(q.dropped, 3);
  assert.deepEqual(q.drain(), ['a', 'b']);
});

test('wraps around its circular storage correctly over many cycles', () => {
  const q = new BoundedQueue<number>({ capacity: 4, dropPolicy: 'oldest' });
  const expected: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    q.push(i);
    expected.push(i);
    if (expected.length > 4) expected.shift();
    if (i % 7 === 0) assert.equal(q.shift(), expected.shift());
  }
  let shifted = 0;
  for (let i = 0; i < 1_000; i += 7) shifted++;
  const remaining = q.drain();
  assert.deepEqual(remaining, expected);
  assert.equal(
    q.dropped + shifted + remaining.length,
    1_000,
    'every item is either consumed, queued or counted as dropped',
  );
});

test('drain(max) takes at most max items; clear keeps the drop counter', () => {
  const q = new BoundedQueue<number>({ capacity: 5, dropPolicy: 'newest' });
  q.pushAll([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(q.drain(2), [1, 2]);
  assert.equal(q.size, 3);
  q.clear();
  assert.equal(q.size, 0);
  assert.equal(q.dropped, 1, 'monotonic: feeds a counter');
});

test('invalid options are rejected', () => {
  assert.throws(() => new BoundedQueue({ capacity: 0 }), /capacity must be an integer >= 1, got 0/);
  assert.throws(() => new BoundedQueue({ capacity: 1.5 }), /capacity/);
  assert.throws(
    () => new BoundedQueue({ capacity: 2, dropPolicy: 'middle' as never }),
    /drop policy must be 'oldest' or 'newest'/,
  );
});
