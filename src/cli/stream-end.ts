// When a streaming command stops, shared by `kerno trace` and `kerno audit files`.
import type { CliIO } from './io.js';

/**
 * The end of a stream (kerno trace, kerno audit files): --duration elapsed, Ctrl+C / SIGTERM (io.signal), or the reader of stdout went away.
 * `closed` tells the last apart: then nothing more is written, not even the summary.
 */
export function endOfStream(
  durationNs: number,
  io: CliIO,
): { done: Promise<void>; closed: () => boolean; arm: () => void; stop: () => void } {
  const ac = new AbortController();
  let closed = false;
  io.onOutputClosed?.(() => {
    closed = true;
    ac.abort();
  });
  const onSignal = () => ac.abort();
  if (io.signal?.aborted) ac.abort();
  io.signal?.addEventListener('abort', onSignal, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    if (ac.signal.aborted) resolve();
    ac.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  return {
    done,
    closed: () => closed,
    // --duration counts from attach: loading takes a moment that must not be taken out of the trace.
    arm: () => {
      if (durationNs > 0 && !ac.signal.aborted) timer = setTimeout(() => ac.abort(), durationNs / 1e6);
    },
    stop: () => {
      clearTimeout(timer);
      io.signal?.removeEventListener('abort', onSignal);
      ac.abort();
    },
  };
}
