// `kerno trace` output: one fixed-width line per event for people, one JSON object per line for programs,
// and the --top window as rows both the Ink table and the plain table draw. Never collects.
import type { DiskEvent, SchedEvent, SyscallEvent, TopWindow, TraceStats } from '../../trace/index.js';
import { ERRNO_NAMES } from '../../collectors/syscall/tables.js';
import { formatDuration } from '../../util/duration.js';
import { makePalette, type Palette } from '../plain/palette.js';
import type { Tone } from '../tone.js';

/** Latency colour, as the reference's --top p99: warning from 10 ms, critical from 100 ms. */
export const LATENCY_WARN_NS = 10e6;
export const LATENCY_CRIT_NS = 100e6;

export function latencyTone(ns: number): Tone {
  if (ns >= LATENCY_CRIT_NS) return 'critical';
  if (ns >= LATENCY_WARN_NS) return 'warning';
  return 'plain';
}

export function formatLatency(ns: number): string {
  return formatDuration(ns, { significant: 3 });
}

/** Local wall time with milliseconds: what a person correlates with other logs on this host. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A return value as the caller sees it: "-2 ENOENT" for an errno, the number otherwise. */
export function formatRet(ret: number): string {
  if (ret < 0 && ret >= -4095) {
    const name = ERRNO_NAMES.get(-ret);
    return name ? `${ret} ${name}` : String(ret);
  }
  return String(ret);
}

interface Column<T> {
  head: string;
  width: number;
  right?: boolean;
  cell(e: T): string;
  tone?(e: T): Tone;
}

function line<T>(cols: readonly Column<T>[], e: T, p: Palette): string {
  return cols
    .map((c, i) => {
      const text = c.cell(e);
      const last = i === cols.length - 1;
      const padded = c.right ? text.padStart(c.width) : last ? text : text.padEnd(c.width);
      return c.tone ? p.tone(c.tone(e), padded) : padded;
    })
    .join('  ');
}

function header<T>(cols: readonly Column<T>[], p: Palette): string {
  return p.bold(
    cols
      .map((c, i) =>
        c.right ? c.head.padStart(c.width) : i === cols.length - 1 ? c.head : c.head.padEnd(c.width),
      )
      .join('  '),
  );
}

const TIME: Column<{ timestamp: string }> = { head: 'TIME', width: 12, cell: (e) => clockTime(e.timestamp) };
const PID: Column<{ pid: number }> = { head: 'PID', width: 7, right: true, cell: (e) => String(e.pid) };
const COMM: Column<{ comm: string }> = { head: 'COMM', width: 15, cell: (e) => e.comm };

const SYSCALL_COLS: readonly Column<SyscallEvent>[] = [
  TIME,
  PID,
  { head: 'TID', width: 7, right: true, cell: (e) => String(e.tid) },
  COMM,
  { head: 'SYSCALL', width: 16, cell: (e) => e.syscall },
  {
    head: 'LATENCY',
    width: 9,
    right: true,
    cell: (e) => formatLatency(e.latencyNs),
    tone: (e) => latencyTone(e.latencyNs),
  },
  {
    head: 'RET',
    width: 0,
    cell: (e) => formatRet(e.ret),
    tone: (e) => (e.ret < 0 && e.ret >= -4095 ? 'warning' : 'plain'),
  },
];

const DISK_COLS: readonly Column<DiskEvent>[] = [
  TIME,
  PID,
  COMM,
  { head: 'OP', width: 5, cell: (e) => e.op },
  {
    head: 'LATENCY',
    width: 9,
    right: true,
    cell: (e) => formatLatency(e.latencyNs),
    tone: (e) => latencyTone(e.latencyNs),
  },
  { head: 'DEV', width: 7, cell: (e) => e.dev },
  { head: 'BYTES', width: 8, right: true, cell: (e) => String(e.bytes) },
  { head: 'SECTOR', width: 0, cell: (e) => (e.sector === null ? '-' : String(e.sector)) },
];

const SCHED_COLS: readonly Column<SchedEvent>[] = [
  TIME,
  PID,
  { head: 'TID', width: 7, right: true, cell: (e) => String(e.tid) },
  COMM,
  { head: 'CPU', width: 3, right: true, cell: (e) => String(e.cpu) },
  {
    head: 'RUNQ_DELAY',
    width: 10,
    right: true,
    cell: (e) => formatLatency(e.runqDelayNs),
    tone: (e) => latencyTone(e.runqDelayNs),
  },
  { head: 'PREV_PID', width: 0, cell: (e) => String(e.prevPid) },
];

export type TraceKind = 'syscall' | 'disk' | 'sched';
type EventOf<K extends TraceKind> = K extends 'syscall'
  ? SyscallEvent
  : K extends 'disk'
    ? DiskEvent
    : SchedEvent;

