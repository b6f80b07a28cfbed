// The pod-name cache between the kubelet and the report. Reads are synchronous and never wait on the
// network: they answer from the last good pod list (stale-while-revalidate) and start a refresh in the
// background when it is older than the TTL. A doctor window therefore never waits on a slow kubelet; until
// the first list arrives, findings name raw cgroup paths and the status says why.
import type { PodNamesStatus } from '../signals/types.js';
import { KubeletError } from './kubelet.js';
import type { PodIndex } from './pod-list.js';

export interface PodNamesOptions {
  /** One kubelet request; must settle within its own timeout (fetchPods does). */
  fetch: () => Promise<PodIndex>;
  /** A list older than this is refreshed on the next read. */
  ttlMs: number;
  /** A list older than this is no longer used when refreshes keep failing (pods come and go). */
  maxStaleMs?: number;
  /** ms clock (tests). */
  now?: () => number;
}

const EMPTY: PodIndex = { pods: new Map(), containers: new Map() };

export class PodNames {
  #index: PodIndex | undefined;
  #fetchedAt = 0;
  /** When the last request started; a failing kubelet is asked again only after a TTL, not on every read. */
  #attemptedAt: number | undefined;
  #lastError: KubeletError | undefined;
  #inFlight: Promise<void> | undefined;
  readonly #opts: Required<PodNamesOptions>;

  constructor(opts: PodNamesOptions) {
    this.#opts = { maxStaleMs: opts.ttlMs * 10, now: () => Date.now(), ...opts };
  }

  /** The pod list to name cgroups with now (empty when none is usable); starts a refresh if it is old. */
  current(): PodIndex {
    const now = this.#opts.now();
    const due = this.#attemptedAt === undefined || now - this.#attemptedAt >= this.#opts.ttlMs;
    if (due && (this.#index === undefined || now - this.#fetchedAt >= this.#opts.ttlMs)) void this.refresh();
    return this.#usable() ?? EMPTY;
  }

  status(): PodNamesStatus {
    const usable = this.#usable();
    if (usable !== undefined) {
      // Still naming from the last good list while refreshes fail: say so, names of new pods are missing.
      const stale = this.#lastError !== undefined ? { reason: `stale list: ${this.#lastError.message}` } : {};
      return { state: 'ok', pods: usable.pods.size, ...stale };
    }
    if (this.#lastError !== undefined) {
      return {
        state: 'unavailable',
        reason: this.#lastError.message,
        error: this.#lastError.kind,
        pods: 0,
      };
    }
    return { state: 'pending', reason: 'the kubelet has not answered yet', pods: 0 };
  }

  /**
   * One refresh (concurrent callers share it). Resolves, never rejects: a failure is kept for status().
   * A successful list replaces the previous one whole, so a pod gone from the node is forgotten.
   */
  refresh(): Promise<void> {
    if (this.#inFlight === undefined) this.#attemptedAt = this.#opts.now();
    this.#inFlight ??= this.#opts
      .fetch()
      .then(
        (index) => {
          this.#index = index;
          this.#fetchedAt = this.#opts.now();
          this.#lastError = undefined;
        },
        (err: unknown) => {
          this.#lastError = err instanceof KubeletError ? err : new KubeletError('bad_response', String(err));
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }

  #usable(): PodIndex | undefined {
    if (this.#index === undefined) return undefined;
    const age = this.#opts.now() - this.#fetchedAt;
    return age < this.#opts.maxStaleMs ? this.#index : undefined;
  }
}
