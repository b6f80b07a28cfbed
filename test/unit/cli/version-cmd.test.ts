// `kerno version`: a release reports its package-time stamp, a checkout asks git; both name Node, libbpf and
// the kernel, in plain text and JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInfo } from '../../../src/build-info.js';
import { renderVersion } from '../../../src/cli/version-cmd.js';
import { VERSION } from '../../../src/version.js';
import { runKerno } from './helpers.js';

const fixed = { libbpf: () => 'v1.1', kernel: () => '6.18.0-test', nodeVersion: 'v20.20.2' };

test('a release reports the stamp scripts/package.sh wrote and never asks git', () => {
  const info = buildInfo({
    ...fixed,
    release: { version: '1.2.3', commit: 'abcdef123456', date: '2026-01-02T03:04:05Z' },
    git: () => assert.fail('a release must not run git'),
  });
  assert.deepEqual(info, {
    version: '1.2.3',
    commit: 'abcdef123456',
    buildDate: '2026-01-02T03:04:05Z',
    kind: 'release',
    node: 'v20.20.2',
    libbpf: 'v1.1',
    kernel: '6.18.0-test',
  });
});

test('a checkout reads the commit from git, marks a changed tree dirty, and dates its last build', () => {
  const calls: string[][] = [];
  const git = (args: string[]) => {
    calls.push(args);
    return args[0] === 'rev-parse' ? '0123456789ab' : ' M src/x.ts';
  };
  const built = new Date('2026-03-04T05:06:07Z');
  const info = buildInfo({ ...fixed, release: undefined, git, checkoutBuildTime: () => built });
  assert.equal(info.kind, 'checkout');
  assert.equal(info.version, VERSION);
  assert.equal(info.commit, '0123456789ab-dirty');
  assert.equal(info.buildDate, '2026-03-04T05:06:07.000Z');
  assert.deepEqual(calls[0], ['rev-parse', '--short=12', 'HEAD']);

  const clean = buildInfo({ ...fixed, release: undefined, git: (a) => (a[0] === 'rev-parse' ? 'ff' : '') });
  assert.equal(clean.commit, 'ff');
  const noGit = buildInfo({
    ...fixed,
    release: undefined,
    git: () => {
      throw new Error('spawn git ENOENT');
    },
    checkoutBuildTime: () => undefined,
  });
  assert.equal(noGit.commit, 'unknown');
  assert.equal(noGit.buildDate, 'unknown');
});

test('plain output is one labelled line per field', () => {
  const info = buildInfo({
    ...fixed,
    release: { version: '1.2.3', commit: 'c0ffee', date: '2026-01-02T03:04:05Z' },
  });
  assert.equal(
    renderVersion(info, 'plain'),
    [
      'version: 1.2.3',
      'commit:  c0ffee',
      'built:   2026-01-02T03:04:05Z (release)',
      'node:    v20.20.2',
      'libbpf:  v1.1',
      'kernel:  6.18.0-test',
      '',
    ].join('\n'),
  );
});

test('kerno version -o json names this checkout, the running Node and the kernel', async () => {
  const r = await runKerno(['version', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as Record<string, string>;
  assert.equal(info.version, VERSION);
  assert.equal(info.kind, 'checkout');
  assert.equal(info.node, process.version);
  assert.match(info.commit!, /^([0-9a-f]{7,}(-dirty)?|unknown)$/);
  assert.match(info.libbpf!, /^v\d+\.\d+|^unavailable: /);
  assert.ok(info.kernel);
  const bad = await runKerno(['version', '-o', 'yaml']);
  assert.equal(bad.code, 2);
});
