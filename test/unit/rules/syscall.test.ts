import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { syscallLatencyHigh } from '../../../rules/syscall_latency_high.js';
import { syscallErrorRate } from '../../../rules/syscall_error_rate.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import { MS, pctl, quietSignals, runRule, S, syscallEntry, US } from './fixtures.js';

function withSlow(...entries: Parameters<typeof syscallEntry>[0][]) {
  const s = quietSignals();
  for (const e of entries) s.syscall!.entries.push(syscallEntry(e));
  return s;
}

describe('syscall_latency_high', () => {
  it('stays quiet on an idle host: blocking syscalls and one slow terminal read excluded', () => {
    assert.deepEqual(runRule(syscallLatencyHigh, quietSignals()), []);
  });

  it('quiet just below the warning threshold; WARNING at it', () => {
    const lat = (p99: number) => pctl(1000, 1 * MS, p99 / 2, p99);
    assert.deepEqual(
      runRule(
        syscallLatencyHigh,
        withSlow({ name: 'fsync', comm: 'pg', latency: lat(D.syscall_p99_warning_ns - 1) }),
      ),
      [],
    );
    const [f] = runRule(
      syscallLatencyHigh,
      withSlow({ name: 'fsync', comm: 'pg', latency: lat(D.syscall_p99_warning_ns) }),
    );
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.threshold, D.syscall_p99_warning_ns);
    assert.equal(f!.title, 'High fsync() Syscall Latency');
    assert.equal(f!.subject, 'fsync(pg)');
    assert.equal(f!.process, 'pg');
    assert.equal(f!.metric, 'syscall_p99_max');
  });

  it('CRITICAL at the critical threshold, reporting it', () => {
    const lat = (p99: number) => pctl(1000, 1 * MS, p99 / 2, p99);
    assert.equal(
      runRule(
        syscallLatencyHigh,
        withSlow({ name: 'fsync', latency: lat(D.syscall_p99_critical_ns - 1) }),
      )[0]!.severity,
      'warning',
    );
    const [f] = runRule(
      syscallLatencyHigh,
      withSlow({ name: 'fsync', latency: lat(D.syscall_p99_critical_ns) }),
    );
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.threshold, D.syscall_p99_critical_ns);
  });

  it('one slow call does not fire: needs syscall_min_slow_calls calls that slow', () => {
    // 50 calls, only the max is slow: p99 = max, p95 fast → at least 1 slow call.
    assert.deepEqual(
      runRule(
        syscallLatencyHigh,
        withSlow({ name: 'connect', count: 50, latency: pctl(50, 50 * US, 1 * MS, 300 * MS) }),
      ),
      [],
    );
    // 500 calls with p99 slow → at least 6 slow calls.
    assert.equal(
      runRule(
        syscallLatencyHigh,
        withSlow({ name: 'connect', count: 500, latency: pctl(500, 50 * US, 1 * MS, 300 * MS) }),
      ).length,
      1,
    );
  });

  it('at most one finding: the slowest pair is the headline, the others are evidence', () => {
    const lat = (p99: number) => pctl(1000, 1 * MS, p99 / 2, p99);
    const s = withSlow(
      { name: 'fsync', comm: 'pg', latency: lat(150 * MS) },
      { name: 'connect', comm: 'api', latency: lat(600 * MS) },
      { name: 'openat', comm: 'nfs-client', latency: lat(200 * MS) },
    );
    const fs = runRule(syscallLatencyHigh, s);
    assert.equal(fs.length, 1);
    const f = fs[0]!;
    assert.equal(f.title, 'High Syscall Latency (3 affected)');
    assert.equal(f.subject, 'connect(api)');
    assert.equal(f.value, 600 * MS);
    assert.equal(f.severity, 'critical');
    assert.equal(f.evidence[1], 'connect(api): p99 600ms, p50 1ms, max 600ms over 1,000 calls');
    assert.ok(f.evidence[0]!.startsWith('3 (syscall, process) pairs with p99 ≥ 100ms'));
    assert.ok(f.fix[0]!.startsWith('strace -f -T -e trace=connect -p "$(pgrep -d, -x api)"'));
    assert.ok(f.fix.some((c) => c.includes('network')));
  });

  it('blocking entries never count, even when they are the slowest', () => {
    const s = withSlow({
      name: 'ppoll',
      comm: 'x',
      blocking: true,
      latency: pctl(1000, 1 * S, 2 * S, 3 * S),
    });
    assert.deepEqual(runRule(syscallLatencyHigh, s), []);
  });

  it('the [other] bucket counts but fix steps trace system-wide', () => {
    const [f] = runRule(
      syscallLatencyHigh,
      withSlow({ name: 'write', comm: '[other]', latency: pctl(1000, 1 * MS, 100 * MS, 200 * MS) }),
    );
    assert.equal(f!.subject, 'write([other])');
    assert.ok(f!.fix[0]!.startsWith('perf trace -s -a -e write'));
  });

  it('a comm with a space is quoted in the copy-paste command', () => {
    const [f] = runRule(
      syscallLatencyHigh,
      withSlow({ name: 'read', comm: 'Web Content', latency: pctl(1000, 1 * MS, 100 * MS, 200 * MS) }),
    );
    assert.ok(f!.fix[0]!.includes(`pgrep -d, -x 'Web Content'`));
  });
});

