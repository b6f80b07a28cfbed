// A fixed-capacity FIFO between a producer (a ring-buffer drain delivering batches) and its consumer. When
// full it drops instead of growing, by an explicit policy, and counts every drop so coverage can say events
// were lost:
//   oldest — evict the oldest queued item to make room (keeps the freshest view; default for live streams)
//   newest — refuse the incoming item (keeps what is queued; for consumers that need a contiguous prefix)
// Storage is a circular buffer: push and shift are O(1) and never allocate after construction.

export type DropPolicy = 'oldest' | 'newest';

export interface BoundedQueueOptions {
  capacity: number;
  dropPolicy?: DropPolicy;
}

export class BoundedQueue<T> {
  readonly capacity: number;
  readonly dropPolicy: DropPolicy;
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;
  private droppedTotal = 0;

  constructor(options: BoundedQueueOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`bounded queue capacity must be an integer >= 1, got ${options.capacity}`);
    }
    const policy = options.dropPolicy ?? 'oldest';
    if (policy !== 'oldest' && policy !== 'newest') {
      throw new RangeError(`bounded queue drop policy must be 'oldest' or 'newest', got ${String(policy)}`);
    }
    this.capacity = options.capacity;
    this.dropPolicy = policy;
    this.slots = new Array<T | undefined>(options.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Items dropped since construction (never reset: it feeds a monotonic counter). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Enqueue one item; returns false when `item` itself was dropped (policy `newest` on a full queue). */
  push(item: T): boolean {
    if (this.count === this.capacity) {
      this.droppedTotal++;
      if (this.dropPolicy === 'newest') return false;
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return true;
  }

  /** Enqueue a batch; returns how many of its items were accepted. */
  pushAll(items: Iterable<T>): number {
    let accepted = 0;
    for (const item of items) if (this.push(item)) accepted++;
    return accepted;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** The queued items, oldest first, without removing them. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.slots[(this.head + i) % this.capacity] as T);
    return out;
  }

  /** The oldest queued item (the next shift()), if any. */
  peekOldest(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Remove and return up to `max` items, oldest first. */
  drain(max = Infinity): T[] {
    const out: T[] = [];
    while (this.count > 0 && out.length < max) out.push(this.shift() as T);
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
