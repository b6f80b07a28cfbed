import { readTextIfPresent } from './read-text.js';

/** TCP states as numbered in include/net/tcp_states.h (the `st` column of /proc/net/tcp, in hex). */
export const TCP_ESTABLISHED = 1;

/**
 * Counts sockets per state in a /proc/net/tcp or /proc/net/tcp6 table. The `st` column is the 4th field
 * (after sl, local_address, rem_address) and is hexadecimal.
 */
export function countTcpStates(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const state = parseInt(fields[3]!, 16);
    if (Number.isNaN(state)) continue;
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return counts;
}

export const NET_DIR = '/proc/net';

/** /proc/<pid>/net: the tables of the network namespace <pid> lives in. */
export function netDirOf(pid: number): string {
  return `/proc/${pid}/net`;
}

/**
 * ESTABLISHED TCP sockets (IPv4 + IPv6) in the tables under `netDir` (default: the host netns as seen by
 * kerno; use netDirOf(pid) for another netns). A missing tcp6 table (IPv6 disabled) counts as zero sockets.
 * Unlike Tcp CurrEstab in /proc/net/snmp this excludes CLOSE-WAIT.
 */
export async function countEstablished(netDir = NET_DIR): Promise<number> {
  const [v4, v6] = await Promise.all([
    readTextIfPresent(`${netDir}/tcp`),
    readTextIfPresent(`${netDir}/tcp6`),
  ]);
  if (v4 === undefined && v6 === undefined) throw new Error(`count established: ${netDir}/tcp not readable`);
  let n = 0;
  for (const text of [v4, v6]) if (text !== undefined) n += countTcpStates(text).get(TCP_ESTABLISHED) ?? 0;
  return n;
}
