// The collector metric families kerno exports (the metrics contract; docs/daemon.md lists them). Each
// collector declares its own families next to the code that makes the values; the daemon gathers them from
// the collector registry. A collector reporting a family it did not declare is logged once and not
// exported: the declared families are what users alert on, so they must not drift silently.
import { collectorDefs } from '../collectors/registry.js';
import type { MetricFamily } from '../collectors/types.js';

export const METRIC_PREFIX = 'kerno_';

/** Every family the registered collectors declare, in registry order. */
export function collectorFamilies(): readonly MetricFamily[] {
  return collectorDefs().flatMap((d) => d.families);
}
