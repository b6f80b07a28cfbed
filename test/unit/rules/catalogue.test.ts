import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHAOS_PAIRS, explainRule, ruleCatalogue, suggestRules } from '../../../rules/catalogue.js';
import { RULE_IDS } from '../../../rules/index.js';

describe('rule catalogue (kerno explain --rule)', () => {
  it('has one entry per rule with every field filled', () => {
    const cat = ruleCatalogue();
    assert.deepEqual(
      cat.map((e) => e.id),
      RULE_IDS,
    );
    for (const e of cat) {
      assert.ok(e.signal && e.severity && e.trigger && e.why && e.fix.length > 0, e.id);
    }
  });

  it('trigger text shows the thresholds in effect', () => {
    assert.match(explainRule('scheduler_contention')!.trigger, /≥ 5ms \(WARNING\) or ≥ 20ms \(CRITICAL\)/);
    const custom = explainRule('scheduler_contention', { sched_delay_warning_ns: 2e6 })!;
    assert.match(custom.trigger, /≥ 2ms \(WARNING\)/);
    assert.equal(custom.thresholds.sched_delay_warning_ns, 2e6);
    assert.match(explainRule('tcp_retransmit_storm')!.trigger, /≥ 2% .* at least 1,000 segments/);
  });

  it('unknown rule → undefined; suggestions by substring or first segment', () => {
    assert.equal(explainRule('nope'), undefined);
    assert.deepEqual(suggestRules('disk'), ['disk_io_bottleneck', 'disk_io_write_high']);
    assert.deepEqual(suggestRules('tcp-retransmit'), ['tcp_retransmit_storm', 'tcp_rtt_degradation']);
    assert.deepEqual(suggestRules(''), [...RULE_IDS]);
  });

  it('pairs chaos scenarios with rules as specified', () => {
    assert.deepEqual(
      { ...CHAOS_PAIRS },
      {
        'disk-sat': ['disk_io_bottleneck', 'io_pressure_stall'],
        'oom-kill': ['oom_kill_occurred'],
        'tcp-loss': ['tcp_retransmit_storm'],
        cpu: ['scheduler_contention', 'cpu_pressure_stall'],
        'fd-leak': ['fd_leak'],
        'syscall-errors': ['syscall_error_rate'],
        'cgroup-memory': ['memory_limit_pressure'],
        'memory-stall': ['memory_high_throttling', 'memory_pressure_stall'],
        'host-memory': ['oom_imminent'],
        'tcp-rtt': ['tcp_rtt_degradation'],
        'slow-io': ['syscall_latency_high'],
        'slow-disk': ['disk_io_write_high'],
      },
    );
    for (const rules of Object.values(CHAOS_PAIRS)) for (const r of rules) assert.ok(RULE_IDS.includes(r));
    assert.equal(explainRule('kernel_oops')!.pairsWith, null);
  });
});
