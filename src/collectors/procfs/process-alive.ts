import { existsSync } from 'node:fs';

/** Whether a process still exists (for pruning kernel keys of exited processes). */
export function processAlive(tgid: number): boolean {
  return existsSync(`/proc/${tgid}`);
}
