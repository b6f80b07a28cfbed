import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tcpRetransmitStorm } from '../../../rules/tcp_retransmit_storm.js';
import { tcpRttDegradation } from '../../../rules/tcp_rtt_degradation.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import { HOST_NETNS, MS, pctl, quietSignals, runRule, tcpConn, tcpNamespace, US } from './fixtures.js';

const POD_NETNS = 4026532281;

/** One namespace (the host's unless `netns` says otherwise) sending and retransmitting. */
function withRate(segmentsOut: number, retransSegs: number, netns = HOST_NETNS) {
  const s = quietSignals();
  const tcp = s.tcp!;
  tcp.segmentsOut = segmentsOut;
  tcp.retransSegs = retransSegs;
  tcp.tracedRetransSegs = retransSegs;
  tcp.retransmitRatePct = segmentsOut > 0 ? (retransSegs / segmentsOut) * 100 : 0;
  tcp.namespaces = [
    netns === HOST_NETNS
      ? tcpNamespace({ segmentsOut, retransSegs, tracedRetransSegs: retransSegs })
      : tcpNamespace({
          netns,
          host: false,
          pid: 5151,
          comm: 'pause',
          cgroupPath:
            '/kubepods/burstable/pod1f3e8a52-9c1d-4f0e-b6a7-2d5c9e0f7a11/' +
            '9a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809',
          podUid: '1f3e8a52-9c1d-4f0e-b6a7-2d5c9e0f7a11',
          containerId: '9a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809',
          segmentsOut,
          retransSegs,
          tracedRetransSegs: retransSegs,
        }),
  ];
  tcp.topRetransmitters = [
    tcpConn({
      srcAddr: '10.200.0.1',
      srcPort: 40000,
      dstAddr: '10.200.0.2',
      dstPort: 5201,
      netns,
      pid: 4321,
      comm: 'iperf3',
      retransSegs,
    }),
  ];
  return s;
}

describe('tcp_retransmit_storm', () => {
  it('stays quiet on an idle host: 3 retransmits on 120 segments is 2.5 % but no storm', () => {
    const s = quietSignals();
    assert.ok(s.tcp!.retransmitRatePct >= D.tcp_retransmit_pct);
    assert.deepEqual(runRule(tcpRetransmitStorm, s), []);
  });

  it('needs tcp_min_segments sent before judging the rate', () => {
    assert.deepEqual(runRule(tcpRetransmitStorm, withRate(D.tcp_min_segments - 1, 500)), []);
    assert.equal(runRule(tcpRetransmitStorm, withRate(D.tcp_min_segments, 500)).length, 1);
  });

  it('stays quiet just below the rate threshold and fires CRITICAL at it', () => {
    assert.deepEqual(runRule(tcpRetransmitStorm, withRate(10_000, 199)), []);
    const [f] = runRule(tcpRetransmitStorm, withRate(10_000, 200));
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.value, 2);
    assert.equal(f!.threshold, D.tcp_retransmit_pct);
    assert.equal(f!.metric, 'tcp_retransmit_pct');
  });

  it('evidence is segment-based and names the top connection; fix targets its peer', () => {
    const [f] = runRule(tcpRetransmitStorm, withRate(50_000, 2_600));
    assert.equal(f!.subject, '10.200.0.1:40000→10.200.0.2:5201');
    assert.equal(f!.pid, 4321);
    assert.equal(f!.process, 'iperf3');
    assert.equal(
      f!.evidence[0],
      '5.2% of sent segments were retransmissions (2,600 of 50,000) ≥ 2% threshold',
    );
    assert.equal(f!.evidence[1], `where: the host network namespace (netns ${HOST_NETNS})`);
    assert.ok(
      f!.evidence.includes(
        '10.200.0.1:40000→10.200.0.2:5201 iperf3 (pid 4321): 2,600 retransmitted segments, srtt 300µs',
      ),
    );
    assert.ok(f!.fix.some((c) => c.startsWith('ss -tin dst 10.200.0.2')));
    assert.ok(f!.fix.some((c) => c.startsWith('ip route get 10.200.0.2')));
  });

  it("a pod's loss is judged in the pod's namespace, named, with commands that enter it", () => {
    const s = withRate(20_000, 1_600, POD_NETNS);
    // The host namespace is busy and healthy: the sum over all namespaces is 0.9 %, below the threshold.
    s.tcp!.namespaces.push(tcpNamespace({ segmentsOut: 160_000, retransSegs: 0 }));
    s.tcp!.segmentsOut = 180_000;
    s.tcp!.retransmitRatePct = (1_600 / 180_000) * 100;
    const [f, ...rest] = runRule(tcpRetransmitStorm, s);
    assert.equal(rest.length, 0);
    assert.equal(f!.value, 8);
    assert.match(
      f!.cause,
      /in netns 4026532281, pod 1f3e8a52-9c1d-4f0e-b6a7-2d5c9e0f7a11, container 9a2b3c4d5e6f, pid 5151 pause/,
    );
    assert.ok(f!.evidence.some((l) => l.includes('cgroup /kubepods/burstable/pod1f3e8a52')));
    assert.ok(f!.fix.some((c) => c.startsWith('nsenter -t 5151 -n ss -tin dst 10.200.0.2')));
  });

  it('one finding per suffering namespace, worst first; healthy ones stay out', () => {
    const s = withRate(20_000, 1_000, POD_NETNS);
    s.tcp!.namespaces.push(
      tcpNamespace({
        netns: 4026532999,
        host: false,
        name: 'kerno-b',
        pid: 0,
        comm: '',
        cgroupPath: '',
        segmentsOut: 10_000,
        retransSegs: 2_000,
      }),
      tcpNamespace({ segmentsOut: 90_000, retransSegs: 9 }),
    );
    const fs = runRule(tcpRetransmitStorm, s);
    assert.deepEqual(
      fs.map((f) => f.value),
      [20, 5],
    );
    assert.equal(fs[0]!.subject, 'netns 4026532999');
    assert.ok(fs[0]!.fix.some((c) => c.startsWith('ip netns exec kerno-b nstat')));
  });

  it('a namespace whose MIB could not be read is not judged on traced counts alone', () => {
    const s = withRate(20_000, 1_600, POD_NETNS);
    s.tcp!.namespaces[0]!.mib = false;
    s.tcp!.segmentsOut = 0;
    s.tcp!.retransSegs = 0;
    s.tcp!.retransmitRatePct = 0;
    assert.deepEqual(runRule(tcpRetransmitStorm, s), []);
  });

  it('loss spread thinly over many namespaces fires once, host-wide', () => {
    const s = quietSignals();
    s.tcp!.namespaces = Array.from({ length: 10 }, (_, i) =>
      tcpNamespace({ netns: 4026533000 + i, host: false, segmentsOut: 900, retransSegs: 30 }),
    );
    Object.assign(s.tcp!, { segmentsOut: 9_000, retransSegs: 300, retransmitRatePct: (300 / 9_000) * 100 });
    s.tcp!.topRetransmitters = [];
    const [f, ...rest] = runRule(tcpRetransmitStorm, s);
    assert.equal(rest.length, 0);
    assert.equal(f!.subject, '');
    assert.equal(f!.evidence[1], 'where: all 1 network namespaces together');
  });

  it('IPv6 connections are bracketed', () => {
    const s = withRate(50_000, 2_600);
    s.tcp!.topRetransmitters = [
      tcpConn({ family: 6, srcAddr: 'fd00::1', dstAddr: 'fd00::2', srcPort: 1, dstPort: 443 }),
    ];
    const [f] = runRule(tcpRetransmitStorm, s);
    assert.equal(f!.subject, '[fd00::1]:1→[fd00::2]:443');
    assert.ok(f!.fix.some((c) => c.startsWith('ss -tin dst [fd00::2]')));
  });

  it('without per-connection detail the finding names the namespace', () => {
    const s = withRate(50_000, 2_600);
    s.tcp!.topRetransmitters = [];
    const [f] = runRule(tcpRetransmitStorm, s);
    assert.equal(f!.subject, 'netns host');
    assert.equal(f!.pid, undefined);
  });
});

