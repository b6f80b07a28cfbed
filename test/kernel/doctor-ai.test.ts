// `kerno doctor --ai -d 2s` end to end as root: real collectors, a real report, then the summary from a
// local fake provider (no network here). The request body must be exactly the privacy mode's view of the
// report printed, nothing more; without --ai not even a connection is made, though AI is configured.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { providerBody, startFakeProvider, type FakeProvider } from '../helpers/fake-ai.js';
import { cleanEnv, spawnKerno, tempDir } from '../unit/cli/helpers.js';
import { doctorPrompt, DOCTOR_SYSTEM } from '../../src/ai/prompt.js';
import type { Report } from '../../src/doctor/types.js';

const dir = tempDir('doctor-ai');
let fake: FakeProvider;
let n = 0;
before(async () => {
  requireKernel();
  fake = await startFakeProvider();
});
after(async () => {
  await fake?.close();
  dir.remove();
});
beforeEach(() => fake.requests.splice(0));

const ANSWER = {
  summary: 'The host is healthy over the window.',
  fix: [],
  causes: [{ description: 'nothing abnormal', confidence: 0.95, fix: [] }],
};

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    HOME: dir.path,
    KERNO_AI_ENABLED: 'true',
    KERNO_AI_PROVIDER: 'openai',
    KERNO_AI_ENDPOINT: fake.url,
    KERNO_AI_MODEL: 'test-model',
    KERNO_AI_API_KEY: 'sk-doctor',
    KERNO_AI_CACHE_DIR: join(dir.path, `cache-${++n}`),
    ...extra,
  });
}

function sentUser(): string {
  assert.equal(fake.requests.length, 1, 'one request');
  const body = JSON.parse(fake.requests[0]!.body) as { messages: { role: string; content: string }[] };
  assert.deepEqual(body.messages[0], { role: 'system', content: DOCTOR_SYSTEM });
  return body.messages[1]!.content;
}

test('doctor --ai -o json: the report with its ai field; summary mode sends rule ids, severities, values only', async () => {
  fake.queue({ body: providerBody('openai', '```json\n' + JSON.stringify(ANSWER) + '\n```') });
  const o = await spawnKerno(['doctor', '--ai', '-d', '2s', '-o', 'json'], { env: env(), timeoutMs: 90_000 });
  assert.equal(o.code, 0, o.stderr);
  const report = JSON.parse(o.stdout) as Report;
  assert.deepEqual(report.ai, {
    provider: 'openai',
    model: 'test-model',
    privacy: 'summary',
    cached: false,
    answer: ANSWER,
  });
  const req = fake.requests[0]!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/v1/chat/completions');
  assert.equal(req.headers.authorization, 'Bearer sk-doctor');
  // Exactly the summary view of the report that was printed (ai is added after the request).
  const { ai: _ai, ...printed } = report;
  const user = sentUser();
  assert.equal(user, doctorPrompt(printed as Report, 'summary', hostname()).user);
  const facts = JSON.parse(user) as { findings: object[] };
  for (const f of facts.findings)
    assert.deepEqual(Object.keys(f).sort(), ['metric', 'rule', 'severity', 'threshold', 'unit', 'value']);
  assert.ok(!user.includes(hostname()), 'the hostname never leaves in summary mode');
});

test('doctor --ai --ai-privacy redacted -o plain: the AI SUMMARY section after the report; the body is the redacted view', async () => {
  fake.queue({ body: providerBody('openai', 'All signals nominal.') });
  const o = await spawnKerno(['doctor', '--ai', '--ai-privacy', 'redacted', '-d', '2s', '-o', 'plain'], {
    env: env(),
    timeoutMs: 90_000,
  });
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stderr, /Asking openai \(test-model\) for a summary…/);
  const summaryAt = o.stdout.indexOf('AI SUMMARY  openai test-model · privacy redacted');
  assert.ok(summaryAt > o.stdout.indexOf('KERNO DOCTOR') && summaryAt > 0, o.stdout);
  assert.match(o.stdout.slice(summaryAt), /^ {2}Summary {3}All signals nominal\.$/m);
  const user = sentUser();
  const facts = JSON.parse(user) as { host: Record<string, string> };
  assert.equal(facts.host.hostname, undefined, 'no hostname in redacted mode');
  assert.ok(!user.includes(`"${hostname()}"`));
});

test('the provider fails: the report is still printed, ai.error says why in one line, exit 1', async () => {
  fake.queue({ status: 503, body: { error: { message: 'overloaded' } } });
  const o = await spawnKerno(['doctor', '--ai', '-d', '2s', '-o', 'json'], { env: env(), timeoutMs: 90_000 });
  assert.equal(o.code, 1);
  const report = JSON.parse(o.stdout) as Report;
  const why = `openai ${fake.url}/v1/chat/completions: HTTP 503 Service Unavailable: overloaded`;
  assert.equal(report.ai?.error, why);
  assert.equal(report.ai?.answer, undefined);
  assert.ok(Array.isArray(report.findings));
  assert.match(
    o.stderr,
    new RegExp(`^kerno: AI summary: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
  );
});

test('doctor without --ai, AI fully configured: no connection at all', async () => {
  const before = fake.connections();
  const o = await spawnKerno(['doctor', '-d', '1s', '-o', 'json'], { env: env(), timeoutMs: 90_000 });
  assert.equal(o.code, 0, o.stderr);
  assert.equal((JSON.parse(o.stdout) as Report).ai, undefined);
  assert.equal(fake.connections(), before);
  assert.equal(fake.requests.length, 0);
});
