import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBanner, type BannerInfo } from '../../../src/daemon/banner.js';
import { status } from './helpers.js';

const info = (over: Partial<BannerInfo> = {}): BannerInfo => ({
  version: '1.0.0',
  pid: 42,
  url: 'http://127.0.0.1:9733',
  collectors: [status('syscall'), status('memory', { programsLoaded: 0, programsTotal: 0 })],
  bpfCollectors: new Set(['syscall', 'tcp']),
  off: [],
  intervalNs: 60e9,
  authEnabled: false,
  ...over,
});

test('all loaded: URLs, program count, interval; nothing alarming', () => {
  const b = formatBanner(info());
  assert.match(b, /^kerno daemon running \(version 1\.0\.0, pid 42\)$/m);
  assert.match(b, /metrics +http:\/\/127\.0\.0\.1:9733\/metrics$/m);
  assert.match(b, /readiness http:\/\/127\.0\.0\.1:9733\/readyz/);
  assert.match(b, /doctor rules every 1m/);
  assert.match(b, /eBPF programs: 2\/2 loaded/);
  assert.doesNotMatch(b, /✗|503/);
});

test('not root: names the failed BPF collectors, the reason, what still runs, and the readiness consequence', () => {
  const b = formatBanner(
    info({
      collectors: [
        status('syscall', {
          state: 'failed',
          programsLoaded: 0,
          hint: 'not root (uid 1000): run kerno as root',
        }),
        status('tcp', {
          state: 'failed',
          programsLoaded: 0,
          programsTotal: 4,
          hint: 'not root (uid 1000): run kerno as root',
        }),
        status('memory', { programsLoaded: 0, programsTotal: 0 }),
      ],
      privilegeProblem: 'not root (uid 1000): run as root (sudo) or grant CAP_BPF and CAP_PERFMON',
      off: ['disk'],
      authEnabled: true,
      netconsole: 'udp://0.0.0.0:6666',
    }),
  );
  assert.match(b, /eBPF programs: 0\/6 loaded/);
  assert.match(
    b,
    /✗ syscall, tcp \(failed\): not root \(uid 1000\): run kerno as root$/m,
    'one line per reason',
  );
  assert.match(b, /BPF collectors did not load \(syscall, tcp\): not root \(uid 1000\): run as root/);
  assert.match(b, /Still running: memory\. \/readyz answers 503 until a BPF program loads\./);
  assert.match(b, /off by configuration: disk/);
  assert.match(b, /\/metrics {2}\(bearer token required\)/);
  assert.match(b, /netconsole receiver on udp:\/\/0\.0\.0\.0:6666/);
});
