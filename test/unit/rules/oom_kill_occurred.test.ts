import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oomKillOccurred } from '../../../rules/oom_kill_occurred.js';
import { cgroupAt, MIB, oomEvent, quietSignals, runRule } from './fixtures.js';

describe('oom_kill_occurred', () => {
  it('stays quiet without OOM events', () => {
    assert.deepEqual(runRule(oomKillOccurred, quietSignals()), []);
    const s = quietSignals();
    delete s.oom;
    assert.deepEqual(runRule(oomKillOccurred, s), []);
  });

  it('one kill → one CRITICAL finding naming victim, pid, RSS and the allocating task', () => {
    const s = quietSignals();
    s.oom = {
      count: 1,
      events: [
        oomEvent({
          pid: 777,
          comm: 'java',
          rssBytes: 1536 * MIB,
          triggeredPid: 778,
          triggeredComm: 'java-worker',
          cgroupPath: '',
        }),
      ],
    };
    const [f, ...rest] = runRule(oomKillOccurred, s);
    assert.equal(rest.length, 0);
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.title, 'OOM Kill Detected: java (pid 777)');
    assert.equal(f!.subject, 'java (pid 777)');
    assert.equal(f!.pid, 777);
    assert.equal(f!.process, 'java');
    assert.equal(f!.metric, 'oom_kills');
    assert.equal(f!.value, 1);
    assert.match(f!.cause, /killed java \(pid 777, RSS 1\.5 GiB\)/);
    assert.match(
      f!.evidence[0]!,
      /RSS 1\.5 GiB, total VM 512 MiB, oom_score_adj 0; allocation by java-worker \(pid 778\)/,
    );
    assert.ok(f!.fix.some((c) => c.includes('dmesg -T')));
  });

  it('groups kills by cgroup: a crash-looping container is one finding with the count', () => {
    const s = quietSignals();
    s.oom = {
      count: 3,
      events: [
        oomEvent({ pid: 1 }),
        oomEvent({ pid: 2 }),
        oomEvent({ pid: 3, cgroupPath: '/kerno-test/other' }),
      ],
    };
    const fs = runRule(oomKillOccurred, s);
    assert.equal(fs.length, 2);
    const leaky = fs.find((f) => f.subject === '/kerno-test/leaky')!;
    assert.equal(leaky.value, 2);
    assert.equal(leaky.title, '2 OOM Kills in /kerno-test/leaky');
    assert.equal(leaky.pid, 2);
    assert.equal(leaky.evidence.filter((l) => l.includes('killed leaky')).length, 2);
  });

  it('lists only the last five kills of a long series, with the total', () => {
    const s = quietSignals();
    s.oom = { count: 8, events: Array.from({ length: 8 }, (_, i) => oomEvent({ pid: 100 + i })) };
    const [f] = runRule(oomKillOccurred, s);
    assert.equal(f!.evidence[0], '8 kills; the last 5:');
    assert.ok(f!.evidence.some((l) => l.includes('pid 107')));
    assert.ok(!f!.evidence.some((l) => l.includes('pid 102)')));
  });

  it('uses the cgroup-memory entry of the victim: v1 files under the real root and a concrete new limit', () => {
    const s = quietSignals();
    s.cgroupMemory!.containers.push(cgroupAt(99, { cgroupPath: '/kerno-test/leaky', version: 1 }));
    s.oom = { count: 1, events: [oomEvent()] };
    const [f] = runRule(oomKillOccurred, s);
    assert.ok(f!.evidence.some((l) => l.startsWith('cgroup now at 253 MiB of its 256 MiB limit (99%)')));
    assert.ok(f!.fix.some((c) => c.includes('/sys/fs/cgroup/memory/kerno-test/leaky/memory.limit_in_bytes')));
    assert.ok(
      f!.fix.some((c) =>
        c.startsWith('echo 402653184 > /sys/fs/cgroup/memory/kerno-test/leaky/memory.limit_in_bytes'),
      ),
    );
  });

  it('a k8s pod cgroup is named ns/pod and gets a kubectl step', () => {
    const s = quietSignals();
    s.oom = { count: 1, events: [oomEvent({ cgroupPath: '/kubepods/burstable/pod123/ctr' })] };
    const [f] = runRule(oomKillOccurred, s);
    assert.match(f!.cause, /in shop\/web-0/);
    assert.ok(f!.fix.some((c) => c.startsWith('kubectl -n shop describe pod web-0')));
    assert.ok(f!.fix.some((c) => c.includes('/sys/fs/cgroup/kubepods/burstable/pod123/ctr/memory.max')));
  });
});
