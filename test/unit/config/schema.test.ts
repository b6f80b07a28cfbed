import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS } from '../../../src/doctor/thresholds.js';
import {
  CONFIG_KEYS,
  ConfigSchema,
  defaultConfig,
  envName,
  failurePolicyFor,
  resolveLogFormat,
  resolveOutput,
} from '../../../src/config/index.js';
import { leafPaths } from '../../../src/config/keys.js';
import { COLLECTOR_NAMES } from '../../../src/signals/types.js';

const S = 1_000_000_000;

test('defaults match the documented values', () => {
  const c = defaultConfig();
  assert.equal(c.log_level, 'info');
  assert.equal(c.log_format, 'auto');
  assert.equal(c.no_color, false);
  for (const name of COLLECTOR_NAMES) assert.equal(c.collectors[name], true, name);
  assert.deepEqual(
    { duration: c.doctor.duration, interval: c.doctor.interval, output: c.doctor.output },
    { duration: 30 * S, interval: 60 * S, output: 'auto' },
  );
  assert.deepEqual(c.doctor.thresholds, DEFAULT_THRESHOLDS);
  assert.equal(c.runtime.panic_dir, undefined);
  assert.equal(c.runtime.stop_timeout, 2 * S);
  assert.equal(c.runtime.start_timeout, 10 * S);
  assert.deepEqual(c.runtime.failure_policy, { default: 'restart', overrides: {} });
  assert.equal(c.daemon.listen, '127.0.0.1:9733');
  assert.equal(c.daemon.interval, 60 * S);
  assert.equal(c.daemon.state_dir, '/var/lib/kerno');
  assert.deepEqual(c.daemon.netconsole_nodes, {});
  for (const k of ['metrics_token_file', 'netconsole_listen', 'webhook_url'] as const) {
    assert.equal(c.daemon[k], undefined, k);
  }
  assert.equal(c.cgroup_root, undefined);
});

test('a partial thresholds map is laid over the defaults', () => {
  const c = ConfigSchema.parse({ doctor: { thresholds: { tcp_retransmit_pct: 7.5 } } });
  assert.deepEqual(c.doctor.thresholds, { ...DEFAULT_THRESHOLDS, tcp_retransmit_pct: 7.5 });
});

test('every key has a distinct KERNO_* env name', () => {
  const names = leafPaths(CONFIG_KEYS).map(({ path }) => envName(path));
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes('KERNO_DOCTOR_THRESHOLDS_TCP_RETRANSMIT_PCT'));
  assert.ok(names.includes('KERNO_COLLECTORS_CGROUP_MEMORY'));
  assert.ok(names.includes('KERNO_CGROUP_ROOT'));
  assert.ok(names.includes('KERNO_RUNTIME_FAILURE_POLICY_OVERRIDES_TCP'));
  assert.equal(envName(['log-format']), 'KERNO_LOG_FORMAT');
});

test('auto output and log format follow the terminal', () => {
  assert.equal(resolveOutput('auto', true), 'pretty');
  assert.equal(resolveOutput('auto', false), 'plain');
  assert.equal(resolveOutput('json', true), 'json');
  assert.equal(resolveLogFormat('auto', true), 'text');
  assert.equal(resolveLogFormat('auto', false), 'json');
  assert.equal(resolveLogFormat('text', false), 'text');
});

test('a collector without an override uses the default failure policy', () => {
  const c = ConfigSchema.parse({
    runtime: { failure_policy: { default: 'isolate', overrides: { oom: 'fail_fast' } } },
  });
  assert.equal(failurePolicyFor(c, 'oom'), 'fail_fast');
  assert.equal(failurePolicyFor(c, 'tcp'), 'isolate');
});
