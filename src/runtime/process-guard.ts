// Process-level guards, installed by bin/. The runtime never exits the process itself: bin/ passes
// process.exit as `exit`, and these helpers decide only when and with which code to call it.
//   installCrashHandlers  an uncaught exception / unhandled rejection writes ONE crash-record line and
//                         exits non-zero (systemd / Kubernetes restart the process)
//   shutdownOnSignals     first SIGTERM/SIGINT runs the orderly stop under a deadline; a second one exits
//                         at once

import { constants } from 'node:os';
import { writeSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import { invoke, systemClock } from '../util/clock.js';
import { errorMessage } from './classify-error.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';

/** The part of `process` these helpers use; tests pass a plain EventEmitter. */
export type ProcessEvents = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

/** Exit code after a crash: 2, as the original's "daemon panic". */
export const CRASH_EXIT_CODE = 2;

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
  exitCode?: number;
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
      options.exit(options.exitCode ?? CRASH_EXIT_CODE);
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

export interface ShutdownOptions {
  /** Deadline for `stopFn`; past it the process exits 1. Default 5000 ms. */
  timeoutMs?: number;
  /** bin/ passes process.exit. */
  exit: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
  target?: ProcessEvents;
  logger?: Logger;
  clock?: Clock;
}

/**
 * On the first signal run `stopFn` (flip readiness, drain HTTP, stop collectors — in that order, the
 * caller's job) and exit 0 when it resolves, 1 when it rejects or misses the deadline. A second signal
 * exits immediately with 128 + signal number. Returns a function that removes the listeners.
 */
export function shutdownOnSignals(stopFn: () => Promise<void> | void, options: ShutdownOptions): () => void {
  const target = options.target ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const timeoutMs = options.timeoutMs ?? 5_000;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  let stopping = false;
  let exited = false;
  const exit = (code: number): void => {
    if (exited) return;
    exited = true;
    options.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('second signal: exiting without waiting for shutdown', { signal });
      exit(128 + (constants.signals[signal] ?? 0));
      return;
    }
    stopping = true;
    logger.info('shutting down', { signal, timeoutMs });
    // Deliberately not unref'd: if stopFn hangs on something that holds no handle, the deadline must still fire.
    const deadline = clock.setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting', { timeoutMs });
      exit(1);
    }, timeoutMs);
    invoke(stopFn).then(
      () => {
        clock.clearTimeout(deadline);
        exit(0);
      },
      (err: unknown) => {
        clock.clearTimeout(deadline);
        logger.error('shutdown failed', {
          error: errorMessage(err),
          stack: err instanceof Error ? err.stack : undefined,
        });
        exit(1);
      },
    );
  };
  const listeners = signals.map((signal) => {
    const listener = (): void => onSignal(signal);
    target.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) target.off(signal, listener);
  };
}