describe('tcp_rtt_degradation', () => {
  function withRtt(p99: number, count = 500) {
    const s = quietSignals();
    s.tcp!.rtt = pctl(count, 200 * US, p99 / 2, p99);
    return s;
  }

  it('stays quiet on an idle host (one distant peer sampled three times)', () => {
    assert.deepEqual(runRule(tcpRttDegradation, quietSignals()), []);
  });

  it('stays quiet on a host whose only traffic is a remote SSH session at 40 ms', () => {
    assert.deepEqual(runRule(tcpRttDegradation, withRtt(40 * MS, 3000)), []);
  });

  it('intra-DC hosts can lower the threshold to the original 10 ms', () => {
    assert.equal(
      runRule(tcpRttDegradation, withRtt(40 * MS, 3000), { tcp_rtt_p99_warning_ns: 10 * MS }).length,
      1,
    );
  });

  it('quiet just below the threshold, WARNING at it', () => {
    assert.deepEqual(runRule(tcpRttDegradation, withRtt(D.tcp_rtt_p99_warning_ns - 1)), []);
    const [f] = runRule(tcpRttDegradation, withRtt(D.tcp_rtt_p99_warning_ns));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.metric, 'tcp_rtt_p99');
    assert.equal(f!.threshold, 100 * MS);
    assert.match(f!.evidence[0]!, /RTT p99 100ms ≥ 100ms threshold/);
  });

  it('needs tcp_rtt_min_slow_samples samples that slow', () => {
    const s = quietSignals();
    s.tcp!.rtt = pctl(100, 200 * US, 1 * MS, 150 * MS); // only the p99 is slow: ≥ 2 samples
    assert.deepEqual(runRule(tcpRttDegradation, s), []);
    s.tcp!.rtt = pctl(500, 200 * US, 1 * MS, 150 * MS); // ≥ 6 samples
    assert.equal(runRule(tcpRttDegradation, s).length, 1);
  });

  it('names the slowest connection as subject', () => {
    const s = withRtt(300 * MS);
    s.tcp!.topRetransmitters = [
      tcpConn({ dstAddr: '10.9.9.9', srttNs: 120 * MS, pid: 10, comm: 'a' }),
      tcpConn({ dstAddr: '10.8.8.8', srttNs: 260 * MS, pid: 11, comm: 'b' }),
      tcpConn({ dstAddr: '10.7.7.7', srttNs: 1 * MS, pid: 12, comm: 'c' }),
    ];
    const [f] = runRule(tcpRttDegradation, s);
    assert.equal(f!.subject, '10.0.0.1:43210→10.8.8.8:80');
    assert.equal(f!.pid, 11);
    assert.ok(!f!.evidence.some((l) => l.includes('10.7.7.7')));
  });
});
