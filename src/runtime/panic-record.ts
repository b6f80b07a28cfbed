// Optional forensic record of each collector fault: one JSON file per fault in a directory the operator
// chose (`runtime.panic_dir` / KERNO_PANIC_LOG_DIR). Off by default and never a hard-coded path: the
// original's fixed /var/log path was unwritable in its DaemonSet and silently recorded nothing.
// Files are 0600 and the directory 0750 (stacks can reveal paths and addresses). A write failure is
// logged once and otherwise ignored — forensics must never take the collector or the process down.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from './log.js';

export const PANIC_DIR_ENV = 'KERNO_PANIC_LOG_DIR';

/** What is known about one collector fault: the `collector fault` log line's fields and a panic record's. */
export interface FaultFields {
  collector: string;
  /** Where the fault was caught: start | loop | snapshot | reset | stats. */
  phase: string;
  error: string;
  stack?: string;
  /** Restarts before this fault. */
  restartCount: number;
  /** Faults including this one. */
  faults: number;
  policy: string;
}

/** A fault's fields plus what a file read later, away from the log, needs to place it. */
export interface PanicRecord extends FaultFields {
  /** RFC 3339. */
  time: string;
  pid: number;
  version?: string;
}

/**
 * The directory to use, or undefined for "off". KERNO_PANIC_LOG_DIR beats the config file's
 * `runtime.panic_dir` (config precedence: env over file); an empty value means off.
 */
export function resolvePanicDir(
  configValue: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromEnv = env[PANIC_DIR_ENV];
  const chosen = fromEnv !== undefined ? fromEnv : configValue;
  return chosen !== undefined && chosen.trim() !== '' ? chosen : undefined;
}

export class PanicRecorder {
  private sequence = 0;
  private failureLogged = false;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Write one record; returns the file path, or undefined when it could not be written. Never throws. */
  write(record: PanicRecord, atMs: number): string | undefined {
    this.sequence++;
    const file = join(this.dir, `${safeName(record.collector)}-${atMs}-${this.sequence}.json`);
    try {
      const created = mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      // mkdir's mode is filtered by the umask; set it explicitly, but only on a directory we created.
      if (created !== undefined) chmodSync(this.dir, 0o750);
      writeFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      return file;
    } catch (err) {
      if (!this.failureLogged) {
        this.failureLogged = true;
        this.logger.warn('panic record not written; further failures are not logged', {
          dir: this.dir,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      return undefined;
    }
  }
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'collector';
}
