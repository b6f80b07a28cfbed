// The `kerno predict` trend engine (reference §4.6, redone): per subject, a series of (t, value) samples
// → an ordinary least-squares line → when that line reaches the subject's limit. Pure: no clock, no I/O.
//
// Departures from the original, each for a measured reason:
// - One method for every signal. The original averaged the positive fd growth rates (dropping the negative
//   ones biases any noisy series upwards) and divided a per-sample slope by a window; here the slope is
//   fitted against real sample times in seconds, so uneven intervals cost nothing.
// - Confidence is the fit's R² (the share of the variance the line explains), not a per-signal constant
//   times a coefficient of variation: a perfectly steady leak gets 1.0 whatever its signal, noise gets ~0.
// - A prediction needs MIN_POINTS samples and R² ≥ MIN_R2. Under pure noise (no trend, independent
//   errors, evenly spaced samples) R² follows Beta(1/2, (n−2)/2) and a positive slope is half of the cases,
//   so the chance that noise alone predicts is ½·P(R² ≥ 0.8): 15 % with 3 points, 5.3 % with 4, 2.0 % with
//   5, 0.8 % with 6. Five points at R² ≥ 0.8 keep a flat but jittery series quiet 98 % of the time.
// - Only growth toward a limit predicts: a flat or falling series, or one already at its limit (the doctor
//   reports that as a finding now), gives nothing.
import { MAX_ETA_NS } from './eta.js';

export const MIN_POINTS = 5;
export const MIN_R2 = 0.8;
/** Urgency bounds (reference §1.9): under 5 minutes IMMINENT, under 30 minutes SOON, otherwise WATCH. */
export const IMMINENT_NS = 5 * 60e9;
export const SOON_NS = 30 * 60e9;

export type PredictKind = 'fd' | 'cgroup_memory' | 'disk_latency' | 'runq_delay' | 'tcp_retransmit';
export type Urgency = 'imminent' | 'soon' | 'watch';
/** fds: descriptors; bytes; ns: a latency; percent: a rate already ×100. */
export type PredictUnit = 'fds' | 'bytes' | 'ns' | 'percent';

export interface Sample {
  /** Seconds (any origin; only differences matter). */
  t: number;
  value: number;
}

export interface Series {
  kind: PredictKind;
  /** Stable identity across samples: `pid 1234`, a cgroup path, a device name, `host`. */
  subject: string;
  /** Human label: `leaker (1234)`, `/kubepods/…`, `sda`. */
  label: string;
  unit: PredictUnit;
  /** The value at which the resource is exhausted (latest known). */
  limit: number;
  /** What the limit is: `RLIMIT_NOFILE (soft)`, `memory.limit_in_bytes`, `critical threshold disk_p99_critical_ns`. */
  limitSource: string;
  samples: Sample[];
}

export interface Fit {
  /** Units per second. */
  slope: number;
  intercept: number;
  /** Coefficient of determination, 0…1 (1 when every point is on the line). */
  r2: number;
}

export interface Prediction {
  kind: PredictKind;
  subject: string;
  label: string;
  unit: PredictUnit;
  /** Last observed value. */
  current: number;
  limit: number;
  limitSource: string;
  /** Fitted growth, units per second. */
  trendPerSec: number;
  /** From the last sample to where the fitted line meets the limit. */
  etaNs: number;
  /** R² of the fit. */
  confidence: number;
  urgency: Urgency;
  points: number;
}

/** Why a series predicted nothing (the JSON output lists them, so "no prediction" is never "not looked at"). */
export type NoPredictionReason =
  'too_few_points' | 'not_growing' | 'poor_fit' | 'at_limit' | 'beyond_horizon' | 'no_limit';

export interface Judged {
  kind: PredictKind;
  subject: string;
  label: string;
  points: number;
  reason: NoPredictionReason;
  /** Present once a line could be fitted. */
  trendPerSec?: number;
  confidence?: number;
}

/** Ordinary least squares of value on t; undefined for fewer than 2 distinct times. */
export function fitLine(samples: readonly Sample[]): Fit | undefined {
  const n = samples.length;
  if (n < 2) return undefined;
  let mt = 0;
  let mv = 0;
  for (const s of samples) {
    mt += s.t / n;
    mv += s.value / n;
  }
  let stt = 0;
  let stv = 0;
  let svv = 0;
  for (const s of samples) {
    const dt = s.t - mt;
    const dv = s.value - mv;
    stt += dt * dt;
    stv += dt * dv;
    svv += dv * dv;
  }
  if (!(stt > 0)) return undefined;
  const slope = stv / stt;
  // A constant series has no variance to explain: say so with 0 (it is never a trend), not NaN.
  const r2 = svv > 0 ? Math.min(1, (stv * stv) / (stt * svv)) : 0;
  return { slope, intercept: mv - slope * mt, r2 };
}

export function urgencyOf(etaNs: number): Urgency {
  if (etaNs < IMMINENT_NS) return 'imminent';
  if (etaNs < SOON_NS) return 'soon';
  return 'watch';
}

/** One series → a prediction, or the reason there is none. */
export function predictSeries(series: Series): Prediction | Judged {
  const { kind, subject, label } = series;
  const samples = [...series.samples].sort((a, b) => a.t - b.t);
  const points = samples.length;
  const judged = (reason: NoPredictionReason, fit?: Fit): Judged => ({
    kind,
    subject,
    label,
    points,
    reason,
    ...(fit ? { trendPerSec: fit.slope, confidence: fit.r2 } : {}),
  });
  if (!(series.limit > 0)) return judged('no_limit');
  if (points < MIN_POINTS) return judged('too_few_points');
  const fit = fitLine(samples);
  if (!fit) return judged('too_few_points');
  const last = samples[points - 1]!;
  if (last.value >= series.limit) return judged('at_limit', fit);
  if (!(fit.slope > 0)) return judged('not_growing', fit);
  if (fit.r2 < MIN_R2) return judged('poor_fit', fit);
  // Where the fitted line meets the limit: the fit's level at the last sample averages out that sample's
  // own noise, which the last raw value would carry into the ETA.
  const etaSec = (series.limit - fit.intercept) / fit.slope - last.t;
  const etaNs = Math.max(0, etaSec * 1e9);
  if (etaNs > MAX_ETA_NS) return judged('beyond_horizon', fit);
  return {
    kind,
    subject,
    label,
    unit: series.unit,
    current: last.value,
    limit: series.limit,
    limitSource: series.limitSource,
    trendPerSec: fit.slope,
    etaNs: Math.round(etaNs),
    confidence: fit.r2,
    urgency: urgencyOf(etaNs),
    points,
  };
}

export interface PredictResult {
  /** By ETA ascending, then kind and subject. */
  predictions: Prediction[];
  /** Every other series, by kind and subject. */
  judged: Judged[];
}

export function predict(series: readonly Series[]): PredictResult {
  const predictions: Prediction[] = [];
  const judged: Judged[] = [];
  for (const s of series) {
    const r = predictSeries(s);
    if ('etaNs' in r) predictions.push(r);
    else judged.push(r);
  }
  const byName = (a: { kind: string; subject: string }, b: { kind: string; subject: string }): number =>
    a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject);
  predictions.sort((a, b) => a.etaNs - b.etaNs || byName(a, b));
  judged.sort(byName);
  return { predictions, judged };
}
