import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oomImminent } from '../../../rules/oom_imminent.js';
import { memoryLimitPressure } from '../../../rules/memory_limit_pressure.js';
import { memoryHighThrottling } from '../../../rules/memory_high_throttling.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import { cgroupAt, GIB, MIB, psiWindow, quietSignals, runRule } from './fixtures.js';

function hostAt(usedPct: number, growth: number) {
  const s = quietSignals();
  const total = 8 * GIB;
  const used = Math.round((total * usedPct) / 100);
  s.memory = {
    ...s.memory!,
    totalBytes: total,
    usedBytes: used,
    availableBytes: total - used,
    usedPct,
    growthRateBytesPerSec: growth,
  };
  return s;
}

describe('oom_imminent', () => {
  const grow = D.oom_min_growth_bytes_per_sec;

  it('stays quiet on an idle host', () => {
    assert.deepEqual(runRule(oomImminent, quietSignals()), []);
  });

  it('a host that sits at 92 % by design (flat) is quiet', () => {
    assert.deepEqual(runRule(oomImminent, hostAt(92, 10 * 1024)), []);
  });

  it('quiet just below oom_memory_pct while growing; WARNING at it, with ETA', () => {
    assert.deepEqual(runRule(oomImminent, hostAt(D.oom_memory_pct - 0.01, 4 * MIB)), []);
    const [f] = runRule(oomImminent, hostAt(D.oom_memory_pct, 4 * MIB));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.threshold, D.oom_memory_pct);
    assert.equal(f!.title, 'Memory Pressure — OOM Risk');
    assert.equal(f!.metric, 'memory_used_pct');
    const available = 8 * GIB - Math.round((8 * GIB * 90) / 100);
    assert.equal(f!.etaNs, Math.round((available / (4 * MIB)) * 1e9));
  });

  it('growth below oom_min_growth_bytes_per_sec is noise; at it, growing', () => {
    assert.deepEqual(runRule(oomImminent, hostAt(91, grow - 1)), []);
    assert.equal(runRule(oomImminent, hostAt(91, grow)).length, 1);
  });

  it('CRITICAL above oom_memory_critical_pct while growing, reporting the critical threshold', () => {
    assert.equal(runRule(oomImminent, hostAt(D.oom_memory_critical_pct, 5 * MIB))[0]!.severity, 'warning');
    const [f] = runRule(oomImminent, hostAt(96.5, 5 * MIB));
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.threshold, D.oom_memory_critical_pct);
    assert.equal(f!.title, 'OOM Imminent — Memory Nearly Exhausted');
    assert.ok(f!.etaNs! > 0);
    assert.match(f!.evidence[0]!, /used 96\.5% of RAM \(7\.72 GiB of 8 GiB; 287 MiB available\) ≥ 95%/);
    assert.match(f!.evidence[1]!, /growing 5 MiB\/s/);
    assert.match(f!.impact, /in ~57s/);
  });

  it('above the critical level but flat: WARNING without ETA', () => {
    const [f] = runRule(oomImminent, hostAt(97, 0));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.etaNs, undefined);
    assert.equal(f!.title, 'Memory Nearly Exhausted (flat)');
  });

  it('a negative oom_memory_pct disables the rule', () => {
    assert.deepEqual(runRule(oomImminent, hostAt(99, 50 * MIB), { oom_memory_pct: -1 }), []);
  });

  it('evidence includes memory PSI when present', () => {
    const s = hostAt(96, 5 * MIB);
    s.pressure!.memory = psiWindow(30, 8);
    const [f] = runRule(oomImminent, s);
    assert.ok(f!.evidence.some((l) => l.startsWith('memory pressure: some 30% (9s), full 8% (2.4s)')));
  });
});

