// `kerno explain --rule`, in-process: the list, one rule with the configured thresholds, JSON, unknown ids.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleCatalogue } from '../../../rules/catalogue.js';
import { formatThreshold, unknownRuleMessage } from '../../../src/cli/explain-cmd.js';
import { runKerno, tempDir } from './helpers.js';

const dir = tempDir('cli-explain');
after(() => dir.remove());

test('explain --rule lists every rule with signal, severity and trigger', async () => {
  const r = await runKerno(['explain', '--rule']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^RULE\s+SIGNAL\s+SEVERITY\s+TRIGGER$/);
  for (const e of ruleCatalogue()) {
    const row = lines.find((l) => l.startsWith(`${e.id} `));
    assert.ok(row, `a row for ${e.id}`);
    assert.ok(row.includes(e.signal) && row.includes(e.trigger), `${e.id}: signal and trigger`);
  }
});

test('explain --rule <id> prints every section, with the thresholds from the config file', async () => {
  const config = dir.file('thresholds.yaml', 'doctor:\n  thresholds:\n    fd_growth_per_sec: 25\n');
  const r = await runKerno(['explain', '--rule', 'fd_leak'], {
    env: { KERNO_CONFIG: config, NO_COLOR: '1' },
  });
  assert.equal(r.code, 0, r.stderr);
  for (const label of ['RULE', 'SIGNAL', 'SEVERITY', 'TRIGGER', 'THRESHOLDS', 'WHY', 'FIX', 'PAIRS WITH'])
    assert.match(r.stdout, new RegExp(`^${label}\\s`, 'm'), label);
  assert.match(
    r.stdout,
    /^TRIGGER\s+one process gains ≥ 25\/s descriptors/m,
    'trigger uses the configured value',
  );
  assert.match(r.stdout, /fd_growth_per_sec\s+25$/m);
  assert.match(r.stdout, /fd_eta_critical_ns\s+10m$/m, 'nanosecond thresholds shown as durations');
  assert.match(r.stdout, /chaos scenario fd-leak\s+\(sudo kerno chaos --induce fd-leak --yes\)/);
  // Fix steps are commands: printed verbatim, spacing intact.
  const entry = ruleCatalogue().find((e) => e.id === 'fd_leak')!;
  entry.fix.forEach((f, i) => assert.ok(r.stdout.includes(`${i + 1}. ${f}`), `fix ${i + 1} verbatim`));
});

test('explain --rule <id> -o json is the catalogue entry plus its chaos scenarios', async () => {
  const r = await runKerno(['explain', '--rule', 'syscall_error_rate', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout) as {
    id: string;
    thresholds: Record<string, number>;
    chaosScenarios: string[];
  };
  assert.equal(e.id, 'syscall_error_rate');
  assert.equal(e.thresholds.syscall_error_warning_pct, 5);
  assert.ok(e.chaosScenarios.includes('syscall-errors'));
});

test('a rule without a scenario says so', async () => {
  const r = await runKerno(['explain', '--rule', 'kernel_oops']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^PAIRS WITH\s+no chaos scenario yet$/m);
});

test('unknown rule: exit 1, suggestions when there are any', async () => {
  const r = await runKerno(['explain', '--rule', 'memory']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^kerno: unknown rule "memory"; did you mean memory_high_throttling, memory_limit_pressure, memory_pressure_stall\?/,
  );
  assert.equal(unknownRuleMessage('zzz'), 'unknown rule "zzz" (kerno explain --rule lists all rules)');
});

test('formatThreshold: units from the key name', () => {
  assert.equal(formatThreshold('disk_p99_warning_ns', 50_000_000), '50ms');
  assert.equal(formatThreshold('oom_min_growth_bytes_per_sec', 1_048_576), '1 MiB/s');
  assert.equal(formatThreshold('tcp_retransmit_pct', 2), '2');
});
