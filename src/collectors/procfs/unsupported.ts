/**
 * Thrown from Collector.start when this machine lacks the mechanism a collector needs (no /proc/pressure, no
 * memory cgroup controller). The supervisor maps `code === 'UNSUPPORTED'` to coverage state 'unsupported'
 * instead of 'failed', so the report says "not available here" rather than "broken".
 */
export class UnsupportedError extends Error {
  readonly code = 'UNSUPPORTED';

  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

export function isUnsupported(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'UNSUPPORTED';
}
