import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import {
  DEFAULT_EVENT_STREAM,
  dropBreakdown,
  EventStream,
  registerDropSource,
} from '../../../src/events/stream.js';
import { defaultConfig } from '../../../src/config/index.js';
import { eventStreamSettings } from '../../../src/runtime/collection.js';

interface Ev {
  n: number;
  kind: 'warning' | 'oops';
}
const warn = (n: number): Ev => ({ n, kind: 'warning' });
const oops = (n: number): Ev => ({ n, kind: 'oops' });

test('the defaults are the config defaults', () => {
  assert.deepEqual(eventStreamSettings(defaultConfig()), { ...DEFAULT_EVENT_STREAM });
});

test('policy oldest: a flood keeps the newest events and counts every eviction as queue_full', () => {
  const s = new EventStream<Ev>({ queueSize: 4, dropPolicy: 'oldest' });
  const outcomes = Array.from({ length: 10 }, (_, i) => s.push(oops(i)));
  assert.ok(
    outcomes.every((o) => o === 'kept'),
    'the incoming event always gets in',
  );
  assert.deepEqual(
    s.entries().map((e) => e.event.n),
    [6, 7, 8, 9],
  );
  const st = s.stats();
  assert.equal(st.pushed, 10);
  assert.equal(st.queued, 4);
  assert.equal(st.dropped.queue_full, 6);
  assert.equal(st.droppedTotal, st.pushed - st.queued);
  assert.equal(st.sampledOut, 0);
});

test('policy newest: a flood keeps the first events and refuses the rest', () => {
  const dropped: number[] = [];
  const s = new EventStream<Ev>({ queueSize: 3, dropPolicy: 'newest', onDrop: (e) => dropped.push(e.n) });
  const outcomes = Array.from({ length: 7 }, (_, i) => s.push(oops(i)));
  assert.deepEqual(outcomes, ['kept', 'kept', 'kept', 'dropped', 'dropped', 'dropped', 'dropped']);
  assert.deepEqual(
    s.entries().map((e) => e.event.n),
    [0, 1, 2],
  );
  assert.deepEqual(dropped, [3, 4, 5, 6]);
  assert.deepEqual(s.stats().dropped, {
    queue_full: 4,
    ring_full: 0,
    map_full: 0,
    no_start: 0,
    recursion: 0,
    unspecified: 0,
  });
});

test('onDrop names the evicted event under policy oldest', () => {
  const dropped: number[] = [];
  const s = new EventStream<Ev>({ queueSize: 2, dropPolicy: 'oldest', onDrop: (e) => dropped.push(e.n) });
  for (let i = 0; i < 5; i++) s.push(oops(i));
  assert.deepEqual(dropped, [0, 1, 2]);
});

test('clear forgets the events, never the counts; shift consumes in order', () => {
  const s = new EventStream<Ev>({ queueSize: 2 });
  for (let i = 0; i < 5; i++) s.push(oops(i));
  assert.equal(s.shift()?.event.n, 3);
  s.clear();
  assert.equal(s.size, 0);
  assert.deepEqual(s.entries(), []);
  assert.equal(s.stats().dropped.queue_full, 3);
  assert.equal(s.stats().pushed, 5);
});

test('drops from outside the queue: added, or set from a cumulative counter', () => {
  const s = new EventStream<Ev>({ queueSize: 1 });
  s.addDropped('ring_full', 2);
  s.setDroppedTotal('map_full', 5);
  s.setDroppedTotal('map_full', 4); // a stale read never lowers it
  s.push(oops(0));
  s.push(oops(1));
  const st = s.stats();
  assert.deepEqual(st.dropped, {
    queue_full: 1,
    ring_full: 2,
    map_full: 5,
    no_start: 0,
    recursion: 0,
    unspecified: 0,
  });
  assert.equal(st.droppedTotal, 8);
});

test('sampling: beyond the rate, sampleable events fold into the weight of the latest kept one', () => {
  let t = 0;
  const s = new EventStream<Ev>({
    queueSize: 1_000,
    sampleRatePerSec: 10,
    sampleable: (e) => e.kind === 'warning',
    now: () => t,
  });
  const outcomes = Array.from({ length: 1_000 }, (_, i) => s.push(warn(i)));
  assert.equal(outcomes.filter((o) => o === 'kept').length, 10, 'the burst of 10 is kept');
  assert.equal(outcomes.filter((o) => o === 'sampled_out').length, 990);
  const entries = s.entries();
  assert.deepEqual(
    entries.map((e) => e.weight),
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 991],
    'the last kept warning stands for itself and the 990 after it',
  );
  const st = s.stats();
  assert.equal(st.sampledOut, 990);
  assert.equal(st.droppedTotal, 0, 'sampling is not a loss');
  assert.equal(
    entries.reduce((n, e) => n + e.weight, 0),
    st.pushed,
    'the weights add up to every event pushed',
  );
  t += 1_000; // a second later: the budget is back
  assert.equal(s.push(warn(2_000)), 'kept');
});

