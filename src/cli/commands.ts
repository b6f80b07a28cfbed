// The command table (like prom-client's defaultMetrics: a list of modules, each registering itself).
import type { CommandModule } from './main.js';

export function commands(_abort: AbortController): CommandModule[] {
  return [];
}
