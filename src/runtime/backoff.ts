// Restart delay after the n-th consecutive fault: exponential from 1 s, capped at 60 s, with jitter so
// collectors that fault together (one root cause) do not restart in lockstep.
//
// Jitter is subtractive: delay = nominal × (1 − jitter × r), r ∈ [0, 1). With the default jitter 0.2 a
// delay lies in (0.8 × nominal, nominal], so the cap is a true upper bound and the schedule never
// shrinks below 80 % of the nominal 1, 2, 4, 8, 16, 32, 60, 60 … s.

import type { Random } from './random.js';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of the nominal delay that may be shaved off at random, 0…1. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, jitter: 0.2 };

/** Nominal (jitter-free) delay before restart number `attempt` (1-based). */
export function nominalBackoffMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`backoff attempt must be an integer >= 1, got ${attempt}`);
  // 2^(attempt-1) overflows to Infinity for huge attempts, which min() then caps: no special case needed.
  return Math.min(options.baseMs * 2 ** (attempt - 1), options.maxMs);
}

export function backoffDelayMs(
  attempt: number,
  random: Random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const nominal = nominalBackoffMs(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(nominal * (1 - options.jitter * r));
}
