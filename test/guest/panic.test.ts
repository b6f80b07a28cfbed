// A real kernel panic, end to end: a Debian 6.1 guest loads netconsole towards the host end of its tap
// (inside a kerno-guest-* network namespace) and crashes itself with sysrq-c; `kerno start
// --netconsole-listen` in that namespace must record exactly one panic incident carrying the call trace,
// and a restarted daemon must still list it from its state directory. Run by scripts/verify.sh's kernels
// phase (it boots a guest, so it is not among the host's kernel tests).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { startDaemon, type DaemonProcess } from '../kernel/daemon-harness.js';
import { fetchKernel } from './kernels.js';
import { createGuestNet, type GuestNet } from './net.js';
import { runInGuest } from './vm.js';

before(() => requireKernel());

interface Incident {
  id: string;
  kind: string;
  reason: string;
  sender: string;
  context: string[];
  triggers: string[];
}

/** GET inside the namespace (the daemon's HTTP listener is on the namespace's loopback). */
function nsGet(net: GuestNet, url: string): { status: number; body: string } {
  const js = `const r = await fetch(${JSON.stringify(url)}); process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() }));`;
  const out = execFileSync(
    net.nsenter[0]!,
    [...net.nsenter.slice(1), process.execPath, '--input-type=module', '-e', js],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as { status: number; body: string };
}

function incidents(net: GuestNet, d: DaemonProcess): Incident[] {
  const r = nsGet(net, `${d.url}/panics`);
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { incidents?: Incident[] } | Incident[];
  return Array.isArray(body) ? body : (body.incidents ?? []);
}

test('sysrq-c in a 6.1 guest → one panic incident with its call trace, kept across a daemon restart', async () => {
  const kernel = fetchKernel('6.1');
  const net = createGuestNet('panic');
  const state = mkdtempSync(join(tmpdir(), 'kerno-guest-panic-state-'));
  const listen = `udp://${net.hostIp}:6666`;
  const daemonArgs = ['--state-dir', state, '--netconsole-listen', listen, '--interval', '60s'];
  let d: DaemonProcess | undefined;
  try {
    // HTTP readiness is only reachable inside the namespace: wait for the banner (printed once listening).
    d = await startDaemon({ args: daemonArgs, wrap: net.nsenter, waitReady: false, timeoutMs: 120_000 });
    const target = `6665@${net.guestIp}/eth0,6666@${net.hostIp}/${net.hostMac}`;
    const r = await runInGuest({
      kernel,
      net,
      timeoutMs: 120_000,
      script: [
        `modprobe netconsole netconsole=${target} || exit 3`,
        'echo "kerno-guest: netconsole loaded" >/dev/kmsg',
        'echo c >/proc/sysrq-trigger',
        'exit 4',
      ].join('\n'),
    });
    assert.equal(r.timedOut, false, 'the guest ended by itself');
    assert.equal(r.exitCode, null, `the guest panicked instead of finishing its script: ${r.output}`);
    assert.match(
      r.console,
      /Kernel panic - not syncing: sysrq triggered crash/,
      'the guest console shows the panic',
    );

    // The datagrams are sent before the guest dies; give the receiver a moment to close the report.
    let got: Incident[] = [];
    for (let i = 0; i < 50 && got.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 200));
      got = incidents(net, d);
    }
    assert.equal(
      got.length,
      1,
      `exactly one incident: ${JSON.stringify(got.map((x) => [x.kind, x.reason]))}`,
    );
    const inc = got[0]!;
    assert.equal(inc.kind, 'panic');
    assert.match(inc.reason, /Kernel panic - not syncing: sysrq triggered crash/);
    assert.equal(inc.sender.split(':')[0], net.guestIp, 'sent by the guest');
    const ctx = inc.context.join('\n');
    assert.match(ctx, /Call Trace:/, 'the call trace is kept as context');
    assert.match(ctx, /sysrq_handle_crash|__handle_sysrq|write_sysrq_trigger/, 'frames of the crash path');

    const stopped = await d.stop('SIGTERM');
    assert.equal(stopped.code, 0, `daemon exit: ${d.stderr().slice(-500)}`);
    d = await startDaemon({ args: daemonArgs, wrap: net.nsenter, waitReady: false, timeoutMs: 120_000 });
    const again = incidents(net, d);
    assert.deepEqual(
      again.map((x) => x.id),
      [inc.id],
      'the restarted daemon lists the same single incident from its state directory',
    );
  } finally {
    if (d) await d.stop('SIGTERM').catch(() => d!.kill());
    net.teardown();
    rmSync(state, { recursive: true, force: true });
  }
});