describe('memory_limit_pressure', () => {
  function withCg(pct: number, over: Parameters<typeof cgroupAt>[1] = {}) {
    const s = quietSignals();
    s.cgroupMemory!.containers.push(cgroupAt(pct, { cgroupPath: '/kerno-test/leaky', ...over }));
    return s;
  }

  it('stays quiet on an idle host (30 % and 60 % of their limits)', () => {
    assert.deepEqual(runRule(memoryLimitPressure, quietSignals()), []);
  });

  it('quiet just below the warning share; WARNING at it', () => {
    assert.deepEqual(runRule(memoryLimitPressure, withCg(D.cgroup_memory_warning_pct - 0.01)), []);
    const [f] = runRule(memoryLimitPressure, withCg(D.cgroup_memory_warning_pct));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.threshold, D.cgroup_memory_warning_pct);
    assert.equal(f!.subject, '/kerno-test/leaky');
    assert.equal(f!.metric, 'cgroup_memory_used_pct');
    assert.equal(f!.etaNs, undefined);
  });

  it('CRITICAL at the critical share only while growing', () => {
    assert.equal(runRule(memoryLimitPressure, withCg(D.cgroup_memory_critical_pct))[0]!.severity, 'warning');
    assert.equal(
      runRule(
        memoryLimitPressure,
        withCg(D.cgroup_memory_critical_pct - 0.01, { growthRateBytesPerSec: 100 }),
      )[0]!.severity,
      'warning',
    );
    const [f] = runRule(
      memoryLimitPressure,
      withCg(D.cgroup_memory_critical_pct, { growthRateBytesPerSec: 100 }),
    );
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.threshold, D.cgroup_memory_critical_pct);
    assert.equal(f!.etaNs, undefined);
    assert.match(f!.impact, /no reliable ETA: growth 100 B\/s is below 1 MiB\/s/);
  });

  it('ETA to the OOM kill = (limit − current) ÷ growth once growth ≥ 1 MiB/s, warnings included', () => {
    const [crit] = runRule(memoryLimitPressure, withCg(97, { growthRateBytesPerSec: 2 * MIB }));
    const headroom = 256 * MIB - Math.round((256 * MIB * 97) / 100);
    assert.equal(crit!.etaNs, Math.round((headroom / (2 * MIB)) * 1e9));
    assert.match(crit!.impact, /OOM kill expected in ~4s at 2 MiB\/s/);
    const [warn] = runRule(
      memoryLimitPressure,
      withCg(86, { growthRateBytesPerSec: D.cgroup_memory_eta_min_growth_bytes_per_sec }),
    );
    assert.equal(warn!.severity, 'warning');
    assert.ok(warn!.etaNs! > 0);
    const [slow] = runRule(
      memoryLimitPressure,
      withCg(86, { growthRateBytesPerSec: D.cgroup_memory_eta_min_growth_bytes_per_sec - 1 }),
    );
    assert.equal(slow!.etaNs, undefined);
  });

  it('a v1 cgroup under OOM is CRITICAL', () => {
    const [f] = runRule(memoryLimitPressure, withCg(99.9, { underOom: true }));
    assert.equal(f!.severity, 'critical');
    assert.match(f!.impact, /under OOM right now/);
  });

  it('title, evidence and v1 fix paths with real numbers', () => {
    const [f] = runRule(
      memoryLimitPressure,
      withCg(97, { growthRateBytesPerSec: 2 * MIB, failcnt: 9000, failcntRatePerSec: 400 }),
    );
    assert.equal(f!.title, '/kerno-test/leaky is 97% of its memory limit (248 MiB / 256 MiB)');
    assert.equal(f!.evidence[0], 'current 248 MiB of limit 256 MiB (97%) ≥ 95%');
    assert.equal(f!.evidence[2], 'memory.failcnt 9,000 (+400/s); oom_kill 0; under_oom no');
    assert.ok(f!.fix[0]!.startsWith('cat /sys/fs/cgroup/memory/kerno-test/leaky/memory.usage_in_bytes'));
    assert.ok(
      f!.fix.some((c) =>
        c.startsWith('echo 402653184 > /sys/fs/cgroup/memory/kerno-test/leaky/memory.limit_in_bytes'),
      ),
    );
  });

  it('v2 pod: label ns/pod, memory.events, kubectl and memory.max under the v2 mount', () => {
    const s = quietSignals();
    s.cgroupMemory!.containers[1] = cgroupAt(
      90,
      {
        cgroupPath: '/kubepods/burstable/pod123/ctr',
        version: 2,
        pod: 'web-0',
        namespace: 'shop',
        events: { low: 0, high: 12, max: 3, oom: 1, oomKill: 1 },
      },
      512 * MIB,
    );
    const [f] = runRule(memoryLimitPressure, s);
    assert.equal(f!.title, 'shop/web-0 is 90% of its memory limit (461 MiB / 512 MiB)');
    assert.equal(f!.process, 'web-0');
    assert.ok(f!.evidence.includes('memory.events: high 12, max 3, oom 1, oom_kill 1'));
    assert.ok(f!.fix.some((c) => c.startsWith('kubectl -n shop describe pod web-0')));
    assert.ok(
      f!.fix.some((c) => c.startsWith('cat /sys/fs/cgroup/kubepods/burstable/pod123/ctr/memory.current')),
    );
  });

  it('a systemd unit gets systemctl set-property with the right property per version', () => {
    const s = withCg(90, { cgroupPath: '/system.slice/nginx.service', unit: 'nginx.service' });
    const [f] = runRule(memoryLimitPressure, s);
    assert.equal(f!.title.startsWith('nginx.service is 90%'), true);
    assert.ok(f!.fix.some((c) => c.startsWith('systemctl set-property nginx.service MemoryLimit=402653184')));
  });

  it('ignores cgroups without a limit; one finding per cgroup', () => {
    const s = withCg(90, { limitBytes: 0 });
    assert.deepEqual(runRule(memoryLimitPressure, s), []);
    const two = withCg(90);
    two.cgroupMemory!.containers.push(cgroupAt(91, { cgroupPath: '/kerno-test/b' }));
    assert.deepEqual(
      runRule(memoryLimitPressure, two).map((f) => f.subject),
      ['/kerno-test/leaky', '/kerno-test/b'],
    );
  });
});

