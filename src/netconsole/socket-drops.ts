// Datagrams the kernel dropped before the receiver read them (receive buffer full): the `drops` column of
// /proc/self/net/udp{,6} for the receiver's socket. Node's dgram has no SO_RXQ_OVFL ancillary data, and
// this counter is the same one (sk_drops). The socket is found by its local port (bound without
// SO_REUSEADDR, so it is ours in this network namespace) and, when given, its inode.

import { readFile } from 'node:fs/promises';

export interface SocketId {
  port: number;
  family: 'udp4' | 'udp6';
  /** Socket inode, when known. */
  inode?: number;
}

/** Parse /proc/net/udp text: the drops of the socket bound to `id`, or undefined when it is not listed. */
export function parseUdpDrops(text: string, id: SocketId): number | undefined {
  const portHex = id.port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const local = f[1] ?? '';
    if (!local.endsWith(`:${portHex}`)) continue;
    if (id.inode !== undefined && Number(f[9]) !== id.inode) continue;
    const drops = Number(f[f.length - 1]);
    return Number.isFinite(drops) ? drops : undefined;
  }
  return undefined;
}

export async function readUdpDrops(id: SocketId): Promise<number | undefined> {
  try {
    const text = await readFile(id.family === 'udp6' ? '/proc/self/net/udp6' : '/proc/self/net/udp', 'utf8');
    return parseUdpDrops(text, id);
  } catch {
    return undefined;
  }
}
