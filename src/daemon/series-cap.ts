// Caps a metric family at a number of unique label sets. Series beyond the cap are folded into one
// overflow series whose label values are all "[overflow]", so the total stays right while Prometheus sees a
// bounded number of series (the original counted events instead of label sets and froze a whole family
// after 5000 events; reference §5.3).
//
// Admission is sticky: a label set kept at the previous scrape keeps its place while it is still reported,
// so an established series does not flip in and out of the overflow (which would look like counter resets);
// new label sets take the free places in the order the collector reports them. A label set that is no
// longer reported frees its place.

export const OVERFLOW_LABEL_VALUE = '[overflow]';
export const DEFAULT_MAX_SERIES_PER_FAMILY = 500;

export interface LabeledValue<T> {
  labels: Record<string, string>;
  value: T;
}

export interface CapResult<T> {
  kept: LabeledValue<T>[];
  /** Series folded into the overflow series this time (empty when under the cap). */
  folded: LabeledValue<T>[];
  /** Label sets folded now that were not folded at the previous apply (for the folded-series counter). */
  newlyFolded: number;
}

/** A stable key for a label set over the family's label names. */
export function labelKey(labelNames: readonly string[], labels: Record<string, string>): string {
  return labelNames.map((n) => labels[n] ?? '').join('\u0000');
}

export class SeriesCap {
  #admitted = new Set<string>();
  #folded = new Set<string>();

  constructor(
    readonly labelNames: readonly string[],
    readonly limit: number = DEFAULT_MAX_SERIES_PER_FAMILY,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`series cap must be a positive integer, got ${limit}`);
  }

  /** Split one scrape's series (unique label sets) into kept and folded. */
  apply<T>(series: readonly LabeledValue<T>[]): CapResult<T> {
    if (this.labelNames.length === 0) return { kept: [...series], folded: [], newlyFolded: 0 };
    const keyed = series.map((s) => ({ s, key: labelKey(this.labelNames, s.labels) }));
    const admitted = new Set<string>();
    for (const { key } of keyed) if (this.#admitted.has(key)) admitted.add(key);
    for (const { key } of keyed) {
      if (admitted.size >= this.limit) break;
      admitted.add(key);
    }
    const kept: LabeledValue<T>[] = [];
    const folded: LabeledValue<T>[] = [];
    const foldedKeys = new Set<string>();
    let newlyFolded = 0;
    for (const { s, key } of keyed) {
      if (admitted.has(key)) {
        kept.push(s);
      } else {
        folded.push(s);
        foldedKeys.add(key);
        if (!this.#folded.has(key)) newlyFolded++;
      }
    }
    this.#admitted = admitted;
    this.#folded = foldedKeys;
    return { kept, folded, newlyFolded };
  }

  /** Labels of the overflow series: every label name set to "[overflow]". */
  overflowLabels(): Record<string, string> {
    return Object.fromEntries(this.labelNames.map((n) => [n, OVERFLOW_LABEL_VALUE]));
  }
}
