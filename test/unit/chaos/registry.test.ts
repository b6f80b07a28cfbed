import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatExpectation,
  getScenario,
  listScenarios,
  SCENARIO_EXPECT,
  SCENARIO_RULES,
  scenariosForRule,
} from '../../../src/chaos/index.js';
import { SCENARIOS } from '../../../src/chaos/registry.js';
import { CASCADE_STAGES } from '../../../src/chaos/scenarios/cascade.js';
import { ALL_RULES } from '../../../rules/index.js';

// The pairing the issue asks for, written out by hand so a change to either side is a visible decision.
const ISSUE_TABLE: Record<string, string[]> = {
  cpu: ['scheduler_contention', 'cpu_pressure_stall'],
  'cpu-throttle': ['cpu_throttled'],
  'fd-leak': ['fd_leak'],
  'cgroup-memory': ['memory_limit_pressure'],
  'oom-kill': ['oom_kill_occurred'],
  'memory-stall': ['memory_pressure_stall', 'memory_high_throttling'],
  'host-memory': ['oom_imminent'],
  'tcp-loss': ['tcp_retransmit_storm'],
  'tcp-rtt': ['tcp_rtt_degradation'],
  'syscall-errors': ['syscall_error_rate'],
  'slow-io': ['syscall_latency_high'],
  'slow-disk': ['disk_io_write_high'],
  'disk-sat': ['disk_io_bottleneck', 'io_pressure_stall'],
};

test('every scenario has a name, a description and paired rules', () => {
  const names = new Set<string>();
  for (const s of SCENARIOS) {
    assert.match(s.name, /^[a-z]+(-[a-z]+)*$/, `name ${s.name}`);
    assert.ok(!names.has(s.name), `duplicate scenario ${s.name}`);
    names.add(s.name);
    assert.ok(s.description.length > 20, `${s.name} description`);
    assert.ok(s.rules.length > 0, `${s.name} has no rule`);
    for (const r of s.rules)
      assert.match(r, /^[a-z]+(_[a-z0-9]+)+$/, `${s.name} rule ${r} is not snake_case`);
  }
});

test('SCENARIO_RULES is the issue table plus cascade: by name, cascade (made of the others) last', () => {
  assert.deepEqual(Object.keys(SCENARIO_RULES), [
    'cgroup-memory',
    'cpu',
    'cpu-throttle',
    'disk-sat',
    'dns-servfail',
    'dns-slow',
    'fd-leak',
    'host-memory',
    'memory-stall',
    'oom-kill',
    'slow-disk',
    'slow-io',
    'syscall-errors',
    'tcp-loss',
    'tcp-rtt',
    'cascade',
  ]);
  for (const [name, rules] of Object.entries(ISSUE_TABLE)) {
    assert.deepEqual([...SCENARIO_RULES[name]!].sort(), [...rules].sort(), name);
  }
});

test('every scenario names rules that exist (the pairing is declared on the scenario side only)', () => {
  const ids = new Set(ALL_RULES.map((r) => r.id));
  for (const s of SCENARIOS) {
    assert.ok(s.rules.length > 0, `${s.name} names no rule`);
    for (const r of s.rules) assert.ok(ids.has(r), `${s.name} pairs with unknown rule ${r}`);
    for (const g of s.expect ?? [])
      for (const r of g) assert.ok(ids.has(r), `${s.name} expects unknown rule ${r}`);
  }
});

test('scenariosForRule: the scenario built for the rule first, cascade after; [] for unpaired rules', () => {
  assert.deepEqual(scenariosForRule('fd_leak'), ['fd-leak', 'cascade']);
  assert.deepEqual(scenariosForRule('syscall_latency_high'), ['slow-io']);
  assert.deepEqual(scenariosForRule('kernel_oops'), []);
  for (const [name, rules] of Object.entries(SCENARIO_RULES)) {
    for (const r of rules) assert.ok(scenariosForRule(r).includes(name), `${r} → ${name}`);
  }
});

test('expectations: one group per rule, except disk-sat (either rule) and cascade (its stages)', () => {
  assert.deepEqual(SCENARIO_EXPECT.cpu, [['scheduler_contention'], ['cpu_pressure_stall']]);
  assert.deepEqual(SCENARIO_EXPECT['disk-sat'], [['disk_io_bottleneck', 'io_pressure_stall']]);
  const stageGroups = CASCADE_STAGES.flatMap((s) => SCENARIO_EXPECT[s.name]!);
  assert.deepEqual(SCENARIO_EXPECT.cascade, stageGroups);
  for (const [name, groups] of Object.entries(SCENARIO_EXPECT)) {
    assert.deepEqual(
      new Set(groups.flat()),
      new Set(SCENARIO_RULES[name]),
      `${name}: groups cover exactly its rules`,
    );
  }
  assert.equal(formatExpectation(SCENARIO_EXPECT['disk-sat']!), 'disk_io_bottleneck or io_pressure_stall');
  assert.equal(formatExpectation([['a'], ['b', 'c']]), 'a, and b or c');
});

test('cascade overlaps several scenarios and pairs with the union of their rules', () => {
  assert.ok(CASCADE_STAGES.length >= 3);
  assert.ok(!CASCADE_STAGES.some((s) => s.name === 'cascade'));
  assert.deepEqual(new Set(SCENARIO_RULES.cascade), new Set(CASCADE_STAGES.flatMap((s) => s.rules)));
});

test('unknown scenario: error names it and points to --list', () => {
  assert.throws(() => getScenario('memory'), /unknown scenario "memory" — see `kerno chaos --list`/);
  assert.equal(getScenario('tcp-loss').name, 'tcp-loss');
});

test('listScenarios mirrors the registry and marks root-only scenarios', () => {
  const list = listScenarios();
  assert.deepEqual(
    list.map((s) => s.name),
    SCENARIOS.map((s) => s.name),
  );
  assert.deepEqual(list.find((s) => s.name === 'disk-sat')!.expect, [
    ['disk_io_bottleneck', 'io_pressure_stall'],
  ]);
  const root = new Set(list.filter((s) => s.needsRoot).map((s) => s.name));
  assert.deepEqual(
    root,
    new Set([
      'cgroup-memory',
      'cpu-throttle',
      'dns-servfail',
      'dns-slow',
      'oom-kill',
      'memory-stall',
      'host-memory',
      'tcp-loss',
      'tcp-rtt',
      'slow-io',
      'slow-disk',
      'cascade',
    ]),
  );
  const stressNg = list.filter((s) => s.inducers.includes('stress-ng')).map((s) => s.name);
  assert.deepEqual(stressNg, ['cpu', 'disk-sat', 'oom-kill'], 'the scenarios stress-ng can induce');
  for (const s of list) assert.equal(s.inducers[0], 'kerno-worker', `${s.name}: kerno-worker first`);
});
