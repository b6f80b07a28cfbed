// Induce → detect, end to end: each chaos scenario runs in its own process while `kerno doctor --duration 10s
// --output json` runs beside it with its production defaults, and the scenario's paired rule must be in the
// report, at warning or critical, quoting the default threshold, naming the scenario's subject. Scenarios run
// one at a time (two CPUs), are stopped with SIGTERM when doctor is done, and must leave nothing behind.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { requireKernel } from '../helpers/kernel.js';
import { SCENARIO_EXPECT } from '../../src/chaos/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/doctor/thresholds.js';
import type { Finding, Report } from '../../src/doctor/types.js';
import {
  assertDefaultConfig,
  coverageGaps,
  describeFinding,
  isAlarm,
  leftovers,
  round,
  runDoctor,
  sleep,
  startScenario,
  stopAndVerifyCleanup,
  type ScenarioRun,
} from './harness.js';
import { expectedThreshold, KNOWN_GAPS, PAIR_CASES, SUBJECT_MATCHERS, type PairCase } from './pairs.js';

before(() => {
  requireKernel();
  assertDefaultConfig();
  assert.deepEqual(
    leftovers(),
    [],
    'chaos resources left by an earlier run: remove them (kerno chaos cleans up stale runs)',
  );
});

after(() => {
  assert.deepEqual(leftovers(), [], 'chaos resources left behind by this suite');
});

const ms = (ns: number) => `${round(ns / 1e6)} ms`;
/** The inducers' process names: kerno's worker (kchaos-*) and stress-ng's stressors (stress-ng-*). */
const isChaosComm = (comm: string) => comm.startsWith('kchaos') || comm.startsWith('stress-ng');

