// What leaves the host: each class of identifier masked, placeholders stable within a request, and the
// three privacy modes of a doctor report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Masker, redact } from '../../../src/ai/privacy.js';
import { doctorPrompt, explainPrompt, reportFacts } from '../../../src/ai/prompt.js';
import { fixtureReport } from '../../fixtures/render/report.js';

test('IPv4 and IPv6 addresses are masked; versions, times and out-of-range dotted numbers are not', () => {
  assert.equal(
    redact('connect 10.0.3.17:5432 refused; from fe80::1ff:fe23:4567:890a and 2001:db8::1'),
    'connect ip-3:5432 refused; from ip-1 and ip-2',
  );
  assert.equal(
    redact('kernel 6.18.0 at 12:34:56, v1.2.3.4x, 999.1.1.1, 1.2.3'),
    'kernel 6.18.0 at 12:34:56, v1.2.3.4x, 999.1.1.1, 1.2.3',
  );
});

test('hostnames under a known domain are masked, sysctl keys and file names are not', () => {
  assert.equal(
    redact(
      'db-1.prod.example.com timed out talking to cache.internal; net.core.somaxconn=4096 in app.yaml via node.js',
    ),
    'host-1 timed out talking to host-2; net.core.somaxconn=4096 in app.yaml via node.js',
  );
});

test("the host's own name, full or short, becomes this-host", () => {
  assert.equal(
    redact('web-1 kernel: oom on web-1.prod.example.com (not web-10)', 'web-1.prod.example.com'),
    'this-host kernel: oom on this-host (not web-10)',
  );
});

test('pod names in the forms reports print them, and their namespaces, are masked', () => {
  assert.equal(
    redact(
      "pod payments/api-7d9f8c6b5-x2x7k throttled; kubectl -n payments describe pod 'api-7d9f8c6b5-x2x7k'",
    ),
    "pod namespace-1/pod-1 throttled; kubectl -n namespace-1 describe pod 'pod-1'",
  );
  assert.equal(redact('pod web-0 restarted; worker-6d4cf56db6-zx9qv too'), 'pod pod-1 restarted; pod-2 too');
  assert.equal(
    redact('kubectl get pods --namespace=shop; sort -n counts'),
    'kubectl get pods --namespace=namespace-1; sort -n counts',
  );
});

test('absolute paths and UIDs are masked; relative paths and ratios are not', () => {
  assert.equal(
    redact(
      'open /home/alice/app/config.yaml failed (uid 1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718), see ./run.sh, 1/2 done',
    ),
    'open path-1 failed (uid uid-1), see ./run.sh, 1/2 done',
  );
  assert.equal(
    redact('cgroup /kubepods/burstable/pod1f2e3d4c_5b6a_7980_a1b2_c3d4e5f60718/x'),
    'cgroup path-1',
  );
});

test('placeholders are deterministic: one value, one placeholder; numbered per class', () => {
  const m = new Masker();
  assert.equal(m.redact('10.0.0.1 → 10.0.0.2'), 'ip-1 → ip-2');
  assert.equal(m.redact('again 10.0.0.2 then 10.0.0.1'), 'again ip-2 then ip-1');
  assert.equal(m.mapping.get('10.0.0.2'), 'ip-2');
  // A fresh request numbers from 1 again: the same input always gives the same output.
  assert.equal(redact('10.0.0.2 → 10.0.0.1'), redact('10.0.0.2 → 10.0.0.1'));
  assert.equal(redact('10.0.0.2 → 10.0.0.1'), 'ip-1 → ip-2');
});

test('explain: redacted and summary mask the message, full sends it as is', () => {
  const msg = 'Out of memory: Killed process 4123 (java) on 10.1.2.3';
  assert.equal(explainPrompt(msg, 'full', 'h').user, msg);
  assert.equal(explainPrompt(msg, 'redacted', 'h').user, 'Out of memory: Killed process 4123 (java) on ip-1');
  assert.equal(explainPrompt(msg, 'summary', 'h').user, explainPrompt(msg, 'redacted', 'h').user);
});

test('doctor summary mode: rule ids, severities and values only', () => {
  const report = fixtureReport();
  const facts = reportFacts(report, 'summary', report.host.hostname) as { findings: object[] };
  assert.equal(facts.findings.length, report.findings.length);
  for (const [i, f] of report.findings.entries())
    assert.deepEqual(facts.findings[i], {
      rule: f.rule,
      severity: f.severity,
      metric: f.metric,
      unit: f.unit,
      value: f.value,
      threshold: f.threshold,
    });
  const text = doctorPrompt(report, 'summary', report.host.hostname).user;
  assert.ok(!text.includes(report.host.hostname), 'no hostname');
  for (const f of report.findings) {
    assert.ok(!text.includes(f.title), `no title: ${f.title}`);
    if (f.subject) assert.ok(!text.includes(`"${f.subject}"`), `no subject: ${f.subject}`);
  }
});

test('doctor redacted mode: the findings text, masked; full mode: as is, with the hostname', () => {
  const base = fixtureReport();
  const report = {
    ...base,
    findings: [
      {
        ...base.findings[0]!,
        subject: 'pod shop/cart-7d9f8c6b5-x2x7k',
        evidence: ['peer 10.9.8.7 on /srv/data'],
      },
    ],
  };
  const red = doctorPrompt(report, 'redacted', report.host.hostname).user;
  assert.ok(red.includes('"subject": "pod namespace-1/pod-1"'), red);
  assert.ok(red.includes('"peer ip-1 on path-1"'), red);
  assert.ok(!red.includes('10.9.8.7') && !red.includes('cart-7d9f8c6b5') && !red.includes('/srv/data'));
  assert.ok(!red.includes(`"hostname"`));
  const full = doctorPrompt(report, 'full', report.host.hostname).user;
  assert.ok(full.includes('10.9.8.7') && full.includes(`"hostname": "${report.host.hostname}"`));
});
