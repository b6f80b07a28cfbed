import { ALL_RULES } from '../../../rules/index.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { healthySystem } from '../../../rules/healthy_system.js';
import { evaluate, evaluateDetailed } from '../../../src/doctor/engine.js';
import { coverage, quietSignals, runRule, withCoverage } from './fixtures.js';

describe('healthy_system', () => {
  it('an idle host with every collector ok yields only healthy_system', () => {
    const fs = evaluate(quietSignals(), ALL_RULES);
    assert.deepEqual(
      fs.map((f) => f.rule),
      ['healthy_system'],
    );
    const f = fs[0]!;
    assert.equal(f.severity, 'info');
    assert.equal(f.title, 'System Healthy');
    assert.equal(f.evidence[0], 'observed 20,000 syscalls and 20,000 scheduler wakeups over 30s');
    assert.ok(f.fix.some((c) => c.startsWith('kerno doctor --continuous')));
  });

  for (const name of ['syscall', 'sched', 'memory'] as const) {
    for (const state of ['failed', 'disabled', 'off', 'unsupported'] as const) {
      it(`no health claim when the ${name} collector is ${state}; the report is finding-free`, () => {
        const s = withCoverage(quietSignals(), name, state, 'needs CAP_BPF');
        assert.deepEqual(runRule(healthySystem, s), []);
        const r = evaluateDetailed(s, ALL_RULES);
        assert.deepEqual(r.findings, []);
        assert.deepEqual(r.ruleErrors, []);
      });
    }
  }

  it('no health claim when a required collector reports ok but delivered no snapshot', () => {
    const s = quietSignals();
    delete s.sched;
    assert.deepEqual(evaluate(s, ALL_RULES), []);
  });

  it('no health claim when a required collector has no coverage entry at all', () => {
    const s = quietSignals();
    s.coverage = s.coverage.filter((c) => c.name !== 'syscall');
    assert.deepEqual(evaluate(s, ALL_RULES), []);
  });

  it('no health claim without root: every eBPF collector failed, only procfs ones ran', () => {
    let s = quietSignals();
    for (const n of ['syscall', 'tcp', 'fd', 'oom', 'sched', 'disk'] as const)
      s = withCoverage(s, n, 'failed', 'operation not permitted: run as root');
    assert.deepEqual(evaluate(s, ALL_RULES), []);
  });

  it('a non-required collector missing still allows the claim, and the evidence says what was not observed', () => {
    let s = withCoverage(quietSignals(), 'tcp', 'failed', 'attach tcp_retransmit_skb: ENOENT');
    s = withCoverage(s, 'pressure', 'unsupported', 'no /proc/pressure (CONFIG_PSI off)');
    s.coverage = s.coverage.map((c) => (c.name === 'oom' ? coverage('oom', { eventsDropped: 3 }) : c));
    const [f] = evaluate(s, ALL_RULES);
    assert.equal(f!.rule, 'healthy_system');
    const notObserved = f!.evidence.find((l) => l.startsWith('not fully observed:'))!;
    assert.match(notObserved, /tcp \(failed: attach tcp_retransmit_skb: ENOENT\)/);
    assert.match(notObserved, /pressure \(unsupported: no \/proc\/pressure \(CONFIG_PSI off\)\)/);
    assert.match(notObserved, /oom \(ran, but dropped 3 events\)/);
  });

  it('is not claimed when any other rule fired', () => {
    const s = quietSignals();
    s.pressure!.cpu!.somePct = 90;
    const fs = evaluate(s, ALL_RULES);
    assert.ok(fs.length > 0);
    assert.ok(!fs.some((f) => f.rule === 'healthy_system'));
  });
});
