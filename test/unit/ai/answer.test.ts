// The three answer shapes a model gives: the JSON asked for, the same in a code fence, plain text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnswer } from '../../../src/ai/answer.js';

const obj = {
  summary: 'The OOM killer ended java.',
  why: 'The cgroup hit memory.max.',
  impact: 'The service restarted.',
  fix: ['kubectl top pod', 'raise the limit'],
  causes: [{ description: 'heap larger than the limit', confidence: 0.8, fix: ['set -Xmx below the limit'] }],
};

test('a JSON object', () => {
  assert.deepEqual(parseAnswer(JSON.stringify(obj)), { answer: obj, format: 'json' });
});

test('JSON in a ```json fence, with text around it', () => {
  const text = `Here is the analysis:\n\n\`\`\`json\n${JSON.stringify(obj, null, 2)}\n\`\`\`\nHope it helps.`;
  assert.deepEqual(parseAnswer(text), { answer: obj, format: 'fenced-json' });
  assert.equal(parseAnswer('```\n{"summary":"s"}\n```').format, 'fenced-json');
});

test('plain text is the summary, as is', () => {
  assert.deepEqual(parseAnswer('  The process ran out of memory.\n\nRaise the limit.  '), {
    answer: { summary: 'The process ran out of memory.\n\nRaise the limit.', fix: [], causes: [] },
    format: 'text',
  });
  // JSON without a summary, broken JSON, an array: not the shape asked for, so text.
  assert.equal(parseAnswer('{"answer": "x"}').format, 'text');
  assert.equal(parseAnswer('{"summary": "x"').format, 'text');
  assert.equal(parseAnswer('[1,2]').format, 'text');
});

test('fields of the wrong type are dropped, a percent confidence becomes 0-1, a string fix a list', () => {
  const { answer } = parseAnswer(
    JSON.stringify({
      summary: 's',
      why: 3,
      fix: 'reboot',
      causes: [{ description: 'd', confidence: 80 }, { nope: 1 }, 'plain cause'],
    }),
  );
  assert.deepEqual(answer, {
    summary: 's',
    fix: ['reboot'],
    causes: [
      { description: 'd', confidence: 0.8, fix: [] },
      { description: 'plain cause', fix: [] },
    ],
  });
});
