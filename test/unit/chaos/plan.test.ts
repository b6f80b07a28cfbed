import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeScenario } from '../../../src/chaos/index.js';
import { SCENARIOS } from '../../../src/chaos/registry.js';
import { cpuParams } from '../../../src/chaos/scenarios/cpu.js';
import { cpuThrottleParams } from '../../../src/chaos/scenarios/cpu-throttle.js';
import { fdLeakRate } from '../../../src/chaos/scenarios/fd-leak.js';
import { cgroupMemoryParams } from '../../../src/chaos/scenarios/cgroup-memory.js';
import { oomKillIntervalMs } from '../../../src/chaos/scenarios/oom-kill.js';
import { memoryStallParams } from '../../../src/chaos/scenarios/memory-stall.js';
import { tcpLossParams } from '../../../src/chaos/scenarios/tcp-loss.js';
import { syscallErrorRate } from '../../../src/chaos/scenarios/syscall-errors.js';
import { diskSatParams } from '../../../src/chaos/scenarios/disk-sat.js';
import { stageOffsetFraction, CASCADE_STAGES } from '../../../src/chaos/scenarios/cascade.js';
import { INTENSITIES, type HostFacts } from '../../../src/chaos/types.js';

const V1_HOST: HostFacts = {
  cpus: 2,
  isRoot: true,
  memoryCgroup: { version: 1, root: '/sys/fs/cgroup/memory' },
  pressureCgroupRoot: '/sys/fs/cgroup/unified',
  scratchDir: '/var/tmp',
  scratchOnDisk: true,
  scratchDevice: { dev: '254:0', name: 'vda' },
  psi: true,
};
const V2_HOST: HostFacts = {
  cpus: 8,
  isRoot: false,
  memoryCgroup: { version: 2, root: '/sys/fs/cgroup' },
  scratchDir: '/tmp',
  scratchOnDisk: false,
  psi: true,
};
const MiB = 1024 * 1024;

