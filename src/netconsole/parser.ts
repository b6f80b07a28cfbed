// Classifies one netconsole UDP payload. Two wire formats (Documentation/networking/netconsole.rst):
//   plain     console text, lines ending in '\n'; a line may span packets (chunks of up to 1000 bytes)
//   extended  the /dev/kmsg record layout: `[<release>,]<level>,<seq>,<ts>,<flags>[,ncfrag=<off>/<total>];`
//             then the message, then dictionary/userdata lines that start with a space. A record longer than
//             1000 bytes is split; each fragment repeats the header plus `ncfrag=<byte-offset>/<total-bytes>`,
//             the offsets counting bytes of everything after the ';'.
// Pure: no state, never throws on any input.

export interface ExtendedPacket {
  type: 'extended';
  /** Kernel release, when the sender prepends it (netconsole `r` option / `release` attribute). */
  release?: string;
  level: number;
  facility: number;
  seq: number;
  tsUsec: number;
  flags: string;
  fragment?: { offset: number; total: number };
  /** Raw bytes after the ';' (a fragment's bytes, or the whole body). */
  body: Buffer;
}

export interface PlainPacket {
  type: 'plain';
  text: string;
}

export interface RejectedPacket {
  type: 'rejected';
  reason: 'empty' | 'oversized' | 'binary';
}

export type ParsedPacket = ExtendedPacket | PlainPacket | RejectedPacket;

export interface ParseLimits {
  /** netconsole never sends more than MAX_PRINT_CHUNK (1000) bytes plus a release prefix. */
  maxPacketBytes: number;
  /** Largest reassembled record accepted (message + dictionary + userdata + sysdata). */
  maxRecordBytes: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxPacketBytes: 8 * 1024, maxRecordBytes: 32 * 1024 };

const EXT_HEADER =
  /^(?:([A-Za-z0-9][A-Za-z0-9._+~-]{0,63}),)?(\d{1,10}),(\d{1,20}),(\d{1,20}),([^;\n]{0,200});/;
const NCFRAG = /^ncfrag=(\d{1,9})\/(\d{1,9})$/;
const HEADER_SCAN_BYTES = 320;

export function parsePacket(buf: Buffer, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParsedPacket {
  if (buf.length === 0) return { type: 'rejected', reason: 'empty' };
  if (buf.length > limits.maxPacketBytes) return { type: 'rejected', reason: 'oversized' };
  if (looksBinary(buf)) return { type: 'rejected', reason: 'binary' };
  const ext = parseExtended(buf, limits);
  if (ext) return ext;
  return { type: 'plain', text: sanitizeText(buf.toString('utf8')) };
}

function parseExtended(buf: Buffer, limits: ParseLimits): ExtendedPacket | undefined {
  const head = buf.toString('latin1', 0, Math.min(buf.length, HEADER_SCAN_BYTES));
  const m = EXT_HEADER.exec(head);
  if (!m) return undefined;
  const pri = Number(m[2]);
  const seq = Number(m[3]);
  const tsUsec = Number(m[4]);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(tsUsec) || pri > 1023) return undefined;
  const fields = (m[5] ?? '').split(',');
  const out: ExtendedPacket = {
    type: 'extended',
    level: pri & 7,
    facility: pri >> 3,
    seq,
    tsUsec,
    flags: fields[0] ?? '-',
    body: buf.subarray(m[0].length),
  };
  if (m[1] !== undefined) out.release = m[1];
  for (const f of fields.slice(1)) {
    const fm = NCFRAG.exec(f);
    if (!fm) continue;
    const offset = Number(fm[1]);
    const total = Number(fm[2]);
    // A fragment header that cannot be honest (past the end, or an absurd total) is treated as garbage.
    if (total <= 0 || total > limits.maxRecordBytes || offset >= total || offset + out.body.length > total) {
      return undefined;
    }
    out.fragment = { offset, total };
  }
  return out;
}

/**
 * Binary garbage: NUL bytes or mostly control characters. Console text is printable apart from '\n', '\t'
 * and the odd '\r'; UTF-8 multibyte sequences are fine.
 */
export function looksBinary(buf: Buffer): boolean {
  let control = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x0a && b !== 0x09 && b !== 0x0d) control++;
  }
  return control * 8 > buf.length;
}

/** Drop control characters (keeping '\n' and '\t') and the replacement chars left by invalid UTF-8. */
export function sanitizeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r(?=\n)/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f\ufffd]/g, '');
}
