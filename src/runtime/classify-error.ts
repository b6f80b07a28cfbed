// Turns a collector error into a plain-language reason and fix, and decides whether retrying can help.
// Errors from the native layer carry `errno` (number), `code` ('EPERM', …) and `verifierLog`; collectors
// wrap them with context (`new Error('attach tcp_retransmit_skb: …', {cause})`), so the whole cause chain
// is searched.

export type ErrorKind =
  | 'permission'
  | 'no_btf'
  | 'tracepoint_missing'
  | 'verifier'
  | 'memlock'
  | 'file_missing'
  | 'unsupported'
  | 'timeout'
  | 'unknown';

export interface ErrorClass {
  kind: ErrorKind;
  /** One line: what is wrong and what to do about it. */
  hint: string;
  /**
   * True when the cause is the environment (privileges, kernel features, a rejected program): starting the
   * collector again would fail the same way, so the supervisor marks it failed instead of restarting it.
   */
  permanent: boolean;
}

/** Thrown by a collector whose mechanism this machine lacks (e.g. no /proc/pressure). */
export class UnsupportedError extends Error {
  override readonly name = 'UnsupportedError';
  readonly code = 'ENOTSUP';
}

export interface ClassifyOptions {
  /** Effective uid of this process; decides between "not root" and "root but still denied". */
  uid?: number;
}

/** Kinds reported as coverage state `unsupported` (the machine lacks the mechanism) rather than `failed`. */
export const UNSUPPORTED_KINDS: ReadonlySet<ErrorKind> = new Set([
  'unsupported',
  'no_btf',
  'tracepoint_missing',
]);

const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, ESRCH: 3, ENOMEM: 12, EACCES: 13, EINVAL: 22 };
const ENOTSUP_CODES = new Set(['ENOTSUP', 'EOPNOTSUPP', 'ENOTSUPP']);
const ENOTSUP_ERRNOS = new Set([95, 524]); // EOPNOTSUPP; ENOTSUPP (kernel-internal, leaks from bpf())

export function classifyError(err: unknown, options: ClassifyOptions = {}): ErrorClass {
  const facts = gather(err);
  const text = facts.messages.join(' ; ');
  const has = (code: string): boolean => facts.codes.has(code) || facts.errnos.has(ERRNO[code] ?? -1);

  if (facts.timeout) {
    return {
      kind: 'timeout',
      hint: 'did not respond in time and was abandoned; see the log',
      permanent: false,
    };
  }
  if (facts.verifierLog || /\bverifier\b|processed \d+ insns|\bR\d+ (?:invalid|!read_ok)/i.test(text)) {
    return {
      kind: 'verifier',
      hint: 'the kernel BPF verifier rejected a program (kernel version mismatch?); run with -v to see the verifier log',
      permanent: true,
    };
  }
  if (/\bbtf\b|vmlinux/i.test(text)) {
    return {
      kind: 'no_btf',
      hint: 'the kernel has no usable BTF (/sys/kernel/btf/vmlinux); use a kernel built with CONFIG_DEBUG_INFO_BTF=y',
      permanent: true,
    };
  }
  if (has('ENOMEM') || /memlock/i.test(text)) {
    return {
      kind: 'memlock',
      hint: 'could not lock memory for BPF maps: raise RLIMIT_MEMLOCK (ulimit -l unlimited, LimitMEMLOCK=infinity) or use kernel >= 5.11',
      permanent: true,
    };
  }
  if (has('EPERM') || has('EACCES') || /permission denied|operation not permitted/i.test(text)) {
    const uid = options.uid ?? (typeof process.getuid === 'function' ? process.getuid() : undefined);
    const hint =
      uid !== undefined && uid !== 0
        ? 'not running as root: run with sudo, or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before kernel 5.8)'
        : 'permission denied although running as root: CAP_BPF/CAP_PERFMON missing, or BPF blocked by lockdown, seccomp or an LSM';
    return { kind: 'permission', hint, permanent: true };
  }
  if (
    [...facts.codes].some((c) => ENOTSUP_CODES.has(c)) ||
    [...facts.errnos].some((e) => ENOTSUP_ERRNOS.has(e))
  ) {
    return { kind: 'unsupported', hint: 'not supported on this machine', permanent: true };
  }
  // libbpf answers ESRCH when a tp_btf/raw_tp target has no BTF type in this kernel (the tracepoint is absent).
  const tracepointNamed = /tracepoint|tp_btf|raw_tp/i.test(text);
  if (
    has('ESRCH') ||
    /find kernel BTF type ID/i.test(facts.libbpfLog) ||
    (tracepointNamed && (has('ENOENT') || has('EINVAL') || /not found|no such|does not exist/i.test(text)))
  ) {
    return {
      kind: 'tracepoint_missing',
      hint: 'a kernel tracepoint this collector needs does not exist on this kernel (different kernel version or config)',
      permanent: true,
    };
  }
  if (has('ENOENT') || /no such file/i.test(text)) {
    const where = facts.path ? ` (${facts.path})` : '';
    return { kind: 'file_missing', hint: `a file it needs is missing${where}`, permanent: true };
  }
  return { kind: 'unknown', hint: 'unexpected error; see the log for the stack', permanent: false };
}

/** `classifyError(err).hint`, for callers that only want the sentence. */
export function hintFor(err: unknown, options?: ClassifyOptions): string {
  return classifyError(err, options).hint;
}

/** The error's message (first line), for coverage and state; the full stack goes to the log only. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

interface Facts {
  messages: string[];
  codes: Set<string>;
  errnos: Set<number>;
  verifierLog: boolean;
  timeout: boolean;
  libbpfLog: string;
  path?: string;
}

function gather(err: unknown): Facts {
  const facts: Facts = {
    messages: [],
    codes: new Set(),
    errnos: new Set(),
    verifierLog: false,
    timeout: false,
    libbpfLog: '',
  };
  const seen = new Set<unknown>();
  let cur: unknown = err;
  // The first timeout or verifier log anywhere in the chain decides; depth is capped against cycles.
  while (cur !== undefined && cur !== null && !seen.has(cur) && seen.size < 8) {
    seen.add(cur);
    if (typeof cur === 'string') {
      facts.messages.push(cur);
      break;
    }
    if (typeof cur !== 'object') break;
    const e = cur as {
      message?: unknown;
      code?: unknown;
      errno?: unknown;
      verifierLog?: unknown;
      libbpfLog?: unknown;
      path?: unknown;
      object?: unknown;
      name?: unknown;
      cause?: unknown;
    };
    if (typeof e.message === 'string') facts.messages.push(e.message);
    if (typeof e.code === 'string') facts.codes.add(e.code.toUpperCase());
    // Node's fs errors carry a negative errno; the native layer a positive one.
    if (typeof e.errno === 'number') facts.errnos.add(Math.abs(e.errno));
    if (typeof e.verifierLog === 'string' && e.verifierLog.trim() !== '') facts.verifierLog = true;
    if (typeof e.libbpfLog === 'string') facts.libbpfLog += e.libbpfLog;
    // fs errors name the file in `path`; BpfError names its object file in `object`.
    const path = typeof e.path === 'string' ? e.path : typeof e.object === 'string' ? e.object : undefined;
    if (path !== undefined && facts.path === undefined) facts.path = path;
    if (e.name === 'TimeoutError') facts.timeout = true;
    cur = e.cause;
  }
  return facts;
}
