import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderJson } from '../../../src/render/json.js';
import type { Report } from '../../../src/doctor/types.js';
import { fixtureReport, fullReport, timelineReport } from '../../fixtures/render/report.js';
import { assertGolden } from './golden.js';
import { validate, type JsonSchema } from './json-schema-subset.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../docs/report.schema.json', import.meta.url), 'utf8'),
) as JsonSchema;

test('JSON report matches the golden file', () => {
  assertGolden('report.json', renderJson(fixtureReport()));
});

test('JSON is the Report as is: parsing it gives back the same object', () => {
  for (const report of [fixtureReport(), fullReport(), fixtureReport({ partial: true, durationNs: 1e9 })]) {
    assert.deepEqual(JSON.parse(renderJson(report)), report);
  }
});

test('JSON output validates against docs/report.schema.json', () => {
  for (const report of [fixtureReport(), fullReport(), fixtureReport({ findings: [], partial: true })]) {
    assert.deepEqual(validate(schema, JSON.parse(renderJson(report))), []);
  }
});

test('the schema checker rejects wrong types, missing keys, unknown keys and bad enums', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deliberately breaking a parsed document
  const broken = JSON.parse(renderJson(fullReport())) as Record<string, any>;
  broken.durationNs = 1.5;
  delete broken.summary.warning;
  broken.findings[0].severity = 'fatal';
  broken.findings[0].unexpected = true;
  broken.coverage[0].events = -1;
  broken.signals.syscall.entries[0].latency.p99 = '180ms';
  broken.schemaVersion = 3;
  assert.deepEqual(validate(schema, broken).sort(), [
    '$.coverage[0].events: -1 is below the minimum 0',
    '$.durationNs: expected integer, got number 1.5',
    '$.findings[0].severity: "fatal" is not one of ["info","warning","critical"]',
    '$.findings[0]: unexpected key "unexpected"',
    '$.schemaVersion: expected 2, got 3',
    '$.signals.syscall.entries[0].latency.p99: expected integer, got string',
    '$.summary: missing required key "warning"',
  ]);
});

test('the schema describes every field of a report that sets every optional field', () => {
  // fullReport() is typed so that every optional Signals field is present (DeepRequired): a field added to
  // the types without a schema entry fails here as an unexpected key.
  const doc = JSON.parse(renderJson(fullReport())) as Record<string, unknown>;
  assert.ok('ruleErrors' in doc);
  assert.deepEqual(validate(schema, doc), []);
});

test('key order is stable whatever order the report was built in', () => {
  const report = fixtureReport();
  const reversed = reverseKeys(report) as Report;
  assert.notDeepEqual(Object.keys(reversed), Object.keys(report));
  assert.equal(renderJson(reversed), renderJson(report));
  const top = Object.keys(JSON.parse(renderJson(report)) as object);
  assert.deepEqual(top, [
    'schemaVersion',
    'tool',
    'host',
    'windowStart',
    'windowEnd',
    'durationNs',
    'partial',
    'summary',
    'findings',
    'coverage',
    'signals',
  ]);
});

test('durations stay integer nanoseconds and optional fields are omitted, not null', () => {
  const json = renderJson(fixtureReport());
  assert.match(json, /"durationNs": 30000000000,/);
  assert.match(json, /"etaNs": 240000000000,/);
  assert.doesNotMatch(json, /null/);
  const parsed = JSON.parse(json) as Report;
  assert.equal('etaNs' in parsed.findings[1]!, false);
});

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reverseKeys(x)]),
  );
}

test('onsets and the timeline: golden, schema-valid, timeline before signals, and refused when malformed', () => {
  const json = renderJson(timelineReport());
  assertGolden('report-timeline.json', json);
  const doc = JSON.parse(json) as Record<string, unknown> & {
    findings: { onset: string }[];
    timeline: { events: unknown[]; links: { confidence: number; gapMs: number }[] };
  };
  assert.deepEqual(validate(schema, doc), []);
  const keys = Object.keys(doc);
  assert.equal(keys.indexOf('timeline'), keys.indexOf('signals') - 1);
  assert.ok(doc.findings.every((f) => !Number.isNaN(Date.parse(f.onset))));
  doc.timeline.links[0]!.confidence = 1.5;
  doc.timeline.links[0]!.gapMs = -1;
  doc.findings[0]!.onset = 42 as unknown as string;
  assert.deepEqual(validate(schema, doc).sort(), [
    '$.findings[0].onset: expected string, got number',
    '$.timeline.links[0].confidence: 1.5 is above the maximum 1',
    '$.timeline.links[0].gapMs: -1 is below the minimum 0',
  ]);
});
