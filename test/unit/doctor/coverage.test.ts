import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  coverageGaps,
  healthyClaimBlockers,
  HEALTHY_REQUIRED,
  judgeCoverage,
} from '../../../src/doctor/coverage.js';
import { coverage, quietSignals, withCoverage } from '../rules/fixtures.js';

describe('coverage', () => {
  it('an all-ok snapshot has no gaps and no blockers', () => {
    assert.deepEqual(coverageGaps(quietSignals()), []);
    assert.deepEqual(healthyClaimBlockers(quietSignals()), []);
    assert.deepEqual([...HEALTHY_REQUIRED], ['syscall', 'sched', 'memory']);
  });

  it('lists failed/disabled/off/unsupported collectors and dropped events, with the hint', () => {
    const s = withCoverage(quietSignals(), 'tcp', 'failed', 'attach tcp_retransmit_skb: ENOENT');
    s.coverage = s.coverage.map((c) => (c.name === 'disk' ? coverage('disk', { eventsDropped: 12 }) : c));
    assert.deepEqual(coverageGaps(s), [
      { name: 'tcp', state: 'failed', reason: 'failed: attach tcp_retransmit_skb: ENOENT' },
      { name: 'disk', state: 'ok', reason: 'ran, but dropped 12 events' },
    ]);
  });

  it('blocks a healthy claim per missing required collector, with the reason', () => {
    let s = withCoverage(quietSignals(), 'sched', 'disabled', 'circuit breaker open after 5 faults');
    s = withCoverage(s, 'syscall', 'failed');
    assert.deepEqual(healthyClaimBlockers(s), [
      'syscall: failed',
      'sched: disabled: circuit breaker open after 5 faults',
    ]);
    const t = quietSignals();
    delete t.memory;
    assert.deepEqual(healthyClaimBlockers(t), ['memory: ran but delivered no snapshot']);
  });

  it('judges each collector once: not observed, incomplete (programs, restarts, drops) or complete', () => {
    const s = withCoverage(quietSignals(), 'tcp', 'disabled');
    s.coverage = s.coverage.map((c) =>
      c.name === 'tcp'
        ? { ...c, faults: 3 }
        : c.name === 'disk'
          ? coverage('disk', { programsLoaded: 1, programsTotal: 2, restarts: 2, eventsDropped: 5 })
          : c,
    );
    const j = judgeCoverage(s.coverage);
    assert.deepEqual(
      j.notObserved.map((x) => [x.entry.name, x.shortfalls]),
      [['tcp', [{ kind: 'disabled', faults: 3 }]]],
    );
    assert.deepEqual(
      j.incomplete.map((x) => [x.entry.name, x.shortfalls]),
      [
        [
          'disk',
          [
            { kind: 'programs', loaded: 1, total: 2 },
            { kind: 'restarted', times: 2 },
            { kind: 'dropped', events: 5 },
          ],
        ],
      ],
    );
    assert.equal(j.complete, false);
    assert.equal(judgeCoverage(quietSignals().coverage).complete, true);
    assert.equal(judgeCoverage([]).complete, false, 'no coverage at all is never complete');
    assert.equal(
      judgeCoverage(quietSignals().coverage, [{ rule: 'fd_leak', error: 'boom' }]).complete,
      false,
    );
  });
});
