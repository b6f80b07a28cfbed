import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { SupervisorOptions } from '../../../src/runtime/supervisor.js';
import { CollectorFatalError, Supervisor } from '../../../src/runtime/supervisor.js';
import { seededRandom } from '../../../src/runtime/random.js';
import { parseFaultSpec } from '../../../src/runtime/fault-inject.js';
import { DROP_REASONS } from '../../../src/events/stream.js';
import type { CollectorStatus } from '../../../src/runtime/types.js';
import { captureLog, FakeClock, nativeError, testFactory } from './helpers.js';

const SEC = 1_000;
const MIN = 60_000;

function setup(extra: Partial<SupervisorOptions> = {}) {
  const clock = new FakeClock();
  const log = captureLog();
  const registry = new Registry();
  const sup = new Supervisor({
    logger: log.logger,
    clock,
    registry,
    random: () => 0,
    classify: { uid: 1000 },
    ...extra,
  });
  const state = (name: string): CollectorStatus => {
    const s = sup.status(name);
    if (!s) throw new Error(`no status for ${name}`);
    return s;
  };
  return { clock, log, registry, sup, state };
}

/** Value of `metric{collector="name"}` in the registry's text exposition. */
/** The collector's value, summed over any further labels (kerno_events_dropped_total has `reason`). */
async function metric(registry: Registry, name: string, collector: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const re = new RegExp(`^${name}\\{collector="${collector}"(?:,[^}]*)?\\} (\\S+)$`, 'gm');
  let sum: number | undefined;
  for (const m of text.matchAll(re)) sum = (sum ?? 0) + Number(m[1]);
  return sum;
}

