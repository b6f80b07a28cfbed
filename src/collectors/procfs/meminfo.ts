import { readText } from './read-text.js';

export const MEMINFO_PATH = '/proc/meminfo';

/** The host-wide figures kerno uses, in bytes. */
export interface Meminfo {
  totalBytes: number;
  freeBytes: number;
  /** MemAvailable; estimated as MemFree + Buffers + Cached on kernels older than 3.14 that lack it. */
  availableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** Every field of the file: values with a `kB` unit converted to bytes, unitless ones (HugePages_*) as is. */
  fields: Map<string, number>;
}

/** Parses /proc/meminfo text ("MemTotal:       24731708 kB" per line). Unparseable lines are skipped. */
export function parseMeminfoFields(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (!m) continue;
    const value = Number(m[2]);
    fields.set(m[1]!, m[3] === 'kB' ? value * 1024 : value);
  }
  return fields;
}

export function parseMeminfo(text: string): Meminfo {
  const fields = parseMeminfoFields(text);
  const total = fields.get('MemTotal');
  if (total === undefined) throw new Error('parse meminfo: no MemTotal line');
  const free = fields.get('MemFree') ?? 0;
  const available =
    fields.get('MemAvailable') ?? free + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
  return {
    totalBytes: total,
    freeBytes: free,
    availableBytes: Math.min(available, total),
    swapTotalBytes: fields.get('SwapTotal') ?? 0,
    swapFreeBytes: fields.get('SwapFree') ?? 0,
    fields,
  };
}

export async function readMeminfo(path = MEMINFO_PATH): Promise<Meminfo> {
  const text = await readText(path);
  try {
    return parseMeminfo(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** used = total − available: memory that cannot be handed out without reclaiming or swapping. */
export function usedBytes(m: Meminfo): number {
  return m.totalBytes - m.availableBytes;
}
