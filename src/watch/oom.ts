// `kerno watch oom`: OOM-killer victims as they happen. The oom collector already carries everything a
// line needs (victim, memory cgroup path, RSS, total VM, oom_score_adj, the allocating task), through its
// ring buffer drained every 100 ms; the watcher polls it and hands on each victim once.
import { OomCollector } from '../collectors/oom.js';
import type { OomEvent } from '../signals/types.js';

/** Victims at or above the minimum oom_score_adj (-1000 = everyone). */
export function filterOom(events: readonly OomEvent[], minScoreAdj: number): OomEvent[] {
  return events.filter((e) => e.oomScoreAdj >= minScoreAdj);
}

export class OomWatcher {
  readonly #collector = new OomCollector();
  #faults: unknown[] = [];

  constructor(private readonly minScoreAdj = -1000) {}

  async start(signal: AbortSignal): Promise<void> {
    await this.#collector.start({
      signal,
      fault: (e) => this.#faults.push(e),
      log: () => {},
    });
  }

  /** Victims recorded since the last poll, oldest first, at or above the threshold. */
  async poll(): Promise<OomEvent[]> {
    const fault = this.#faults.shift();
    if (fault !== undefined) throw fault instanceof Error ? fault : new Error(String(fault));
    return filterOom(await this.#collector.drain(), this.minScoreAdj);
  }

  async stop(): Promise<void> {
    await this.#collector.stop();
  }
}