/** The numbers a rule judges, from the report's signals: what to look at when it did not fire. */
function signalSummary(rule: string, r: Report): string {
  const s = r.signals;
  const t = DEFAULT_THRESHOLDS;
  switch (rule) {
    case 'oom_imminent': {
      const m = s.memory;
      return m
        ? `host memory used ${round(m.usedPct)} % (${round(m.availableBytes / 2 ** 20)} MiB available), growing ${round(m.growthRateBytesPerSec / 2 ** 20)} MiB/s (warning ${t.oom_memory_pct} % and ≥ ${round(t.oom_min_growth_bytes_per_sec / 2 ** 20)} MiB/s)`
        : 'no memory signal';
    }
    case 'cpu_pressure_stall': {
      const cpu = s.pressure?.cpu;
      return `cpu PSI some ${round(cpu?.somePct ?? NaN)} % (warning ${t.psi_cpu_some_warning_pct} %, critical ${t.psi_cpu_some_critical_pct} %)`;
    }
    case 'syscall_latency_high':
      return s.syscall
        ? s.syscall.entries
            .filter((e) => isChaosComm(e.comm))
            .sort((a, b) => b.latency.p99 - a.latency.p99)
            .slice(0, 5)
            .map((e) => `${e.name}(${e.comm}) p99 ${ms(e.latency.p99)} over ${e.latency.count}`)
            .join(', ') || 'no chaos syscalls seen'
        : 'no syscall signal';
    case 'tcp_rtt_degradation':
      return s.tcp
        ? `RTT p50 ${ms(s.tcp.rtt.p50)} p99 ${ms(s.tcp.rtt.p99)} max ${ms(s.tcp.rtt.max)} over ${s.tcp.rtt.count} samples (warning ${ms(t.tcp_rtt_p99_warning_ns)}, ≥ ${t.tcp_rtt_min_slow_samples} slow)`
        : 'no tcp signal';
    case 'scheduler_contention': {
      const q = s.sched?.runqDelay;
      const top = s.sched?.topDelayed
        .slice(0, 5)
        .map((d) => `${d.comm}(${d.pid}) p99 ${ms(d.runqDelay.p99)}/${d.runqDelay.count}`);
      const chaos = (s.sched?.topDelayed ?? [])
        .map((d, i) => ({ d, rank: i + 1 }))
        .filter(({ d }) => isChaosComm(d.comm))
        .map(({ d, rank }) => `#${rank} ${d.comm}(${d.pid}) p99 ${ms(d.runqDelay.p99)}/${d.runqDelay.count}`);
      return q
        ? `chaos processes by p99 rank: ${chaos.join(', ') || 'none'}; run-queue p99 ${ms(q.p99)} over ${q.count} wakeups (warning ${ms(t.sched_delay_warning_ns)}, critical ${ms(t.sched_delay_critical_ns)}); most delayed: ${top?.join(', ')}`
        : 'no sched signal';
    }
    case 'fd_leak':
      return s.fd
        ? `fastest growing: ${[...s.fd.entries]
            .sort((a, b) => b.growthRatePerSec - a.growthRatePerSec)
            .slice(0, 3)
            .map(
              (e) =>
                `${e.comm}(${e.pid}) +${e.netDelta} (${round(e.growthRatePerSec)}/s, holds ${e.currentFds}/${e.fdLimit})`,
            )
            .join(', ')} vs ${t.fd_growth_per_sec}/s and ≥ ${t.fd_min_net_fds} net`
        : 'no fd signal';
    case 'memory_limit_pressure':
    case 'memory_high_throttling':
    case 'memory_pressure_stall':
    case 'oom_kill_occurred': {
      const cgs = (s.cgroupMemory?.containers ?? [])
        .filter((c) => c.cgroupPath.includes('kerno-chaos'))
        .map(
          (c) =>
            `${c.cgroupPath} ${round(c.usedPct)} % growing ${round(c.growthRateBytesPerSec)} B/s oom_kill ${c.events.oomKill} failcnt ${round(c.failcntRatePerSec)}/s`,
        );
      const m = s.pressure?.memory;
      return (
        `chaos cgroups: ${cgs.join('; ') || 'none seen'} (warning ${t.cgroup_memory_warning_pct} %, critical ${t.cgroup_memory_critical_pct} %); ` +
        `memory PSI some ${round(m?.somePct ?? NaN)} % full ${round(m?.fullPct ?? NaN)} % (full warning ${t.psi_memory_full_warning_pct} %); ` +
        `OOM kills ${s.oom?.count ?? 'n/a'}`
      );
    }
    case 'tcp_retransmit_storm':
      return s.tcp
        ? `${s.tcp.retransSegs} of ${s.tcp.segmentsOut} segments retransmitted = ${round(s.tcp.retransmitRatePct)} % (threshold ${t.tcp_retransmit_pct} %, ≥ ${t.tcp_min_segments} segments)`
        : 'no tcp signal';
    case 'syscall_error_rate':
      return s.syscall
        ? s.syscall.entries
            .filter((e) => isChaosComm(e.comm))
            .map((e) => `${e.name}(${e.comm}) ${e.errors}/${e.count} failed`)
            .join(', ') || 'no kchaos syscalls seen'
        : 'no syscall signal';
    case 'io_pressure_stall':
    case 'disk_io_bottleneck': {
      const io = s.pressure?.io;
      const devs = (s.disk?.devices ?? []).map(
        (d) =>
          `${d.name || d.dev}: sync p99 ${ms(d.sync.p99)}/${d.sync.count}, write p99 ${ms(d.write.p99)}/${d.write.count}`,
      );
      return `io PSI some ${round(io?.somePct ?? NaN)} % full ${round(io?.fullPct ?? NaN)} % (full warning ${t.psi_io_full_warning_pct} %); ${devs.join('; ')} (sync warning ${ms(t.disk_p99_warning_ns)})`;
    }
    default:
      return '';
  }
}

/** Why this finding does not count for the group, or undefined when it does. */
function rejects(f: Finding, run: ScenarioRun, report: Report): string | undefined {
  if (!isAlarm(f)) return `severity ${f.severity}`;
  const want = expectedThreshold(f);
  if (want !== undefined && f.threshold !== want)
    return `threshold ${f.threshold} is not the production ${want}`;
  return SUBJECT_MATCHERS[f.rule]!(f, run.subjects, report);
}

