// Live window state → LiveViewModel: what the Ink live view shows while collectors run. Pure: the clock is
// an input (`now`), so a frame is a function of its props and tests need no timers.
import { formatBytes, formatCount, formatNs, formatPct, formatRate } from '../doctor/format.js';
import { OFF_ICON, OK_ICON, SEVERITY_STYLE, type Tone } from './tone.js';

export type LiveCollectorState =
  'loading' | 'attached' | 'failed' | 'restarting' | 'disabled' | 'unsupported' | 'off';

/** One collector as the live view sees it: plain data, published by whoever supervises the collectors. */
export interface LiveCollector {
  name: string;
  state: LiveCollectorState;
  /** Plain-language reason and fix hint (failed, disabled, unsupported). */
  hint?: string;
  events: number;
  restarts: number;
  eventsDropped?: number;
  /** The worst thing seen so far (slowest syscall, longest run-queue wait …), from the collector's live(). */
  top?: LiveTop;
}

/** A collector's top offender as its live() reports it (src/collectors/types.ts LiveTop). */
export interface LiveTop {
  label: string;
  value: number;
  unit: string;
}

/** Per-frame readings by collector name: what the view reads four times a second. */
export type LiveCounters = ReadonlyMap<string, { events: number; top?: LiveTop }>;

/** The collectors with the frame's live readings folded in (a collector without one keeps its state's). */
export function withLiveCounters(
  collectors: readonly LiveCollector[],
  live: LiveCounters | undefined,
): readonly LiveCollector[] {
  if (!live || live.size === 0) return collectors;
  return collectors.map((c) => {
    const r = live.get(c.name);
    if (!r || c.state !== 'attached') return c;
    const out: LiveCollector = { ...c, events: r.events };
    if (r.top) out.top = r.top;
    else delete out.top;
    return out;
  });
}

/** "412ms", "1.5 GiB", "97%", "12.3/s", or a count with its noun: "1,204 segs". */
export function formatLiveValue(value: number, unit: string): string {
  switch (unit) {
    case 'ns':
      return formatNs(value);
    case 'bytes':
      return formatBytes(value);
    case '%':
      return formatPct(value);
    case '/s':
      return formatRate(value);
    default:
      return unit ? `${formatCount(value)} ${unit}` : formatCount(value);
  }
}

export interface LiveInput {
  durationNs: number;
  /** Window start and current time, epoch milliseconds. */
  startedAt: number;
  now: number;
  collectors: readonly LiveCollector[];
  /** Ctrl+C was pressed: the window is ending early. */
  interrupted?: boolean;
}

export interface LiveRowView {
  name: string;
  icon: string;
  tone: Tone;
  state: string;
  events: string;
  /** The top offender and its value ("slowest fsync · pg (42) 412ms"); "" when the collector has none. */
  top: string;
  /** Hint, restart count or drops; "" when there is nothing to add. */
  note: string;
}

export interface LiveViewModel {
  title: string;
  /** Window progress in [0, 1]. */
  progress: number;
  percent: string;
  elapsed: string;
  remaining: string;
  events: string;
  rows: LiveRowView[];
  footer: { tone: Tone; text: string };
}

const STATE_STYLE: Readonly<Record<LiveCollectorState, { icon: string; tone: Tone }>> = {
  loading: { icon: '◌', tone: 'muted' },
  attached: { icon: OK_ICON, tone: 'ok' },
  restarting: { icon: '↻', tone: 'warning' },
  failed: { icon: '✗', tone: 'critical' },
  disabled: { icon: SEVERITY_STYLE.warning.icon, tone: 'warning' },
  unsupported: { icon: OFF_ICON, tone: 'muted' },
  off: { icon: OFF_ICON, tone: 'muted' },
};

export function toLiveViewModel(input: LiveInput): LiveViewModel {
  const durationMs = input.durationNs / 1e6;
  const elapsedMs = Math.min(Math.max(0, input.now - input.startedAt), durationMs);
  const progress = durationMs > 0 ? elapsedMs / durationMs : 1;
  const remainingS = Math.ceil((durationMs - elapsedMs) / 1000);
  const total = input.collectors.reduce((n, c) => n + c.events, 0);
  return {
    title: 'KERNO DOCTOR · collecting kernel signals',
    progress,
    percent: `${Math.floor(progress * 100)}%`,
    elapsed: formatNs(Math.floor(elapsedMs / 1000) * 1e9),
    remaining: input.interrupted
      ? 'stopping'
      : remainingS > 0
        ? `${formatNs(remainingS * 1e9)} left`
        : 'analysing',
    events: `${formatCount(total)} event${total === 1 ? '' : 's'}`,
    rows: input.collectors.map(rowView),
    footer: input.interrupted
      ? { tone: 'warning', text: 'Interrupted: analysing the partial window…' }
      : { tone: 'muted', text: 'Ctrl+C ends the window early and analyses what was collected' },
  };
}

function rowView(c: LiveCollector): LiveRowView {
  const style = STATE_STYLE[c.state];
  const notes: string[] = [];
  if (c.hint && c.state !== 'attached' && c.state !== 'loading') notes.push(c.hint);
  if (c.restarts > 0) notes.push(`restarted ${c.restarts}×`);
  if (c.eventsDropped) notes.push(`${formatCount(c.eventsDropped)} dropped`);
  return {
    name: c.name,
    icon: style.icon,
    tone: style.tone,
    state: c.state,
    events: formatCount(c.events),
    top: c.top ? `${c.top.label} ${formatLiveValue(c.top.value, c.top.unit)}` : '',
    note: notes.join(' · '),
  };
}
