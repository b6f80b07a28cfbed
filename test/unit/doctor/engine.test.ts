import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildReport,
  compareFindings,
  dedupeFindings,
  evaluate,
  evaluateDetailed,
  onlyCritical,
  rankFindings,
} from '../../../src/doctor/engine.js';
import { ALL_RULES } from '../../../rules/index.js';
import type { AnyRule } from '../../../src/doctor/types.js';
import type { Finding, RuleError } from '../../../src/doctor/types.js';
import { SCHEMA_VERSION } from '../../../src/signals/types.js';
import { coverage, fdEntry, psiWindow, quietSignals, withCoverage } from '../rules/fixtures.js';

function finding(over: Partial<Finding>): Finding {
  return {
    rule: 'r',
    severity: 'warning',
    title: 't',
    signal: 's',
    subject: '',
    cause: '',
    impact: '',
    evidence: [],
    fix: [],
    metric: 'm',
    unit: 'count',
    value: 1,
    threshold: 1,
    ...over,
  };
}

describe('ranking', () => {
  it('severity desc, then shorter ETA, then ETA before none, then value/threshold desc', () => {
    const input = [
      finding({ title: 'info', severity: 'info' }),
      finding({ title: 'warn ratio 2', value: 2 }),
      finding({ title: 'crit no eta ratio 9', severity: 'critical', value: 9 }),
      finding({ title: 'crit eta 60s', severity: 'critical', etaNs: 60e9 }),
      finding({ title: 'crit eta 5s', severity: 'critical', etaNs: 5e9 }),
      finding({ title: 'warn ratio 3', value: 3 }),
      finding({ title: 'warn eta', etaNs: 1e12 }),
      finding({ title: 'warn thr 0', value: 100, threshold: 0 }),
    ];
    assert.deepEqual(
      rankFindings(input).map((f) => f.title),
      [
        'crit eta 5s',
        'crit eta 60s',
        'crit no eta ratio 9',
        'warn eta',
        'warn ratio 3',
        'warn ratio 2',
        'warn thr 0',
        'info',
      ],
    );
    assert.equal(input[0]!.title, 'info', 'input not modified');
  });

  it('is stable for equal keys', () => {
    const input = ['a', 'b', 'c', 'd'].map((title) => finding({ title }));
    assert.deepEqual(
      rankFindings(input).map((f) => f.title),
      ['a', 'b', 'c', 'd'],
    );
    assert.equal(compareFindings(input[0]!, input[1]!), 0);
  });
});

describe('dedupe', () => {
  it('keeps one finding per (rule, subject), the first (highest-ranked) one', () => {
    const out = dedupeFindings(
      rankFindings([
        finding({ rule: 'fd_leak', subject: 'a (pid 1)', severity: 'warning', title: 'w' }),
        finding({ rule: 'fd_leak', subject: 'a (pid 1)', severity: 'critical', title: 'c' }),
        finding({ rule: 'fd_leak', subject: 'b (pid 2)' }),
        finding({ rule: 'other', subject: 'a (pid 1)' }),
      ]),
    );
    assert.deepEqual(
      out.map((f) => `${f.rule}/${f.subject}/${f.title}`),
      ['fd_leak/a (pid 1)/c', 'fd_leak/b (pid 2)/t', 'other/a (pid 1)/t'],
    );
  });

  it('evaluate dedupes findings from a rule that emits duplicates', () => {
    const dup: AnyRule = {
      id: 'dup',
      signal: 'x',
      description: 'emits the same subject twice',
      defaults: {},
      evaluate: () => [
        finding({ rule: 'dup', subject: 's', value: 1 }),
        finding({ rule: 'dup', subject: 's', value: 5 }),
      ],
    };
    const fs = evaluate(quietSignals(), [dup], {});
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.value, 5);
  });
});

