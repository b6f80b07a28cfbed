import { readText } from './read-text.js';

export const SNMP_PATH = '/proc/net/snmp';
export const SNMP6_PATH = '/proc/net/snmp6';
export const NETSTAT_PATH = '/proc/net/netstat';

/** Section → counter → value, e.g. table.get('Tcp')?.get('RetransSegs'). */
export type SnmpTable = Map<string, Map<string, number>>;

/**
 * The TCP MIB. Linux keeps one TCP MIB for IPv4 and IPv6 together, so these counters in /proc/net/snmp
 * already include IPv6 traffic; /proc/net/snmp6 has no Tcp6 section (only Ip6, Icmp6, Udp6, UdpLite6).
 */
export interface TcpCounters {
  activeOpens: number;
  passiveOpens: number;
  attemptFails: number;
  estabResets: number;
  /** A gauge, not a counter: connections in ESTABLISHED or CLOSE-WAIT right now. */
  currEstab: number;
  inSegs: number;
  outSegs: number;
  retransSegs: number;
  inErrs: number;
  outRsts: number;
  inCsumErrors: number;
}

/**
 * Parses /proc/net/snmp and /proc/net/netstat: each section is a header line of names followed by a line
 * of values with the same "Section:" prefix. Values are signed (Tcp MaxConn is -1).
 */
export function parseSnmp(text: string): SnmpTable {
  const table: SnmpTable = new Map();
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const header = splitSection(lines[i]!);
    const values = splitSection(lines[i + 1]!);
    if (!header || !values || header.section !== values.section) {
      throw new Error(`parse snmp: line ${i + 1} and ${i + 2} are not a header/value pair`);
    }
    const section = table.get(header.section) ?? new Map<string, number>();
    header.fields.forEach((name, j) => {
      const v = Number(values.fields[j]);
      if (Number.isFinite(v)) section.set(name, v);
    });
    table.set(header.section, section);
  }
  return table;
}

function splitSection(line: string): { section: string; fields: string[] } | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  return {
    section: line.slice(0, colon),
    fields: line
      .slice(colon + 1)
      .trim()
      .split(/\s+/),
  };
}

/** Parses /proc/net/snmp6 ("Ip6InReceives   1" per line) into counter → value. */
export function parseSnmp6(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (!name || value === undefined) continue;
    const v = Number(value);
    if (Number.isFinite(v)) out.set(name, v);
  }
  return out;
}

export function tcpCounters(table: SnmpTable): TcpCounters {
  const tcp = table.get('Tcp');
  if (!tcp) throw new Error('parse snmp: no Tcp section');
  const get = (k: string): number => tcp.get(k) ?? 0;
  return {
    activeOpens: get('ActiveOpens'),
    passiveOpens: get('PassiveOpens'),
    attemptFails: get('AttemptFails'),
    estabResets: get('EstabResets'),
    currEstab: get('CurrEstab'),
    inSegs: get('InSegs'),
    outSegs: get('OutSegs'),
    retransSegs: get('RetransSegs'),
    inErrs: get('InErrs'),
    outRsts: get('OutRsts'),
    inCsumErrors: get('InCsumErrors'),
  };
}

/**
 * The snmp file as seen from a process's network namespace: /proc/<pid>/net/snmp shows the counters of the
 * netns that <pid> lives in, which is how kerno reads a container's or a test netns's TCP MIB.
 */
export function snmpPathForPid(pid: number): string {
  return `/proc/${pid}/net/snmp`;
}

export async function readSnmp(path = SNMP_PATH): Promise<SnmpTable> {
  const text = await readText(path);
  try {
    return parseSnmp(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

export async function readSnmp6(path = SNMP6_PATH): Promise<Map<string, number>> {
  return parseSnmp6(await readText(path));
}

/** TCP counters of the host netns, or of the netns of `pid` when given. */
export async function readTcpCounters(pid?: number): Promise<TcpCounters> {
  const path = pid === undefined ? SNMP_PATH : snmpPathForPid(pid);
  try {
    return tcpCounters(await readSnmp(path));
  } catch (err) {
    throw new Error(`tcp counters from ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * after − before for every counter; currEstab is a gauge and is taken from `after`. A counter that went
 * backwards (netns recreated) gives 0 rather than a negative count.
 */
export function tcpCountersDelta(before: TcpCounters, after: TcpCounters): TcpCounters {
  const d = (k: keyof TcpCounters): number => Math.max(0, after[k] - before[k]);
  return {
    activeOpens: d('activeOpens'),
    passiveOpens: d('passiveOpens'),
    attemptFails: d('attemptFails'),
    estabResets: d('estabResets'),
    currEstab: after.currEstab,
    inSegs: d('inSegs'),
    outSegs: d('outSegs'),
    retransSegs: d('retransSegs'),
    inErrs: d('inErrs'),
    outRsts: d('outRsts'),
    inCsumErrors: d('inCsumErrors'),
  };
}
