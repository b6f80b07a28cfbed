import type { DiskDevice, TcpConnection } from '../../src/signals/types.js';

// Finding subjects double as dedupe keys (one finding per rule per subject) and as the "what" a reader
// scans for, so each kind has exactly one spelling.

/** "nginx (pid 1234)" */
export function processSubject(comm: string, pid: number): string {
  return `${comm} (pid ${pid})`;
}

/** "10.0.0.1:80", "[fe80::1]:22" */
export function endpoint(family: 4 | 6, addr: string, port: number): string {
  return family === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** "10.0.0.1:43210→10.0.0.2:80" */
export function connectionSubject(c: TcpConnection): string {
  return `${endpoint(c.family, c.srcAddr, c.srcPort)}→${endpoint(c.family, c.dstAddr, c.dstPort)}`;
}

/** "/dev/vda (253:0)", or "253:0" when the name is unknown. */
export function deviceSubject(d: DiskDevice): string {
  return d.name !== '' ? `/dev/${d.name} (${d.dev})` : d.dev;
}

/** Short device label for titles: "vda", or "253:0". */
export function deviceLabel(d: DiskDevice): string {
  return d.name !== '' ? d.name : d.dev;
}
