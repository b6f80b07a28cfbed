import type { PsiWindow } from '../../signals/types.js';
import { readTextIfPresent } from './read-text.js';

export const PSI_DIR = '/proc/pressure';
export type PsiResource = 'cpu' | 'memory' | 'io';

/** One line of a pressure file. avg* are percentages; total is cumulative stall time in microseconds. */
export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  totalUs: number;
}

/**
 * A parsed pressure file. `full` is absent on kernels before 5.13 for cpu; when present for host-wide cpu it
 * is all zero by definition (a whole-system CPU stall with nothing running cannot happen), so treat it as
 * "no full pressure" rather than as a missing signal.
 */
export interface PsiStats {
  some: PsiLine;
  full?: PsiLine;
}

/**
 * Parses /proc/pressure/{cpu,memory,io} and cgroup v2 `*.pressure` files:
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 */
export function parsePsi(text: string): PsiStats {
  let some: PsiLine | undefined;
  let full: PsiLine | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [kind, ...pairs] = line.split(/\s+/);
    const values: Record<string, number> = {};
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq > 0) values[pair.slice(0, eq)] = Number(pair.slice(eq + 1));
    }
    const parsed: PsiLine = {
      avg10: finite(values.avg10),
      avg60: finite(values.avg60),
      avg300: finite(values.avg300),
      totalUs: finite(values.total),
    };
    if (kind === 'some') some = parsed;
    else if (kind === 'full') full = parsed;
  }
  if (!some) throw new Error('parse pressure: no "some" line');
  return full ? { some, full } : { some };
}

function finite(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) ? v : 0;
}

/** The parsed file, or undefined when it does not exist or PSI is disabled (psi=0 gives EOPNOTSUPP). */
export async function readPsi(path: string): Promise<PsiStats | undefined> {
  const text = await readTextIfPresent(path);
  if (text === undefined) return undefined;
  try {
    return parsePsi(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

export function psiPath(resource: PsiResource, dir = PSI_DIR): string {
  return `${dir}/${resource}`;
}

/**
 * Pressure over a window from two reads of the same file. The kernel's averages only refresh every 2 s and
 * are exponentially smoothed, so the window figure comes from the `total` counter delta (µs → ns) divided by
 * the window; the 10 s averages are carried from the later read for context. A counter that went backwards
 * (the cgroup was recreated under the same path) yields 0, not a negative stall.
 */
export function psiWindow(before: PsiStats, after: PsiStats, windowNs: number): PsiWindow {
  const someStallNs = stallNs(before.some, after.some);
  const fullStallNs = before.full && after.full ? stallNs(before.full, after.full) : 0;
  return {
    someStallNs,
    somePct: pct(someStallNs, windowNs),
    fullStallNs,
    fullPct: pct(fullStallNs, windowNs),
    someAvg10: after.some.avg10,
    fullAvg10: after.full?.avg10 ?? 0,
  };
}

function stallNs(before: PsiLine, after: PsiLine): number {
  const delta = after.totalUs - before.totalUs;
  return delta > 0 ? delta * 1000 : 0;
}

function pct(stall: number, windowNs: number): number {
  if (!(windowNs > 0)) return 0;
  // Stall can exceed the window by a rounding hair (the counter is sampled, not the window edge).
  return Math.min(100, (stall / windowNs) * 100);
}
