// The AI section in each output form: Markdown, plain text, and the JSON report's `ai` field (schema).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderAiSection, renderJson, renderMarkdownAi } from '../../../src/render/index.js';
import type { ReportAi } from '../../../src/doctor/types.js';
import { fixtureReport, fullReport } from '../../fixtures/render/report.js';
import { validate, type JsonSchema } from '../render/json-schema-subset.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../docs/report.schema.json', import.meta.url), 'utf8'),
) as JsonSchema;

const failed: ReportAi = {
  provider: 'openai',
  model: 'm',
  privacy: 'summary',
  cached: false,
  error: 'openai http://x/v1/chat/completions: HTTP 503 Service Unavailable',
};

test('JSON: ai with an answer, and ai with only an error, validate; ai sits before signals', () => {
  assert.deepEqual(validate(schema, JSON.parse(renderJson(fullReport()))), []);
  const doc = JSON.parse(renderJson({ ...fixtureReport(), ai: failed })) as Record<string, unknown>;
  assert.deepEqual(validate(schema, doc), []);
  const keys = Object.keys(doc);
  assert.equal(keys.indexOf('ai'), keys.indexOf('signals') - 1);
  assert.deepEqual(validate(schema, { ...doc, ai: { ...failed, privacy: 'everything' } }), [
    '$.ai.privacy: "everything" is not one of ["full","redacted","summary"]',
  ]);
});

test('Markdown: summary, why/impact, numbered causes with confidence, fix in a sh fence', () => {
  const md = renderMarkdownAi(fullReport().ai!);
  assert.equal(
    md,
    [
      '### AI summary',
      '',
      '_anthropic claude-test, privacy redacted; check before acting._',
      '',
      'pod-1 is near its memory limit.',
      '',
      '- **Why:** Its working set grows without bound.',
      '- **Impact:** The kernel will OOM-kill it within minutes.',
      '',
      '1. a leak in pod-1 (70%)',
      '   - `raise resources.limits.memory`',
      '',
      '**Fix**',
      '',
      '```sh',
      'kubectl -n namespace-1 describe pod pod-1',
      '```',
      '',
    ].join('\n') + '\n',
  );
  assert.match(
    renderMarkdownAi(failed),
    /^> ⚠️ openai http:\/\/x\/v1\/chat\/completions: HTTP 503 Service Unavailable$/m,
  );
});

test('plain: the error row, no colour codes when colour is off', () => {
  const text = renderAiSection(failed, { color: false, title: 'AI SUMMARY', note: 'n' });
  assert.match(text, /^ {2}AI SUMMARY {2}openai m · privacy summary$/m);
  assert.match(
    text,
    /^ {2}Error {5}openai http:\/\/x\/v1\/chat\/completions: HTTP 503 Service Unavailable$/m,
  );
  assert.ok(!text.includes('\u001b['), 'no escape codes');
});
