// Time-to-exhaustion estimates. An ETA is a promise to the on-call engineer, so it is only given when it is
// meaningful: positive, finite, and within a week (beyond that a 30-second window says nothing useful).

export const MAX_ETA_NS = 7 * 24 * 3600 * 1e9;

/** A finding's etaNs if `ns` is a usable estimate, else undefined (reference §4.1 `etaDuration`). */
export function validEtaNs(ns: number | undefined): number | undefined {
  if (ns === undefined || !Number.isFinite(ns) || ns <= 0 || ns > MAX_ETA_NS) return undefined;
  return Math.round(ns);
}

/** ETA in ns for `remaining` units consumed at `ratePerSec` units/s; undefined when not reliable. */
export function etaFromRate(remaining: number, ratePerSec: number): number | undefined {
  if (!(remaining > 0) || !(ratePerSec > 0)) return undefined;
  return validEtaNs((remaining / ratePerSec) * 1e9);
}
