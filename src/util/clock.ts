// Time as a dependency: the supervisor's backoff, breaker window and timeouts read Clock instead of the
// globals, so tests drive minutes of restarts deterministically with a fake clock. monotonicNs is the
// kernel-comparable clock collectors stamp events with. One module for both, in the lowest layer.

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Schedule `fn` after `ms`. `unref` timers do not keep the process alive (a pending restart must not
   * hold an otherwise finished `kerno doctor` open).
   */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const handle = setTimeout(fn, ms);
    if (options?.unref) handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms`);
  }
}

/**
 * Settles with `work` or rejects with TimeoutError after `ms`, whichever comes first. The work is not
 * cancelled (a hung collector cannot be interrupted); it is abandoned, and a late rejection is swallowed so
 * it cannot surface as an unhandled rejection.
 */
export function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  operation: string,
  clock: Clock = systemClock,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new TimeoutError(operation, ms));
    }, ms);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Runs `fn` and turns a synchronous throw into a rejected promise (collectors are not always async). */
export function invoke<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

// bpf_ktime_get_ns() is CLOCK_MONOTONIC, which is what process.hrtime reads on Linux, so BPF timestamps and
// these values share an origin.
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}
