// `kerno watch` command line: bad flags are one line and exit 2, before anything is loaded or attached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKerno } from './helpers.js';
import { parseDurationFlag, parseNumberFlag } from '../../../src/cli/watch-cmd.js';
import { UsageError } from '../../../src/cli/io.js';

for (const [args, message] of [
  [['watch', 'tcp', '--interval', 'soon'], /--interval: invalid duration "soon"/],
  [['watch', 'tcp', '--interval', '1ms'], /--interval: must be at least 100ms/],
  [['watch', 'tcp', '--threshold-rtt', '5'], /--threshold-rtt: invalid duration/],
  [['watch', 'tcp', '--duration', 'x'], /--duration: invalid duration/],
  [['watch', 'fd', '--threshold', 'many'], /--threshold: expected a number between 0 and/],
  [['watch', 'fd', '--threshold', '-1'], /--threshold: expected a number/],
  [['watch', 'oom', '--threshold', '2000'], /--threshold: expected a number between -1000 and 1000/],
  [['watch', 'oom', '-o', 'yaml'], /argument 'yaml' is invalid/],
  [['watch', 'fd', '--bogus'], /unknown option '--bogus'/],
] as const) {
  test(`kerno ${args.join(' ')} → one-line usage error, exit 2`, async () => {
    const r = await runKerno([...args]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  });
}

test('flag parsers', () => {
  assert.equal(parseDurationFlag('--interval', '2s', 1), 2e9);
  assert.throws(() => parseDurationFlag('--interval', '', 1), UsageError);
  assert.equal(parseNumberFlag('--threshold', '10', 0, 100), 10);
  assert.throws(() => parseNumberFlag('--threshold', ' ', 0, 100), UsageError);
});

test('kerno watch --help lists the three views', async () => {
  const r = await runKerno(['watch', '--help']);
  assert.equal(r.code, 0);
  for (const sub of ['tcp', 'oom', 'fd']) assert.match(r.stdout, new RegExp(`\\n\\s+${sub}\\b`));
});