describe('evaluate', () => {
  it('ranks real findings from several rules', () => {
    const s = quietSignals();
    s.pressure!.cpu = psiWindow(60, 0); // warning, no ETA
    s.pressure!.io = psiWindow(80, 40); // critical
    s.fd!.entries.unshift(
      fdEntry({
        pid: 9,
        comm: 'leaker',
        netDelta: 3000,
        opens: 3000,
        closes: 0,
        growthRatePerSec: 100,
        currentFds: 3000,
        fdLimit: 4096,
      }),
    );
    const fs = evaluate(s, ALL_RULES);
    assert.deepEqual(
      fs.map((f) => f.rule),
      ['fd_leak', 'io_pressure_stall', 'cpu_pressure_stall'],
    );
    assert.equal(fs[0]!.severity, 'critical');
    assert.ok(fs[0]!.etaNs! > 0);
  });

  it('ranks the same whatever order the rules run in: ties break by rule id, then subject', () => {
    const s = quietSignals();
    s.pressure!.cpu = psiWindow(30, 0);
    s.pressure!.io = psiWindow(30, 30);
    const tie = (rule: string, subject: string): Finding =>
      ({ rule, subject, severity: 'warning', value: 2, threshold: 1 }) as Finding;
    const ranked = rankFindings([tie('b_rule', 'y'), tie('a_rule', 'z'), tie('b_rule', 'x')]);
    assert.deepEqual(
      ranked.map((f) => `${f.rule}/${f.subject}`),
      ['a_rule/z', 'b_rule/x', 'b_rule/y'],
    );
    assert.deepEqual(evaluate(s, [...ALL_RULES].reverse()), evaluate(s, ALL_RULES));
  });

  it('merges partial thresholds over the defaults', () => {
    const s = quietSignals();
    s.pressure!.cpu = psiWindow(30, 0);
    assert.deepEqual(
      evaluate(s, ALL_RULES).map((f) => f.rule),
      ['healthy_system'],
    );
    assert.deepEqual(
      evaluate(s, ALL_RULES, { psi_cpu_some_warning_pct: 25 }).map((f) => f.rule),
      ['cpu_pressure_stall'],
    );
  });

  it('a throwing rule becomes a rule error; the other rules still run; no health claim', () => {
    const boom: AnyRule = {
      id: 'boom',
      signal: 'x',
      description: 'throws',
      defaults: {},
      evaluate: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'p99')");
      },
    };
    const seen: RuleError[] = [];
    const s = quietSignals();
    s.pressure!.io = psiWindow(80, 40);
    const r = evaluateDetailed(s, [boom, ...ALL_RULES], {}, { onRuleError: (e) => seen.push(e) });
    assert.deepEqual(r.ruleErrors, [
      { rule: 'boom', error: "Cannot read properties of undefined (reading 'p99')" },
    ]);
    assert.deepEqual(seen, r.ruleErrors);
    assert.deepEqual(
      r.findings.map((f) => f.rule),
      ['io_pressure_stall'],
    );
    // On a quiet host a failed rule also withholds the healthy claim: that rule could not judge.
    const quiet = evaluateDetailed(quietSignals(), [boom, ...ALL_RULES], {});
    assert.deepEqual(quiet.findings, []);
    assert.equal(quiet.ruleErrors.length, 1);
  });

  it('a rule returning a non-array is a rule error too', () => {
    const bad = {
      id: 'bad',
      signal: 'x',
      description: '',
      defaults: {},
      evaluate: () => null,
    } as unknown as AnyRule;
    const r = evaluateDetailed(quietSignals(), [bad], {});
    assert.equal(r.ruleErrors[0]!.rule, 'bad');
    assert.match(r.ruleErrors[0]!.error, /not a Finding\[\]/);
  });

  it('drops an ETA that breaks the contract (≤ 0, NaN, > 7 days)', () => {
    const etas: AnyRule = {
      id: 'etas',
      signal: 'x',
      description: '',
      defaults: {},
      evaluate: () => [
        finding({ rule: 'etas', subject: 'a', etaNs: -1 }),
        finding({ rule: 'etas', subject: 'b', etaNs: Number.NaN }),
        finding({ rule: 'etas', subject: 'c', etaNs: 8 * 24 * 3600e9 }),
        finding({ rule: 'etas', subject: 'd', etaNs: 5e9 }),
      ],
    };
    const fs = evaluate(quietSignals(), [etas], {});
    assert.deepEqual(
      fs.map((f) => [f.subject, 'etaNs' in f ? f.etaNs : 'none']),
      [
        ['d', 5e9],
        ['a', 'none'],
        ['b', 'none'],
        ['c', 'none'],
      ],
    );
  });

  it('onlyCritical keeps CRITICAL findings only', () => {
    const fs = [
      finding({ severity: 'info' }),
      finding({ severity: 'critical', title: 'c' }),
      finding({ severity: 'warning' }),
    ];
    assert.deepEqual(
      onlyCritical(fs).map((f) => f.title),
      ['c'],
    );
  });
});

describe('buildReport', () => {
  it('fills header, summary counts and eventsCollected = sum of coverage events', () => {
    const s = quietSignals();
    s.coverage = s.coverage.map((c, i) => coverage(c.name, { events: i * 10 }));
    const fs = [
      finding({ severity: 'critical' }),
      finding({ severity: 'critical' }),
      finding({ severity: 'warning' }),
      finding({ severity: 'info' }),
    ];
    const r = buildReport(s, fs, { version: '0.1.0' });
    assert.equal(r.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(r.tool, { name: 'kerno', version: '0.1.0' });
    assert.equal(r.host.hostname, 'kerno-test-host');
    assert.equal(r.windowStart, s.windowStart);
    assert.equal(r.windowEnd, s.windowEnd);
    assert.equal(r.durationNs, 30e9);
    assert.equal(r.partial, false);
    assert.deepEqual(r.summary, { critical: 2, warning: 1, info: 1, eventsCollected: 660 }); // 10 × (0 + … + 11), one per collector
    assert.equal(r.findings.length, 4);
    assert.equal(r.signals, s);
    assert.equal('ruleErrors' in r, false);
  });

  it('a finding-free report keeps the coverage that explains it, plus rule errors and partial', () => {
    const s = withCoverage(quietSignals(), 'syscall', 'failed', 'operation not permitted: run as root');
    const ev = evaluateDetailed(s, ALL_RULES);
    const r = buildReport(s, ev.findings, {
      version: '0.1.0',
      partial: true,
      ruleErrors: [{ rule: 'x', error: 'boom' }],
    });
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.summary.critical + r.summary.warning + r.summary.info, 0);
    assert.equal(r.partial, true);
    assert.deepEqual(r.ruleErrors, [{ rule: 'x', error: 'boom' }]);
    const failed = r.coverage.filter((c) => c.state !== 'ok');
    assert.deepEqual(
      failed.map((c) => [c.name, c.hint]),
      [['syscall', 'operation not permitted: run as root']],
    );
  });
});
