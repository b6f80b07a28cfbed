/**
 * Thrown from Collector.start when this machine lacks the mechanism a collector needs (no /proc/pressure, no
 * memory cgroup controller). It carries the ENOTSUP code, which the supervisor's error classifier
 * (src/runtime/classify-error.ts) maps to coverage state 'unsupported' and treats as permanent: the report says
 * "not available here" instead of "broken", and no restart is attempted.
 */
export class UnsupportedError extends Error {
  readonly code = 'ENOTSUP';

  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

export function isUnsupported(err: unknown): boolean {
  return err instanceof UnsupportedError || (err as { code?: unknown } | null)?.code === 'ENOTSUP';
}
