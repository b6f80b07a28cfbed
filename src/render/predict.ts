// `kerno predict` output: the JSON document (docs/predict-schema.md) and the plain-text view model (banner,
// table rows, footnotes) that the command lays out with the listing-table helper.
import { formatBytes, formatCount, formatEta, formatNs, formatPct } from '../doctor/format.js';
import type { Judged, Prediction, PredictKind, PredictUnit, Urgency } from '../doctor/predict.js';
import { formatDuration } from '../util/duration.js';
import type { Tone } from './tone.js';

export interface PredictRun {
  version: string;
  /** First and last snapshot's window end, epoch ms. */
  startedAtMs: number;
  endedAtMs: number;
  snapshots: number;
  intervalNs: number;
  /** True when Ctrl+C cut the run short. */
  partial: boolean;
  minPoints: number;
  minConfidence: number;
  predictions: Prediction[];
  judged: Judged[];
  /** Collectors that did not run fully (state not ok), from the last snapshot. */
  coverage: { name: string; state: string; hint?: string }[];
}

export const PREDICT_SCHEMA_VERSION = 1;

const TITLES: Record<PredictKind, string> = {
  fd: 'File descriptor exhaustion',
  cgroup_memory: 'Cgroup memory limit',
  disk_latency: 'Disk sync latency',
  runq_delay: 'CPU run-queue delay',
  tcp_retransmit: 'TCP retransmit rate',
};

const FIXES: Record<PredictKind, string> = {
  fd: 'find the leak (ls -l /proc/PID/fd); raise LimitNOFILE only as a stopgap',
  cgroup_memory: 'find what grows (memory.stat); raise the limit or fix the leak before the OOM killer does',
  disk_latency: 'find the writer (kerno trace disk --op s); batch fsyncs or move to faster storage',
  runq_delay: 'find the CPU hogs (kerno doctor); add CPUs or lower the load',
  tcp_retransmit: 'check the path for loss (kerno watch tcp --retransmits)',
};

export function renderPredictJson(run: PredictRun): string {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return (
    JSON.stringify(
      {
        schemaVersion: PREDICT_SCHEMA_VERSION,
        version: run.version,
        windowStart: iso(run.startedAtMs),
        windowEnd: iso(run.endedAtMs),
        snapshots: run.snapshots,
        intervalNs: run.intervalNs,
        partial: run.partial,
        minPoints: run.minPoints,
        minConfidence: run.minConfidence,
        predictions: run.predictions.map((p) => ({
          ...p,
          title: TITLES[p.kind],
          exhaustedAt: iso(run.endedAtMs + p.etaNs / 1e6),
          fix: FIXES[p.kind],
        })),
        judged: run.judged,
        coverage: run.coverage,
      },
      null,
      2,
    ) + '\n'
  );
}

export function formatPredictValue(unit: PredictUnit, v: number): string {
  switch (unit) {
    case 'fds':
      return formatCount(v);
    case 'bytes':
      return formatBytes(v);
    case 'ns':
      return formatNs(v);
    case 'percent':
      return formatPct(v);
  }
}

function formatTrend(unit: PredictUnit, perSec: number): string {
  // Slow trends read better per minute ("+1.2 MiB/m" rather than "+20.5 KiB/s").
  const perMin = Math.abs(perSec) < 1 && unit === 'fds';
  return `+${formatPredictValue(unit, perMin ? perSec * 60 : perSec)}/${perMin ? 'min' : 's'}`;
}

export const URGENCY_TAG: Record<Urgency, string> = {
  imminent: '[IMMINENT]',
  soon: '[SOON]',
  watch: '[WATCH]',
};
export const URGENCY_TONE: Record<Urgency, Tone> = { imminent: 'critical', soon: 'warning', watch: 'info' };

export interface PredictPlainView {
  banner: string[];
  head: string[];
  rows: { urgency: Urgency; cells: string[] }[];
  notes: string[];
}

export function predictPlainView(run: PredictRun): PredictPlainView {
  const window = formatDuration((run.endedAtMs - run.startedAtMs) * 1e6, { significant: 3 });
  const banner = [
    'KERNO PREDICT',
    `${run.snapshots} snapshots ${formatDuration(run.intervalNs)} apart, fitted over ${window}` +
      (run.partial ? ' (interrupted: partial run)' : ''),
  ];
  const rows = run.predictions.map((p) => ({
    urgency: p.urgency,
    cells: [
      URGENCY_TAG[p.urgency],
      TITLES[p.kind],
      p.label,
      formatEta(p.etaNs),
      `${Math.round(p.confidence * 100)}%`,
      formatPredictValue(p.unit, p.current),
      formatTrend(p.unit, p.trendPerSec),
      formatPredictValue(p.unit, p.limit),
      p.limitSource,
    ],
  }));
  const notes: string[] = [];
  if (rows.length === 0) {
    notes.push(
      `No resource is trending toward its limit (${run.judged.length} series looked at). ` +
        'For a longer view: kerno predict --samples 10 --interval 15s',
    );
  } else {
    notes.push(
      'Confidence is the fit\'s R²; a limit from a "doctor threshold" is where the doctor turns critical, not a hard limit.',
    );
    for (const kind of new Set(run.predictions.map((p) => p.kind)))
      notes.push(`${TITLES[kind]}: ${FIXES[kind]}`);
  }
  for (const c of run.coverage) notes.push(`collector ${c.name}: ${c.state}${c.hint ? ` — ${c.hint}` : ''}`);
  return {
    banner,
    head: ['URGENCY', 'SIGNAL', 'SUBJECT', 'ETA', 'CONF', 'CURRENT', 'TREND', 'LIMIT', 'LIMIT IS'],
    rows,
    notes,
  };
}
