// Hostile config files (issue 15 items 6, 7): each is refused with one line naming the file, quickly,
// without reading it whole or expanding it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfig, MAX_CONFIG_BYTES } from '../../../src/config/load.js';
import { scratch } from './helpers.js';

function aliasBomb(): string {
  let s = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
  let prev = 'a';
  for (let i = 1; i < 10; i++) {
    s += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
    prev = `b${i}`;
  }
  return s;
}

// A hang (FIFO, /dev/zero read to the end) fails by the test timeout rather than a timing assertion.
test('hostile config files: one line each, nothing read whole or expanded', { timeout: 20_000 }, () => {
  const dir = scratch();
  try {
    const fifo = join(dir.root, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const cases: { name: string; path: string; want: RegExp }[] = [
      { name: '/dev/zero', path: '/dev/zero', want: /a character device, not a regular file$/ },
      { name: 'a FIFO (opening it would block)', path: fifo, want: /a FIFO, not a regular file$/ },
      { name: 'a directory', path: dir.root, want: /a directory, not a regular file$/ },
      {
        name: 'a file over the size bound',
        path: dir.write('big.yaml', `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`),
        want: /larger than 256 KiB/,
      },
      {
        name: 'a YAML alias bomb',
        path: dir.write('bomb.yaml', aliasBomb()),
        want: /invalid YAML: excessive alias count/,
      },
      {
        name: 'flow collections nested 100,000 deep',
        path: dir.write('deep.yaml', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
        want: /nested more than 64 levels deep/,
      },
      {
        name: 'a duplicate key',
        path: dir.write('dup.yaml', 'log_level: info\nlog_level: debug\n'),
        want: /invalid YAML at line 2: map keys must be unique$/,
      },
    ];
    for (const c of cases) {
      assert.throws(
        () => loadConfig({ explicitPath: c.path, env: {}, etcDir: dir.root, home: dir.root }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `${c.name}: ${String(e)}`);
          assert.match(e.message, c.want, c.name);
          assert.ok(!e.message.includes('\n'), `${c.name}: one line`);
          assert.ok(e.message.startsWith(`config file ${c.path}: `), c.name);
          return true;
        },
      );
    }
  } finally {
    dir.remove();
  }
});

test('a config just under the size bound loads', { timeout: 20_000 }, () => {
  const dir = scratch();
  try {
    let text = 'log_level: info\n';
    for (let i = 0; text.length < MAX_CONFIG_BYTES - 64; i++) text += `# padding line ${i}\n`;
    const path = dir.write('ok.yaml', text);
    const r = loadConfig({ explicitPath: path, env: {} });
    assert.equal(r.config.log_level, 'info');
  } finally {
    dir.remove();
  }
});
