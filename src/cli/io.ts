// What a command needs from the outside world, passed in so commands are testable without a terminal and
// so only bin/ touches process.exit.
import { fstatSync } from 'node:fs';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Aborted on SIGINT/SIGTERM by the entry point. */
  signal?: AbortSignal;
  /** Aborted when stdout's reader went away (EPIPE): streaming commands stop and exit 0. */
  outputClosed?: AbortSignal;
  stdoutIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /**
   * Standard input when it is a pipe or a file (`dmesg | kerno explain`), undefined for a terminal or
   * /dev/null. A function: only a command that reads stdin may open it (an open pipe keeps the loop alive).
   */
  pipedStdin?(): AsyncIterable<Buffer | string> | undefined;
  /**
   * Calls `listener` once if stdout's reader goes away (EPIPE: `kerno trace … | head`). Streaming commands
   * use it to stop quietly; without a listener the stream's error would end in a crash record.
   */
  onOutputClosed?(listener: () => void): void;
}

/** Documented exit codes (docs/exit-codes.md). */
export const EXIT = {
  OK: 0,
  /** A critical finding with --exit-code, or a check that failed (bpf-verify, chaos). */
  FAILURE: 1,
  /** Bad command line: unknown flag/command, bad duration, unknown output format. */
  USAGE: 2,
  /** Unreadable or invalid configuration file / environment. */
  CONFIG: 3,
  /** Missing privileges or kernel features for a command that cannot degrade. */
  PRIVILEGES: 4,
  /** Internal error (a crash record was printed). */
  INTERNAL: 70,
} as const;

/** A bad command line: one line on stderr, exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT.USAGE;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function stdinIsPiped(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    return false; // closed
  }
}

export function processIO(signal?: AbortSignal): CliIO {
  const closed = new AbortController();
  // Without a listener a write to a closed pipe is an uncaught 'error' (a crash record for `| head`).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') closed.abort();
    else throw err;
  });
  return {
    out: (s) => {
      if (!closed.signal.aborted) process.stdout.write(s);
    },
    outputClosed: closed.signal,
    err: (s) => process.stderr.write(s),
    signal,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    pipedStdin: () => (stdinIsPiped() ? process.stdin : undefined),
    onOutputClosed: (listener) => {
      let closed = false;
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (closed) return;
        if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
        closed = true;
        listener();
      });
    },
  };
}
