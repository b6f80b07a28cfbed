import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpuCgroupDir, cpuThrottled } from '../../../rules/cpu_throttled.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import type { CgroupCpuEntry } from '../../../src/signals/types.js';
import { cpuCgroup, quietSignals, runRule } from './fixtures.js';

const POD_PATH = '/kubepods/burstable/pod5d1c0a4e-2b1f-4c7e-8d6a-1e2f3a4b5c6d/' + '3f9a'.repeat(16);

function withCgroups(...entries: CgroupCpuEntry[]) {
  const s = quietSignals();
  s.cgroupCpu = { root: '/sys/fs/cgroup/cpu,cpuacct', cgroups: entries };
  return s;
}

describe('cpu_throttled', () => {
  it('stays quiet on an idle host (a cgroup under its quota, a 5-period blip)', () => {
    assert.deepEqual(runRule(cpuThrottled, quietSignals()), []);
  });

  it('a quota’d cgroup that stays under its quota never fires, however busy', () => {
    // 0.48 of 0.5 cores for the whole window: busy, but the quota was never used up in a period.
    assert.deepEqual(runRule(cpuThrottled, withCgroups(cpuCgroup(300, 0, { usageCores: 0.48 }))), []);
  });

  it('too few periods are not judged, however throttled they were', () => {
    const min = D.cpu_throttled_min_periods;
    const blip = cpuCgroup(min - 1, min - 1, {}, 90);
    assert.deepEqual(runRule(cpuThrottled, withCgroups(blip)), []);
    assert.equal(runRule(cpuThrottled, withCgroups(cpuCgroup(min, min, {}, 90))).length, 1);
  });

  it('WARNING at 25 % of periods throttled, quiet just below', () => {
    // 74 of 300 periods (24.7 %), 10 ms each: 0.74 s = 2.5 % of the window.
    assert.deepEqual(runRule(cpuThrottled, withCgroups(cpuCgroup(300, 74, {}, 10))), []);
    const [f] = runRule(cpuThrottled, withCgroups(cpuCgroup(300, 75, {}, 10)));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.metric, 'cgroup_cpu_throttled_periods_pct');
    assert.equal(f!.unit, 'percent');
    assert.equal(f!.value, 25);
    assert.equal(f!.threshold, D.cpu_throttled_warning_pct);
    assert.equal(cpuThrottled.judgedBy!(f!), 'cpu_throttled_warning_pct');
    assert.equal(f!.subject, '/kerno-test/api');
    assert.equal(f!.signal, 'cgroupCpu');
  });

  it('WARNING on throttled time alone: few periods throttled, but for most of each', () => {
    // 40 of 300 periods (13 %) for 90 ms each: 3.6 s = 12 % of the 30 s window.
    const [f] = runRule(cpuThrottled, withCgroups(cpuCgroup(300, 40, {}, 90)));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.metric, 'cgroup_cpu_throttled_time_pct');
    assert.ok(Math.abs(f!.value - 12) < 1e-9);
    assert.equal(f!.threshold, D.cpu_throttled_time_warning_pct);
    assert.equal(cpuThrottled.judgedBy!(f!), 'cpu_throttled_time_warning_pct');
    assert.match(f!.evidence[1]!, /12% of the window, summed over CPUs\) ≥ 10%/);
  });

  it('CRITICAL at 75 % of periods or 50 % of the window, quoting the measure that reached it', () => {
    const [byPeriods] = runRule(cpuThrottled, withCgroups(cpuCgroup(300, 240, {}, 20)));
    assert.equal(byPeriods!.severity, 'critical');
    assert.equal(byPeriods!.metric, 'cgroup_cpu_throttled_periods_pct');
    assert.equal(byPeriods!.threshold, D.cpu_throttled_critical_pct);
    assert.equal(cpuThrottled.judgedBy!(byPeriods!), 'cpu_throttled_critical_pct');
    // 30 % of periods (warning by periods), throttled 55 % of the window (critical by time): time is quoted.
    const [byTime] = runRule(cpuThrottled, withCgroups(cpuCgroup(300, 90, { throttledTimePct: 55 })));
    assert.equal(byTime!.severity, 'critical');
    assert.equal(byTime!.metric, 'cgroup_cpu_throttled_time_pct');
    assert.equal(byTime!.value, 55);
    assert.equal(byTime!.threshold, D.cpu_throttled_time_critical_pct);
    assert.equal(cpuThrottled.judgedBy!(byTime!), 'cpu_throttled_time_critical_pct');
  });

  it('names the cgroup, its pod and container, the quota and the usage, and the fix', () => {
    const e = cpuCgroup(300, 280, {
      cgroupPath: POD_PATH,
      pod: 'checkout-7d9f',
      namespace: 'prod',
      podUid: '5d1c0a4e-2b1f-4c7e-8d6a-1e2f3a4b5c6d',
      containerId: '3f9a'.repeat(16),
      quotaCores: 0.2,
      usageCores: 0.2,
    });
    const [f] = runRule(cpuThrottled, withCgroups(e));
    assert.equal(
      f!.title,
      'prod/checkout-7d9f is CPU-throttled in 93.3% of periods (quota 0.2 cores, using 0.2)',
    );
    assert.equal(f!.subject, POD_PATH);
    assert.equal(f!.process, 'checkout-7d9f');
    const ev = f!.evidence.join('\n');
    assert.match(ev, /throttled in 280 of 300 periods \(93\.3%\) ≥ 75%/);
    assert.match(ev, /quota 0\.2 cores \(20,000 µs per 100,000 µs period, cgroup v1\)/);
    assert.match(ev, /CPU usage 0\.2 cores over the window \(100% of the quota\)/);
    assert.match(ev, /pod prod\/checkout-7d9f, container 3f9a3f9a3f9a/);
    const fix = f!.fix.join('\n');
    assert.match(fix, new RegExp(`cat /sys/fs/cgroup/cpu,cpuacct${POD_PATH}/cpu.cfs_quota_us`));
    assert.match(fix, /top -H -p "\$\(paste -sd, .*cgroup\.procs\)"/);
    assert.match(
      fix,
      /kubectl -n prod describe pod checkout-7d9f .*resources\.limits\.cpu, or drop the CPU limit/,
    );
    assert.match(fix, /echo 40000 > .*cpu\.cfs_quota_us .*×2 \(0\.4 cores\).*-1 removes it/);
  });

  it('a systemd unit on cgroup v2: CPUQuota= and cpu.max in the fix, usage unknown stated', () => {
    const e = cpuCgroup(300, 150, {
      cgroupPath: '/system.slice/batch.service',
      unit: 'batch.service',
      version: 2,
      quotaCores: 1.5,
    });
    delete e.usageCores;
    const s = quietSignals();
    s.cgroupCpu = { root: '/sys/fs/cgroup', cgroups: [e] };
    const [f] = runRule(cpuThrottled, s);
    assert.match(
      f!.title,
      /^batch\.service is CPU-throttled in 50% of periods \(quota 1\.5 cores, usage unknown\)/,
    );
    const fix = f!.fix.join('\n');
    assert.match(fix, /cat \/sys\/fs\/cgroup\/system\.slice\/batch\.service\/cpu\.max/);
    assert.match(fix, /systemctl set-property batch\.service CPUQuota=300%/);
    assert.match(fix, /echo '300000 100000' > \/sys\/fs\/cgroup\/system\.slice\/batch\.service\/cpu\.max/);
  });

  it('one finding per throttled cgroup, none for the quiet ones beside them', () => {
    const out = runRule(
      cpuThrottled,
      withCgroups(
        cpuCgroup(300, 0, { cgroupPath: '/a' }),
        cpuCgroup(300, 200, { cgroupPath: '/b' }),
        cpuCgroup(10, 10, { cgroupPath: '/c' }),
        cpuCgroup(300, 100, { cgroupPath: '/d' }),
      ),
    );
    assert.deepEqual(
      out.map((f) => [f.subject, f.severity]),
      [
        ['/b', 'warning'],
        ['/d', 'warning'],
      ],
    );
  });

  it('finds the cgroup directory in a hybrid root list, whatever the v1 mount is called', () => {
    const root = '/sys/fs/cgroup/unified, /sys/fs/cgroup/cpu,cpuacct';
    assert.equal(cpuCgroupDir(root, { version: 1, cgroupPath: '/x' }), '/sys/fs/cgroup/cpu,cpuacct/x');
    assert.equal(cpuCgroupDir(root, { version: 2, cgroupPath: '/x' }), '/sys/fs/cgroup/unified/x');
    assert.equal(
      cpuCgroupDir('/sys/fs/cgroup/cpu', { version: 1, cgroupPath: '/x' }),
      '/sys/fs/cgroup/cpu/x',
    );
    assert.equal(cpuCgroupDir('/host/cgroup', { version: 2, cgroupPath: '/' }), '/host/cgroup');
  });
});
