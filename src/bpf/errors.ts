// One error type for everything the native layer reports, so callers (collectors, bpf-verify, the
// supervisor's hint classifier) can rely on the same fields.

export interface BpfErrorFields {
  errno?: number;
  code?: string;
  program?: string;
  map?: string;
  object?: string;
  verifierLog?: string;
  libbpfLog?: string;
}

export class BpfError extends Error implements BpfErrorFields {
  errno?: number;
  code?: string;
  program?: string;
  map?: string;
  object?: string;
  verifierLog?: string;
  libbpfLog?: string;

  constructor(message: string, fields: BpfErrorFields = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BpfError';
    Object.assign(this, fields);
  }

  /** The last lines of the verifier log: where the verifier says why it rejected the program. */
  verifierTail(lines = 20): string {
    if (!this.verifierLog) return '';
    const all = this.verifierLog.trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  }
}

/** Wraps whatever the addon threw into a BpfError, keeping its errno/code/logs. */
export function toBpfError(err: unknown, extra: BpfErrorFields = {}): BpfError {
  if (err instanceof BpfError) return Object.assign(err, { ...extra, ...stripUndefined(err) });
  const e = err as Partial<Error & BpfErrorFields> | undefined;
  const message = e?.message ?? String(err);
  return new BpfError(
    message,
    {
      errno: e?.errno,
      code: e?.code,
      program: e?.program ?? extra.program,
      map: extra.map,
      object: extra.object,
      verifierLog: e?.verifierLog || undefined,
      libbpfLog: e?.libbpfLog || undefined,
    },
    { cause: err },
  );
}

function stripUndefined(o: BpfErrorFields): BpfErrorFields {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as BpfErrorFields;
}
