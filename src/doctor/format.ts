// Human formatting shared by rule evidence and renderers, so a number reads the same in a finding's
// evidence line and in the value bar beside it. Pure; no locale or colour decisions beyond en-US digits.
// Durations come from src/util/duration.ts, the formatter every layer shares; rules keep importing formatNs here.
import { formatDuration } from '../util/duration.js';

/** Three significant digits without trailing zeros: 12.3, 5, 0.0512, 1230. */
function sig3(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function scaled(value: number, units: readonly (readonly [number, string])[], sep: string): string {
  // Pick the unit after rounding, so 999 999 ns reads "1ms", not "1000µs".
  for (let i = units.length - 1; i >= 0; i--) {
    const [div, unit] = units[i]!;
    if (value >= div || i === 0) {
      const bigger = units[i + 1];
      if (bigger !== undefined && Number((value / bigger[0]).toPrecision(3)) >= 1) {
        return `${sig3(value / bigger[0])}${sep}${bigger[1]}`;
      }
      return `${sig3(value / div)}${sep}${unit}`;
    }
  }
  return String(value);
}

/** Integer nanoseconds → "850ns", "12.3µs", "5ms", "1.23s", "1m30s"; "n/a" where evidence has no value. */
export function formatNs(ns: number): string {
  return Number.isFinite(ns) ? formatDuration(ns, { significant: 3 }) : 'n/a';
}

const BYTE_UNITS = [
  [1, 'B'],
  [1024, 'KiB'],
  [1024 ** 2, 'MiB'],
  [1024 ** 3, 'GiB'],
  [1024 ** 4, 'TiB'],
  [1024 ** 5, 'PiB'],
] as const;

/** Bytes → "512 B", "1.5 KiB", "248 MiB" (binary units: what cgroup limits are written in). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  // Whole bytes below 1 KiB: "1020 B" (three significant digits) would misstate 1023 bytes.
  if (Math.round(bytes) < 1024) return `${Math.round(bytes)} B`;
  return scaled(bytes, BYTE_UNITS, ' ');
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

/** Counts with thousands separators → "12,345". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return Math.round(n).toLocaleString('en-US');
}
