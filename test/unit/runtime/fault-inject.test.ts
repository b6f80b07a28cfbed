import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  faultSpecFromEnv,
  FaultSpecError,
  InjectedFault,
  parseFaultSpec,
  planFor,
  withFaultInjection,
} from '../../../src/runtime/fault-inject.js';
import { Supervisor } from '../../../src/runtime/supervisor.js';
import { captureLog, FakeClock, testFactory } from './helpers.js';

test('parses the documented examples', () => {
  const spec = parseFaultSpec(
    'tcp:throw-after=200, tcp:hang-on-stop ,syscall:throw-in-start,oom:throw-in-snapshot',
  );
  assert.deepEqual(planFor(spec, 'tcp'), {
    throwInStart: false,
    hangOnStart: false,
    throwInSnapshot: false,
    throwInReset: false,
    hangOnStop: true,
    throwAfterEvents: 200,
  });
  assert.equal(planFor(spec, 'syscall')?.throwInStart, true);
  assert.equal(planFor(spec, 'oom')?.throwInSnapshot, true);
  assert.equal(planFor(spec, 'disk'), undefined);
});

test('* applies to every collector and merges with specific entries', () => {
  const spec = parseFaultSpec('*:throw-in-reset,tcp:throw-after=0');
  assert.equal(planFor(spec, 'disk')?.throwInReset, true);
  const tcp = planFor(spec, 'tcp');
  assert.equal(tcp?.throwInReset, true);
  assert.equal(tcp?.throwAfterEvents, 0);
});

test('bad specs fail with a message naming the bad part', () => {
  const bad: [string, RegExp][] = [
    ['tcp', /bad entry "tcp": expected <collector>:<fault>/],
    [
      'tcp:explode',
      /unknown fault "explode" in "tcp:explode" \(known: throw-in-start, hang-on-start, throw-in-snapshot, throw-in-reset, hang-on-stop, throw-after=N\)/,
    ],
    ['nosuch:throw-in-start', /unknown collector "nosuch"/],
    ['tcp:throw-after=', /bad count in "tcp:throw-after=": throw-after needs a whole number >= 0/],
    ['tcp:throw-after=-1', /bad count/],
    ['tcp:throw-after=1.5', /bad count/],
    ['tcp:throw-after=abc', /bad count/],
  ];
  for (const [text, re] of bad) {
    assert.throws(
      () => parseFaultSpec(text),
      (err: unknown) => err instanceof FaultSpecError && re.test(err.message),
      text,
    );
  }
  assert.throws(
    () => parseFaultSpec('x:hang-on-stop', { collectors: ['y'] }),
    /unknown collector "x" .*known: y/,
  );
  assert.equal(planFor(parseFaultSpec('x:hang-on-stop', { collectors: ['x'] }), 'x')?.hangOnStop, true);
});

test('inert unless set: no variable, empty variable, no matching entry → the factory itself', () => {
  assert.equal(faultSpecFromEnv({}), undefined);
  assert.equal(faultSpecFromEnv({ KERNO_FAULT_INJECT: '  ' }), undefined);
  const { factory } = testFactory('tcp');
  assert.equal(withFaultInjection('tcp', factory, undefined), factory);
  assert.equal(
    withFaultInjection('tcp', factory, faultSpecFromEnv({ KERNO_FAULT_INJECT: 'oom:hang-on-stop' })),
    factory,
  );
  assert.notEqual(withFaultInjection('tcp', factory, parseFaultSpec('tcp:hang-on-stop')), factory);
  assert.throws(() => faultSpecFromEnv({ KERNO_FAULT_INJECT: 'tcp:nope' }), FaultSpecError);
});

test('throw-in-snapshot / throw-in-reset / throw-in-start reject; the rest passes through', async () => {
  const f = testFactory('tcp');
  const wrapped = withFaultInjection(
    'tcp',
    f.factory,
    parseFaultSpec('tcp:throw-in-snapshot,tcp:throw-in-reset'),
  )();
  const ac = new AbortController();
  await wrapped.start({ signal: ac.signal, fault: () => {}, log: () => {} });
  f.last.deliver(['a']);
  assert.equal(wrapped.stats().events, 1);
  await assert.rejects(
    wrapped.snapshot(1),
    (e: unknown) =>
      e instanceof InjectedFault &&
      e.message === 'injected fault (KERNO_FAULT_INJECT): tcp throw-in-snapshot',
  );
  await assert.rejects(wrapped.reset!(), /tcp throw-in-reset/);
  await wrapped.stop();
  assert.equal(f.last.stopCalls, 1);

  const g = testFactory('syscall');
  const failing = withFaultInjection('syscall', g.factory, parseFaultSpec('syscall:throw-in-start'))();
  await assert.rejects(
    failing.start({ signal: ac.signal, fault: () => {}, log: () => {} }),
    /syscall throw-in-start/,
  );
});

test('throw-after=N faults through ctx.fault once the instance has seen N events', async () => {
  const clock = new FakeClock();
  const f = testFactory('tcp');
  const wrapped = withFaultInjection('tcp', f.factory, parseFaultSpec('tcp:throw-after=5'), {
    clock,
    pollMs: 100,
  })();
  const faults: unknown[] = [];
  await wrapped.start({ signal: new AbortController().signal, fault: (e) => faults.push(e), log: () => {} });
  f.last.deliver(['a', 'b', 'c', 'd']);
  await clock.advance(1_000);
  assert.equal(faults.length, 0, '4 events: not yet');
  f.last.deliver(['e']);
  await clock.advance(100);
  assert.equal(faults.length, 1);
  assert.match(String(faults[0]), /tcp throw-after=5/);
  await clock.advance(10_000);
  assert.equal(faults.length, 1, 'one fault per instance');
  assert.equal(clock.pendingTimers, 0, 'polling stopped');
});

test('throw-after=N under the supervisor: every fresh instance counts from zero until the breaker opens', async () => {
  const clock = new FakeClock();
  const sup = new Supervisor({
    logger: captureLog().logger,
    clock,
    random: () => 0,
    faultInject: parseFaultSpec('tcp:throw-after=3'),
  });
  const f = testFactory('tcp');
  sup.add('tcp', f.factory);
  await sup.startAll();
  for (let i = 0; i < 5; i++) {
    f.last.deliver(['x', 'y', 'z']);
    await clock.advance(30_000);
  }
  const s = sup.status('tcp');
  assert.equal(s?.state, 'disabled');
  assert.equal(s?.faults, 5);
  assert.equal(f.instances.length, 5);
  assert.equal(s?.events, 15);
  assert.equal(clock.pendingTimers, 0);
});
