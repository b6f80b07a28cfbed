import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { healthz, readyz, type HealthState } from '../../../src/daemon/health.js';
import { status } from './helpers.js';

const base = (over: Partial<HealthState> = {}): HealthState => ({
  phase: 'running',
  version: '1.2.3',
  uptime: 12.5,
  collectors: [
    status('syscall'),
    status('tcp', {
      state: 'failed',
      programsLoaded: 0,
      programsTotal: 4,
      hint: 'not root: run as root',
      faults: 0,
    }),
    status('memory', { programsLoaded: 0, programsTotal: 0, restarts: 2, faults: 3 }),
  ],
  ...over,
});

describe('/healthz', () => {
  test('always 200 with version, uptime, program counts and per-collector state', () => {
    const { status: code, body } = healthz(base({ phase: 'shutting_down' }));
    assert.equal(code, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.version, '1.2.3');
    assert.equal(body.uptime, 12.5);
    assert.equal(body.programs_loaded, 2);
    assert.equal(body.programs_total, 6);
    assert.deepEqual(body.collectors[1], {
      name: 'tcp',
      state: 'failed',
      restarts: 0,
      faults: 0,
      hint: 'not root: run as root',
    });
    assert.deepEqual(body.collectors[2], { name: 'memory', state: 'attached', restarts: 2, faults: 3 });
  });
});

describe('/readyz state machine', () => {
  test('starting with nothing loaded yet → 503 not_ready (collectors loading)', () => {
    const r = readyz(
      base({ phase: 'starting', collectors: [status('syscall', { state: 'loading', programsLoaded: 0 })] }),
    );
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'not_ready');
    assert.match(r.body.reason!, /still loading/);
  });

  test('a program loaded while others still load → ready (partial load is ready)', () => {
    const r = readyz(
      base({
        phase: 'starting',
        collectors: [
          status('syscall'),
          status('tcp', { state: 'loading', programsLoaded: 0, programsTotal: 4 }),
        ],
      }),
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ready');
  });

  test('running with some collectors failed → 200 ready; no "events must flow" rule (0 events is fine)', () => {
    const r = readyz(base());
    assert.equal(r.status, 200);
    assert.deepEqual(
      { status: r.body.status, loaded: r.body.programs_loaded, total: r.body.programs_total },
      { status: 'ready', loaded: 2, total: 6 },
    );
    assert.equal(r.body.reason, undefined);
  });

  test('running with no BPF program at all (not root) → 503 not_ready, pointing at the hints', () => {
    const r = readyz(
      base({
        collectors: [
          status('syscall', { state: 'failed', programsLoaded: 0, hint: 'not root' }),
          status('memory', { programsLoaded: 0, programsTotal: 0 }),
        ],
      }),
    );
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'not_ready');
    assert.match(r.body.reason!, /no BPF program loaded \(0 of 2\)/);
  });

  test('shutting down → 503 shutting_down, even with every program loaded', () => {
    const r = readyz(base({ phase: 'shutting_down' }));
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'shutting_down');
    assert.equal(r.body.programs_loaded, 2);
  });
});
