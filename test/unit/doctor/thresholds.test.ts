import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_THRESHOLDS,
  isThresholdKey,
  pickThresholds,
  THRESHOLD_DOCS,
  THRESHOLD_KEYS,
} from '../../../src/doctor/thresholds.js';

describe('thresholds', () => {
  it('keeps the original code defaults (reference §5.6) under their original keys', () => {
    assert.equal(DEFAULT_THRESHOLDS.syscall_p99_warning_ns, 100_000_000);
    assert.equal(DEFAULT_THRESHOLDS.syscall_p99_critical_ns, 500_000_000);
    assert.equal(DEFAULT_THRESHOLDS.tcp_retransmit_pct, 2.0);
    assert.equal(DEFAULT_THRESHOLDS.oom_memory_pct, 90.0);
    assert.equal(DEFAULT_THRESHOLDS.disk_p99_warning_ns, 50_000_000);
    assert.equal(DEFAULT_THRESHOLDS.disk_p99_critical_ns, 200_000_000);
    assert.equal(DEFAULT_THRESHOLDS.sched_delay_warning_ns, 5_000_000);
    assert.equal(DEFAULT_THRESHOLDS.sched_delay_critical_ns, 20_000_000);
    assert.equal(DEFAULT_THRESHOLDS.fd_growth_per_sec, 10.0);
  });

  it('is a flat object of finite numbers with snake_case keys naming their unit', () => {
    for (const [k, v] of Object.entries(DEFAULT_THRESHOLDS)) {
      assert.match(k, /^[a-z0-9]+(_[a-z0-9]+)*$/);
      assert.ok(Number.isFinite(v), k);
      assert.match(
        k,
        /_(ns|pct|per_sec|calls|segments|samples|ios|wakeups|fds|periods|responses|queries|failures)$/,
        `unit suffix on ${k}`,
      );
    }
  });

  it('warning < critical for every pair', () => {
    const pairs = THRESHOLD_KEYS.filter((k) => k.includes('warning')).map(
      (k) => [k, k.replace('warning', 'critical')] as const,
    );
    assert.ok(pairs.length >= 6);
    for (const [w, c] of pairs) {
      if (!isThresholdKey(c)) continue;
      assert.ok(DEFAULT_THRESHOLDS[w] < DEFAULT_THRESHOLDS[c], `${w} < ${c}`);
    }
    assert.ok(DEFAULT_THRESHOLDS.oom_memory_pct < DEFAULT_THRESHOLDS.oom_memory_critical_pct);
  });

  it('documents every key; pick/isThresholdKey work', () => {
    assert.deepEqual(Object.keys(THRESHOLD_DOCS).sort(), [...THRESHOLD_KEYS].sort());
    assert.deepEqual(pickThresholds('tcp_min_segments', 'fd_growth_per_sec'), {
      tcp_min_segments: 1000,
      fd_growth_per_sec: 10,
    });
    assert.equal(isThresholdKey('tcp_min_segments'), true);
    assert.equal(isThresholdKey('toString'), false);
  });
});