describe('Supervisor: start and snapshot', () => {
  test('attaches every collector and returns parts in add order with ok coverage', async () => {
    const { sup, state } = setup();
    const a = testFactory('oom');
    const b = testFactory('memory', { programsTotal: 0 });
    sup.add('oom', a.factory);
    sup.add('memory', b.factory);
    await sup.startAll();
    a.last.deliver(['x', 'y']);
    b.last.deliver(['z']);
    const { parts, coverage } = await sup.snapshotAll(5e9);
    assert.deepEqual(parts, [{ oom: { count: 2, events: [] } }, { oom: { count: 1, events: [] } }]);
    assert.deepEqual(
      coverage.map((c) => [
        c.name,
        c.state,
        c.programsLoaded,
        c.programsTotal,
        c.events,
        c.faults,
        c.restarts,
      ]),
      [
        ['oom', 'ok', 2, 2, 2, 0, 0],
        ['memory', 'ok', 0, 0, 1, 0, 0],
      ],
    );
    assert.equal(state('oom').state, 'attached');
    await sup.stopAll();
    assert.equal(a.last.stopCalls, 1);
    assert.equal(state('oom').state, 'stopped');
  });

  test('a start failure from the environment is a load failure: failed with a hint, never restarted', async () => {
    const { sup, clock, state, log } = setup();
    const denied = testFactory('tcp', {
      startError: () =>
        nativeError('load tcp_retransmit: Operation not permitted', { errno: 1, code: 'EPERM' }),
    });
    const noPsi = testFactory('pressure', {
      startError: () =>
        Object.assign(new Error('open /proc/pressure/cpu: not available'), { code: 'ENOTSUP' }),
    });
    const ok = testFactory('oom');
    sup.add('tcp', denied.factory);
    sup.add('pressure', noPsi.factory);
    sup.add('oom', ok.factory);
    await sup.startAll(); // resolves although two collectors failed
    await clock.advance(30 * MIN);
    assert.equal(denied.instances.length, 1, 'no restart loop for a permission failure');
    assert.equal(denied.last.stopCalls, 1, 'a half-loaded instance is still stopped');
    const tcp = state('tcp');
    assert.equal(tcp.state, 'failed');
    assert.equal(tcp.faults, 0);
    assert.equal(tcp.errorKind, 'permission');
    assert.match(tcp.hint ?? '', /not running as root.*CAP_BPF and CAP_PERFMON/);
    const { coverage, parts } = await sup.snapshotAll(1e9);
    assert.equal(parts.length, 1);
    const byName = Object.fromEntries(coverage.map((c) => [c.name, c]));
    assert.equal(byName.tcp?.state, 'failed');
    assert.equal(byName.tcp?.error, 'load tcp_retransmit: Operation not permitted');
    assert.equal(byName.pressure?.state, 'unsupported');
    assert.equal(byName.oom?.state, 'ok');
    const warns = log.records().filter((r) => r.msg === 'collector failed to start');
    assert.equal(warns.length, 2);
    assert.equal(warns[0]?.level, 'warn');
  });

  test('a collector that throws in snapshot contributes nothing; the others are unaffected', async () => {
    let boom = true;
    const { sup, state, registry, log } = setup();
    const bad = testFactory('tcp', () => ({
      snapshotError: () => (boom ? new Error('read map: EFAULT') : undefined),
    }));
    const good = testFactory('oom');
    sup.add('tcp', bad.factory);
    sup.add('oom', good.factory);
    await sup.startAll();
    good.last.deliver(['a']);
    const { parts, coverage } = await sup.snapshotAll(1e9);
    assert.deepEqual(parts, [{ oom: { count: 1, events: [] } }]);
    assert.equal(coverage[0]?.state, 'failed');
    assert.equal(coverage[0]?.faults, 1);
    assert.equal(coverage[0]?.error, 'read map: EFAULT');
    assert.match(coverage[0]?.hint ?? '', /restarting after a fault/);
    assert.equal(state('tcp').state, 'restarting');
    assert.equal(bad.instances[0]?.stopCalls, 1);
    const faults = log.records().filter((r) => r.msg === 'collector fault');
    assert.equal(faults.length, 1);
    const line = faults[0]!;
    assert.equal(line.level, 'error');
    assert.equal(line.collector, 'tcp');
    assert.equal(line.phase, 'snapshot');
    assert.equal(line.error, 'read map: EFAULT');
    assert.equal(line.restartCount, 0);
    assert.match(String(line.stack), /read map: EFAULT\n\s+at /);
    assert.equal(typeof line.time, 'string');
    assert.equal(
      log.lines.filter((l) => l.includes('"collector fault"'))[0]?.split('\n').length,
      2,
      'one line',
    );
    assert.equal(await metric(registry, 'kerno_collector_panics_total', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_up', 'tcp'), 0);
    assert.equal(await metric(registry, 'kerno_collector_up', 'oom'), 1);
    boom = false;
  });

  test('a snapshot stuck on a lock is a fault after the snapshot timeout, not a hang', async () => {
    const { sup, clock, state } = setup({ snapshotTimeoutMs: 3 * SEC });
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await sup.startAll();
    // Simulate a lock that is never released (the fault path forgot to release it, ctx.fault not called).
    (f.last as unknown as { lock: Promise<void> }).lock = new Promise<void>(() => {});
    let done = false;
    const pending = sup.snapshotAll(1e9).then((r) => {
      done = true;
      return r;
    });
    await clock.advance(2 * SEC);
    assert.equal(done, false);
    await clock.advance(1 * SEC);
    const result = await pending;
    assert.deepEqual(result.parts, []);
    assert.equal(state('oom').faults, 1);
    await clock.advance(1 * SEC); // backoff (random 0 → exactly 1 s)
    assert.equal(state('oom').state, 'attached');
    f.last.deliver(['a', 'b', 'c']);
    const again = await sup.snapshotAll(1e9);
    assert.deepEqual(again.parts, [{ oom: { count: 3, events: [] } }]);
  });
});

describe('Supervisor: state is rebuilt, never re-entered', () => {
  test('after a fault mid-update the recreated collector reports only its own data', async () => {
    const { sup, clock, state } = setup();
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await sup.startAll();
    const first = f.last;
    first.deliver(['a', 'b']);
    first.deliver(['c', 'poison']); // count moved, committed did not, lock left held → fault
    assert.equal(first.count, 4);
    assert.equal(first.committed, 2);
    assert.equal(state('oom').state, 'restarting');
    // Snapshot while restarting: nothing from the broken instance, and no wait on its held lock.
    assert.deepEqual((await sup.snapshotAll(1e9)).parts, []);
    await clock.advance(1 * SEC);
    assert.equal(f.instances.length, 2);
    const second = f.last;
    assert.notEqual(second, first);
    assert.equal(second.count, 0);
    second.deliver(['d', 'e', 'f']);
    const { parts, coverage } = await sup.snapshotAll(1e9);
    assert.deepEqual(parts, [{ oom: { count: 3, events: [] } }], 'no stale or doubled counts');
    assert.equal(coverage[0]?.state, 'ok');
    assert.equal(coverage[0]?.restarts, 1);
    assert.equal(coverage[0]?.faults, 1);
    // Cumulative totals keep the retired instance's committed events (monotonic for counters).
    assert.equal(state('oom').events, 5);
  });

  test('data from a snapshot during which the collector faulted is dropped', async () => {
    const { sup, clock, state } = setup();
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await sup.startAll();
    const first = f.last;
    first.deliver(['a']);
    const real = first.snapshot.bind(first);
    first.snapshot = async () => {
      const part = await real();
      first.ctx?.fault(new Error('ring buffer callback threw mid-snapshot'));
      return part;
    };
    const { parts, coverage } = await sup.snapshotAll(1e9);
    assert.deepEqual(parts, []);
    assert.equal(coverage[0]?.faults, 1);
    await clock.advance(1 * SEC);
    assert.equal(state('oom').state, 'attached');
  });

  test('a factory that throws is a fault like any other', async () => {
    const { sup, clock, state } = setup();
    let calls = 0;
    const f = testFactory('oom');
    sup.add('oom', () => {
      if (++calls === 1) throw new TypeError('cannot build collector');
      return f.factory();
    });
    await sup.startAll();
    assert.equal(state('oom').state, 'restarting');
    assert.equal(state('oom').lastError, 'cannot build collector');
    await clock.advance(1 * SEC);
    assert.equal(state('oom').state, 'attached');
  });

  test('a collector added after startAll starts at once', async () => {
    const { sup, clock, state } = setup();
    await sup.startAll();
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await clock.advance(0);
    assert.equal(state('oom').state, 'attached');
    assert.throws(() => sup.add('oom', f.factory), /already supervised/);
  });

  test('late callbacks from a retired instance are ignored', async () => {
    const { sup, clock, state } = setup();
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await sup.startAll();
    const first = f.last;
    first.ctx?.fault(new Error('ring buffer callback threw'));
    assert.equal(first.ctx?.signal.aborted, true, 'the instance is told to stop');
    await clock.advance(1 * SEC);
    assert.equal(state('oom').state, 'attached');
    first.ctx?.fault(new Error('again, from the dead instance'));
    first.ctx?.fault(new Error('and again'));
    assert.equal(state('oom').faults, 1);
    assert.equal(state('oom').state, 'attached');
  });

  test('a throwing stats() is a fault too', async () => {
    const { sup, state } = setup();
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await sup.startAll();
    f.last.stats = () => {
      throw new Error('stats: map gone');
    };
    sup.states();
    await Promise.resolve();
    assert.equal(state('oom').faults, 1);
    assert.equal(state('oom').lastError, 'stats: map gone');
  });
});

describe('Supervisor: restart with backoff', () => {
  /** Fault each fresh instance as soon as it attaches; returns the delays between fault and next start. */
  async function restartDelays(random: () => number, count: number): Promise<number[]> {
    const { sup, clock, state } = setup({ random, breaker: { maxFaults: 1_000 } });
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    await sup.startAll();
    const delays: number[] = [];
    for (let i = 0; i < count; i++) {
      const built = f.instances.length;
      f.last.ctx?.fault(new Error(`fault ${i}`));
      const faultAt = clock.now();
      const next = state('tcp').nextRestartAt;
      assert.ok(next !== undefined);
      await clock.advance(next - faultAt - 1);
      assert.equal(f.instances.length, built, 'not restarted before the backoff ends');
      await clock.advance(1);
      assert.equal(f.instances.length, built + 1);
      assert.equal(state('tcp').state, 'attached');
      delays.push(clock.now() - faultAt);
    }
    await sup.stopAll();
    return delays;
  }

  test('the nominal schedule doubles from 1 s and caps at 60 s', async () => {
    assert.deepEqual(
      await restartDelays(() => 0, 9),
      [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * SEC),
    );
  });

  test('jitter shaves at most 20 % off each delay and never exceeds the cap', async () => {
    const nominal = [1, 2, 4, 8, 16, 32, 60, 60, 60].map((s) => s * SEC);
    const high = await restartDelays(() => 0.999999, 9);
    high.forEach((d, i) => assert.equal(d, Math.round(nominal[i]! * (1 - 0.2 * 0.999999))));
    for (const seed of [1, 2, 3]) {
      const delays = await restartDelays(seededRandom(seed), 9);
      delays.forEach((d, i) => {
        assert.ok(
          d > nominal[i]! * 0.8 - 1 && d <= nominal[i]!,
          `delay ${i} = ${d} within (0.8, 1] × ${nominal[i]}`,
        );
      });
      assert.ok(new Set(delays.map((d, i) => d / nominal[i]!)).size > 1, 'jitter varies');
    }
  });

  test('the backoff starts over after 5 minutes without a fault', async () => {
    const { sup, clock, state } = setup();
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    await sup.startAll();
    f.last.ctx?.fault(new Error('one'));
    await clock.advance(1 * SEC);
    f.last.ctx?.fault(new Error('two'));
    assert.equal(state('tcp').nextRestartAt! - clock.now(), 2 * SEC, 'second consecutive fault: 2 s');
    await clock.advance(2 * SEC);
    await clock.advance(1 * MIN); // healthy for only 1 minute
    f.last.ctx?.fault(new Error('three'));
    assert.equal(state('tcp').nextRestartAt! - clock.now(), 4 * SEC);
    await clock.advance(4 * SEC);
    await clock.advance(5 * MIN); // healthy for 5 minutes: backoff resets
    f.last.ctx?.fault(new Error('four'));
    assert.equal(state('tcp').nextRestartAt! - clock.now(), 1 * SEC);
    assert.equal(state('tcp').state, 'restarting');
  });

  test('restart waits for a hung stop, bounded by the stop timeout', async () => {
    const { sup, clock, state, log } = setup({ faultInject: parseFaultSpec('tcp:hang-on-stop') });
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    await sup.startAll();
    f.last.ctx?.fault(new Error('boom'));
    await clock.advance(1 * SEC);
    assert.equal(f.instances.length, 1, 'the old instance is still stopping');
    await clock.advance(1 * SEC);
    assert.equal(f.instances.length, 2, 'abandoned after 2 s, then restarted');
    assert.equal(f.instances[0]?.stopCalls, 1, 'the real stop ran (links closed)');
    assert.equal(state('tcp').abandoned, 1);
    assert.equal(state('tcp').state, 'attached');
    assert.equal(
      log.records().filter((r) => r.msg === 'collector stop timed out; instance abandoned').length,
      1,
    );
  });

  test('a hung start is abandoned after the start timeout and counted as a fault', async () => {
    const { sup, clock, state } = setup({
      startTimeoutMs: 10 * SEC,
      faultInject: parseFaultSpec('syscall:hang-on-start'),
    });
    const f = testFactory('syscall');
    sup.add('syscall', f.factory);
    let resolved = false;
    const started = sup.startAll().then(() => (resolved = true));
    await clock.advance(9 * SEC);
    assert.equal(resolved, false);
    assert.equal(state('syscall').state, 'loading');
    await clock.advance(1 * SEC);
    await started;
    const s = state('syscall');
    assert.equal(s.state, 'restarting');
    assert.equal(s.faults, 1);
    assert.equal(s.abandoned, 1);
    assert.equal(s.errorKind, 'timeout');
    assert.match(s.lastError ?? '', /start syscall timed out after 10000 ms/);
  });
});

describe('Supervisor: circuit breaker', () => {
  test('5 faults within 10 minutes disable the collector for good', async () => {
    const { sup, clock, state, registry, log } = setup();
    const f = testFactory('tcp');
    const other = testFactory('oom');
    sup.add('tcp', f.factory);
    sup.add('oom', other.factory);
    await sup.startAll();
    for (let i = 1; i <= 5; i++) {
      f.last.ctx?.fault(new Error(`fault ${i}`));
      if (i < 5) {
        assert.equal(state('tcp').state, 'restarting');
        await clock.advance(2 * MIN);
        assert.equal(state('tcp').state, 'attached');
      }
    }
    const s = state('tcp');
    assert.equal(s.state, 'disabled');
    assert.equal(s.faults, 5);
    assert.equal(s.restarts, 4);
    assert.equal(s.hint, 'disabled after 5 faults in 10m');
    await clock.advance(60 * MIN);
    assert.equal(f.instances.length, 5, 'never recreated once disabled');
    assert.equal(state('oom').state, 'attached');
    const { coverage } = await sup.snapshotAll(1e9);
    assert.equal(coverage[0]?.state, 'disabled');
    assert.equal(coverage[0]?.hint, 'disabled after 5 faults in 10m');
    const disabledLines = log
      .records()
      .filter((r) => r.msg === 'collector disabled for the process lifetime');
    assert.equal(disabledLines.length, 1);
    assert.equal(disabledLines[0]?.level, 'error');
    assert.equal(disabledLines[0]?.reason, 'circuit breaker open');
    assert.equal(await metric(registry, 'kerno_collector_disabled', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_disabled', 'oom'), 0);
    assert.equal(await metric(registry, 'kerno_collector_panics_total', 'tcp'), 5);
    assert.equal(await metric(registry, 'kerno_collector_restarts_total', 'tcp'), 4);
    assert.equal(await metric(registry, 'kerno_collector_up', 'tcp'), 0);
  });

  test('5 faults spread over 11 minutes do not trip it', async () => {
    const { sup, clock, state } = setup();
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    await sup.startAll();
    const at = [0, 2.75, 5.5, 8.25, 11].map((m) => m * MIN);
    const t0 = clock.now();
    for (const offset of at) {
      await clock.advance(t0 + offset - clock.now());
      assert.equal(state('tcp').state, 'attached');
      f.last.ctx?.fault(new Error('fault'));
    }
    assert.equal(state('tcp').faults, 5);
    assert.equal(state('tcp').state, 'restarting');
    await clock.advance(1 * MIN);
    assert.equal(state('tcp').state, 'attached');
  });
});

describe('Supervisor: failure policies', () => {
  test('isolate disables on the first fault; the others go on', async () => {
    const { sup, clock, state, registry } = setup({ policies: { tcp: 'isolate' } });
    const f = testFactory('tcp');
    const g = testFactory('oom');
    sup.add('tcp', f.factory, 'restart'); // config beats the code default
    sup.add('oom', g.factory);
    await sup.startAll();
    f.last.deliver(['poison']);
    assert.equal(state('tcp').policy, 'isolate');
    assert.equal(state('tcp').state, 'disabled');
    assert.equal(state('tcp').hint, 'disabled after a fault (policy isolate)');
    await clock.advance(10 * MIN);
    assert.equal(f.instances.length, 1);
    g.last.deliver(['a']);
    assert.deepEqual((await sup.snapshotAll(1e9)).parts, [{ oom: { count: 1, events: [] } }]);
    assert.equal(await metric(registry, 'kerno_collector_panics_total', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_restarts_total', 'tcp'), 0);
    assert.equal(await metric(registry, 'kerno_collector_disabled', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_up', 'oom'), 1);
  });

  test('restart is the default policy', async () => {
    const { sup, clock, state, registry } = setup();
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    await sup.startAll();
    assert.equal(state('tcp').policy, 'restart');
    f.last.deliver(['poison']);
    await clock.advance(1 * SEC);
    assert.equal(state('tcp').state, 'attached');
    assert.equal(await metric(registry, 'kerno_collector_panics_total', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_restarts_total', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_disabled', 'tcp'), 0);
    assert.equal(await metric(registry, 'kerno_collector_up', 'tcp'), 1);
  });

  test('fail_fast emits fatal and rejects the fatal promise; the runtime does not exit', async () => {
    const { sup, clock, state, registry } = setup();
    const f = testFactory('tcp');
    const g = testFactory('oom');
    sup.add('tcp', f.factory, 'fail_fast');
    sup.add('oom', g.factory);
    const events: CollectorFatalError[] = [];
    sup.on('fatal', (e) => events.push(e));
    await sup.startAll();
    f.last.deliver(['poison']);
    await assert.rejects(sup.fatal, (err: unknown) => {
      assert.ok(err instanceof CollectorFatalError);
      assert.equal(err.collector, 'tcp');
      assert.match(
        err.message,
        /collector tcp failed \(policy fail_fast\): decode tcp event: poisoned record/,
      );
      return true;
    });
    assert.equal(events.length, 1);
    assert.equal(state('tcp').state, 'failed');
    await clock.advance(10 * MIN);
    assert.equal(f.instances.length, 1, 'not restarted');
    assert.equal(state('oom').state, 'attached');
    assert.equal(await metric(registry, 'kerno_collector_panics_total', 'tcp'), 1);
    assert.equal(await metric(registry, 'kerno_collector_up', 'tcp'), 0);
  });

  test('fail_fast makes a load failure fatal too', async () => {
    const { sup, state } = setup({ policies: { disk: 'fail_fast' } });
    const f = testFactory('disk', {
      startError: () => nativeError('btf: vmlinux not found', { errno: 2, code: 'ENOENT' }),
    });
    sup.add('disk', f.factory);
    await sup.startAll();
    await assert.rejects(sup.fatal, CollectorFatalError);
    assert.equal(state('disk').state, 'failed');
    assert.equal(state('disk').errorKind, 'no_btf');
  });

  test('an unknown policy is rejected with a clear message', () => {
    const { sup } = setup();
    assert.throws(
      () => sup.add('tcp', testFactory('tcp').factory, 'retry' as never),
      /invalid policy for tcp: retry/,
    );
    assert.throws(() => setup({ policies: { tcp: 'nope' as never } }), /invalid policy for tcp: nope/);
  });
});

describe('Supervisor: reporting', () => {
  test('state changes are published to subscribers', async () => {
    const { sup, clock } = setup();
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    const seen: string[] = [];
    const off = sup.onStateChange((s) => seen.push(`${s.name}:${s.state}`));
    await sup.startAll();
    f.last.deliver(['poison']);
    await clock.advance(1 * SEC);
    off();
    await sup.stopAll();
    assert.deepEqual(seen, ['tcp:loading', 'tcp:attached', 'tcp:restarting', 'tcp:loading', 'tcp:attached']);
  });

  test('dropped events add up across instances and reach the metric', async () => {
    const { sup, clock, state, registry } = setup();
    const f = testFactory('tcp');
    sup.add('tcp', f.factory);
    await sup.startAll();
    f.last.dropped = 7;
    f.last.deliver(['a', 'b']);
    f.last.deliver(['poison']);
    await clock.advance(1 * SEC);
    f.last.dropped = 3;
    assert.equal(state('tcp').eventsDropped, 10);
    assert.equal(state('tcp').events, 2);
    assert.equal(await metric(registry, 'kerno_events_dropped_total', 'tcp'), 10);
    const { coverage } = await sup.snapshotAll(1e9);
    assert.equal(coverage[0]?.eventsDropped, 10);
  });

  test('drops keep their reasons across instances and windows; sampled-out events are not drops', async () => {
    const { sup, clock, state, registry } = setup();
    const f = testFactory('kernel');
    sup.add('kernel', f.factory);
    await sup.startAll();
    f.last.dropped = 5;
    f.last.droppedByReason = { queue_full: 3, ring_full: 1 };
    f.last.sampledOut = 4;
    f.last.deliver(['poison']);
    await clock.advance(1 * SEC);
    f.last.dropped = 2;
    f.last.droppedByReason = { queue_full: 2 };
    const s = state('kernel');
    assert.equal(s.eventsDropped, 7);
    assert.deepEqual(s.eventsDroppedByReason, {
      queue_full: 5,
      ring_full: 1,
      map_full: 0,
      no_start: 0,
      recursion: 0,
      unspecified: 1,
    });
    assert.equal(s.eventsSampledOut, 4);
    const text = await registry.metrics();
    assert.match(text, /^kerno_events_dropped_total\{collector="kernel",reason="queue_full"\} 5$/m);
    assert.match(text, /^kerno_events_dropped_total\{collector="kernel",reason="unspecified"\} 1$/m);
    const first = (await sup.snapshotAll(1e9)).coverage[0];
    assert.equal(first?.eventsDropped, 7);
    assert.deepEqual(first?.eventsDroppedByReason, { queue_full: 5, ring_full: 1, unspecified: 1 });
    assert.equal(first?.eventsSampledOut, 4);
    await sup.resetAll();
    f.last.dropped = 3;
    f.last.droppedByReason = { queue_full: 3 };
    const second = (await sup.snapshotAll(1e9)).coverage[0];
    assert.equal(second?.eventsDropped, 1, 'only the new window');
    assert.deepEqual(second?.eventsDroppedByReason, { queue_full: 1 });
    assert.equal(second?.eventsSampledOut, undefined, 'absent when nothing was sampled out in the window');
  });

  test('a window without drops has no breakdown', async () => {
    const { sup } = setup();
    sup.add('oom', testFactory('oom').factory);
    await sup.startAll();
    const c = (await sup.snapshotAll(1e9)).coverage[0];
    assert.equal(c?.eventsDropped, 0);
    assert.equal(c?.eventsDroppedByReason, undefined);
    assert.equal(c?.eventsSampledOut, undefined);
  });

  test('resetAll starts a new coverage window', async () => {
    const { sup } = setup();
    const f = testFactory('oom');
    sup.add('oom', f.factory);
    await sup.startAll();
    f.last.deliver(['a', 'b']);
    f.last.dropped = 4;
    await sup.resetAll();
    f.last.dropped = 5;
    f.last.deliver(['c']);
    const { parts, coverage } = await sup.snapshotAll(1e9);
    assert.deepEqual(parts, [{ oom: { count: 1, events: [] } }]);
    assert.equal(coverage[0]?.eventsDropped, 1);
  });

  test('stopAll cancels pending restarts, is idempotent and bounded', async () => {
    const { sup, clock, state } = setup({ faultInject: parseFaultSpec('oom:hang-on-stop') });
    const f = testFactory('tcp');
    const g = testFactory('oom');
    sup.add('tcp', f.factory);
    sup.add('oom', g.factory);
    await sup.startAll();
    f.last.deliver(['poison']);
    let stopped = false;
    const p = sup.stopAll().then(() => (stopped = true));
    assert.equal(sup.stopAll(), sup.stopAll());
    await clock.advance(1_999);
    assert.equal(stopped, false, 'waits for the hung stop …');
    await clock.advance(1);
    await p;
    assert.equal(stopped, true, '… but not beyond 2 s');
    assert.equal(state('oom').abandoned, 1);
    await clock.advance(10 * MIN);
    assert.equal(f.instances.length, 1, 'the pending restart was cancelled');
    assert.equal(state('tcp').state, 'stopped');
    assert.equal(clock.pendingTimers, 0);
    assert.throws(() => sup.add('disk', testFactory('disk').factory), /supervisor is stopped/);
  });

  test('metrics exist for every collector from the first scrape', async () => {
    const { sup, registry } = setup();
    sup.add('tcp', testFactory('tcp').factory);
    sup.add('oom', testFactory('oom').factory);
    await sup.startAll();
    const text = await registry.metrics();
    for (const name of ['kerno_collector_panics_total', 'kerno_collector_restarts_total']) {
      assert.match(text, new RegExp(`# TYPE ${name} counter`));
      assert.match(text, new RegExp(`^${name}\\{collector="tcp"\\} 0$`, 'm'));
    }
    assert.match(text, /# TYPE kerno_events_dropped_total counter/);
    for (const reason of DROP_REASONS)
      assert.match(
        text,
        new RegExp(`^kerno_events_dropped_total\\{collector="tcp",reason="${reason}"\\} 0$`, 'm'),
      );
    for (const name of ['kerno_collector_disabled', 'kerno_collector_up']) {
      assert.match(text, new RegExp(`# TYPE ${name} gauge`));
    }
    // Fault reasons stay in the log: the only `reason` label is the drop reason's closed set.
    for (const m of text.matchAll(/^(\w+)\{[^}]*reason=/gm)) assert.equal(m[1], 'kerno_events_dropped_total');
  });
});
