// `kerno netconsole setup` dry run, in-process: it prints the configfs steps and the module parameter and
// changes nothing. --apply on this kernel is in test/kernel/cli.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { netconsoleSetupPlan } from '../../../src/netconsole/index.js';
import { renderPlan } from '../../../src/cli/netconsole-cmd.js';
import { runKerno } from './helpers.js';

test('dry run prints the configfs commands and the module parameter, and changes nothing', async () => {
  const existed = existsSync('/sys/kernel/config/netconsole/kerno');
  const r = await runKerno(['netconsole', 'setup', '--target', '127.0.0.1:6666', '--interface', 'lo']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^netconsole target 127\.0\.0\.1:6666 via lo /m);
  assert.match(r.stdout, /^ {2}mkdir -p \/sys\/kernel\/config\/netconsole\/kerno$/m);
  assert.match(r.stdout, /^ {2}echo lo > \/sys\/kernel\/config\/netconsole\/kerno\/dev_name$/m);
  assert.match(r.stdout, /^ {2}echo 6666 > \/sys\/kernel\/config\/netconsole\/kerno\/remote_port$/m);
  assert.match(r.stdout, /^ {2}echo 1 > \/sys\/kernel\/config\/netconsole\/kerno\/extended$/m);
  assert.match(r.stdout, /^ {2}modprobe netconsole netconsole=\+@\/lo,6666@127\.0\.0\.1\/$/m);
  assert.match(r.stdout, /^This node: .+\.$/m, 'the verdict for this kernel, one sentence');
  assert.match(r.stdout, /^Nothing was changed/m);
  assert.equal(existsSync('/sys/kernel/config/netconsole/kerno'), existed);
});

test('IPv6 targets are bracketed', () => {
  const plan = netconsoleSetupPlan({ target: '[fd00::2]:6666' });
  assert.match(renderPlan(plan), /^netconsole target \[fd00::2\]:6666 /);
});

test('renderPlan: a supported kernel is told how to apply', () => {
  const plan = netconsoleSetupPlan({ target: '10.0.0.2:6666' });
  const text = renderPlan({ ...plan, supported: true, reason: 'this kernel has netconsole' });
  assert.match(text, /^What --apply does \(configfs\):$/m);
  assert.match(text, /Re-run with --apply \(as root\)/);
});
