// scripts/setup.sh installs what building and running kerno needs; the packages only tests, benches and
// chaos use come with --test (scripts/verify.sh) or --test-packages (scripts/run-tests.sh kernel|e2e).
// bin/kerno's first run must never pull prometheus, bpftrace, stress-ng or nftables onto a host.
// Run against a PATH where dpkg-query knows no package and `id` is not root: setup.sh then names what it
// would install and stops, before touching anything.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../cli/helpers.js';

const stubs = mkdtempSync(join(tmpdir(), 'kerno-test-setup-'));
after(() => rmSync(stubs, { recursive: true, force: true }));
for (const [name, body] of <[string, string][]>[
  ['dpkg-query', 'exit 1'],
  ['id', 'echo 1000'],
]) {
  writeFileSync(join(stubs, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(stubs, name), 0o755);
}

const TEST_ONLY = ['prometheus', 'bpftrace', 'stress-ng', 'nftables', 'jq', 'zsh', 'fish'];
const BUILD = ['clang', 'libbpf-dev', 'bpftool', 'libelf-dev', 'g++'];

function wouldInstall(...args: string[]): string[] {
  const r = spawnSync(join(REPO, 'scripts/setup.sh'), args, {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${stubs}:${process.env.PATH}` },
  });
  assert.equal(r.status, 1, r.stderr);
  const m = /missing Debian packages \(([^)]*)\)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return m[1]!.split(' ');
}

test('no flag (bin/kerno first run): build and runtime packages only', () => {
  const pkgs = wouldInstall();
  for (const p of BUILD) assert.ok(pkgs.includes(p), p);
  for (const p of TEST_ONLY) assert.ok(!pkgs.includes(p), `${p} is only for tests`);
});

test('--test: everything, test-only packages included', () => {
  const pkgs = wouldInstall('--test');
  for (const p of [...BUILD, ...TEST_ONLY]) assert.ok(pkgs.includes(p), p);
});

test('--test-packages: the test-only ones and nothing to build', () => {
  const pkgs = wouldInstall('--test-packages');
  for (const p of TEST_ONLY) assert.ok(pkgs.includes(p), p);
  for (const p of BUILD) assert.ok(!pkgs.includes(p), p);
});

test('who calls which: the launcher plain, verify.sh --test, run-tests.sh kernel|e2e --test-packages', () => {
  const read = (f: string): string => readFileSync(join(REPO, f), 'utf8');
  assert.match(read('bin/_launch.sh'), /"\$root\/scripts\/setup\.sh" >&2 \|\|/);
  assert.match(
    read('scripts/verify.sh'),
    /check "scripts\/setup\.sh --test [^"]*" scripts\/setup\.sh --test\n/,
  );
  assert.match(read('scripts/run-tests.sh'), /scripts\/setup\.sh --test-packages/);
});

test('an unknown option is refused', () => {
  const r = spawnSync(join(REPO, 'scripts/setup.sh'), ['--tests'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --tests/);
});
