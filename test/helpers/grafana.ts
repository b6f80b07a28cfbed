// The queries of deploy/grafana/kerno.json as Prometheus would receive them from Grafana: the dashboard's
// variables replaced by what "All" and a short rate window send ($instance → .+, $__rate_interval → 1m).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/bpf/paths.js';

export const DASHBOARD = join(packageRoot(), 'deploy', 'grafana', 'kerno.json');

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface Panel {
  type: string;
  title: string;
  targets?: { refId: string; expr?: string }[];
  panels?: Panel[];
}

export function dashboardPanels(): Panel[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  // Collapsed rows hold their panels inside; open rows are followed by them.
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

export function dashboardQueries(): PanelQuery[] {
  return dashboardPanels().flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      refId: t.refId,
      expr: (t.expr ?? '').replaceAll('$instance', '.+').replaceAll('$__rate_interval', '1m'),
    })),
  );
}
