// `kerno preflight` output: the verdict over all checks, the pretty lines (one per check, then the result
// line, as the original printed them) and the JSON document (docs/preflight.schema.json).
import { padEnd } from '../render/plain/layout.js';
import { makePalette } from '../render/plain/palette.js';
import type { Tone } from '../render/tone.js';
import type { CheckResult, CheckStatus } from './preflight-checks.js';
import { EXIT } from './io.js';

export interface PreflightSummary {
  pass: number;
  warn: number;
  fail: number;
}

/** The JSON document: `schema` is bumped only when a field changes meaning or disappears. */
export interface PreflightReport {
  schema: 1;
  checks: CheckResult[];
  summary: PreflightSummary;
  /** No check failed (warnings allowed): `kerno start` can run. */
  ready: boolean;
}

export function preflightReport(checks: CheckResult[]): PreflightReport {
  const summary: PreflightSummary = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) summary[c.status]++;
  return { schema: 1, checks, summary, ready: summary.fail === 0 };
}

/** 0 when ready (warnings allowed), 1 when any check failed. */
export function preflightExitCode(r: PreflightReport): number {
  return r.ready ? EXIT.OK : EXIT.FAILURE;
}

const TONE: Record<CheckStatus, Tone> = { pass: 'ok', warn: 'warning', fail: 'critical' };

/** stdout: one `[PASS] title  detail` line per check and the result line. */
export function renderPretty(r: PreflightReport, color: boolean): string {
  const p = makePalette(color);
  const width = Math.max(...r.checks.map((c) => c.title.length));
  const lines = r.checks.map(
    (c) => `${p.tone(TONE[c.status], `[${c.status.toUpperCase()}]`)} ${padEnd(c.title, width)}  ${c.detail}`,
  );
  const { pass, warn, fail } = r.summary;
  const verdict = r.ready ? p.tone('ok', 'ready to start') : p.tone('critical', 'not ready');
  lines.push('', `Result: ${pass} PASS, ${warn} WARN, ${fail} FAIL → ${verdict}`);
  return lines.join('\n') + '\n';
}

/** stderr: one line of remediation per check that did not pass (fails first). */
export function renderRemediation(r: PreflightReport): string {
  const order: CheckStatus[] = ['fail', 'warn'];
  return order
    .flatMap((s) => r.checks.filter((c) => c.status === s))
    .map((c) => `kerno: preflight: ${c.status} ${c.name}: ${c.remediation ?? ''}\n`)
    .join('');
}

export function renderJson(r: PreflightReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
