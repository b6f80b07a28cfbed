import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explainRule, ruleCatalogue, suggestRules } from '../../../rules/catalogue.js';
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
});
