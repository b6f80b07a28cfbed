/**
 * What happens when a running collector faults — the one list the config schema validates against and the
 * supervisor acts on (kept free of zod so the supervisor can import it without the schema):
 *   restart   — tear down, recreate from the factory after backoff; 5 faults in 10 min disable it (default)
 *   isolate   — disable it on the first fault; the other collectors go on
 *   fail_fast — the supervisor emits `fatal` and rejects `fatal`; bin/ turns that into a non-zero exit
 */
export const FAILURE_POLICIES = ['restart', 'isolate', 'fail_fast'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/**
 * restart, not isolate: an on-call tool runs for days, and one transient fault (a map read during a
 * kernel hiccup) must not blind a signal until someone restarts the daemon. The circuit breaker still
 * disables a collector that keeps crashing, so restart costs at most a few bounded retries.
 */
export const DEFAULT_FAILURE_POLICY: FailurePolicy = 'restart';
