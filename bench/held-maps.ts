// The BPF maps this process holds, as the kernel describes them in /proc/self/fdinfo, and how many entries
// one holds (bpftool), for benches that check what the programs really inserted.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface HeldMap {
  id: number;
  /** The kernel's enum bpf_map_type: 1 hash, 5 per-CPU hash, 6 per-CPU array … */
  type: number;
  keySize: number;
  valueSize: number;
}

export const MAP_TYPE = { hash: 1, percpuHash: 5 } as const;

export function heldMaps(): HeldMap[] {
  const out: HeldMap[] = [];
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    let text: string;
    try {
      text = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const field = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\S+)$`, 'm').exec(text)?.[1]);
    const id = field('map_id');
    if (!Number.isInteger(id)) continue; // not a map
    out.push({ id, type: field('map_type'), keySize: field('key_size'), valueSize: field('value_size') });
  }
  return out;
}

/** Entries in map `id`: bpftool prints them BTF-formatted as JSON, each opening with a `"key":` line at depth 1. */
export function mapEntries(id: number): number {
  const out = execFileSync('bpftool', ['map', 'dump', 'id', String(id)], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  return out.match(/^ {8}"key": /gm)?.length ?? 0;
}
