import { readdir } from 'node:fs/promises';
import { isVanished, readTextIfPresent } from './read-text.js';

/**
 * Open file descriptors of `pid` (entries of /proc/<pid>/fd), or -1 when unknown: the process exited or
 * its fd directory is not readable by us (another user's process without CAP_SYS_PTRACE).
 */
export async function countFds(pid: number): Promise<number> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch (err) {
    if (isVanished(err)) return -1;
    throw new Error(`count fds of pid ${pid}: ${(err as Error).message}`, { cause: err });
  }
}

export interface Limit {
  /** null = unlimited */
  soft: number | null;
  hard: number | null;
  units: string;
}

/**
 * Parses /proc/<pid>/limits. Limit names contain spaces ("Max open files"), so columns are found from the
 * header's fixed positions rather than by splitting on whitespace.
 */
export function parseLimits(text: string): Map<string, Limit> {
  const out = new Map<string, Limit>();
  const lines = text.split('\n');
  const header = lines[0] ?? '';
  const softAt = header.indexOf('Soft Limit');
  if (softAt < 0) throw new Error('parse limits: no "Soft Limit" header');
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const name = line.slice(0, softAt).trim();
    const [soft, hard, units = ''] = line.slice(softAt).trim().split(/\s+/);
    if (!name || soft === undefined || hard === undefined) continue;
    out.set(name, { soft: limitValue(soft), hard: limitValue(hard), units });
  }
  return out;
}

function limitValue(s: string): number | null {
  if (s === 'unlimited') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/**
 * Soft RLIMIT_NOFILE of `pid`, with the FdEntry convention: 0 = unlimited, -1 = unknown (process gone,
 * unreadable, or the line missing).
 */
export async function softFdLimit(pid: number): Promise<number> {
  const text = await readTextIfPresent(`/proc/${pid}/limits`);
  if (text === undefined) return -1;
  const limit = parseLimits(text).get('Max open files');
  if (!limit) return -1;
  return limit.soft === null ? 0 : limit.soft;
}

/** Process name from /proc/<pid>/comm, "" when the process is gone. */
export async function readComm(pid: number): Promise<string> {
  const text = await readTextIfPresent(`/proc/${pid}/comm`);
  return text === undefined ? '' : text.replace(/\n$/, '');
}
