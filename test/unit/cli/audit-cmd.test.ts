// `kerno audit files` flag handling: bad input is one line on stderr and exit 2 before anything is opened
// (these run without root or fanotify); --watch and --sensitive become the list of paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKerno } from './helpers.js';
import { NO_PATHS, parseAuditFlags } from '../../../src/cli/audit-cmd.js';
import { UsageError } from '../../../src/cli/io.js';

const BAD: [string[], RegExp][] = [
  [['audit', 'files'], new RegExp(`^kerno: ${NO_PATHS}$`)],
  [['audit', 'files', '--watch', ' , '], new RegExp(`^kerno: ${NO_PATHS}$`)],
  [['audit', 'files', '--watch', '/tmp', '--duration', 'soon'], /^kerno: --duration: /],
  [
    ['audit', 'files', '--watch', '/tmp', '-o', 'yaml'],
    /^kerno: error: option '-o, --output <format>' argument 'yaml' is invalid/,
  ],
  [['audit', 'nothing'], /^kerno: error: unknown command 'nothing'/],
];

for (const [args, re] of BAD) {
  test(`kerno ${args.join(' ')} → one line, exit 2`, async () => {
    const r = await runKerno(args);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  });
}

test('--watch is comma-separated and repeatable; --sensitive adds the listed files after them', () => {
  const p = parseAuditFlags({ watch: ['/a', '/b', '/c'], sensitive: true, duration: '0' }, ['/etc/x']);
  assert.deepEqual(p.paths, ['/a', '/b', '/c', '/etc/x']);
  assert.equal(p.durationNs, 0);
  assert.equal(parseAuditFlags({ sensitive: true, duration: '1m' }, ['/etc/x']).durationNs, 60e9);
  assert.throws(() => parseAuditFlags({ duration: '0' }, ['/etc/x']), UsageError);
});

test('kerno audit files --help names every flag, the ops and the JSON fields', async () => {
  const r = await runKerno(['audit', 'files', '--help']);
  assert.equal(r.code, 0);
  for (const s of ['--watch', '--sensitive', '--duration', '--output', 'close_write', 'rename', 'pid, comm'])
    assert.ok(r.stdout.includes(s), `${s} in\n${r.stdout}`);
});
