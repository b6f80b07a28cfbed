// The scenario → rule table against the rules themselves: every paired rule exists, every rule that names a
// scenario (doc.chaos, i.e. CHAOS_PAIRS) is paired back, every rule without a scenario is listed below with
// the reason, and the e2e induce-to-detect table (test/e2e/pairs.ts) covers exactly the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios, SCENARIO_EXPECT, SCENARIO_RULES } from '../../../src/chaos/index.js';
import { CASCADE_STAGES } from '../../../src/chaos/scenarios/cascade.js';
import { ALL_RULES, RULE_IDS } from '../../../rules/index.js';
import { CHAOS_PAIRS } from '../../../rules/catalogue.js';
import {
  expectedThreshold,
  KNOWN_GAPS,
  PAIR_CASES,
  SUBJECT_MATCHERS,
  thresholdKeyFor,
} from '../../../test/e2e/pairs.js';
import type { Finding } from '../../../src/doctor/types.js';

/**
 * Rules no scenario is paired with, and why. A new rule must either name a scenario (doc.chaos) or be added
 * here: "every rule that can be induced has a scenario" is a decision per rule, not an accident.
 */
const NOT_PAIRED: Readonly<Record<string, string>> = {
  disk_io_write_high:
    'needs device write latency ≥ 200 ms at p99; the virtual disk here completes writes in ~1 ms even 100 deep',
  tcp_rtt_degradation: 'needs ≥ 100 ms RTT: netem (delay) is not built here and nftables can only drop',
  syscall_latency_high: 'no scenario yet: needs a non-blocking syscall slowed by a saturated resource',
  oom_imminent: 'needs ≥ 90 % of host memory in use: inducing it endangers every process on the host',
  memory_high_throttling: 'no scenario yet: needs memory.high (v2) events or v1 failcnt ≥ 100/s',
  cpu_pressure_stall:
    'fires alongside scheduler_contention during `cpu`, which the issue pairs with the latter only',
  kernel_oops: 'needs a kernel oops',
  kernel_warning: 'needs a kernel WARN()',
  kernel_taint: 'needs a tainted kernel (e.g. an unsigned module)',
  kernel_hung_task: 'needs a task in D state for 120 s (hung_task_timeout_secs)',
  kernel_soft_lockup: 'needs a CPU stuck in the kernel',
  kernel_hard_lockup: 'needs a CPU stuck with interrupts off',
  kernel_rcu_stall: 'needs an RCU grace period stalled for 21 s',
  kernel_mce: 'needs a machine-check exception (hardware)',
  kernel_previous_panic: 'needs a panic record in pstore from a previous boot',
  healthy_system: 'the absence of findings: the specificity e2e test covers it',
};

const scenarios = Object.keys(SCENARIO_RULES);
const pairedRules = new Set(Object.values(SCENARIO_RULES).flat());

test('every scenario names rules that exist in rules/index.ts', () => {
  const ids = new Set(RULE_IDS);
  assert.equal(ids.size, RULE_IDS.length, 'rule ids are unique');
  for (const [name, rules] of Object.entries(SCENARIO_RULES)) {
    assert.ok(rules.length > 0, `${name} names no rule`);
    for (const r of rules) assert.ok(ids.has(r), `scenario ${name} names unknown rule ${r}`);
  }
});

test('CHAOS_PAIRS (rule → scenario, from doc.chaos) is the inverse of SCENARIO_RULES', () => {
  for (const [scenario, rules] of Object.entries(CHAOS_PAIRS)) {
    assert.ok(scenarios.includes(scenario), `rules ${rules.join(', ')} name missing scenario ${scenario}`);
  }
  const cascadeStages = new Set(CASCADE_STAGES.map((s) => s.name));
  for (const name of scenarios) {
    if (name === 'cascade') {
      // No rule names cascade: it pairs with exactly the union of its stages' rules.
      assert.equal(CHAOS_PAIRS.cascade, undefined);
      assert.deepEqual(
        new Set(SCENARIO_RULES.cascade),
        new Set([...cascadeStages].flatMap((s) => SCENARIO_RULES[s]!)),
      );
      continue;
    }
    assert.deepEqual(
      new Set(CHAOS_PAIRS[name] ?? []),
      new Set(SCENARIO_RULES[name]),
      `${name}: rules naming it (doc.chaos) vs the rules it pairs with`,
    );
  }
});

