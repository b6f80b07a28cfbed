// The scenario → rule table against the rules themselves: every paired rule exists, each has one scenario of
// its own (the pairing is declared by the scenarios only), every rule without a scenario is listed below with
// the reason, and the e2e induce-to-detect table (test/e2e/pairs.ts) covers exactly the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  listScenarios,
  SCENARIO_EXPECT,
  SCENARIO_RULES,
  scenariosForRule,
} from '../../../src/chaos/index.js';
import { CASCADE_STAGES } from '../../../src/chaos/scenarios/cascade.js';
import { ALL_RULES, RULE_IDS } from '../../../rules/index.js';
import {
  expectedThreshold,
  KNOWN_GAPS,
  PAIR_CASES,
  SUBJECT_MATCHERS,
  thresholdKeyFor,
} from '../../../test/e2e/pairs.js';
import type { Finding } from '../../../src/doctor/types.js';

/**
 * Rules no scenario is paired with, and why. A new rule must either be named by a scenario or be added
 * here: "every rule that can be induced has a scenario" is a decision per rule, not an accident.
 */
const NOT_PAIRED: Readonly<Record<string, string>> = {
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

const pairedRules = new Set(Object.values(SCENARIO_RULES).flat());

test('every scenario names rules that exist in rules/index.ts', () => {
  const ids = new Set(RULE_IDS);
  assert.equal(ids.size, RULE_IDS.length, 'rule ids are unique');
  for (const [name, rules] of Object.entries(SCENARIO_RULES)) {
    assert.ok(rules.length > 0, `${name} names no rule`);
    for (const r of rules) assert.ok(ids.has(r), `scenario ${name} names unknown rule ${r}`);
  }
});

test('cascade pairs with the union of its stages; every other paired rule has one scenario of its own', () => {
  const cascadeStages = CASCADE_STAGES.map((s) => s.name);
  assert.deepEqual(
    new Set(SCENARIO_RULES.cascade),
    new Set(cascadeStages.flatMap((s) => SCENARIO_RULES[s]!)),
  );
  for (const rule of pairedRules) {
    const own = scenariosForRule(rule).filter((s) => s !== 'cascade');
    assert.equal(own.length, 1, `${rule} is paired by ${own.join(', ') || 'no scenario but cascade'}`);
  }
});

test('every rule either has a scenario or is listed as not paired, with a reason', () => {
  for (const rule of ALL_RULES) {
    if (pairedRules.has(rule.id)) {
      assert.ok(
        !(rule.id in NOT_PAIRED),
        `${rule.id} is paired with ${scenariosForRule(rule.id).join(', ')}: remove it from NOT_PAIRED`,
      );
    } else {
      assert.ok(
        rule.id in NOT_PAIRED,
        `${rule.id} has no chaos scenario: write one (its rules list names the rule), or add it to NOT_PAIRED with the reason`,
      );
    }
  }
  for (const id of Object.keys(NOT_PAIRED))
    assert.ok(RULE_IDS.includes(id), `NOT_PAIRED names unknown ${id}`);
});

test('the e2e table runs every scenario once per inducer it supports, and can match every paired rule', () => {
  assert.deepEqual(
    PAIR_CASES.map((c) => `${c.scenario}/${c.inducer}`),
    listScenarios().flatMap((s) => s.inducers.map((i) => `${s.name}/${i}`)),
    'test/e2e/pairs.ts PAIR_CASES, in registry order, kerno-worker first',
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
      rule.id === 'memory_pressure_stall'
        ? ['psi_memory_full_pct', 'psi_memory_some_pct']
        : rule.id === 'memory_high_throttling'
          ? ['cgroup_memory_failcnt_per_sec', 'cgroup_memory_high_events_per_sec']
          : rule.id === 'cpu_throttled'
            ? ['cgroup_cpu_throttled_periods_pct', 'cgroup_cpu_throttled_time_pct']
            : [''];
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

test('the e2e subject matchers accept the scenario subject and reject anyone else', () => {
  const report = { signals: {} } as Parameters<(typeof SUBJECT_MATCHERS)['fd_leak']>[2];
  const f = (over: Partial<Finding>): Finding =>
    ({ severity: 'warning', subject: '', evidence: [], ...over }) as Finding;
  const proc = { kind: 'process', pid: 42, comm: 'kchaos-fdleak' } as const;
  const cg = { kind: 'cgroup', version: 1, path: '/kerno-chaos-mem-0a1b2c3d', dir: '/x' } as const;
  const conn = {
    kind: 'connection',
    srcAddr: '198.18.0.1',
    srcPort: 40000,
    dstAddr: '198.18.0.2',
    dstPort: 5201,
    netns: 'kerno-chaos-send-0a1b2c3d',
    peerNetns: 'kerno-chaos-recv-0a1b2c3d',
  } as const;
  const m = SUBJECT_MATCHERS;
  assert.equal(m.fd_leak!(f({ pid: 42, process: 'kchaos-fdleak' }), [proc], report), undefined);
  assert.match(m.fd_leak!(f({ pid: 43, process: 'kchaos-fdleak' }), [proc], report)!, /pid 43/);
  assert.equal(m.memory_limit_pressure!(f({ subject: cg.path }), [cg], report), undefined);
  assert.ok(m.memory_limit_pressure!(f({ subject: '/kubepods/other' }), [cg], report));
  const victim = { kind: 'process', pid: 7, comm: 'kchaos-oom' } as const;
  assert.equal(
    m.oom_kill_occurred!(f({ subject: cg.path, pid: 7, process: 'kchaos-oom' }), [cg, victim], report),
    undefined,
  );
  assert.ok(
    m.oom_kill_occurred!(f({ subject: cg.path, pid: 8, process: 'kchaos-oom' }), [cg, victim], report),
  );
  const where = ['where: netns 4026532281, ip netns kerno-chaos-send-0a1b2c3d, pid 77 kchaos-tcpsend'];
  assert.equal(
    m.tcp_retransmit_storm!(
      f({ subject: '198.18.0.1:40000→198.18.0.2:5201', evidence: where }),
      [conn],
      report,
    ),
    undefined,
  );
  // The right connection, but the finding does not name the sending namespace.
  assert.ok(m.tcp_retransmit_storm!(f({ subject: '198.18.0.1:40000→198.18.0.2:5201' }), [conn], report));
  assert.ok(m.tcp_retransmit_storm!(f({ subject: '198.18.0.1:40001→198.18.0.2:5201' }), [conn], report));
  const syserr = { kind: 'process', pid: 9, comm: 'kchaos-syserr' } as const;
  assert.equal(
    m.syscall_error_rate!(
      f({ subject: 'connect(kchaos-syserr)', process: 'kchaos-syserr' }),
      [syserr],
      report,
    ),
    undefined,
  );
  assert.ok(m.syscall_error_rate!(f({ subject: 'connect(cc1plus)', process: 'cc1plus' }), [syserr], report));
  const dev = { kind: 'device', dev: '254:0', name: 'vda' } as const;
  assert.equal(m.disk_io_bottleneck!(f({ subject: '/dev/vda (254:0)' }), [dev], report), undefined);
  assert.equal(m.io_pressure_stall!(f({ evidence: ['vda: read p99 1ms (3)'] }), [dev], report), undefined);
  assert.ok(m.io_pressure_stall!(f({ evidence: ['sdb: read p99 1ms (3)'] }), [dev], report));
  const sched = {
    signals: { sched: { topDelayed: [{ pid: 42, comm: 'kchaos-cpu', runqDelay: { p99: 6e6 } }] } },
  } as unknown as typeof report;
  assert.equal(m.scheduler_contention!(f({ pid: 1 }), [proc], sched), undefined);
  assert.ok(m.scheduler_contention!(f({}), [{ ...proc, pid: 5 }], sched));
});
