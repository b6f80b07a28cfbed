// `kubectl kerno doctor --pod`: which findings name a pod (its namespace/name as a whole word, or its UID
// in a cgroup path, with either separator), and the filtered report's counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namesPod, reportForPod } from '../../../src/kubectl/pod-filter.js';
import { fixtureFindings, fixtureReport } from '../../fixtures/render/report.js';
import type { Finding } from '../../../src/doctor/types.js';

const base = fixtureFindings()[0]!;
const finding = (over: Partial<Finding>): Finding => ({
  ...base,
  title: 't',
  subject: '',
  cause: '',
  impact: '',
  evidence: [],
  fix: [],
  ...over,
});
const UID = '3f1c2a4e-7b6d-4e1f-9a2b-8c7d6e5f4a3b';

test('a finding names the pod by namespace/name, not by a longer name sharing its prefix', () => {
  const is = namesPod({ namespace: 'prod', name: 'checkout-7d9f' });
  assert.equal(is(finding({ title: 'prod/checkout-7d9f is at 97% of its memory limit' })), true);
  assert.equal(
    is(finding({ evidence: ['cgroup /kubepods/x (pod prod/checkout-7d9f, container 0123)'] })),
    true,
  );
  assert.equal(is(finding({ title: 'prod/checkout-7d9f-2 is at 97%' })), false);
  assert.equal(is(finding({ title: 'preprod/checkout-7d9f is at 97%' })), false);
  assert.equal(
    is(finding({ title: 'checkout-7d9f is at 97%' })),
    false,
    'a bare name may be another namespace',
  );
});

test('a finding names the pod by its UID in a cgroupfs or systemd cgroup path', () => {
  const is = namesPod({ namespace: 'prod', name: 'web', uid: UID });
  assert.equal(is(finding({ subject: `/kubepods/burstable/pod${UID}/0123abcd` })), true);
  assert.equal(
    is(
      finding({
        subject: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice`,
      }),
    ),
    true,
  );
  assert.equal(
    is(finding({ subject: '/kubepods/burstable/pod00000000-0000-0000-0000-000000000000/x' })),
    false,
  );
});

test('the filtered report keeps the matching findings and recounts the summary', () => {
  const report = fixtureReport();
  const r = reportForPod(report, { namespace: 'prod', name: 'checkout-7d9f' });
  assert.deepEqual(
    r.findings.map((f) => f.rule),
    report.findings.filter((f) => f.subject === 'prod/checkout-7d9f').map((f) => f.rule),
  );
  assert.ok(r.findings.length >= 1 && r.findings.length < report.findings.length);
  const s = r.summary;
  assert.equal(s.critical + s.warning + s.info, r.findings.length);
  assert.equal(s.eventsCollected, report.summary.eventsCollected);
  const none = reportForPod(report, { namespace: 'prod', name: 'absent' });
  assert.deepEqual(none.findings, []);
  assert.deepEqual([none.summary.critical, none.summary.warning, none.summary.info], [0, 0, 0]);
});
