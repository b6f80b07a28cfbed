import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PanicRecorder, resolvePanicDir } from '../../../src/runtime/panic-record.js';
import { Supervisor } from '../../../src/runtime/supervisor.js';
import { captureLog, FakeClock, testFactory } from './helpers.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-panic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a fault writes one 0600 file per fault into a 0750 directory created on demand', async (t) => {
  const base = tmp(t);
  const dir = join(base, 'panics', 'nested');
  const clock = new FakeClock(1_700_000_000_123);
  const log = captureLog();
  const sup = new Supervisor({ logger: log.logger, clock, random: () => 0, panicDir: dir, version: '0.1.0' });
  const f = testFactory('tcp');
  sup.add('tcp', f.factory);
  await sup.startAll();
  f.last.deliver(['poison']);
  await clock.advance(1_000);
  f.last.ctx?.fault(new Error('second'));
  await sup.stopAll();

  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['tcp-1700000000123-1.json', 'tcp-1700000001123-2.json']);
  assert.equal(statSync(dir).mode & 0o777, 0o750);
  for (const file of files) assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
  const first = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as Record<string, unknown>;
  assert.equal(first.collector, 'tcp');
  assert.equal(first.phase, 'loop');
  assert.equal(first.error, 'decode tcp event: poisoned record');
  assert.match(String(first.stack), /poisoned record\n\s+at /);
  assert.equal(first.time, '2023-11-14T22:13:20.123Z');
  assert.equal(first.restartCount, 0);
  assert.equal(first.faults, 1);
  assert.equal(first.policy, 'restart');
  assert.equal(first.version, '0.1.0');
  assert.equal(first.pid, process.pid);
  const second = JSON.parse(readFileSync(join(dir, files[1]!), 'utf8')) as Record<string, unknown>;
  assert.equal(second.restartCount, 1);
  assert.equal(second.faults, 2);
});

test('an existing directory is used as is (its mode is the operator’s)', (t) => {
  const dir = tmp(t);
  chmodSync(dir, 0o700);
  const rec = new PanicRecorder(dir, captureLog().logger);
  const file = rec.write(
    {
      time: 'x',
      collector: 'a/b c',
      phase: 'loop',
      error: 'e',
      restartCount: 0,
      faults: 1,
      policy: 'restart',
      pid: 1,
    },
    5,
  );
  assert.equal(file, join(dir, 'a_b_c-5-1.json'));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('an unwritable directory degrades to one log line and never throws', async (t) => {
  const base = tmp(t);
  const blocker = join(base, 'not-a-dir');
  writeFileSync(blocker, 'a file where the directory should be');
  const log = captureLog();
  const clock = new FakeClock();
  const sup = new Supervisor({
    logger: log.logger,
    clock,
    random: () => 0,
    panicDir: join(blocker, 'panics'),
  });
  const f = testFactory('tcp');
  sup.add('tcp', f.factory);
  await sup.startAll();
  for (let i = 0; i < 3; i++) {
    f.last.ctx?.fault(new Error(`fault ${i}`));
    await clock.advance(60_000);
  }
  assert.equal(sup.status('tcp')?.faults, 3);
  assert.equal(sup.status('tcp')?.state, 'attached', 'supervision carried on');
  const warnings = log
    .records()
    .filter((r) => r.msg === 'panic record not written; further failures are not logged');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.dir, join(blocker, 'panics'));
  assert.match(String(warnings[0]?.error), /ENOTDIR|EEXIST/);
  await sup.stopAll();
});

test('resolvePanicDir: off by default, env beats config, empty means off', () => {
  assert.equal(resolvePanicDir(undefined, {}), undefined);
  assert.equal(resolvePanicDir('/var/lib/kerno/panics', {}), '/var/lib/kerno/panics');
  assert.equal(resolvePanicDir('/from/config', { KERNO_PANIC_LOG_DIR: '/from/env' }), '/from/env');
  assert.equal(resolvePanicDir('/from/config', { KERNO_PANIC_LOG_DIR: '' }), undefined);
  assert.equal(resolvePanicDir('  ', {}), undefined);
});
