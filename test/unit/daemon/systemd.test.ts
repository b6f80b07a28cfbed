// deploy/systemd/kerno.service confines kerno to the system calls it was measured making and to /dev/kmsg,
// and scripts/install.sh puts the release executable where the unit's ExecStart expects it. systemd is not
// PID 1 on the test machines, so the filter is checked against systemd's own group tables
// (systemd-analyze syscall-filter) and the measured list (scripts/syscalls-used.sh; KERNO_SYSCALLS_USED
// names a fresh measurement, which scripts/verify.sh manifests takes).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../cli/helpers.js';

const unit = readFileSync(join(REPO, 'deploy/systemd/kerno.service'), 'utf8');
const values = (k: string): string[] => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]!);

/** systemd's syscall groups (`systemd-analyze syscall-filter`), each expanded to system call names. */
function syscallGroups(): Map<string, Set<string>> {
  const r = spawnSync('systemd-analyze', ['syscall-filter'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `systemd-analyze syscall-filter: ${r.stderr}`);
  const raw = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of r.stdout.split('\n')) {
    if (/^@\S+$/.test(line)) raw.set(line, (current = []));
    else if (current && /^\s+[@\w]/.test(line) && !line.trim().startsWith('#')) current.push(line.trim());
  }
  const expand = (g: string): Set<string> =>
    new Set((raw.get(g) ?? []).flatMap((x) => (x.startsWith('@') ? [...expand(x)] : [x])));
  return new Map([...raw.keys()].map((g) => [g, expand(g)]));
}

function allowed(): Set<string> {
  const groups = syscallGroups();
  const filters = values('SystemCallFilter');
  assert.equal(filters.length, 1, 'one SystemCallFilter line');
  assert.ok(!filters[0]!.startsWith('~'), 'an allow-list, not a deny-list');
  const out = new Set<string>();
  for (const item of filters[0]!.split(/\s+/)) {
    if (item.startsWith('@')) {
      const g = groups.get(item);
      assert.ok(g, `${item} is not a systemd syscall group`);
      for (const s of g) out.add(s);
    } else out.add(item);
  }
  return out;
}

function measured(): string[] {
  const path = process.env.KERNO_SYSCALLS_USED ?? join(REPO, 'test/fixtures/systemd/syscalls-used.txt');
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

describe('SystemCallFilter', () => {
  test('allows every system call kerno start was measured making', () => {
    const ok = allowed();
    const used = measured();
    assert.ok(used.length > 40 && used.includes('bpf'), `a plausible measurement: ${used.join(' ')}`);
    assert.deepEqual(
      used.filter((s) => !ok.has(s)),
      [],
    );
  });
  test('bpf and perf_event_open explicitly; what @system-service leaves out stays out', () => {
    const ok = allowed();
    for (const s of ['bpf', 'perf_event_open', 'setns', 'ioctl']) assert.ok(ok.has(s), s);
    // Not needed, and dangerous: @system-service does not hold them and the filter adds none.
    for (const s of ['init_module', 'kexec_load', 'reboot', 'swapon', 'mount', 'ptrace'])
      assert.ok(!ok.has(s), `${s} must stay denied`);
  });
  test('a denied call fails with EPERM (a collector error) instead of killing the daemon', () => {
    assert.deepEqual(values('SystemCallErrorNumber'), ['EPERM']);
    assert.deepEqual(values('SystemCallArchitectures'), ['native']);
  });
});

test('devices: closed, /dev/kmsg read-only', () => {
  assert.deepEqual(values('DevicePolicy'), ['closed']);
  assert.deepEqual(values('DeviceAllow'), ['/dev/kmsg r']);
  // PrivateDevices=yes would hide /dev/kmsg altogether.
  assert.deepEqual(values('PrivateDevices'), []);
});

describe('scripts/install.sh', () => {
  const stage = mkdtempSync(join(tmpdir(), 'kerno-test-install-'));
  after(() => rmSync(stage, { recursive: true, force: true }));
  // A stand-in for the release executable: answers what install.sh asks of it.
  const exe = join(stage, 'kerno-release');
  writeFileSync(
    exe,
    '#!/bin/sh\ncase "$1" in --version) echo 9.9.9 ;; man) echo ".TH KERNO 1" ;; completion) echo "complete -F _kerno kerno" ;; esac\n',
  );
  chmodSync(exe, 0o755);
  const root = join(stage, 'root');
  const install = () =>
    spawnSync(join(REPO, 'scripts/install.sh'), [exe], {
      encoding: 'utf8',
      env: { ...process.env, DESTDIR: root },
    });

  test("puts the executable at ExecStart's path, bpf-verify beside it, the unit, a config, the man page", () => {
    const r = install();
    assert.equal(r.status, 0, r.stderr);
    const execStart = values('ExecStart')[0]!.split(' ')[0]!;
    assert.equal(execStart, '/usr/local/bin/kerno');
    const installed = join(root, execStart);
    assert.equal(readFileSync(installed, 'utf8'), readFileSync(exe, 'utf8'));
    assert.equal(statSync(installed).mode & 0o777, 0o755);
    assert.ok(lstatSync(join(root, '/usr/local/bin/bpf-verify')).isSymbolicLink());
    assert.equal(readlinkSync(join(root, '/usr/local/bin/bpf-verify')), 'kerno');
    assert.equal(readlinkSync(join(root, '/usr/local/bin/kubectl-kerno')), 'kerno');
    assert.equal(readFileSync(join(root, 'etc/systemd/system/kerno.service'), 'utf8'), unit);
    assert.equal(
      readFileSync(join(root, 'etc/kerno/config.yaml'), 'utf8'),
      readFileSync(join(REPO, 'deploy/systemd/config.yaml'), 'utf8'),
    );
    assert.match(readFileSync(join(root, 'usr/local/share/man/man1/kerno.1'), 'utf8'), /^\.TH KERNO 1/);
    assert.ok(existsSync(join(root, 'etc/bash_completion.d/kerno')));
  });

  test('a second run keeps the config the operator edited', () => {
    const config = join(root, 'etc/kerno/config.yaml');
    writeFileSync(config, 'log_level: debug\n');
    const r = install();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(config, 'utf8'), 'log_level: debug\n');
    assert.match(r.stderr, /config\.yaml exists: kept/);
  });

  test('no executable: one line naming how to build it, nothing installed', () => {
    const empty = join(stage, 'empty');
    const r = spawnSync(join(REPO, 'scripts/install.sh'), [join(stage, 'missing')], {
      encoding: 'utf8',
      env: { ...process.env, DESTDIR: empty },
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no release executable there \(build it with npm run package/);
    assert.ok(!existsSync(empty));
  });
});
