// The startup banner (stderr; stdout stays clean for whoever pipes it): where to scrape, what loaded, what
// did not and why. Pure, so the wording is tested without starting anything.

import type { CollectorStatus } from '../runtime/types.js';
import { formatDuration } from '../util/duration.js';

export interface BannerInfo {
  version: string;
  pid: number;
  url: string;
  collectors: readonly CollectorStatus[];
  /** Names of the collectors that load BPF programs (the rest read procfs/cgroupfs). */
  bpfCollectors: ReadonlySet<string>;
  /** Collectors switched off in the configuration. */
  off: readonly string[];
  intervalNs: number;
  authEnabled: boolean;
  /** udp://… when the netconsole receiver runs. */
  netconsole?: string;
  /** Why BPF cannot load here (not root, no capabilities), when that is the case. */
  privilegeProblem?: string;
}

export function formatBanner(b: BannerInfo): string {
  const loaded = b.collectors.reduce((n, c) => n + c.programsLoaded, 0);
  const total = b.collectors.reduce((n, c) => n + c.programsTotal, 0);
  const auth = b.authEnabled ? '  (bearer token required)' : '';
  const lines = [
    `kerno daemon running (version ${b.version}, pid ${b.pid})`,
    `  metrics     ${b.url}/metrics${auth}`,
    `  health      ${b.url}/healthz   readiness ${b.url}/readyz`,
    `  findings    ${b.url}/findings${auth}  (doctor rules every ${formatDuration(b.intervalNs)})`,
    `  panics      ${b.url}/panics${auth}  (${b.netconsole ? `netconsole receiver on ${b.netconsole}` : 'no netconsole receiver'})`,
    `  eBPF programs: ${loaded}/${total} loaded`,
  ];
  const bad = b.collectors.filter((c) => c.state !== 'attached');
  // Collectors that failed for the same reason (typically: not root) share one line.
  const byReason = new Map<string, string[]>();
  for (const c of bad) {
    const key = `${c.state}\u0000${c.hint ?? c.lastError ?? c.state}`;
    byReason.set(key, [...(byReason.get(key) ?? []), c.name]);
  }
  for (const [key, names] of byReason) {
    const [state, reason] = key.split('\u0000') as [string, string];
    lines.push(`  ✗ ${names.join(', ')} (${state}): ${reason}`);
  }
  if (b.off.length > 0) lines.push(`  off by configuration: ${b.off.join(', ')}`);
  const failedBpf = bad.filter((c) => b.bpfCollectors.has(c.name)).map((c) => c.name);
  if (b.privilegeProblem && failedBpf.length > 0) {
    const procfs = b.collectors
      .filter((c) => !b.bpfCollectors.has(c.name) && c.state === 'attached')
      .map((c) => c.name);
    lines.push(
      `  BPF collectors did not load (${failedBpf.join(', ')}): ${b.privilegeProblem}.`,
      `  ${procfs.length > 0 ? `Still running: ${procfs.join(', ')}. ` : ''}` +
        `/readyz answers 503 until a BPF program loads.`,
    );
  } else if (loaded === 0) {
    lines.push('  No BPF program loaded: /readyz answers 503 until one does.');
  }
  lines.push('Stop with Ctrl+C or SIGTERM; SIGHUP reloads the configuration.');
  return lines.join('\n') + '\n';
}
