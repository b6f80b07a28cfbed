// Ordering of ASCII-ish identifiers (cgroup paths, names) without ICU: String.prototype.localeCompare
// builds an ICU collator on first use and faults ~2.6 MB of the node binary's ICU data into a daemon's RSS
// (bench/daemon-footprint). Sorting here is only for a stable, deterministic tie-break.

/** Code-unit order: -1, 0 or 1. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
