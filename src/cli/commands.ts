// The command table (like prom-client's defaultMetrics: a list of modules, each registering itself).
import type { CommandModule } from './main.js';
import { signalsCommand } from './signals-cmd.js';
import { doctorCommand } from './doctor-cmd.js';
import { explainCommand } from './explain-cmd.js';
import { chaosCommand } from './chaos-cmd.js';
import { panicsCommand } from './panics-cmd.js';
import { netconsoleCommand } from './netconsole-cmd.js';

export function commands(_abort: AbortController): CommandModule[] {
  return [doctorCommand, explainCommand, signalsCommand, chaosCommand, panicsCommand, netconsoleCommand];
}
