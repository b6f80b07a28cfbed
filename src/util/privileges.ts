// Whether this process may load and attach BPF programs, decided from the effective capability set
// (not just uid 0: a DaemonSet or systemd unit can grant CAP_BPF+CAP_PERFMON without full root).
import { readFileSync } from 'node:fs';

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

export function effectiveCapabilities(): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

function has(caps: bigint, bit: bigint): boolean {
  return (caps & (1n << bit)) !== 0n;
}

export interface PrivilegeCheck {
  ok: boolean;
  uid: number;
  /** Plain-language reason when not ok. */
  reason?: string;
}

export function checkBpfPrivileges(): PrivilegeCheck {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const caps = effectiveCapabilities();
  if (has(caps, CAP_SYS_ADMIN) || (has(caps, CAP_BPF) && has(caps, CAP_PERFMON))) return { ok: true, uid };
  return {
    ok: false,
    uid,
    reason:
      uid === 0
        ? 'running as root but without CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set'
        : `not root (uid ${uid}): run as root (sudo) or grant CAP_BPF and CAP_PERFMON`,
  };
}
