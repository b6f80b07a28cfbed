import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { Finding } from '../../../src/doctor/types.js';
import { FindingsLoop, registerDiagnosisMetrics } from '../../../src/daemon/findings-loop.js';
import { createLogger } from '../../../src/runtime/log.js';
import { emptySignals, FakeCollection, parseExposition, samples } from './helpers.js';
import { SCHEMA_VERSION } from '../../../src/signals/types.js';
import { ALL_RULES } from '../../../rules/index.js';

function finding(rule: string, severity: Finding['severity']): Finding {
  return {
    rule,
    severity,
    title: rule,
    signal: 'x',
    subject: `${rule}-${severity}`,
    cause: '',
    impact: '',
    evidence: [],
    fix: [],
    metric: 'm',
    unit: 'count',
    value: 1,
    threshold: 1,
  };
}

/** A sleep the test releases by hand, recording the waits asked for. */
function manualSleep() {
  const waits: number[] = [];
  let wake: (() => void) | undefined;
  return {
    waits,
    sleep(ms: number, signal: AbortSignal): Promise<void> {
      waits.push(ms);
      return new Promise<void>((resolve) => {
        wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    },
    tick(): void {
      wake?.();
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

describe('FindingsLoop', () => {
  test('a cycle snapshots, evaluates with the current thresholds, then resets; the report is kept', async () => {
    const order: string[] = [];
    const source = {
      snapshot: async () => (order.push('snapshot'), emptySignals()),
      reset: async () => void order.push('reset'),
    };
    let threshold = 1;
    const seen: unknown[] = [];
    const loop = new FindingsLoop({
      rules: ALL_RULES,
      source,
      thresholds: () => ({ tcp_retransmit_pct: threshold }),
      intervalMs: () => 1000,
      version: '1.0.0',
      logger: createLogger({ write: () => {} }),
      evaluate: (_s, _rules, t) => (
        seen.push(t),
        { findings: [finding('oom_kill_occurred', 'critical')], ruleErrors: [] }
      ),
    });
    assert.equal(loop.windows, 0);
    assert.equal(await Promise.resolve(loop.report), undefined);
    await loop.cycle();
    threshold = 7;
    await loop.cycle();
    assert.deepEqual(order, ['snapshot', 'reset', 'snapshot', 'reset']);
    assert.deepEqual(seen, [{ tcp_retransmit_pct: 1 }, { tcp_retransmit_pct: 7 }]);
    assert.equal(loop.windows, 2);
    assert.equal(loop.report?.schemaVersion, SCHEMA_VERSION);
    assert.equal(loop.report?.tool.version, '1.0.0');
    assert.equal(loop.report?.summary.critical, 1);
  });

  test('with the real rule engine the report has the doctor schema', async () => {
    const loop = new FindingsLoop({
      rules: ALL_RULES,
      source: new FakeCollection(),
      thresholds: () => ({}),
      intervalMs: () => 1000,
      version: '1.0.0',
      logger: createLogger({ write: () => {} }),
    });
    const r = await loop.cycle();
    assert.ok(r);
    assert.ok(Array.isArray(r.findings));
    assert.deepEqual(Object.keys(r.summary), ['critical', 'warning', 'info', 'eventsCollected']);
    assert.equal(r.durationNs, 2e9);
  });

  test('a failing snapshot is counted and logged, the window is still reset, the last report stays', async () => {
    const lines: string[] = [];
    let fail = false;
    let resets = 0;
    const loop = new FindingsLoop({
      rules: ALL_RULES,
      source: {
        snapshot: async () => {
          if (fail) throw new Error('snapshot exploded');
          return emptySignals();
        },
        reset: async () => void resets++,
      },
      thresholds: () => ({}),
      intervalMs: () => 1000,
      version: '1',
      logger: createLogger({ write: (l) => lines.push(l) }),
      evaluate: () => ({ findings: [], ruleErrors: [] }),
    });
    const first = await loop.cycle();
    fail = true;
    assert.equal(await loop.cycle(), undefined);
    assert.equal(loop.report, first);
    assert.equal(loop.errors, 1);
    assert.equal(resets, 2);
    assert.ok(lines.some((l) => l.includes('snapshot exploded')));
  });

  test('run(): waits the interval (read each time) between cycles and stops on abort without another cycle', async () => {
    const src = new FakeCollection();
    const clock = manualSleep();
    let interval = 1000;
    const loop = new FindingsLoop({
      rules: ALL_RULES,
      source: src,
      thresholds: () => ({}),
      intervalMs: () => interval,
      version: '1',
      logger: createLogger({ write: () => {} }),
      sleep: clock.sleep,
      now: () => 50_000,
      evaluate: () => ({ findings: [], ruleErrors: [] }),
    });
    const ac = new AbortController();
    const done = loop.run(ac.signal);
    assert.equal(loop.nextWindowEndMs, 51_000);
    assert.equal(src.snapshotCalls, 0);
    interval = 2500;
    clock.tick();
    await until(() => clock.waits.length === 2);
    assert.equal(src.snapshotCalls, 1);
    assert.equal(src.resetCalls, 1);
    assert.deepEqual(clock.waits, [1000, 2500]);
    ac.abort();
    await done;
    assert.equal(src.snapshotCalls, 1, 'no cycle after the abort');
    assert.equal(loop.nextWindowEndMs, undefined);
  });

  test('kerno_finding_active has one series per rule/severity of the last window', async () => {
    const registry = new Registry();
    let findings = [
      finding('tcp_retransmit_storm', 'critical'),
      finding('tcp_retransmit_storm', 'critical'),
      finding('fd_leak', 'warning'),
    ];
    const loop = new FindingsLoop({
      rules: ALL_RULES,
      source: new FakeCollection(),
      thresholds: () => ({}),
      intervalMs: () => 1000,
      version: '1',
      logger: createLogger({ write: () => {} }),
      now: () => 1_700_000_000_000,
      evaluate: () => ({ findings, ruleErrors: [] }),
    });
    registerDiagnosisMetrics(registry, loop);
    let all = parseExposition(await registry.metrics());
    assert.equal(samples(all, 'kerno_finding_active').length, 0);
    assert.equal(samples(all, 'kerno_diagnosis_last_window_timestamp_seconds')[0]?.value, 0);
    await loop.cycle();
    all = parseExposition(await registry.metrics());
    assert.deepEqual(
      samples(all, 'kerno_finding_active')
        .map((s) => `${s.labels.rule}/${s.labels.severity}=${s.value}`)
        .sort(),
      ['fd_leak/warning=1', 'tcp_retransmit_storm/critical=1'],
    );
    assert.equal(samples(all, 'kerno_diagnosis_windows_total')[0]?.value, 1);
    assert.equal(samples(all, 'kerno_diagnosis_last_window_timestamp_seconds')[0]?.value, 1_700_000_000);
    findings = [];
    await loop.cycle();
    all = parseExposition(await registry.metrics());
    assert.equal(samples(all, 'kerno_finding_active').length, 0, 'resolved findings disappear');
  });
});
