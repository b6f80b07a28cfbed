import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type Config } from '../../../src/config/index.js';
import { diffConfig, effectiveConfig } from '../../../src/daemon/reload.js';

function changed(mutate: (c: Config) => void): Config {
  const c = structuredClone(defaultConfig());
  mutate(c);
  return c;
}

describe('diffConfig', () => {
  test('identical configurations differ in nothing', () => {
    assert.deepEqual(diffConfig(defaultConfig(), defaultConfig()), {
      applied: [],
      restartRequired: [],
      ignored: [],
    });
  });

  test('live keys, restart-required keys and ignored keys are told apart', () => {
    const before = defaultConfig();
    const after = changed((c) => {
      c.log_level = 'debug';
      c.doctor.thresholds.tcp_retransmit_pct = 5;
      c.daemon.metrics_token_file = '/etc/kerno/token';
      c.daemon.interval = 30e9;
      c.daemon.listen = '0.0.0.0:9191';
      c.collectors.tcp = false;
      c.runtime.failure_policy.default = 'isolate';
      c.daemon.netconsole_nodes = { '10.0.0.5': 'node-a' };
      c.doctor.duration = 10e9;
    });
    const d = diffConfig(before, after);
    assert.deepEqual(d.applied, [
      'daemon.interval',
      'daemon.metrics_token_file',
      'doctor.thresholds.tcp_retransmit_pct',
      'log_level',
    ]);
    assert.deepEqual(d.restartRequired, [
      'collectors.tcp',
      'daemon.listen',
      'daemon.netconsole_nodes',
      'runtime.failure_policy.default',
    ]);
    assert.deepEqual(d.ignored, ['doctor.duration']);
  });

  test('an unset optional key and an undefined one are the same', () => {
    const a = defaultConfig();
    const b = { ...defaultConfig(), daemon: { ...defaultConfig().daemon, metrics_token_file: undefined } };
    assert.deepEqual(diffConfig(a, b).applied, []);
  });
});

describe('effectiveConfig', () => {
  test('takes the live keys from the new config and keeps the rest', () => {
    const before = defaultConfig();
    const after = changed((c) => {
      c.log_level = 'warn';
      c.daemon.listen = '0.0.0.0:1';
      c.doctor.thresholds.fd_growth_per_sec = 99;
      c.daemon.interval = 5e9;
    });
    const eff = effectiveConfig(before, after);
    assert.equal(eff.log_level, 'warn');
    assert.equal(eff.doctor.thresholds.fd_growth_per_sec, 99);
    assert.equal(eff.daemon.interval, 5e9);
    assert.equal(eff.daemon.listen, before.daemon.listen, 'the socket is still bound to the old address');
    assert.deepEqual(diffConfig(eff, after).applied, [], 'nothing live is left to apply');
  });
});