test('sampling never touches critical events, and they spend no budget', () => {
  const s = new EventStream<Ev>({
    queueSize: 1_000,
    sampleRatePerSec: 2,
    sampleable: (e) => e.kind === 'warning',
    now: () => 0,
  });
  for (let i = 0; i < 100; i++) s.push(warn(i));
  for (let i = 0; i < 50; i++) assert.equal(s.push(oops(i)), 'kept', 'an oops is never sampled out');
  // Sampled out after the oopses: folded into the last kept warning, never into an oops.
  assert.equal(s.push(warn(100)), 'sampled_out');
  const st = s.stats();
  assert.equal(st.sampledOut, 99);
  const entries = s.entries();
  assert.equal(
    entries.filter((e) => e.event.kind === 'oops').every((e) => e.weight === 1),
    true,
  );
  assert.equal(entries[1]?.weight, 100, 'the second warning stands for the 98 after it and the last one');
  assert.equal(
    entries.reduce((n, e) => n + e.weight, 0),
    st.pushed,
  );
});

test('with no sampleable event queued, the count is carried to the next one kept', () => {
  let t = 0;
  const s = new EventStream<Ev>({
    queueSize: 2,
    dropPolicy: 'oldest',
    sampleRatePerSec: 1,
    sampleable: (e) => e.kind === 'warning',
    now: () => t,
  });
  s.push(warn(0)); // kept: the burst of 1
  s.push(oops(0));
  s.push(oops(1)); // evicts warn(0)
  s.push(warn(1)); // sampled out: the warning it would fold into is gone, so carried
  s.push(warn(2)); // sampled out, carried
  t += 1_000;
  s.push(warn(3)); // kept with the carry (evicts oops(0))
  assert.deepEqual(
    s.entries().map((e) => [e.event.kind, e.event.n, e.weight]),
    [
      ['oops', 1, 1],
      ['warning', 3, 3],
    ],
  );
});

test('a refused oops does not erase the count carried for the next kept warning', () => {
  let t = 0;
  const s = new EventStream<Ev>({
    queueSize: 1,
    dropPolicy: 'newest',
    sampleRatePerSec: 1,
    sampleable: (e) => e.kind === 'warning',
    now: () => t,
  });
  s.push(oops(0)); // the queue is full
  assert.equal(s.push(warn(0)), 'dropped', 'passed the sampler (its burst of 1), refused by the queue');
  assert.equal(s.push(warn(1)), 'sampled_out', 'nothing sampleable queued: carried');
  assert.equal(s.push(oops(1)), 'dropped');
  s.shift(); // room again
  t += 1_000;
  assert.equal(s.push(warn(2)), 'kept');
  assert.deepEqual(
    s.entries().map((e) => [e.event.n, e.weight]),
    [[2, 2]],
    'warn(2) stands for itself and the sampled-out warn(1)',
  );
  s.clear();
  t += 1_000;
  s.push(warn(3));
  assert.equal(s.entries()[0]?.weight, 1, 'a new window starts with nothing carried');
});

test('sampling and a full queue together: every push is kept, dropped or sampled out', () => {
  const s = new EventStream<Ev>({
    queueSize: 5,
    dropPolicy: 'newest',
    sampleRatePerSec: 8,
    sampleable: (e) => e.kind === 'warning',
    now: () => 0,
  });
  const counts = { kept: 0, dropped: 0, sampled_out: 0 };
  for (let i = 0; i < 200; i++) counts[s.push(i % 4 === 0 ? oops(i) : warn(i))]++;
  const st = s.stats();
  assert.equal(counts.kept, st.queued);
  assert.equal(counts.dropped, st.dropped.queue_full);
  assert.equal(counts.sampled_out, st.sampledOut);
  assert.equal(counts.kept + counts.dropped + counts.sampled_out, 200);
});

test('invalid settings are refused with the value', () => {
  assert.throws(() => new EventStream({ queueSize: 0 }), /capacity must be an integer >= 1, got 0/);
  assert.throws(() => new EventStream({ sampleRatePerSec: -1 }), /sample rate must be >= 0, got -1/);
});

test('dropBreakdown: named reasons plus the rest as unspecified', () => {
  assert.deepEqual(dropBreakdown(5, { ring_full: 2 }), {
    queue_full: 0,
    ring_full: 2,
    map_full: 0,
    no_start: 0,
    recursion: 0,
    unspecified: 3,
  });
  assert.deepEqual(dropBreakdown(4), {
    queue_full: 0,
    ring_full: 0,
    map_full: 0,
    no_start: 0,
    recursion: 0,
    unspecified: 4,
  });
});

test('kerno_events_dropped_total: one family per registry, fed by every source', async () => {
  const registry = new Registry();
  const a = new EventStream<Ev>({ queueSize: 1 });
  a.push(oops(0));
  a.push(oops(1));
  registerDropSource(registry, () => [
    { collector: 'oom', reason: 'queue_full', value: a.stats().dropped.queue_full },
  ]);
  registerDropSource(registry, () => [{ collector: 'netconsole', reason: 'unspecified', value: 3 }]);
  a.push(oops(2));
  const text = await registry.metrics();
  assert.equal(text.match(/# TYPE kerno_events_dropped_total counter/g)?.length, 1);
  assert.match(text, /^kerno_events_dropped_total\{collector="oom",reason="queue_full"\} 2$/m);
  assert.match(text, /^kerno_events_dropped_total\{collector="netconsole",reason="unspecified"\} 3$/m);
});