describe('syscall_error_rate', () => {
  function failing(
    count: number,
    errors: number,
    errno = { errno: 13, name: 'EACCES' },
    over: Parameters<typeof syscallEntry>[0] = {},
  ) {
    return withSlow({
      name: 'openat',
      comm: 'myapp',
      count,
      errors,
      errnos: [{ ...errno, count: errors }],
      ...over,
    });
  }

  it('stays quiet on an idle host: EAGAIN, stat ENOENT, isatty ENOTTY, start-up ENOENT, blocking futex ETIMEDOUT', () => {
    assert.deepEqual(runRule(syscallErrorRate, quietSignals()), []);
  });

  it('quiet just below the warning share; WARNING at it', () => {
    // 10 000 calls in 30 s; 499 failures = 4.99 % (16.6/s) vs 500 = 5 %.
    assert.deepEqual(runRule(syscallErrorRate, failing(10_000, 499)), []);
    const [f] = runRule(syscallErrorRate, failing(10_000, 500));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.value, 5);
    assert.equal(f!.threshold, D.syscall_error_warning_pct);
    assert.equal(f!.metric, 'syscall_error_pct_max');
    assert.equal(f!.subject, 'openat(myapp)');
    assert.equal(f!.title, 'High openat() Error Rate');
  });

  it('CRITICAL at the critical share, reporting it', () => {
    assert.equal(runRule(syscallErrorRate, failing(10_000, 2_499))[0]!.severity, 'warning');
    const [f] = runRule(syscallErrorRate, failing(10_000, 2_500));
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.threshold, D.syscall_error_critical_pct);
  });

  it('needs syscall_error_min_per_sec failures per second', () => {
    // 100 % failing but only 299 in 30 s (9.97/s) vs 300 (10/s).
    assert.deepEqual(runRule(syscallErrorRate, failing(299, 299)), []);
    assert.equal(runRule(syscallErrorRate, failing(300, 300)).length, 1);
  });

  it('answer-class errnos never fire, whatever their volume', () => {
    // 10 000 reads, 9 000 EAGAIN: quiet.
    assert.deepEqual(
      runRule(syscallErrorRate, failing(10_000, 9_000, { errno: 11, name: 'EAGAIN' }, { name: 'read' })),
      [],
    );
    // Observed on a healthy host: CPython asks whether its piped stdio is seekable on every start.
    const python = withSlow({
      name: 'lseek',
      comm: 'python3',
      count: 1_522,
      errors: 257,
      errnos: [{ errno: 29, name: 'ESPIPE', count: 257 }],
    });
    assert.deepEqual(runRule(syscallErrorRate, python), []);
    // A process reopening a missing file 10 000 times a second: ENOENT answers "does it exist?".
    assert.deepEqual(runRule(syscallErrorRate, failing(300_000, 300_000, { errno: 2, name: 'ENOENT' })), []);
    // glibc probing for clone3: ENOSYS.
    assert.deepEqual(
      runRule(syscallErrorRate, failing(3_000, 3_000, { errno: 38, name: 'ENOSYS' }, { name: 'clone3' })),
      [],
    );
  });

  it('other-class errnos need the higher bar and warn at most', () => {
    const einval = (count: number, errors: number) =>
      failing(count, errors, { errno: 22, name: 'EINVAL' }, { name: 'pwrite64', comm: 'agent' });
    // 40 % at 400/s: below the 50 % share.
    assert.deepEqual(runRule(syscallErrorRate, einval(30_000, 12_000)), []);
    // 100 % at 99.97/s: below 100/s.
    assert.deepEqual(runRule(syscallErrorRate, einval(2_999, 2_999)), []);
    const [f] = runRule(syscallErrorRate, einval(6_000, 3_000));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.threshold, D.syscall_error_other_pct);
    assert.ok(f!.evidence.some((l) => l.includes('why pwrite64(agent) counts — other:')));
    // Unitemised errors are other-class: 10 000 recvfrom, 9 000 EAGAIN and 1 000 unknown → 10 %: quiet.
    const mixed = withSlow({
      name: 'recvfrom',
      comm: 'svc',
      count: 10_000,
      errors: 10_000,
      errnos: [{ errno: 11, name: 'EAGAIN', count: 9_000 }],
    });
    assert.deepEqual(runRule(syscallErrorRate, mixed), []);
  });

  it('failure class outranks other class; the finding names its class and what was not counted', () => {
    const s = failing(10_000, 10_000, { errno: 22, name: 'EINVAL' }, { name: 'pwrite64', comm: 'agent' });
    s.syscall!.entries.push(
      syscallEntry({
        name: 'connect',
        comm: 'api',
        count: 1_000,
        errors: 900,
        errnos: [
          { errno: 111, name: 'ECONNREFUSED', count: 600 },
          { errno: 115, name: 'EINPROGRESS', count: 300 },
        ],
      }),
    );
    const [f] = runRule(syscallErrorRate, s);
    assert.equal(f!.subject, 'connect(api)');
    assert.equal(f!.value, 60);
    assert.equal(f!.severity, 'critical');
    assert.match(f!.cause, /mostly with ECONNREFUSED .*: errors that mean the operation did not get done/);
    assert.ok(f!.evidence.some((l) => l.includes('why connect(api) counts — failure:')));
    assert.ok(
      f!.evidence.some((l) =>
        l.includes('not counted for connect(api) (answers to probes): EINPROGRESS ×300'),
      ),
    );
  });

  it('evidence and fix: rate, counts, per-second, errno, strace -Z on the comm, errno hint', () => {
    const [f] = runRule(syscallErrorRate, failing(12_000, 12_000));
    assert.equal(
      f!.evidence[1],
      'openat(myapp): 100% of 12,000 calls failed (12,000, 400/s, failure class): EACCES ×12,000',
    );
    assert.match(f!.cause, /mostly with EACCES \(400\/s\)/);
    assert.equal(
      f!.fix[0],
      'strace -f -Z -e trace=openat -p "$(pgrep -d, -x myapp)"   # -Z: failing calls only, with their arguments',
    );
    assert.ok(f!.fix.some((c) => c.startsWith('EACCES:')));
  });

  it('one finding: the highest share is the headline', () => {
    const s = failing(10_000, 1_000);
    s.syscall!.entries.push(
      syscallEntry({
        name: 'connect',
        comm: 'api',
        count: 1000,
        errors: 900,
        errnos: [{ errno: 111, name: 'ECONNREFUSED', count: 900 }],
      }),
    );
    const fs = runRule(syscallErrorRate, s);
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.subject, 'connect(api)');
    assert.equal(fs[0]!.title, 'High Syscall Error Rate (2 affected)');
    assert.ok(fs[0]!.fix.some((c) => c.startsWith('ECONNREFUSED')));
  });

  it("the [other] bucket is excluded: it sums many processes' benign misses", () => {
    // Measured on this VM: openat([other]) 40 % failing at ~500/s (ENOENT), from dozens of shell tools.
    const s = failing(37_500, 15_000, { errno: 2, name: 'ENOENT' }, { comm: '[other]' });
    assert.deepEqual(runRule(syscallErrorRate, s), []);
    assert.deepEqual(runRule(syscallErrorRate, failing(30_000, 30_000, undefined, { comm: '[other]' })), []);
  });

  it('blocking syscalls are excluded', () => {
    assert.deepEqual(runRule(syscallErrorRate, failing(10_000, 10_000, undefined, { blocking: true })), []);
  });
});