describe('memory_high_throttling', () => {
  it('stays quiet on an idle host', () => {
    assert.deepEqual(runRule(memoryHighThrottling, quietSignals()), []);
  });

  it('v2: quiet just below cgroup_memory_high_events_per_sec; WARNING at it', () => {
    const s = quietSignals();
    const v2 = s.cgroupMemory!.containers[1]!;
    v2.highEventRatePerSec = D.cgroup_memory_high_events_per_sec - 0.01;
    assert.deepEqual(runRule(memoryHighThrottling, s), []);
    v2.highEventRatePerSec = D.cgroup_memory_high_events_per_sec;
    v2.events.high = 420;
    const [f] = runRule(memoryHighThrottling, s);
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.metric, 'cgroup_memory_high_events_per_sec');
    assert.equal(f!.threshold, 1);
    assert.equal(f!.title, 'Memory High Throttling: shop/web-0');
    assert.equal(f!.subject, '/kubepods/burstable/pod123/ctr');
    assert.equal(f!.evidence[0], 'memory.events high +1/s ≥ 1/s (total 420)');
    assert.equal(f!.evidence[1], 'current 307 MiB, memory.high 200 MiB, memory.max 512 MiB');
    assert.ok(
      f!.fix.some((c) =>
        c.startsWith('echo 314572800 > /sys/fs/cgroup/kubepods/burstable/pod123/ctr/memory.high'),
      ),
    );
  });

  it('v1: failcnt growth; quiet just below cgroup_memory_failcnt_per_sec, WARNING at it', () => {
    const s = quietSignals();
    const v1 = s.cgroupMemory!.containers[0]!;
    v1.failcntRatePerSec = D.cgroup_memory_failcnt_per_sec - 0.1;
    assert.deepEqual(runRule(memoryHighThrottling, s), []);
    v1.failcntRatePerSec = D.cgroup_memory_failcnt_per_sec;
    const [f] = runRule(memoryHighThrottling, s);
    assert.equal(f!.metric, 'cgroup_memory_failcnt_per_sec');
    assert.equal(f!.subject, '/kerno-test/app');
    assert.match(f!.evidence[0]!, /^memory\.failcnt \+100\/s ≥ 100\/s/);
    assert.ok(f!.fix.some((c) => c.includes('/sys/fs/cgroup/memory/kerno-test/app/memory.failcnt')));
  });

  it('a v2 high-event rate does not count on v1 and vice versa', () => {
    const s = quietSignals();
    s.cgroupMemory!.containers[0]!.highEventRatePerSec = 50; // v1 entry
    s.cgroupMemory!.containers[1]!.failcntRatePerSec = 5000; // v2 entry
    assert.deepEqual(runRule(memoryHighThrottling, s), []);
  });
});
