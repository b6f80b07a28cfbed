// `kerno doctor --watch` flag handling: a bad --interval / --duration / output is one stderr line and exit
// 2 before any collector is built (so no root is needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKerno } from './helpers.js';
import { parseWatchDuration } from '../../../src/cli/doctor-watch.js';
import { UsageError } from '../../../src/cli/io.js';

async function usageError(args: string[], pattern: RegExp): Promise<void> {
  const o = await runKerno(args);
  assert.equal(o.code, 2, `exit code; stderr: ${o.stderr}`);
  const lines = o.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one stderr line, got:\n${o.stderr}`);
  assert.match(lines[0]!, /^kerno: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(o.stderr, /^\s+at /m);
  assert.equal(o.stdout, '');
}

test('--watch --interval with a bad duration → exit 2, one line naming the flag', async () => {
  await usageError(
    ['doctor', '--watch', '--interval', '2x'],
    /--interval: invalid duration "2x": unknown unit "x"/,
  );
  await usageError(
    ['doctor', '--watch', '--interval', '10'],
    /--interval: invalid duration "10": missing unit/,
  );
  await usageError(
    ['doctor', '--watch', '--interval', '500ms'],
    /--interval: 500ms is too short \(at least 1s\)/,
  );
  await usageError(['doctor', '--watch', '--duration', 'soon'], /--duration: invalid duration "soon"/);
});

test('--watch refuses what it cannot do: markdown, --continuous, --from', async () => {
  await usageError(['doctor', '--watch', '-o', 'md'], /--watch: output md is not supported/);
  await usageError(['doctor', '--watch', '--continuous'], /--watch and --continuous cannot be combined/);
  await usageError(
    ['doctor', '--watch', '--from', 'http://127.0.0.1:1'],
    /--watch and --from cannot be combined/,
  );
});

test('parseWatchDuration: Go durations, at least 1 s, in ns', () => {
  assert.equal(parseWatchDuration('--interval', '10s'), 10e9);
  assert.equal(parseWatchDuration('--interval', '1m30s'), 90e9);
  assert.throws(() => parseWatchDuration('--interval', '0'), UsageError);
});