test('every rule either has a scenario or is listed as not paired, with a reason', () => {
  for (const rule of ALL_RULES) {
    const scenario = rule.doc?.chaos;
    if (scenario !== undefined) {
      assert.ok(!(rule.id in NOT_PAIRED), `${rule.id} has scenario ${scenario}: remove it from NOT_PAIRED`);
      assert.ok(pairedRules.has(rule.id), `${rule.id} names ${scenario}, which does not pair with it`);
    } else {
      assert.ok(
        rule.id in NOT_PAIRED,
        `${rule.id} has no chaos scenario (doc.chaos): write one, or add it to NOT_PAIRED with the reason`,
      );
      assert.ok(!pairedRules.has(rule.id), `${rule.id} is paired by a scenario but has no doc.chaos`);
    }
  }
  for (const id of Object.keys(NOT_PAIRED))
    assert.ok(RULE_IDS.includes(id), `NOT_PAIRED names unknown ${id}`);
});

test('the e2e table runs every scenario once, and can match every paired rule to a subject', () => {
  assert.deepEqual(
    PAIR_CASES.map((c) => c.scenario),
    listScenarios().map((s) => s.name),
    'test/e2e/pairs.ts PAIR_CASES, in registry order',
  );
  for (const c of PAIR_CASES) {
    assert.ok(c.settleMs >= 1000, `${c.scenario}: doctor starts after the incident is established`);
    assert.ok(c.seconds * 1000 >= c.settleMs + 20_000, `${c.scenario}: lasts beyond doctor's 10 s window`);
  }
  for (const rule of pairedRules)
    assert.equal(typeof SUBJECT_MATCHERS[rule], 'function', `matcher for ${rule}`);
  for (const gap of KNOWN_GAPS) {
    assert.ok(
      SCENARIO_EXPECT[gap.scenario]?.some((g) => g.join() === gap.group.join()),
      `known gap ${gap.scenario}: ${gap.group.join(' or ')} is not one of its groups`,
    );
    assert.ok(gap.why.length > 40, 'a known gap says why');
  }
});

test('the e2e threshold check reads the keys each paired rule reads', () => {
  const finding = (rule: string, severity: Finding['severity'], metric = ''): Finding =>
    ({ rule, severity, metric }) as Finding;
  for (const rule of ALL_RULES.filter((r) => pairedRules.has(r.id))) {
    const own = Object.keys(rule.defaults);
    const severities = (rule.doc?.severity ?? '')
      .toLowerCase()
      .split(/,\s*/)
      .filter((s): s is Finding['severity'] => s === 'warning' || s === 'critical');
    assert.ok(severities.length > 0, `${rule.id} documents its severities`);
    const metrics =
      rule.id === 'memory_pressure_stall' ? ['psi_memory_full_pct', 'psi_memory_some_pct'] : [''];
    for (const severity of severities) {
      for (const metric of metrics) {
        if (metric === 'psi_memory_some_pct' && severity === 'critical') continue; // some is warning-only
        const key = thresholdKeyFor({ rule: rule.id, severity, metric });
        if (own.length === 0) {
          assert.equal(key, undefined, `${rule.id} reads no threshold`);
          assert.equal(expectedThreshold(finding(rule.id, severity)), 1, `${rule.id}: one event`);
        } else {
          assert.ok(
            key !== undefined && own.includes(key),
            `${rule.id} ${severity} ${metric}: ${key} ∉ ${own.join(', ')}`,
          );
        }
      }
    }
  }
});
