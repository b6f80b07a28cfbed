import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown } from '../../../src/render/md.js';
import { fixtureFindings, fixtureReport, timelineReport } from '../../fixtures/render/report.js';
import { assertGolden } from './golden.js';

test('markdown report matches the golden file', () => {
  assertGolden('report.md', renderMarkdown(fixtureReport()));
});

test('markdown has headings, a findings table in rank order, and fix commands in sh fences', () => {
  const md = renderMarkdown(fixtureReport());
  assert.match(md, /^## KERNO DOCTOR: web-01$/m);
  assert.match(md, /^### Findings: 1 critical · 1 warning · 1 info$/m);
  const rows = md.split('\n').filter((l) => /^\| \d+ \|/.test(l));
  assert.deepEqual(
    rows.map((r) => r.split(' | ')[1]),
    ['🔴 CRITICAL', '🟡 WARNING', '🔵 INFO'],
  );
  assert.match(
    md,
    /```sh\nkubectl -n prod top pod checkout-7d9f --containers\nkubectl -n prod set resources/,
  );
  assert.match(md, /^### Coverage$/m);
  assert.equal(md.includes('\u001b'), false, 'no terminal escapes in markdown');
  assert.match(md, /^- 🟡 disk: failed to load — kernel lacks the block_rq_issue tracepoint$/m);
});

test('a partial window is stated', () => {
  const md = renderMarkdown(fixtureReport({ partial: true, durationNs: 5e9 }));
  assert.match(md, /^> 🟡 \*\*PARTIAL WINDOW:\*\* The window was ended early after 5s/m);
});

test('table cells escape pipes and newlines; fences outgrow backticks inside commands', () => {
  const f = fixtureFindings()[0]!;
  const tricky = {
    ...f,
    title: 'a | b\nc',
    fix: ["printf '```\\n' | wc -l"],
  };
  const md = renderMarkdown(fixtureReport({ findings: [tricky] }));
  const row = md.split('\n').find((l) => l.startsWith('| 1 |'))!;
  assert.ok(row.includes('a \\| b c'), row);
  assert.equal(row.split(/(?<!\\)\|/).length, 8, 'six cells, no extra column');
  assert.match(md, /````sh\nprintf '```\\n' \| wc -l\n````/);
});

test('markdown report with onsets has a causal timeline section (golden)', () => {
  const md = renderMarkdown(timelineReport());
  assertGolden('report-timeline.md', md);
  assert.match(
    md,
    /^> 10:00:04 Disk I\/O Bottleneck Detected on vda · 52ms → 10:00:06 I\/O Pressure Stall · 31% → 10:00:09 High fsync\(\) Syscall Latency · 180ms$/m,
  );
});

test('--only-critical keeps the critical findings on the timeline and drops links to hidden ones', () => {
  const md = renderMarkdown(timelineReport(), { onlyCritical: true });
  const section = md.split('### Causal timeline')[1]!.split('####')[0]!;
  assert.ok(section.includes('Disk I/O Bottleneck'));
  assert.ok(!section.includes('I/O Pressure Stall'));
  assert.ok(!section.includes('↳'));
});
