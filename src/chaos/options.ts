// Option parsing and the small formatting helpers the plans and logs share.
import { formatDuration } from '../util/duration.js';
import { INDUCERS, type ChaosOptions, type Inducer, type Intensity } from './types.js';

const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** The shortest and longest incident accepted: long enough to set up, short enough to stay "bounded". */
export const MIN_DURATION_NS = 100 * NS_PER_MS;
export const MAX_DURATION_NS = 3600 * NS_PER_S;
export const DEFAULT_DURATION_NS = 30 * NS_PER_S;
export const DEFAULT_INTENSITY: Intensity = 'medium';

const INTENSITY_ALIASES: Record<string, Intensity> = {
  low: 'low',
  l: 'low',
  medium: 'medium',
  med: 'medium',
  m: 'medium',
  high: 'high',
  h: 'high',
};

/**
 * Accepts low|medium|high and their first letters. Unlike the original (which silently used medium for
 * anything it did not recognise) a typo is an error: `--intensity hgih` must not run a different incident.
 */
export function parseIntensity(value: string): Intensity {
  const v = INTENSITY_ALIASES[value.trim().toLowerCase()];
  if (!v) throw new Error(`invalid --intensity "${value}": expected low, medium or high`);
  return v;
}

/** kerno-worker (also: kerno, worker) or stress-ng; a typo is an error, as for --intensity. */
export function parseInducer(value: string): Inducer {
  const v = value.trim().toLowerCase();
  if (v === 'kerno' || v === 'worker') return 'kerno-worker';
  if ((INDUCERS as readonly string[]).includes(v)) return v as Inducer;
  throw new Error(`invalid --inducer "${value}": expected ${INDUCERS.join(' or ')}`);
}

export function validateOptions(opts: ChaosOptions): ChaosOptions {
  const { durationNs, intensity } = opts;
  const inducer = opts.inducer ?? 'kerno-worker';
  if (!Number.isFinite(durationNs) || durationNs < MIN_DURATION_NS || durationNs > MAX_DURATION_NS) {
    throw new Error(
      `invalid chaos duration ${Number.isFinite(durationNs) ? formatDuration(durationNs) : String(durationNs)}: must be between ${formatDuration(MIN_DURATION_NS)} ` +
        `and ${formatDuration(MAX_DURATION_NS)}`,
    );
  }
  if (intensity !== 'low' && intensity !== 'medium' && intensity !== 'high') {
    throw new Error(`invalid chaos intensity "${String(intensity)}": expected low, medium or high`);
  }
  if (!INDUCERS.includes(inducer)) {
    throw new Error(`invalid chaos inducer "${String(inducer)}": expected ${INDUCERS.join(' or ')}`);
  }
  return { durationNs: Math.round(durationNs), intensity, inducer };
}

/** Picks the value for an intensity from a low/medium/high table. */
export function byIntensity<T>(intensity: Intensity, table: Record<Intensity, T>): T {
  return table[intensity];
}

export const MiB = 1024 * 1024;
