// `--output json`: the Report object as is (camelCase keys, integer ns), 2-space indent, and a key order
// that does not depend on how the object was built. Documented in docs/report-schema.md and
// docs/report.schema.json.
//
// Order: the keys of the report's own objects (report, tool, host, findings, summary, coverage, the top of
// signals) follow the documented order below; any other object — the per-collector sections inside
// `signals`, or a key a newer producer added — has its keys sorted alphabetically after the known ones.
import type { Report } from '../doctor/types.js';
import { COLLECTOR_SIGNALS } from '../signals/types.js';

interface KeyOrder {
  keys: readonly string[];
  /** Order for the object (or each element of the array) under a key. */
  children?: Readonly<Record<string, KeyOrder>>;
}

const HOST: KeyOrder = { keys: ['hostname', 'kernelRelease', 'arch', 'bootId'] };
const COVERAGE: KeyOrder = {
  keys: [
    'name',
    'state',
    'hint',
    'error',
    'programsLoaded',
    'programsTotal',
    'events',
    'eventsDropped',
    'restarts',
    'faults',
  ],
};
const FINDING: KeyOrder = {
  keys: [
    'rule',
    'severity',
    'title',
    'signal',
    'subject',
    'cause',
    'impact',
    'evidence',
    'fix',
    'etaNs',
    'metric',
    'unit',
    'value',
    'threshold',
    'process',
    'pid',
    'onset',
  ],
};
const TIMELINE: KeyOrder = {
  keys: ['events', 'links'],
  children: {
    events: {
      keys: [
        'rule',
        'subject',
        'signal',
        'severity',
        'title',
        'onset',
        'offsetMs',
        'metric',
        'unit',
        'value',
      ],
    },
    links: { keys: ['cause', 'effect', 'gapMs', 'confidence', 'why'] },
  },
};
const AI: KeyOrder = {
  keys: ['provider', 'model', 'privacy', 'cached', 'answer', 'error'],
  children: {
    answer: {
      keys: ['summary', 'why', 'impact', 'fix', 'causes'],
      children: { causes: { keys: ['description', 'confidence', 'fix'] } },
    },
  },
};
const SIGNALS: KeyOrder = {
  keys: [
    'schemaVersion',
    'windowStart',
    'windowEnd',
    'durationNs',
    'host',
    'coverage',
    ...Object.values(COLLECTOR_SIGNALS),
  ],
  children: { host: HOST, coverage: COVERAGE },
};
export const REPORT_KEY_ORDER: KeyOrder = {
  keys: [
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
    'ruleErrors',
    'timeline',
    'selfCost',
    'ai',
    'signals',
  ],
  children: {
    tool: { keys: ['name', 'version'] },
    host: HOST,
    summary: { keys: ['critical', 'warning', 'info', 'eventsCollected'] },
    findings: FINDING,
    coverage: COVERAGE,
    ruleErrors: { keys: ['rule', 'error'] },
    timeline: TIMELINE,
    selfCost: {
      keys: [
        'counted',
        'reason',
        'windowNs',
        'totalRuns',
        'totalRunTimeNs',
        'cpuPctOfOneCore',
        'totalRecursionMisses',
        'programs',
      ],
      children: {
        programs: { keys: ['object', 'program', 'runs', 'runTimeNs', 'avgNs', 'recursionMisses'] },
      },
    },
    ai: AI,
    signals: SIGNALS,
  },
};

export function renderJson(report: Report): string {
  return JSON.stringify(ordered(report, REPORT_KEY_ORDER), null, 2) + '\n';
}

function ordered(value: unknown, order: KeyOrder | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, order));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const known = order ? order.keys.filter((k) => k in obj) : [];
  const rest = Object.keys(obj)
    .filter((k) => !known.includes(k))
    .sort();
  const out: Record<string, unknown> = {};
  for (const k of [...known, ...rest]) {
    if (obj[k] === undefined) continue; // as JSON.stringify would drop it; keeps "absent" and "undefined" equal
    out[k] = ordered(obj[k], order?.children?.[k]);
  }
  return out;
}
