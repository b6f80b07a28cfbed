// Ring-buffer consumer: the native drainer thread delivers batches framed as [u32 len][bytes][pad to 4];
// this splits them into zero-copy views and hands the whole batch to the consumer in one call.
import { toBpfError } from './errors.js';
import type { ObjectHandle } from './native.js';

export interface RingBufferOptions {
  /** How often the drainer consumes (producers use BPF_RB_NO_WAKEUP). Default 10 ms. */
  intervalMs?: number;
  /** Records per delivered batch at most. Default 65536. */
  maxBatchRecords?: number;
  /**
   * Bytes of records handed to JS and not yet delivered before new batches are dropped (and counted).
   * Default 64 MiB: about half a second of a 5 M records/s stream, whatever the interval.
   */
  maxPendingBytes?: number;
}

export interface RingBufferStats {
  records: number;
  batches: number;
  droppedRecords: number;
  droppedBatches: number;
  pending?: number;
  pendingBytes?: number;
}

export function splitBatch(batch: Buffer, count: number): Buffer[] {
  const out: Buffer[] = new Array(count);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const len = batch.readUInt32LE(off);
    out[i] = batch.subarray(off + 4, off + 4 + len);
    off += 4 + ((len + 3) & ~3);
  }
  return out;
}

export class RingBuffer {
  #id: number | undefined;
  readonly #onRecords: (records: Buffer[]) => void;
  #last: RingBufferStats = { records: 0, batches: 0, droppedRecords: 0, droppedBatches: 0 };

  constructor(
    private readonly owner: ObjectHandle,
    readonly map: string,
    onRecords: (records: Buffer[]) => void,
    opts: RingBufferOptions,
    private readonly onStop: () => void,
  ) {
    this.#onRecords = onRecords;
    try {
      this.#id = owner.raw().ringOpen(map, (batch, count) => onRecords(splitBatch(batch, count)), opts);
    } catch (err) {
      throw toBpfError(err, { object: owner.path, map });
    }
  }

  stats(): RingBufferStats {
    if (this.#id !== undefined && !this.owner.closed) {
      const s = this.owner.raw().ringStats(this.#id);
      if (s) this.#last = s;
    }
    return { ...this.#last };
  }

  /**
   * Consumes what the kernel has written right now and hands it to the consumer before returning (use
   * before a snapshot instead of waiting for the next interval). Batches the drainer thread had already
   * queued are delivered on the next event-loop turn: await `settled()` for those.
   */
  drainNow(): void {
    // (Records the drainer had consumed but not yet handed over come back here as well.)
    if (this.#id === undefined || this.owner.closed) return;
    const r = this.owner.raw().ringDrainNow(this.#id);
    if (r && r.count > 0) this.#onRecords(splitBatch(r.batch, r.count));
  }

  /**
   * Delivers every record the kernel had written when this was called: the batches the drainer already
   * handed over, then what is left in the ring (drainNow), then a batch the drainer may have handed over
   * while drainNow waited for it to finish its pass. (settled() + drainNow() alone can miss that last one.)
   */
  async flush(): Promise<void> {
    await this.settled();
    this.drainNow();
    await this.settled();
  }

  /** Resolves once every batch the drainer thread had handed over has been delivered (bounded wait). */
  async settled(maxWaitMs = 1000): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    while (this.#id !== undefined && !this.owner.closed) {
      const s = this.owner.raw().ringStats(this.#id);
      if (!s || s.pending === 0 || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Final drain, join the drainer thread. Records drained at stop are still delivered. Idempotent. */
  stop(): void {
    if (this.#id === undefined) return;
    this.stats();
    if (!this.owner.closed) this.owner.raw().ringClose(this.#id);
    this.#id = undefined;
    this.onStop();
  }
}
