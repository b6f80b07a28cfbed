// Supervisor.liveAll: the live view's per-frame read goes through the same fault boundary as snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveReading } from '../../../src/collectors/types.js';
import { Supervisor } from '../../../src/runtime/supervisor.js';
import { captureLog, FakeClock, TestCollector } from './helpers.js';

/** A TestCollector whose live() answers from a function the test swaps. */
class LiveCollector extends TestCollector {
  reads = 0;
  constructor(
    name: string,
    id: number,
    public answer: (c: LiveCollector) => LiveReading | Promise<LiveReading>,
  ) {
    super(name, id);
  }
  live(): LiveReading | Promise<LiveReading> {
    this.reads++;
    return this.answer(this);
  }
}

function setup() {
  const clock = new FakeClock();
  const log = captureLog();
  const sup = new Supervisor({
    logger: log.logger,
    clock,
    random: () => 0,
    classify: { uid: 1000 },
    snapshotTimeoutMs: 1_000,
  });
  return { clock, log, sup };
}

test('liveAll: events and top per attached collector; one without live() answers from stats()', async () => {
  const { sup } = setup();
  const syscall: LiveCollector[] = [];
  sup.add('syscall', () => {
    const c = new LiveCollector('syscall', syscall.length, (x) => ({
      events: x.committed,
      top: { label: `slowest fsync · pg (${x.committed})`, value: x.committed * 1e6, unit: 'ns' },
    }));
    syscall.push(c);
    return c;
  });
  const plain: TestCollector[] = [];
  sup.add('oom', () => {
    const c = new TestCollector('oom', plain.length);
    plain.push(c);
    return c;
  });
  await sup.startAll();
  syscall[0]!.deliver(['a', 'b', 'c']);
  plain[0]!.deliver(['x']);
  const first = await sup.liveAll();
  assert.deepEqual(first.get('syscall'), {
    events: 3,
    top: { label: 'slowest fsync · pg (3)', value: 3e6, unit: 'ns' },
  });
  assert.deepEqual(first.get('oom'), { events: 1 });

  // Counts move without any state change: the next read sees them.
  syscall[0]!.deliver(['d', 'e']);
  const second = await sup.liveAll();
  assert.equal(second.get('syscall')?.events, 5);
  assert.equal(second.get('syscall')?.top?.label, 'slowest fsync · pg (5)');
  assert.equal(syscall[0]!.reads, 2);
});

test('liveAll: a throwing live() faults that collector only and the read still answers', async () => {
  const { sup, log, clock } = setup();
  const bad: LiveCollector[] = [];
  sup.add('tcp', () => {
    const c = new LiveCollector('tcp', bad.length, () => {
      if (bad.length === 1) throw new Error('read conns: EFAULT');
      return { events: 7 };
    });
    bad.push(c);
    return c;
  });
  sup.add('fd', () => new LiveCollector('fd', 0, () => ({ events: 2 })));
  await sup.startAll();

  const r = await sup.liveAll();
  assert.deepEqual([...r.keys()], ['fd']);
  assert.equal(sup.status('tcp')?.state, 'restarting');
  const fault = log.records().find((l) => l.msg === 'collector fault');
  assert.equal(fault?.phase, 'live');
  assert.equal(fault?.error, 'read conns: EFAULT');

  // Restarted after the backoff, the fresh instance answers again.
  await clock.advance(2_000);
  assert.equal(sup.status('tcp')?.state, 'attached');
  assert.deepEqual((await sup.liveAll()).get('tcp'), { events: 7 });
});

test('liveAll: a hung live() times out as a fault; nonsense is refused as a fault', async () => {
  const { sup, log, clock } = setup();
  sup.add('sched', () => new LiveCollector('sched', 0, () => new Promise<LiveReading>(() => {})));
  sup.add('disk', () => new LiveCollector('disk', 0, () => ({ events: Number.NaN })));
  sup.add(
    'fd',
    () => new LiveCollector('fd', 0, () => ({ events: 1, top: { label: 'x', value: Infinity, unit: '' } })),
  );
  await sup.startAll();
  const pending = sup.liveAll();
  await clock.advance(1_000);
  assert.deepEqual([...(await pending).keys()], []);
  const phases = log
    .records()
    .filter((l) => l.msg === 'collector fault')
    .map((l) => `${String(l.collector)}:${String(l.phase)}`)
    .sort();
  assert.deepEqual(phases, ['disk:live', 'fd:live', 'sched:live-timeout']);
});

test('liveAll: events stay cumulative across restarts, like CollectorStatus.events', async () => {
  const { sup, clock } = setup();
  const built: LiveCollector[] = [];
  sup.add('fd', () => {
    const c = new LiveCollector('fd', built.length, (x) => ({ events: x.committed }));
    built.push(c);
    return c;
  });
  await sup.startAll();
  built[0]!.deliver(['a', 'b']);
  built[0]!.deliver(['poison']); // a fault: the instance is retired with 2 committed events
  await clock.advance(2_000);
  built[1]!.deliver(['c']);
  assert.equal((await sup.liveAll()).get('fd')?.events, 3);
  assert.equal(sup.status('fd')?.events, 3);
});
