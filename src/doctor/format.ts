// Human formatting shared by rule evidence and renderers, so a number reads the same in a finding's
// evidence line and in the value bar beside it. Pure; no locale or colour decisions beyond en-US digits.
// Durations and sizes come from src/util, the formatters every layer shares; rules keep importing them here.
import { formatBytes } from '../util/bytes.js';
import { formatDuration } from '../util/duration.js';
import type { MetricUnit } from './types.js';

export { formatBytes };

/** Three significant digits without trailing zeros: 12.3, 5, 0.0512, 1230. */
function sig3(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** Integer nanoseconds → "850ns", "12.3µs", "5ms", "1.23s", "1m30s"; "n/a" where evidence has no value. */
export function formatNs(ns: number): string {
  return Number.isFinite(ns) ? formatDuration(ns, { significant: 3 }) : 'n/a';
}

/** Time until an outcome → "~45s", "~12m", "~3h" (reference §4.1), "<1s" below a second. */
export function formatEta(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return 'n/a';
  const s = ns / 1e9;
  if (s < 0.5) return '<1s';
  if (Math.round(s) < 60) return `~${Math.round(s)}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `~${m}m`;
  return `~${Math.round(s / 3600)}h`;
}

/** Percent value (already ×100) → "2.5%", "97%", "0.0512%". */
export function formatPct(pct: number): string {
  if (!Number.isFinite(pct)) return 'n/a';
  return `${sig3(pct)}%`;
}

/** Events per second → "12.3/s". */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return 'n/a';
  return `${sig3(perSec)}/s`;
}

/** Bytes per second → "1.2 MiB/s". */
export function formatByteRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/**
 * Counts with thousands separators → "12,345". Not toLocaleString: that loads ICU's number formatting and
 * faults ~7 MB of the node binary's ICU data into the daemon on its first diagnosis window.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const r = Math.round(n);
  const digits = String(Math.abs(r));
  // Past 1e21 String() switches to exponent notation; leave those as they are.
  const grouped = /e/.test(digits) ? digits : digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return r < 0 ? `-${grouped}` : grouped;
}

/** A finding's value in the unit its rule stated; a report without one (an older producer) shows a number. */
export function formatValue(unit: MetricUnit | undefined, value: number): string {
  switch (unit) {
    case 'ns':
      return formatNs(value);
    case 'percent':
      return formatPct(value);
    case 'per_sec':
      return formatRate(value);
    case 'bytes':
      return formatBytes(value);
    case 'bytes_per_sec':
      return formatByteRate(value);
    case 'count':
    case 'bitmask':
    case undefined:
      return Number.isInteger(value) ? formatCount(value) : String(Number(value.toPrecision(3)));
  }
}
