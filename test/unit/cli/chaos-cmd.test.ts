// `kerno chaos` wiring, in-process: the list table, the describe-only path without --yes, subject lines.
// Running a scenario needs root and is covered in test/kernel/cli.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { describeScenario, listScenarios } from '../../../src/chaos/index.js';
import { describeSubject } from '../../../src/cli/chaos-cmd.js';
import { runKerno } from './helpers.js';

/** The start of an ANSI escape sequence (colour). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

test('chaos --list: one row per scenario with its paired rules, no colour when not a TTY', async () => {
  const r = await runKerno(['chaos', '--list']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.doesNotMatch(r.stdout, ANSI);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^SCENARIO\s+PAIRED RULE\(S\)\s+DESCRIPTION$/);
  for (const s of listScenarios()) {
    const row = lines.find((l) => l.startsWith(`${s.name} `));
    assert.ok(row, `a row for ${s.name}`);
    assert.ok(row.includes(s.rules[0]!), `${s.name} row names ${s.rules[0]}`);
    assert.ok(row.includes(s.description), `${s.name} row has its description`);
  }
  // Every paired rule appears somewhere (cascade's list spans several lines).
  for (const rule of new Set(listScenarios().flatMap((s) => s.rules)))
    assert.ok(r.stdout.includes(rule), rule);
});

test('chaos --induce without --yes describes the run, does nothing and exits 0', async () => {
  const stateBefore = existsSync('/run/kerno-chaos') ? readdirSync('/run/kerno-chaos').sort() : [];
  const r = await runKerno(['chaos', '--induce', 'syscall-errors', '--duration', '2s', '--intensity', 'low']);
  assert.equal(r.code, 0, r.stderr);
  const expected = describeScenario('syscall-errors', { durationNs: 2e9, intensity: 'low' });
  for (const line of expected) assert.ok(r.stdout.includes(line), `describes: ${line}`);
  assert.match(r.stdout, /Nothing was done\. Re-run with --yes/);
  assert.equal(r.stderr, '', 'no "==> chaos: inducing" progress: nothing ran');
  // Nothing was recorded as created (a run writes its state file before creating anything).
  const stateAfter = existsSync('/run/kerno-chaos') ? readdirSync('/run/kerno-chaos').sort() : [];
  assert.ok(
    stateAfter.every((f) => stateBefore.includes(f)),
    `no new state file: ${stateAfter.join(', ')}`,
  );
});

test('chaos --intensity accepts the one-letter forms', async () => {
  const r = await runKerno(['chaos', '--induce', 'cpu', '--intensity', 'h', '--duration', '1s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^scenario cpu \(intensity high, inducer kerno-worker, duration 1s\)/m);
});

test('chaos --inducer stress-ng plans the stress-ng command; a scenario without it is a usage error', async () => {
  const r = await runKerno(['chaos', '--induce', 'cpu', '--inducer', 'stress-ng', '--duration', '1s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /inducer stress-ng/);
  assert.match(r.stdout, /stress-ng --cpu 8 --taskset 0/);
  const bad = await runKerno(['chaos', '--induce', 'fd-leak', '--inducer', 'stress-ng']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--inducer stress-ng: scenario fd-leak can be induced by kerno-worker only/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
  const typo = await runKerno(['chaos', '--induce', 'cpu', '--inducer', 'stressng']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /invalid --inducer "stressng"/);
});

test('describeSubject names what doctor should name', () => {
  assert.equal(
    describeSubject({ kind: 'process', pid: 42, comm: 'kchaos-syserr' }),
    'pid 42 (kchaos-syserr)',
  );
  assert.equal(
    describeSubject({
      kind: 'cgroup',
      version: 1,
      path: '/kerno-chaos-mem-1a2b3c4d',
      dir: '/sys/fs/cgroup/memory/kerno-chaos-mem-1a2b3c4d',
    }),
    'cgroup /kerno-chaos-mem-1a2b3c4d (cgroup v1, /sys/fs/cgroup/memory/kerno-chaos-mem-1a2b3c4d)',
  );
  assert.equal(
    describeSubject({
      kind: 'connection',
      srcAddr: '10.0.0.1',
      srcPort: 4000,
      dstAddr: '10.0.0.2',
      dstPort: 5000,
      netns: 'kerno-chaos-1a2b3c4d',
    }),
    'connection 10.0.0.1:4000 → 10.0.0.2:5000 (netns kerno-chaos-1a2b3c4d)',
  );
  assert.equal(describeSubject({ kind: 'device', dev: '8:0', name: 'sda' }), 'device sda (8:0)');
});
