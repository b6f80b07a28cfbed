// TCP MIB of every network namespace, read at both ends of a window.
//
// Why read each namespace's MIB rather than count sent segments in BPF: the denominator of the retransmit
// rate is every segment sent, and the only hook that sees each one is the transmit path itself
// (tcp_transmit_skb / __tcp_transmit_skb are functions, not tracepoints; fentry and kprobes do not attach
// here), so in-kernel counting would need a per-packet program on a path we cannot hook. The kernel
// already keeps the exact count per namespace (OutSegs, RetransSegs): reading it costs one /proc scan
// (readlink per process) and one small file per distinct namespace per window end, nothing per packet
// (bench/tcp-namespaces). Retransmits are still traced in BPF, per namespace, which also covers the
// namespaces whose MIB cannot be read. A namespace made with `ip netns add` may have no process in it (yet):
// its MIB is read by entering it (`nsenter --net=/run/netns/<name> cat /proc/net/snmp`, a short process
// per such namespace, bounded by MAX_ENTERED), so a workload started in it mid-window is still counted.
import {
  parseSnmp,
  snmpPathForPid,
  tcpCounters,
  tcpCountersDelta,
  type TcpCounters,
} from './procfs/net-snmp.js';
import { readPseudoFile } from './procfs/read-text.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NETNS_RUN_DIR } from './procfs/netns.js';
import { scanNetNamespaces, type NetnsScan } from './procfs/netns.js';
import { mapSliced } from './procfs/sliced.js';

/** Process-less `ip netns` namespaces read by entering them, at most (each costs a short process). */
export const MAX_ENTERED = 32;
const ENTER_TIMEOUT_MS = 2000;
const execFileP = promisify(execFile);

export interface NamespaceMib {
  inode: number;
  /** The process whose /proc/<pid>/net/snmp was read; 0 when read by entering a /run/netns mount. */
  pid: number;
  counters: TcpCounters;
}

export interface MibReading {
  scan: NetnsScan;
  mibs: Map<number, NamespaceMib>;
  /** Every namespace known to exist: with a process, or bind-mounted under /run/netns. */
  known: Set<number>;
}

export async function readNamespaceMibs(): Promise<MibReading> {
  const scan = await scanNetNamespaces();
  const namespaces = [...scan.withProcesses.values()];
  const read = await mapSliced(namespaces, (ns): NamespaceMib | undefined => {
    for (const pid of ns.pids) {
      // undefined: exited since the scan, so try the next process in the namespace
      const text = readPseudoFile(snmpPathForPid(pid));
      if (text !== undefined) return { inode: ns.inode, pid, counters: tcpCounters(parseSnmp(text)) };
    }
    return undefined;
  });
  const mibs = new Map<number, NamespaceMib>();
  for (const m of read) if (m !== undefined) mibs.set(m.inode, m);
  const empty = [...scan.named].filter(([inode]) => !mibs.has(inode)).slice(0, MAX_ENTERED);
  const entered = await Promise.all(empty.map(([inode, name]) => enterAndRead(inode, name)));
  for (const m of entered) if (m !== undefined) mibs.set(m.inode, m);
  return { scan, mibs, known: new Set([...scan.withProcesses.keys(), ...scan.named.keys()]) };
}

async function enterAndRead(inode: number, name: string): Promise<NamespaceMib | undefined> {
  try {
    const { stdout } = await execFileP(
      'nsenter',
      [`--net=${NETNS_RUN_DIR}/${name}`, 'cat', '/proc/net/snmp'],
      {
        timeout: ENTER_TIMEOUT_MS,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    return { inode, pid: 0, counters: tcpCounters(parseSnmp(stdout)) };
  } catch {
    return undefined; // removed meanwhile, or no nsenter (util-linux): its MIB stays unknown (mib: false)
  }
}

export interface NamespaceDelta {
  inode: number;
  pid: number;
  /** Undefined when the window's MIB delta is unknown for this namespace. */
  delta?: TcpCounters;
}

const ZERO: TcpCounters = {
  activeOpens: 0,
  passiveOpens: 0,
  attemptFails: 0,
  estabResets: 0,
  currEstab: 0,
  inSegs: 0,
  outSegs: 0,
  retransSegs: 0,
  inErrs: 0,
  outRsts: 0,
  inCsumErrors: 0,
};

/**
 * Per-namespace deltas between two readings. A namespace unknown at the start was created during the
 * window, so its MIB started at zero; one known at the start whose MIB could not be read then (no process
 * in it yet) has no delta; one gone by the end is lost (its MIB went with it).
 */
export function namespaceDeltas(before: MibReading, after: MibReading): Map<number, NamespaceDelta> {
  const out = new Map<number, NamespaceDelta>();
  for (const [inode, end] of after.mibs) {
    const start = before.mibs.get(inode);
    if (start !== undefined)
      out.set(inode, { inode, pid: end.pid, delta: tcpCountersDelta(start.counters, end.counters) });
    else if (!before.known.has(inode))
      out.set(inode, { inode, pid: end.pid, delta: tcpCountersDelta(ZERO, end.counters) });
    else out.set(inode, { inode, pid: end.pid });
  }
  return out;
}