const COLUMNS: { [K in TraceKind]: readonly Column<EventOf<K>>[] } = {
  syscall: SYSCALL_COLS,
  disk: DISK_COLS,
  sched: SCHED_COLS,
};

export interface LineRenderer<T> {
  header(): string;
  /** The lines of a batch, each ending in a newline, in one string (one write per batch). */
  lines(events: readonly T[]): string;
}

export function prettyRenderer<K extends TraceKind>(kind: K, color: boolean): LineRenderer<EventOf<K>> {
  const p = makePalette(color);
  const cols = COLUMNS[kind] as readonly Column<EventOf<K>>[];
  return {
    header: () => header(cols, p) + '\n',
    lines: (events) => events.map((e) => line(cols, e, p) + '\n').join(''),
  };
}

export function jsonRenderer<T>(): LineRenderer<T> {
  return { header: () => '', lines: (events) => events.map((e) => JSON.stringify(e) + '\n').join('') };
}

/** The end-of-trace summary for people (stderr): what was seen and, when anything was lost, how much. */
export function summaryLine(stats: TraceStats, elapsedNs: number): string {
  const d = stats.drops;
  const lost = d.ringbufFull + d.mapFull + d.userDropped;
  const base = `kerno: ${stats.events} event${stats.events === 1 ? '' : 's'} in ${formatDuration(elapsedNs, { significant: 2 })}`;
  if (lost === 0) return `${base}, none dropped\n`;
  const parts = [
    d.ringbufFull ? `${d.ringbufFull} ring buffer full` : '',
    d.mapFull ? `${d.mapFull} state map full` : '',
    d.userDropped ? `${d.userDropped} reader behind` : '',
  ].filter(Boolean);
  return `${base}, ${lost} DROPPED (${parts.join(', ')})\n`;
}

/** A periodic warning while drops keep happening (stderr), only when the count grew. */
export function dropsWarning(prevLost: number, stats: TraceStats): string | undefined {
  const d = stats.drops;
  const lost = d.ringbufFull + d.mapFull + d.userDropped;
  if (lost <= prevLost) return undefined;
  return `kerno: warning: ${lost - prevLost} events dropped since the last report (${lost} in total); narrow the filters\n`;
}

/** The end-of-trace summary for programs: the last line of the JSON stream. */
export function summaryObject(stats: TraceStats, elapsedNs: number): Record<string, unknown> {
  return {
    summary: true,
    events: stats.events,
    records: stats.records,
    durationNs: elapsedNs,
    dropped: stats.drops,
  };
}

export interface TopTableRow {
  syscall: string;
  process: string;
  count: string;
  p50: string;
  p95: string;
  p99: string;
  p99Tone: Tone;
}

/** The N slowest (syscall, process) rows of a window, formatted. */
export function topTableRows(w: TopWindow, n: number): TopTableRow[] {
  return w.rows.slice(0, n).map((r) => ({
    syscall: r.syscall,
    process: `${r.comm || '?'} (${r.pid})`,
    count: String(r.count),
    p50: formatLatency(r.p50Ns),
    p95: formatLatency(r.p95Ns),
    p99: formatLatency(r.p99Ns),
    p99Tone: latencyTone(r.p99Ns),
  }));
}

export const TOP_HEAD = ['SYSCALL', 'PROCESS', 'COUNT', 'P50', 'P95', 'P99'] as const;

/** The --top table as plain text (pretty output without a terminal: one table per window). */
export function renderTopPlain(w: TopWindow, n: number, color: boolean): string {
  const p = makePalette(color);
  const rows = topTableRows(w, n);
  const widths = [16, 28, 8, 9, 9, 9];
  const cells = (c: readonly string[]) =>
    c.map((s, i) => (i >= 2 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ');
  const out = [
    `${clockTime(w.timestamp)}  top ${n} syscalls by p99 over the last ${formatLatency(w.windowNs)}`,
  ];
  out.push(p.bold(cells(TOP_HEAD)));
  for (const r of rows) {
    const text = cells([r.syscall, r.process, r.count, r.p50, r.p95, r.p99]);
    const split = text.length - widths[5]!;
    out.push(text.slice(0, split) + p.tone(r.p99Tone, text.slice(split)));
  }
  if (rows.length === 0) out.push(p.dim('(no syscalls matched in this window)'));
  return out.join('\n') + '\n\n';
}

/** One --top window for programs: the rows shown, with raw nanoseconds, and the samples dropped so far. */
export function topJson(w: TopWindow, n: number, dropped = 0): Record<string, unknown> {
  return { timestamp: w.timestamp, windowNs: w.windowNs, top: w.rows.slice(0, n), dropped };
}
