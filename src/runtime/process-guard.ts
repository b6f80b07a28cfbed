// Process-level guard, installed by bin/. The runtime never exits the process itself: bin/ passes
// process.exit as `exit`, and installCrashHandlers decides only when to call it: an uncaught exception /
// unhandled rejection writes ONE crash-record line and exits non-zero (systemd / Kubernetes restart the
// process). Signals are bin/'s own business (it aborts the command's signal, then exits on a second one).

import { writeSync } from 'node:fs';
import { errorMessage } from './classify-error.js';

/** The part of `process` these helpers use; tests pass a plain EventEmitter. */
export type ProcessEvents = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

export interface CrashRecord {
  time: string;
  kind: 'uncaughtException' | 'unhandledRejection';
  message: string;
  stack?: string;
  version: string;
}

export interface CrashHandlerOptions {
  version: string;
  /**
   * Receives the crash line (with its newline). Default: a synchronous write to fd 2, so the line is out
   * before exit() runs.
   */
  write?: (line: string) => void;
  /** bin/ passes process.exit. */
  exit: (code: number) => void;
  /** bin/ passes EXIT.INTERNAL (70, docs/exit-codes.md). */
  exitCode: number;
  target?: ProcessEvents;
  now?: () => Date;
}

/** Install the handlers; returns a function that removes them. */
export function installCrashHandlers(options: CrashHandlerOptions): () => void {
  const target = options.target ?? process;
  const write = options.write ?? ((line: string) => void writeSync(2, line));
  const now = options.now ?? (() => new Date());
  let crashed = false;

  const crash = (kind: CrashRecord['kind'], reason: unknown): void => {
    // Exactly one record: a second failure while exiting (or an exit() that returns, in tests) adds nothing.
    if (crashed) return;
    crashed = true;
    const record: CrashRecord = {
      time: now().toISOString(),
      kind,
      message: errorMessage(reason),
      version: options.version,
    };
    if (reason instanceof Error && reason.stack) record.stack = reason.stack;
    try {
      write(`${JSON.stringify(record)}\n`);
    } finally {
      options.exit(options.exitCode);
    }
  };
  const onException = (err: unknown): void => crash('uncaughtException', err);
  const onRejection = (reason: unknown): void => crash('unhandledRejection', reason);
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
