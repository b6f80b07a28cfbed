// Sender address → node name. Kernels send netconsole from an IP, not a name, so the operator maps
// addresses to node names (the Kubernetes node name, for the panic controller). The metric label uses only
// the configured names plus "unknown", so a stray or spoofed sender cannot grow the label set.

import { isIP } from 'node:net';

export const UNKNOWN_NODE = 'unknown';

export class NodeNameMap {
  private readonly byKey = new Map<string, string>();

  constructor(entries: Iterable<[string, string]> | Record<string, string> = []) {
    const list =
      Symbol.iterator in Object(entries) ? (entries as Iterable<[string, string]>) : Object.entries(entries);
    for (const [addr, name] of list) {
      const key = normalizeSenderKey(addr);
      if (!key)
        throw new Error(`netconsole node map: ${JSON.stringify(addr)} is not an IP address or IP:port`);
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(name)) {
        throw new Error(
          `netconsole node map: node name ${JSON.stringify(name)} for ${addr} is not a valid node name`,
        );
      }
      this.byKey.set(key, name);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The configured node names (the only values the metric's node label takes, besides "unknown"). */
  names(): string[] {
    return [...new Set(this.byKey.values())].sort();
  }

  lookup(address: string, port?: number): string | undefined {
    const addr = normalizeAddress(address);
    if (port !== undefined) {
      const hit = this.byKey.get(formatSender(addr, port));
      if (hit) return hit;
    }
    return this.byKey.get(addr);
  }

  /** Node name for an incident: the mapped name, else the address itself. */
  resolve(address: string, port?: number): string {
    return this.lookup(address, port) ?? normalizeAddress(address);
  }

  /** Bounded metric label: the mapped name, else "unknown". */
  metricLabel(address: string, port?: number): string {
    return this.lookup(address, port) ?? UNKNOWN_NODE;
  }
}

/** "::ffff:10.0.0.5" (an IPv4 sender on a dual-stack socket) is 10.0.0.5. */
export function normalizeAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? (m[1] as string) : address.toLowerCase();
}

export function formatSender(address: string, port: number): string {
  const a = normalizeAddress(address);
  return isIP(a) === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

function normalizeSenderKey(text: string): string | undefined {
  const t = text.trim();
  if (isIP(t)) return normalizeAddress(t);
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t) ?? /^([^:]+):(\d{1,5})$/.exec(t);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!isIP(m[1] as string) || port < 1 || port > 65535) return undefined;
  return formatSender(m[1] as string, port);
}

/**
 * Parse the flag/env form "10.0.0.5=node-a,10.0.0.6=node-b" (whitespace or commas between entries). A
 * config file passes an object to the constructor instead.
 */
export function parseNodeMap(text: string): NodeNameMap {
  const entries: [string, string][] = [];
  for (const item of text.split(/[,\s]+/).filter((s) => s.length > 0)) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new Error(`netconsole node map: expected ADDRESS=NODE, got ${JSON.stringify(item)}`);
    }
    entries.push([item.slice(0, eq), item.slice(eq + 1)]);
  }
  return new NodeNameMap(entries);
}
