// A previous boot's last words: when pstore is mounted (/sys/fs/pstore, fs type "pstore"), the kernel left
// the tail of its log there on panic/oops (files dmesg-<backend>-<id>, first line "Panic#1 Part1" or
// "Oops#1 Part1"). An empty or unmounted directory means nothing to report — and often that the machine
// has no persistent backend at all (this VM: CONFIG_PSTORE=y but no RAM/blk/EFI backend).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface PstoreEntry {
  file: string;
  firstLines: string[];
}

export interface PstoreOptions {
  dir?: string;
  mountsPath?: string;
  /** Lines kept per file. */
  maxLines?: number;
  maxFiles?: number;
}

export function isPstoreMounted(dir: string, mountsText: string): boolean {
  return mountsText.split('\n').some((line) => {
    const f = line.split(' ');
    return f[1] === dir && f[2] === 'pstore';
  });
}

/** Entries of a mounted pstore, or [] when it is not mounted / empty / unreadable. */
export function readPstore(opts: PstoreOptions = {}): PstoreEntry[] {
  const dir = opts.dir ?? '/sys/fs/pstore';
  const maxLines = opts.maxLines ?? 20;
  const maxFiles = opts.maxFiles ?? 16;
  let mounts = '';
  try {
    mounts = readFileSync(opts.mountsPath ?? '/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  if (!isPstoreMounted(dir, mounts)) return [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: PstoreEntry[] = [];
  for (const file of names.slice(0, maxFiles)) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    out.push({ file, firstLines: summarizePstoreText(text, maxLines) });
  }
  return out;
}

/**
 * The header line plus the lines around the reason ("Kernel panic", "Oops", "BUG:") rather than the oldest
 * lines of the dump, which are usually routine log from long before the crash.
 */
export function summarizePstoreText(text: string, maxLines: number): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.length > 0);
  if (lines.length <= maxLines) return lines;
  const header = lines[0] as string;
  const idx = lines.findIndex(
    (l, i) =>
      i > 0 && /Kernel panic - not syncing|Oops|BUG:|general protection fault|LOCKUP|soft lockup/.test(l),
  );
  const start = idx > 0 ? Math.max(1, idx - 2) : Math.max(1, lines.length - (maxLines - 1));
  return [header, ...lines.slice(start, start + maxLines - 1)];
}
