// Every chaos scenario against ground truth read OUTSIDE kerno (procfs, cgroup files, ip/nft), then a check
// that everything the run created is gone. The numbers each scenario reached are printed as diagnostics:
// they decide whether the paired doctor rule can fire at its production threshold on this machine.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import {
  cleanupStale,
  runScenario,
  type ChaosOptions,
  type ChaosSubject,
  type ScenarioResult,
} from '../../src/chaos/index.js';
import { writeState, type RunState } from '../../src/chaos/journal.js';
import { newRunId } from '../../src/chaos/session.js';

before(() => requireKernel());

const NCPU = cpus().length;
const MEM_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup/unified';
const CPU_ROOT = '/sys/fs/cgroup/cpu';
const CPUACCT_ROOT = '/sys/fs/cgroup/cpuacct';
/** Root can write /run, so state files live here (not the temp-dir fallback). */
const STATE_DIR = '/run/kerno-chaos';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------ ground truth

function startTime(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}
function alive(pid: number, start: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[19]) === start && f[0] !== 'Z';
  } catch {
    return false;
  }
}
const procsRunning = () => Number(/^procs_running (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
const vmstat = (k: string) =>
  Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(readFileSync('/proc/vmstat', 'utf8'))![1]);
function psi(file: string): { some: number; full: number } {
  const t = readFileSync(file, 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k} .*total=(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { some: get('some'), full: get('full') };
}
function snmpTcp(): { out: number; retrans: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'));
  const names = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/).map(Number);
  return { out: vals[names.indexOf('OutSegs')]!, retrans: vals[names.indexOf('RetransSegs')]! };
}
function diskstats(dev: string): { writes: number; writeMs: number; flushes: number; flushMs: number } {
  const f = readFileSync('/proc/diskstats', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((x) => x[2] === dev);
  assert.ok(f, `device ${dev} in /proc/diskstats`);
  return { writes: Number(f[7]), writeMs: Number(f[10]), flushes: Number(f[18]), flushMs: Number(f[19]) };
}
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
const pct = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10000) / 100 : 0);

// ------------------------------------------------------------------------------------------ harness

interface Seen {
  subjects: ChaosSubject[];
  /** start time of every process subject, read by the test itself when it was announced */
  starts: Map<number, number>;
}