async function pairedTest(c: PairCase, t: TestContext): Promise<void> {
  const t0 = performance.now();
  const run = startScenario(c.scenario, c.seconds, c.intensity, c.inducer);
  // Runs even when an assertion below fails: the scenario is stopped and its teardown verified.
  t.after(async () => {
    const problems = await stopAndVerifyCleanup(run);
    assert.deepEqual(problems, [], `chaos ${c.scenario} teardown`);
  });
  await run.waitFor(c.ready, 'its subject');
  await sleep(c.settleMs);
  const doctor = await runDoctor();
  const coveredWindow = run.running();
  await run.stop();
  const report = doctor.report;
  const observed = run.result
    ? JSON.stringify(
        run.result.stages
          ? run.result.stages.map((s) => ({ [s.scenario]: s.observed }))
          : run.result.observed,
      )
    : '(no result)';
  t.diagnostic(`scenario ${c.scenario} (${c.intensity}, ${c.inducer}) observed: ${observed}`);
  t.diagnostic(`doctor: ${round(doctor.elapsedMs / 1000)} s, ${report.findings.length} finding(s)`);
  for (const f of report.findings) for (const line of describeFinding(f).split('\n')) t.diagnostic(line);
  assert.ok(
    coveredWindow,
    `chaos ${c.scenario} ended before doctor's window closed (doctor took ${round(doctor.elapsedMs)} ms): the window did not see the whole incident\n${run.stderr().slice(-1500)}`,
  );
  const gaps = coverageGaps(report);
  const failures: string[] = [];
  for (const group of SCENARIO_EXPECT[c.scenario]!) {
    const candidates = report.findings.filter((f) => group.includes(f.rule));
    const hit = candidates.find((f) => rejects(f, run, report) === undefined);
    const gap = KNOWN_GAPS.find((g) => g.scenario === c.scenario && g.group.join() === group.join());
    if (gap !== undefined) {
      const problems = gap.check(report, run.subjects);
      if (hit !== undefined)
        problems.push(`${hit.rule} fired: the known gap is closed, remove it from KNOWN_GAPS`);
      t.diagnostic(
        `${c.scenario}: ${group.join(' or ')}: known gap (${gap.why}); ${group.map((r) => signalSummary(r, report)).join('; ')}`,
      );
      if (problems.length > 0) failures.push(`${group.join(' or ')} (known gap): ${problems.join('; ')}`);
      continue;
    }
    if (hit !== undefined) {
      t.diagnostic(
        `${c.scenario} → ${hit.rule}: fired ${hit.severity}, ${hit.metric} ${round(hit.value)} vs ${round(hit.threshold)}, subject ${hit.subject || '(host-wide)'}${hit.pid !== undefined ? `, pid ${hit.pid} (${hit.process})` : ''}`,
      );
      if (hit.subject === '') t.diagnostic(`  ${signalSummary(hit.rule, report)}`);
      continue;
    }
    failures.push(
      `${group.join(' or ')} did not fire for the scenario's subject\n` +
        `  scenario subjects: ${JSON.stringify(run.subjects)}\n` +
        (candidates.length > 0
          ? `  findings of the group, rejected:\n${candidates.map((f) => `    - ${rejects(f, run, report)}: ${describeFinding(f)}`).join('\n')}\n`
          : '  no finding of the group\n') +
        `  signals: ${group.map((r) => signalSummary(r, report)).join(' | ')}\n` +
        (gaps.length > 0 ? `  coverage gaps: ${gaps.join('; ')}\n` : ''),
    );
  }
  t.diagnostic(`${c.scenario}: test runtime ${round((performance.now() - t0) / 1000)} s (teardown follows)`);
  assert.deepEqual(
    failures,
    [],
    `chaos ${c.scenario}: ${failures.join('\n')}\ndoctor stderr: ${doctor.stderr.slice(-1000)}`,
  );
}

for (const c of PAIR_CASES) {
  const rules = SCENARIO_EXPECT[c.scenario]!.map((g) => g.join(' or ')).join(', ');
  // A scenario that needs long to get under way (host-memory) gets its nominal length plus doctor's time.
  const T = { timeout: Math.max(150_000, (c.seconds + 30) * 1000) };
  test(`${c.scenario} (${c.intensity}, ${c.inducer}) → ${rules}`, T, (t) => pairedTest(c, t));
}