test('every plan states what, how long, the cleanup and the rule, for every intensity', () => {
  for (const s of SCENARIOS) {
    for (const inducer of s.inducers ?? ['kerno-worker' as const]) {
      for (const intensity of INTENSITIES) {
        const lines = describeScenario(s.name, { durationNs: 30e9, intensity, inducer }, V1_HOST);
        const text = lines.join('\n');
        assert.match(
          lines[0]!,
          new RegExp(`^scenario ${s.name} \\(intensity ${intensity}, inducer ${inducer}, duration 30s\\)`),
        );
        if (inducer === 'stress-ng') assert.match(text, /stress-ng --/, `${s.name}: the stress-ng command`);
        assert.ok(lines.length >= 4, `${s.name}: too short a plan`);
        assert.match(text, /removed at the end, on Ctrl\+C\/SIGTERM, or by the next `kerno chaos` run/);
        for (const r of s.rules) assert.ok(text.includes(r), `${s.name} plan does not name ${r}`);
        assert.match(text, /30s/);
        assert.doesNotMatch(text, /undefined|NaN|\[object/);
      }
    }
  }
});

test('a scenario refuses an inducer it does not support, by name', () => {
  assert.throws(
    () => describeScenario('fd-leak', { durationNs: 10e9, intensity: 'low', inducer: 'stress-ng' }, V1_HOST),
    /scenario fd-leak cannot be induced by stress-ng: it supports kerno-worker/,
  );
  const sn = describeScenario('cpu', { durationNs: 10e9, intensity: 'high', inducer: 'stress-ng' }, V1_HOST);
  assert.match(sn.join('\n'), /stress-ng --cpu 16 --taskset 0/);
});

test('plans reflect the host: CPUs, cgroup version and root, scratch disk', () => {
  const cpu2 = describeScenario('cpu', { durationNs: 10e9, intensity: 'low' }, V1_HOST).join('\n');
  const cpu8 = describeScenario('cpu', { durationNs: 10e9, intensity: 'low' }, V2_HOST).join('\n');
  assert.match(cpu2, /4 busy threads .* on 2 CPUs/);
  assert.match(cpu8, /16 busy threads .* on 8 CPUs/);

  const v1 = describeScenario('cgroup-memory', { durationNs: 10e9, intensity: 'medium' }, V1_HOST).join('\n');
  assert.match(v1, /\/sys\/fs\/cgroup\/memory\/kerno-chaos-mem-<id> \(cgroup v1\) with a 256 MiB limit/);
  const v2 = describeScenario('oom-kill', { durationNs: 10e9, intensity: 'medium' }, V2_HOST).join('\n');
  assert.match(v2, /\/sys\/fs\/cgroup\/kerno-chaos-oom-<id> \(cgroup v2\)/);
  assert.match(v2, /NOTE: this scenario needs root/);

  assert.match(
    describeScenario('disk-sat', { durationNs: 10e9, intensity: 'low' }, V1_HOST).join('\n'),
    /on vda \(254:0\)/,
  );
  assert.match(
    describeScenario('disk-sat', { durationNs: 10e9, intensity: 'low' }, V2_HOST).join('\n'),
    /WARNING: this is not a disk-backed filesystem/,
  );
  // The hybrid layout adds a v2 group for per-cgroup PSI; pure v2 does not need one.
  assert.match(
    describeScenario('memory-stall', { durationNs: 10e9, intensity: 'low' }, V1_HOST).join('\n'),
    /per-cgroup PSI/,
  );
  assert.doesNotMatch(
    describeScenario('memory-stall', { durationNs: 10e9, intensity: 'low' }, V2_HOST).join('\n'),
    /per-cgroup PSI/,
  );
});

test('plan rejects bad options before describing anything', () => {
  assert.throws(
    () => describeScenario('cpu', { durationNs: 0, intensity: 'low' }, V1_HOST),
    /invalid chaos duration/,
  );
  assert.throws(
    () => describeScenario('nope', { durationNs: 1e9, intensity: 'low' }, V1_HOST),
    /unknown scenario "nope"/,
  );
});

test('intensity raises the load of every scenario', () => {
  const inc = (name: string, f: (i: (typeof INTENSITIES)[number]) => number) => {
    const [l, m, h] = INTENSITIES.map(f);
    assert.ok(l! < m! && m! < h!, `${name}: ${l} < ${m} < ${h}`);
  };
  inc('cpu spinners', (i) => cpuParams(i, 2).spinners);
  inc('cpu-throttle spinners', (i) => cpuThrottleParams(i).spinners);
  inc('fd-leak rate', fdLeakRate);
  inc('cgroup-memory end %', (i) => cgroupMemoryParams(i).endPct);
  inc('oom-kill frequency', (i) => 1 / oomKillIntervalMs(i));
  inc('memory-stall workers', (i) => memoryStallParams(i).workers);
  inc('tcp-loss drop %', (i) => tcpLossParams(i).dropPct);
  inc('syscall error rate', syscallErrorRate);
  inc('disk-sat bytes in flight', (i) => diskSatParams(i).writers * diskSatParams(i).blockBytes);
});

test('every intensity is above the production threshold of its rule (by construction)', () => {
  for (const i of INTENSITIES) {
    assert.ok(cpuParams(i, 2).spinners + cpuParams(i, 2).wakers > 2, 'more runnable threads than CPUs');
    assert.ok(fdLeakRate(i) >= 10 * 4, 'fd_leak fires at 10/s: leak well above it');
    const ct = cpuThrottleParams(i);
    // Each spinner wants a whole CPU: demand ≥ 5× the 0.2-core quota, so the quota runs out in every period.
    assert.ok(ct.spinners >= (5 * ct.quotaUs) / ct.periodUs, 'demand at least 5× the quota');
    const cm = cgroupMemoryParams(i);
    assert.ok(
      cm.startPct > 85 && cm.endPct > cm.startPct && cm.endPct < 100,
      'above 85 %, growing, below the limit',
    );
    assert.ok(tcpLossParams(i).dropPct >= 2 * 2, 'drop at least twice the 2 % retransmit threshold');
    assert.ok(syscallErrorRate(i) >= 10 * 4, 'refused connects: well above the 10/s failure floor');
    const ms = memoryStallParams(i);
    assert.ok(
      ms.workers * ms.anonBytesEach <= 64 * MiB * 0.25,
      'anonymous memory stays a quarter of the limit',
    );
  }
  assert.ok(cgroupMemoryParams('medium').endPct > 95, 'medium reaches the 95 % critical band');
});

test('cascade stages start staggered within the first half and all overlap', () => {
  const offsets = CASCADE_STAGES.map((_, i) => stageOffsetFraction(i));
  assert.equal(offsets[0], 0);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]! > offsets[i - 1]!);
  assert.ok(offsets.at(-1)! <= 0.5);
  const plan = describeScenario('cascade', { durationNs: 20e9, intensity: 'low' }, V1_HOST).join('\n');
  for (const s of CASCADE_STAGES) assert.match(plan, new RegExp(`at \\+\\S+: ${s.name} `));
  assert.match(plan, /at \+2s: cgroup-memory/);
  assert.match(plan, /all stages end together after 20s/);
});
