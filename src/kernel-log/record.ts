// One /dev/kmsg record (Documentation/ABI/testing/dev-kmsg): `<pri>,<seq>,<ts usec>,<flags>[,more];<text>`
// followed by optional dictionary lines that start with a space (` SUBSYSTEM=pci`). The same layout is what
// netconsole's extended mode puts on the wire, so the netconsole parser reuses this module.

export interface KmsgRecord {
  /** Syslog facility: pri >> 3. 0 is the kernel; 1 (user) is what a process writing /dev/kmsg gets. */
  facility: number;
  /** Console log level: pri & 7 (0 emerg … 7 debug). */
  level: number;
  seq: number;
  /** Time since boot in microseconds (the kernel's local_clock at printk time). */
  tsUsec: number;
  /** '-' for a complete record, 'c' for a continuation fragment (older kernels). */
  flags: string;
  /** Header fields after the flags, e.g. `caller=T123` (CONFIG_PRINTK_CALLER). */
  extra: string[];
  /** The message text with `\xNN` escapes decoded. */
  message: string;
  /** Dictionary (device identity) lines: KEY → value. */
  dict: Record<string, string>;
}

const HEADER = /^(\d{1,10}),(\d{1,20}),(\d{1,20}),([^,;]*)((?:,[^,;]*)*)$/;

/**
 * Parse one record as read() returns it (one record per read). Returns undefined for anything that is not a
 * well-formed record: callers count and skip, they never throw on kernel input.
 */
export function parseKmsgRecord(raw: string): KmsgRecord | undefined {
  const semi = raw.indexOf(';');
  if (semi <= 0 || semi > 256) return undefined;
  const m = HEADER.exec(raw.slice(0, semi));
  if (!m) return undefined;
  const pri = Number(m[1]);
  const seq = Number(m[2]);
  const tsUsec = Number(m[3]);
  if (!Number.isSafeInteger(pri) || !Number.isSafeInteger(seq) || !Number.isSafeInteger(tsUsec))
    return undefined;
  const extra = m[5] ? m[5].slice(1).split(',') : [];
  const { message, dict } = splitRecordBody(raw.slice(semi + 1));
  return { facility: pri >> 3, level: pri & 7, seq, tsUsec, flags: m[4] ?? '-', extra, message, dict };
}

/** Split a record body into its message line and its ` KEY=value` dictionary lines. */
export function splitRecordBody(body: string): { message: string; dict: Record<string, string> } {
  const lines = body.split('\n');
  const message = unescapeKmsg(lines[0] ?? '');
  const dict: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!line.startsWith(' ')) continue;
    const eq = line.indexOf('=');
    if (eq <= 1) continue;
    dict[line.slice(1, eq)] = unescapeKmsg(line.slice(eq + 1));
  }
  return { message, dict };
}

/**
 * The kernel escapes every byte < 0x20, >= 0x7f and the backslash itself as `\xNN`, byte by byte, so a
 * UTF-8 character arrives as several escapes: decode to bytes first, then to text.
 */
export function unescapeKmsg(text: string): string {
  if (!text.includes('\\x')) return text;
  const bytes: number[] = [];
  const src = Buffer.from(text, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (b === 0x5c && src[i + 1] === 0x78 && i + 3 < src.length) {
      const hex = src.toString('latin1', i + 2, i + 4);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 3;
        continue;
      }
    }
    bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}