/** Runs a scenario; `probe` runs alongside with the subjects seen so far and returns when it is done. */
async function induce(
  name: string,
  opts: ChaosOptions,
  probe?: (seen: Seen, signal: AbortSignal) => Promise<void>,
  abortAfterMs?: number,
  abortWhen?: (seen: Seen) => boolean,
): Promise<{ result: ScenarioResult; seen: Seen }> {
  const seen: Seen = { subjects: [], starts: new Map() };
  const ac = new AbortController();
  const run = runScenario(name, opts, {
    signal: ac.signal,
    log: () => {},
    onSubject: (s) => {
      seen.subjects.push(s);
      if (s.kind === 'process') {
        const st = startTime(s.pid);
        if (st !== undefined) seen.starts.set(s.pid, st);
      }
      if (abortWhen?.(seen)) ac.abort();
    },
  });
  const timer = abortAfterMs !== undefined ? setTimeout(() => ac.abort(), abortAfterMs) : undefined;
  const probing = probe?.(seen, ac.signal);
  try {
    const result = await run;
    await probing;
    return { result, seen };
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = fn();
    if (v !== undefined) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function subjectOf<K extends ChaosSubject['kind']>(
  seen: Seen,
  kind: K,
  comm?: string,
): Extract<ChaosSubject, { kind: K }> | undefined {
  return seen.subjects.find(
    (s): s is Extract<ChaosSubject, { kind: K }> =>
      s.kind === kind && (comm === undefined || (s as { comm?: string }).comm === comm),
  );
}

/** Nothing carrying this run's id may remain: namespaces, nft tables, links, cgroups, files, state, processes. */
function assertCleanedUp(result: ScenarioResult, seen: Seen): void {
  const id = result.runId;
  assert.match(id, /^[0-9a-f]{8}$/);
  assert.ok(!sh('ip', ['netns', 'list']).includes(id), 'network namespace left behind');
  assert.ok(!sh('nft', ['list', 'tables']).includes(id), 'nft table left behind');
  assert.ok(!readdirSync('/sys/class/net').some((n) => n.includes(id)), 'veth left behind');
  for (const root of [MEM_ROOT, V2_ROOT, CPU_ROOT, CPUACCT_ROOT, '/var/tmp', '/tmp']) {
    const left = readdirSync(root).filter((n) => n.includes(id));
    assert.deepEqual(left, [], `left behind in ${root}`);
  }
  assert.ok(!existsSync(`${STATE_DIR}/${id}.json`), 'state file left behind');
  const netnsEtc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.includes(id)) : [];
  assert.deepEqual(netnsEtc, [], 'resolv.conf directory left behind in /etc/netns');
  for (const [pid, st] of seen.starts) assert.ok(!alive(pid, st), `process ${pid} still alive`);
}

const T = { timeout: 180_000 };

// ------------------------------------------------------------------------------------------ scenarios

test('cpu: more runnable threads than CPUs, wakers wait in the run queue ≥ 5 ms at p99', T, async (t) => {
  const samples: number[] = [];
  let waitNs = 0;
  let slices = 0;
  const { result, seen } = await induce('cpu', { durationNs: 4e9, intensity: 'medium' }, async (seen) => {
    const p = await waitFor('cpu subject', () => subjectOf(seen, 'process'));
    // Waker threads' own scheduler accounting: run_delay (ns waiting on a run queue) and timeslices.
    const wakers = () =>
      readdirSync(`/proc/${p.pid}/task`)
        .filter((tid) => readFileSync(`/proc/${p.pid}/task/${tid}/comm`, 'utf8').trim() === 'kchaos-wake')
        .map((tid) =>
          readFileSync(`/proc/${p.pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number),
        );
    await sleep(500);
    const a = wakers();
    for (let i = 0; i < 25; i++) {
      samples.push(procsRunning());
      await sleep(100);
    }
    const b = wakers();
    waitNs = b.reduce((s, x) => s + x[1]!, 0) - a.reduce((s, x) => s + x[1]!, 0);
    slices = b.reduce((s, x) => s + x[2]!, 0) - a.reduce((s, x) => s + x[2]!, 0);
  });
  const meanRunning = samples.reduce((a, b) => a + b, 0) / samples.length;
  const o = result.observed;
  t.diagnostic(
    `cpu medium on ${NCPU} CPUs: procs_running mean ${meanRunning.toFixed(1)} max ${Math.max(...samples)}; ` +
      `waker run_delay ${(waitNs / Math.max(slices, 1) / 1e6).toFixed(2)} ms per timeslice (${slices} slices); ` +
      `waker oversleep p50 ${(o.oversleepP50Ns! / 1e6).toFixed(3)} ms p99 ${(o.oversleepP99Ns! / 1e6).toFixed(2)} ms max ${(o.oversleepMaxNs! / 1e6).toFixed(1)} ms over ${o.wakeups} wakeups`,
  );
  assert.ok(meanRunning > NCPU, `procs_running ${meanRunning} > ${NCPU} CPUs`);
  assert.ok(waitNs > 0 && slices > 0, 'wakers spent time waiting on a run queue');
  assert.ok(o.wakeups! > 1000, 'frequent wakeups');
  assert.ok(
    o.oversleepP99Ns! >= 5e6,
    `wakeup delay p99 ${o.oversleepP99Ns} ns reaches the 5 ms warning threshold`,
  );
  assertCleanedUp(result, seen);
});

test('fd-leak: /proc/<pid>/fd grows ≥ 10/s with files and sockets', T, async (t) => {
  let rate = 0;
  let sockets = 0;
  let last = 0;
  const { result, seen } = await induce('fd-leak', { durationNs: 3e9, intensity: 'low' }, async (seen) => {
    const p = await waitFor('fd-leak subject', () => subjectOf(seen, 'process'));
    const a = fdCount(p.pid);
    const t0 = performance.now();
    await sleep(2000);
    last = fdCount(p.pid);
    rate = ((last - a) * 1000) / (performance.now() - t0);
    sockets = readdirSync(`/proc/${p.pid}/fd`).filter((fd) => {
      try {
        return sh('readlink', [`/proc/${p.pid}/fd/${fd}`]).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  });
  t.diagnostic(
    `fd-leak low: /proc/<pid>/fd grew ${rate.toFixed(1)}/s to ${last} (${sockets} sockets); child reported ${result.observed.opened} opened`,
  );
  assert.ok(rate >= 10, `fd growth ${rate}/s ≥ 10/s`);
  assert.ok(rate >= 0.8 * 50, `close to the 50/s target (${rate})`);
  assert.ok(sockets > 0, 'leaks sockets too');
  assertCleanedUp(result, seen);
});

test('cgroup-memory: usage ≥ 90 % of a real cgroup limit and growing', T, async (t) => {
  const usage: number[] = [];
  let limit = 0;
  const { result, seen } = await induce(
    'cgroup-memory',
    { durationNs: 4e9, intensity: 'medium' },
    async (seen, signal) => {
      const cg = await waitFor('cgroup subject', () => subjectOf(seen, 'cgroup'));
      limit = Number(readFileSync(join(cg.dir, 'memory.limit_in_bytes'), 'utf8'));
      while (!signal.aborted && usage.length < 30) {
        try {
          usage.push(Number(readFileSync(join(cg.dir, 'memory.usage_in_bytes'), 'utf8')));
        } catch {
          break; // removed at the end of the run
        }
        await sleep(100);
      }
    },
  );
  const max = Math.max(...usage);
  t.diagnostic(
    `cgroup-memory medium: limit ${limit >> 20} MiB, usage ${pct(usage[0]!, limit)} % → ${pct(max, limit)} % (${usage.length} samples); scenario saw ${result.observed.usedPctMax} %`,
  );
  assert.equal(limit, 256 << 20);
  assert.ok(max / limit >= 0.9, `usage ${pct(max, limit)} % ≥ 90 %`);
  assert.ok(max < limit, 'never at the limit (no OOM)');
  assert.ok(usage.at(-1)! > usage[0]!, 'growing');
  assert.equal(result.observed.oomKills, 0);
  assertCleanedUp(result, seen);
});

test('cpu-throttle: a real 0.2-core quota, throttled in nearly every period at 0.2 cores', T, async (t) => {
  const stat = (dir: string) => {
    const text = readFileSync(join(dir, 'cpu.stat'), 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k} (\\d+)$`, 'm').exec(text)![1]);
    return { periods: get('nr_periods'), throttled: get('nr_throttled'), throttledNs: get('throttled_time') };
  };
  let quota = 0;
  let period = 0;
  let measured:
    { periods: number; throttled: number; throttledNs: number; usageNs: number; ms: number } | undefined;
  const { result, seen } = await induce(
    'cpu-throttle',
    { durationNs: 5e9, intensity: 'low' },
    async (seen) => {
      const cg = await waitFor('cgroup subject', () => subjectOf(seen, 'cgroup'));
      const acct = join(CPUACCT_ROOT, cg.path);
      quota = Number(readFileSync(join(cg.dir, 'cpu.cfs_quota_us'), 'utf8'));
      period = Number(readFileSync(join(cg.dir, 'cpu.cfs_period_us'), 'utf8'));
      const usage = () => Number(readFileSync(join(acct, 'cpuacct.usage'), 'utf8'));
      const s0 = stat(cg.dir);
      const u0 = usage();
      const t0 = performance.now();
      await sleep(2500);
      const s1 = stat(cg.dir);
      measured = {
        periods: s1.periods - s0.periods,
        throttled: s1.throttled - s0.throttled,
        throttledNs: s1.throttledNs - s0.throttledNs,
        usageNs: usage() - u0,
        ms: performance.now() - t0,
      };
    },
  );
  assert.ok(measured, 'the probe measured the cgroup while the spinner ran');
  const usageCores = measured.usageNs / (measured.ms * 1e6);
  t.diagnostic(
    `cpu-throttle low: quota ${quota}/${period} µs, ${measured.throttled} of ${measured.periods} periods throttled ` +
      `(${pct(measured.throttled, measured.periods)} %), throttled ${pct(measured.throttledNs, measured.ms * 1e6)} % ` +
      `of the time, usage ${usageCores.toFixed(3)} cores; scenario saw ${result.observed.throttledPct} % of ` +
      `periods, ${result.observed.usageCores} cores`,
  );
  assert.equal(quota, 20_000);
  assert.equal(period, 100_000);
  assert.ok(measured.periods >= 20, `${measured.periods} periods in ${Math.round(measured.ms)} ms`);
  assert.ok(measured.throttled / measured.periods >= 0.8, 'throttled in ≥ 80 % of periods');
  assert.ok(Math.abs(usageCores - 0.2) <= 0.05, `usage ${usageCores} cores vs the 0.2 quota`);
  assert.ok(result.observed.throttledPct! >= 80, `scenario's own count ${result.observed.throttledPct} %`);
  assertCleanedUp(result, seen);
});

test('oom-kill: the kernel OOM-kills the child in its cgroup (/proc/vmstat oom_kill)', T, async (t) => {
  const before = vmstat('oom_kill');
  let cgroupKills = 0;
  const { result, seen } = await induce(
    'oom-kill',
    { durationNs: 3e9, intensity: 'medium' },
    async (seen, signal) => {
      const cg = await waitFor('cgroup subject', () => subjectOf(seen, 'cgroup'));
      while (!signal.aborted) {
        try {
          cgroupKills = Number(
            /^oom_kill (\d+)$/m.exec(readFileSync(join(cg.dir, 'memory.oom_control'), 'utf8'))![1],
          );
        } catch {
          break;
        }
        if (seen.subjects.filter((s) => s.kind === 'process').length >= 1 && cgroupKills >= 1) break;
        await sleep(50);
      }
    },
  );
  const delta = vmstat('oom_kill') - before;
  t.diagnostic(
    `oom-kill medium: /proc/vmstat oom_kill +${delta}, cgroup oom_kill ${cgroupKills}, victims ${result.observed.victims}`,
  );
  assert.ok(delta >= 1, 'oom_kill delta ≥ 1');
  assert.ok(cgroupKills >= 1, 'the kill happened inside the chaos cgroup');
  assert.ok(result.observed.victims! >= 1 && delta >= result.observed.victims!);
  assertCleanedUp(result, seen);
});

test('memory-stall: /proc/pressure/memory full total grows', T, async (t) => {
  const a = psi('/proc/pressure/memory');
  const t0 = performance.now();
  const { result, seen } = await induce('memory-stall', { durationNs: 6e9, intensity: 'low' });
  const b = psi('/proc/pressure/memory');
  const windowUs = (performance.now() - t0) * 1000;
  const o = result.observed;
  t.diagnostic(
    `memory-stall low: host memory PSI over the whole run: some +${((b.some - a.some) / 1000).toFixed(0)} ms (${pct(b.some - a.some, windowUs)} %), ` +
      `full +${((b.full - a.full) / 1000).toFixed(0)} ms (${pct(b.full - a.full, windowUs)} %); while the readers ran: host some ${o.hostMemorySomePct} % full ${o.hostMemoryFullPct} %, ` +
      `chaos cgroup some ${o.cgroupMemorySomePct} % full ${o.cgroupMemoryFullPct} %; ${o.majorFaults} major faults, ${o.workingsetRefaultsFile} file refaults`,
  );
  assert.ok(b.full > a.full, 'memory full stall time grew');
  assert.ok(o.majorFaults! > 0 && o.workingsetRefaultsFile! > 0, 'refaults happened');
  assertCleanedUp(result, seen);
});

test(
  'tcp-loss: two non-root namespaces; RetransSegs ÷ OutSegs of the sending one ≥ 2 %, the host MIB untouched',
  T,
  async (t) => {
    const a = snmpTcp();
    let duringRun = '';
    const { result, seen } = await induce('tcp-loss', { durationNs: 4e9, intensity: 'low' }, async (seen) => {
      const c = await waitFor('connection subject', () => subjectOf(seen, 'connection'));
      duringRun =
        sh('ip', ['netns', 'list']) +
        sh('ip', [
          'netns',
          'exec',
          c.peerNetns!,
          'nft',
          'list',
          'table',
          'inet',
          `kerno_chaos_${c.peerNetns!.slice(-8)}`,
        ]);
    });
    const b = snmpTcp();
    const o = result.observed;
    const c = subjectOf(seen, 'connection')!;
    t.diagnostic(
      `tcp-loss low (5 % drop): sending namespace RetransSegs/OutSegs = ${o.senderNsRetransSegs}/${o.senderNsOutSegs} = ` +
        `${o.senderNsRetransPct} %; host MIB RetransSegs +${b.retrans - a.retrans}; sockets ${o.socketRetransPct} %; ` +
        `nft dropped ${o.nftDroppedPackets} packets; ${c.srcAddr}:${c.srcPort} → ${c.dstAddr}:${c.dstPort}`,
    );
    assert.match(c.netns, /^kerno-chaos-send-[0-9a-f]{8}$/);
    assert.match(c.peerNetns!, /^kerno-chaos-recv-[0-9a-f]{8}$/);
    assert.match(duringRun, new RegExp(c.netns), 'sending namespace existed during the run');
    assert.match(duringRun, new RegExp(c.peerNetns!), 'receiving namespace existed during the run');
    assert.match(duringRun, /numgen random mod 100 < 5/, 'drop rule installed in the receiving namespace');
    assert.ok(o.senderNsRetransPct! >= 2, `retransmit ratio ${o.senderNsRetransPct} % ≥ 2 %`);
    assert.ok(
      o.senderNsRetransSegs! > 10 * (b.retrans - a.retrans),
      'the loss is in the pod namespace, not the host MIB',
    );
    assert.ok(o.nftDroppedPackets! > 0);
    assertCleanedUp(result, seen);
  },
);

test('syscall-errors: the child’s connect() calls are refused at the configured rate', T, async (t) => {
  const { result, seen } = await induce(
    'syscall-errors',
    { durationNs: 3e9, intensity: 'low' },
    async (seen) => {
      const p = await waitFor('subject', () => subjectOf(seen, 'process'));
      assert.equal(readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim(), 'kchaos-syserr');
    },
  );
  const o = result.observed;
  t.diagnostic(
    `syscall-errors low: ${o.errors}/${o.calls} connect calls failed (${o.refused} refused, ${o.errorPct} %) at ${o.ratePerSec}/s`,
  );
  assert.equal(o.errors, o.calls);
  assert.equal(o.refused, o.calls, 'every call refused (ECONNREFUSED)');
  assert.ok(o.ratePerSec! >= 10, 'above the 10/s failure floor of syscall_error_rate');
  assert.ok(o.ratePerSec! >= 0.8 * 1000);
  assertCleanedUp(result, seen);
});

test(
  'dns-slow: the glibc client’s own lookups take the stub’s delay; the stub answered every query',
  T,
  async (t) => {
    const { result, seen } = await induce(
      'dns-slow',
      { durationNs: 6e9, intensity: 'medium' },
      async (seen) => {
        const p = await waitFor('subject', () => subjectOf(seen, 'process'));
        assert.equal(readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim(), 'kchaos-dnsslow');
      },
    );
    const o = result.observed;
    t.diagnostic(
      `dns-slow medium: ${o.lookups} lookups, client p50 ${o.clientP50Ms} ms p99 ${o.clientP99Ms} ms, stub ${o.stubQueries} queries, delay ${o.delayMs} ms`,
    );
    assert.equal(o.delayMs, 300);
    assert.ok(o.lookups! >= 3, 'lookups were made');
    assert.ok(o.clientP50Ms! >= 300, 'every lookup waits for the delayed answer');
    // getaddrinfo(AF_UNSPEC): an A and an AAAA query per lookup (the last may be cut by the stop)
    assert.ok(o.stubQueries! >= 2 * o.lookups! && o.stubQueries! <= 2 * o.lookups! + 2);
    assertCleanedUp(result, seen);
  },
);

test(
  'dns-servfail: the stub fails the configured share of names; the client sees exactly those fail',
  T,
  async (t) => {
    const { result, seen } = await induce(
      'dns-servfail',
      { durationNs: 4e9, intensity: 'medium' },
      async (seen) => {
        const p = await waitFor('subject', () => subjectOf(seen, 'process'));
        assert.equal(readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim(), 'kchaos-dnsfail');
      },
    );
    const o = result.observed;
    t.diagnostic(
      `dns-servfail medium: ${o.lookups} lookups, ${o.clientFailedLookups} failed; stub ${o.stubServfail} SERVFAIL, ${o.stubNxdomain} NXDOMAIN, ${o.stubNoerror} NOERROR`,
    );
    assert.ok(o.lookups! >= 20, 'lookups were made');
    // attempts:1 and A queries only: one query per lookup, and a lookup fails exactly when its answer is
    // SERVFAIL or NXDOMAIN (an in-flight lookup at the stop may be counted by the stub only)
    const answered = o.stubServfail! + o.stubNxdomain! + o.stubNoerror!;
    assert.ok(
      answered - o.lookups! >= 0 && answered - o.lookups! <= 1,
      `${answered} answers for ${o.lookups} lookups`,
    );
    assert.ok(Math.abs(o.clientFailedLookups! - (o.stubServfail! + o.stubNxdomain!)) <= 1);
    const share = o.stubServfail! / answered;
    assert.ok(share >= 0.15 && share <= 0.25, `SERVFAIL share ${share} is 2 in 10 names`);
    assertCleanedUp(result, seen);
  },
);

test('disk-sat: /proc/diskstats write and flush time grow on the root disk', T, async (t) => {
  let dev = '';
  let a: ReturnType<typeof diskstats> | undefined;
  let b: ReturnType<typeof diskstats> | undefined;
  const io0 = psi('/proc/pressure/io');
  const t0 = performance.now();
  const { result, seen } = await induce('disk-sat', { durationNs: 4e9, intensity: 'low' }, async (seen) => {
    const d = await waitFor('device subject', () => subjectOf(seen, 'device'));
    dev = d.name;
    a = diskstats(dev);
    await sleep(3000);
    b = diskstats(dev);
  });
  const io1 = psi('/proc/pressure/io');
  const windowUs = (performance.now() - t0) * 1000;
  assert.ok(a && b);
  const writes = b.writes - a.writes;
  const flushes = b.flushes - a.flushes;
  const o = result.observed;
  t.diagnostic(
    `disk-sat low on ${dev}: ${writes} writes, avg ${((b.writeMs - a.writeMs) / Math.max(writes, 1)).toFixed(3)} ms; ${flushes} flushes, avg ` +
      `${((b.flushMs - a.flushMs) / Math.max(flushes, 1)).toFixed(3)} ms; writer pwrite p50 ${(o.writeP50Ns! / 1e6).toFixed(2)} ms p99 ${(o.writeP99Ns! / 1e6).toFixed(2)} ms; ` +
      `host io PSI some ${pct(io1.some - io0.some, windowUs)} % full ${pct(io1.full - io0.full, windowUs)} %; chaos cgroup io some ${o.cgroupIoSomePct} % full ${o.cgroupIoFullPct} %`,
  );
  assert.ok(writes > 1000, 'the disk was written to');
  assert.ok(b.writeMs > a.writeMs, 'write time grew');
  assert.ok(b.flushMs >= a.flushMs && flushes > 0, 'synchronous writes issued flushes');
  assert.ok(io1.some > io0.some, 'tasks waited on I/O');
  assertCleanedUp(result, seen);
});

test('cascade: overlapping incidents, each visible at once', T, async (t) => {
  const found: Record<string, string> = {};
  const { result, seen } = await induce('cascade', { durationNs: 10e9, intensity: 'low' }, async (seen) => {
    // By 60 % of the duration every stage has started (offsets 0–40 %).
    await sleep(6000);
    const cg = subjectOf(seen, 'cgroup');
    const fd = subjectOf(seen, 'process', 'kchaos-fdleak');
    const conn = subjectOf(seen, 'connection');
    const dev = subjectOf(seen, 'device');
    if (cg) {
      const u = Number(readFileSync(join(cg.dir, 'memory.usage_in_bytes'), 'utf8'));
      const l = Number(readFileSync(join(cg.dir, 'memory.limit_in_bytes'), 'utf8'));
      found.cgroup = `${pct(u, l)} %`;
    }
    if (fd) found.fds = String(fdCount(fd.pid));
    if (conn) found.netns = sh('ip', ['netns', 'list']).includes(conn.netns) ? conn.netns : '';
    if (dev) found.disk = String(diskstats(dev.name).writes);
    found.running = String(procsRunning());
  });
  // The tcp-loss stage runs between two namespaces of its own: its ratio is the sending namespace's MIB.
  const ratio = result.stages?.find((s) => s.scenario === 'tcp-loss')?.observed.senderNsRetransPct ?? 0;
  t.diagnostic(
    `cascade low at +6s: ${JSON.stringify(found)}; TCP retransmit ratio of the sending namespace over the run ${ratio} %; stages ${result.stages?.map((s) => s.scenario).join(', ')}`,
  );
  assert.deepEqual(
    result.stages?.map((s) => s.scenario),
    ['disk-sat', 'cgroup-memory', 'fd-leak', 'tcp-loss', 'cpu'],
  );
  assert.ok(parseFloat(found.cgroup ?? '0') >= 90, 'cgroup at ≥ 90 % of its limit');
  assert.ok(Number(found.fds) > 100, 'fd leak under way');
  assert.ok(found.netns, 'lossy namespace up');
  assert.ok(Number(found.running) > NCPU, 'run queues oversubscribed');
  assert.ok(ratio >= 2, `retransmit ratio ${ratio} %`);
  assert.ok(result.stages!.every((s) => s.subjects.length > 0));
  assertCleanedUp(result, seen);
});

// ------------------------------------------------------------------------------------------ abort, stale

test('abort mid-run (AbortSignal): returns promptly as aborted and removes everything', T, async (t) => {
  const t0 = performance.now();
  // Stages start at 0, 2, 4, 6, 8 s of 20 s. Abort as soon as the network stage reports its connection
  // (set-up time varies on a fresh machine), or at 12 s at the latest.
  const { result, seen } = await induce(
    'cascade',
    { durationNs: 20e9, intensity: 'low' },
    undefined,
    12_000,
    (s) => s.subjects.some((x) => x.kind === 'connection'),
  );
  const took = performance.now() - t0;
  t.diagnostic(
    `cascade aborted once the network stage was up: returned after ${(took / 1000).toFixed(1)} s with ${seen.subjects.length} subjects`,
  );
  assert.equal(result.aborted, true);
  assert.ok(took < 15_000, `returned ${took} ms after start, not after 20 s`);
  assert.ok(
    seen.subjects.some((s) => s.kind === 'connection'),
    'aborted while the network stage was up',
  );
  assertCleanedUp(result, seen);
});

test(
  'a run killed with SIGKILL: workloads die with it, the next cleanupStale removes the rest',
  T,
  async (t) => {
    // A separate kerno process runs cascade and reports its subjects; it is killed once the network is up.
    const script =
      `import { runScenario } from ${JSON.stringify(new URL('../../src/chaos/index.ts', import.meta.url).pathname)};` +
      `await runScenario('cascade', { durationNs: 20e9, intensity: 'low' }, { onSubject: (s) => console.log(JSON.stringify(s)) });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const seen: Seen = { subjects: [], starts: new Map() };
    let buf = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const s = JSON.parse(buf.slice(0, nl)) as ChaosSubject;
        buf = buf.slice(nl + 1);
        seen.subjects.push(s);
        if (s.kind === 'process') seen.starts.set(s.pid, startTime(s.pid) ?? -1);
      }
    });
    const conn = await waitFor('network stage', () => subjectOf(seen, 'connection'), 60_000);
    const cg = subjectOf(seen, 'cgroup')!;
    const id = conn.netns.slice(-8);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    // What a killed run leaves: its state file, namespace, cgroup and files. Its workloads die with it.
    assert.ok(existsSync(join(STATE_DIR, `${id}.json`)), 'state file of the killed run');
    assert.ok(sh('ip', ['netns', 'list']).includes(conn.netns), 'namespace left by the killed run');
    assert.ok(existsSync(cg.dir), 'cgroup left by the killed run');
    await waitFor('workloads to die with their parent', () =>
      [...seen.starts].every(([pid, st]) => !alive(pid, st)) ? true : undefined,
    );

    const report = await cleanupStale();
    t.diagnostic(
      `killed run ${id}: cleanupStale removed ${report.removed.length}: ${report.removed.join('; ')}`,
    );
    assert.ok(report.staleRuns.includes(id));
    assert.deepEqual(report.failed, []);
    assertCleanedUp({ runId: id } as ScenarioResult, seen);
  },
);

function spawnSleeper(): { child: ChildProcess; pid: number; start: number } {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  const pid = child.pid!;
  const start = startTime(pid)!;
  return { child, pid, start };
}

test('cleanupStale removes the real leftovers of a killed run, and nothing else', T, async () => {
  const id = newRunId();
  const orphanId = newRunId();
  const liveId = newRunId();
  const ns = `kerno-chaos-${id}`;
  const orphanNs = `kerno-chaos-${orphanId}`;
  const cg = join(MEM_ROOT, `kerno-chaos-mem-${id}`);
  const dir = join('/var/tmp', `kerno-chaos-disk-${id}`);
  const liveDir = join('/var/tmp', `kerno-chaos-disk-${liveId}`);
  const victim = spawnSleeper(); // listed in the stale run: must be killed
  const inCgroup = spawnSleeper(); // not listed, but inside the stale cgroup: killed with it
  const recycled = spawnSleeper(); // listed with a different start time: a recycled PID, must survive
  const liveOwner = spawnSleeper(); // owns a run still in progress: must be left alone
  // The "killed kerno": a process that existed and is gone now.
  const dead = spawn('sleep', ['0.2'], { stdio: 'ignore' });
  const deadStart = startTime(dead.pid!)!;
  await new Promise((r) => dead.on('exit', r));
  try {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['netns', 'add', orphanNs]);
    mkdirSync(cg);
    writeFileSync(join(cg, 'memory.limit_in_bytes'), String(64 << 20));
    writeFileSync(join(cg, 'cgroup.procs'), String(inCgroup.pid));
    mkdirSync(dir);
    writeFileSync(join(dir, 'writer-0'), 'x');
    mkdirSync(liveDir);
    const stale: RunState = {
      version: 1,
      id,
      scenario: 'cascade',
      owner: { pid: dead.pid!, startTime: deadStart },
      createdAt: new Date().toISOString(),
      resources: [
        { kind: 'netns', name: ns },
        { kind: 'nft-table', family: 'inet', name: `kerno_chaos_${id}`, netns: ns },
        { kind: 'cgroup', dir: cg },
        { kind: 'path', path: dir },
        { kind: 'process', pid: victim.pid, startTime: victim.start, comm: 'sleep' },
        { kind: 'process', pid: recycled.pid, startTime: recycled.start + 1, comm: 'sleep' },
      ],
    };
    writeState(stale);
    writeState({
      ...stale,
      id: liveId,
      owner: { pid: liveOwner.pid, startTime: liveOwner.start },
      resources: [{ kind: 'path', path: liveDir }],
    });

    const report = await cleanupStale();

    assert.deepEqual(report.staleRuns, [id]);
    assert.deepEqual(report.liveRuns, [liveId]);
    assert.deepEqual(report.failed, []);
    assert.ok(!sh('ip', ['netns', 'list']).includes(ns), 'stale namespace removed');
    assert.ok(!sh('ip', ['netns', 'list']).includes(orphanNs), 'orphan namespace (no state file) removed');
    assert.ok(!existsSync(cg), 'stale cgroup removed');
    assert.ok(!existsSync(dir), 'stale files removed');
    assert.ok(!alive(victim.pid, victim.start), 'listed process killed');
    assert.ok(!alive(inCgroup.pid, inCgroup.start), 'process inside the stale cgroup killed');
    assert.ok(alive(recycled.pid, recycled.start), 'a PID with another start time is not ours: untouched');
    assert.ok(existsSync(liveDir), "a live run's files are untouched");
    assert.ok(!existsSync(join(STATE_DIR, `${id}.json`)), 'stale state file removed');
    assert.ok(existsSync(join(STATE_DIR, `${liveId}.json`)), 'live state file kept');
    assert.ok(report.removed.some((r) => r.includes(orphanNs)));

    // Once its owner is gone, the formerly live run is stale too and goes on the next sweep.
    liveOwner.child.kill('SIGKILL');
    await new Promise((r) => liveOwner.child.on('exit', r));
    const again = await cleanupStale();
    assert.deepEqual(again.staleRuns, [liveId]);
    assert.ok(!existsSync(liveDir));
  } finally {
    for (const s of [victim, inCgroup, recycled, liveOwner]) s.child.kill('SIGKILL');
    for (const n of [ns, orphanNs]) {
      try {
        execFileSync('ip', ['netns', 'delete', n], { stdio: 'ignore' });
      } catch {
        // already removed
      }
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(liveDir, { recursive: true, force: true });
    rmSync(join(STATE_DIR, `${liveId}.json`), { force: true });
    rmSync(join(STATE_DIR, `${id}.json`), { force: true });
    try {
      execFileSync('rmdir', [cg], { stdio: 'ignore' });
    } catch {
      // already removed
    }
  }
});
