import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_RULES, RULE_IDS } from '../../../rules/index.js';
import { DEFAULT_THRESHOLDS, THRESHOLD_KEYS } from '../../../src/doctor/thresholds.js';
import { deepFreeze, quietSignals } from './fixtures.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';

describe('rule registry', () => {
  it('lists every rule module once, by id, healthy_system (only when all others are quiet) last', () => {
    assert.deepEqual(RULE_IDS, [
      'cpu_pressure_stall',
      'cpu_throttled',
      'disk_io_bottleneck',
      'disk_io_write_high',
      'dns_failure_rate',
      'dns_high_latency',
      'fd_leak',
      'io_pressure_stall',
      'kernel_hard_lockup',
      'kernel_hung_task',
      'kernel_mce',
      'kernel_oops',
      'kernel_previous_panic',
      'kernel_rcu_stall',
      'kernel_soft_lockup',
      'kernel_taint',
      'kernel_warning',
      'memory_high_throttling',
      'memory_limit_pressure',
      'memory_pressure_stall',
      'oom_imminent',
      'oom_kill_occurred',
      'scheduler_contention',
      'syscall_error_rate',
      'syscall_latency_high',
      'tcp_retransmit_storm',
      'tcp_rtt_degradation',
      'healthy_system',
    ]);
    assert.equal(new Set(RULE_IDS).size, RULE_IDS.length);
    assert.deepEqual(
      ALL_RULES.filter((r) => r.onlyIfNoFindings).map((r) => r.id),
      ['healthy_system'],
    );
  });

  it('ids are snake_case; each rule has a signal, a description and documentation', () => {
    for (const r of ALL_RULES) {
      assert.match(r.id, /^[a-z]+(_[a-z0-9]+)*$/);
      assert.ok(r.signal !== '' && r.description !== '', r.id);
      assert.ok(r.doc !== undefined && r.doc.why !== '' && r.doc.fix.length > 0, r.id);
    }
  });

  it("each rule's defaults are exactly the DEFAULT_THRESHOLDS values of the keys it reads", () => {
    const used = new Set<string>();
    for (const r of ALL_RULES) {
      for (const [k, v] of Object.entries(r.defaults)) {
        assert.equal(v, DEFAULT_THRESHOLDS[k as keyof typeof DEFAULT_THRESHOLDS], `${r.id}.${k}`);
        used.add(k);
      }
    }
    assert.deepEqual(
      [...used].sort(),
      [...THRESHOLD_KEYS].sort(),
      'every threshold key is read by some rule',
    );
  });

  it('on an idle host every rule but healthy_system is quiet', () => {
    for (const r of ALL_RULES) {
      const out = r.evaluate(quietSignals(), D);
      if (r.id === 'healthy_system') assert.equal(out.length, 1);
      else assert.deepEqual(out, [], r.id);
    }
  });

  it('rules never mutate the snapshot (deep-frozen input, strict mode throws on writes)', () => {
    const s = deepFreeze(quietSignals());
    // Make every rule fire on the frozen copy too.
    const busy = quietSignals();
    busy.pressure = {
      cpu: { ...busy.pressure!.cpu!, somePct: 90 },
      memory: { ...busy.pressure!.memory!, fullPct: 30 },
      io: { ...busy.pressure!.io!, fullPct: 40 },
    };
    busy.sched!.topDelayed.reverse();
    busy.sched!.runqDelay = { count: 10_000, p50: 1e6, p95: 2e7, p99: 3e7, max: 9e7 };
    busy.fd!.entries.push({
      pid: 9,
      comm: 'x',
      opens: 900,
      closes: 0,
      netDelta: 900,
      growthRatePerSec: 30,
      currentFds: 1000,
      fdLimit: 2048,
    });
    deepFreeze(busy);
    for (const r of ALL_RULES) {
      assert.doesNotThrow(() => r.evaluate(s, D), r.id);
      assert.doesNotThrow(() => r.evaluate(busy, D), r.id);
    }
  });

  it('every rule skips a snapshot with no sub-snapshots at all', () => {
    const s = quietSignals();
    for (const k of [
      'syscall',
      'tcp',
      'fd',
      'memory',
      'pressure',
      'cgroupMemory',
      'cgroupCpu',
      'oom',
      'sched',
      'disk',
      'kernel',
    ] as const)
      delete s[k];
    for (const r of ALL_RULES) assert.deepEqual(r.evaluate(s, D), [], r.id);
  });
});
