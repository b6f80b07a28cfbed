// fanotify events → audit events: which operations a kernel event's mask says happened, and on which path.
// Pure (no kernel, no native addon), so the decoding is unit-tested against hand-built events.
import { join } from 'node:path';
import type { RawFanEvent, RawFanInfo } from '../bpf/native.js';

// <linux/fanotify.h>
export const FAN = {
  ACCESS: 0x1,
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  OPEN: 0x20,
  CREATE: 0x100,
  DELETE: 0x200,
  DELETE_SELF: 0x400,
  MOVE_SELF: 0x800,
  Q_OVERFLOW: 0x4000,
  EVENT_ON_CHILD: 0x08000000,
  RENAME: 0x10000000,
  ONDIR: 0x40000000,
} as const;

export const INFO = { FID: 1, DFID_NAME: 2, DFID: 3, OLD_DFID_NAME: 10, NEW_DFID_NAME: 12 } as const;

/** What a file mark asks for; a directory's adds the entries in it (not recursive, like inotify). */
export const FILE_MASK =
  FAN.ACCESS | FAN.MODIFY | FAN.ATTRIB | FAN.CLOSE_WRITE | FAN.OPEN | FAN.DELETE_SELF | FAN.MOVE_SELF;
export const DIR_MASK = FILE_MASK | FAN.CREATE | FAN.DELETE | FAN.RENAME | FAN.EVENT_ON_CHILD | FAN.ONDIR;

export const AUDIT_OPS = [
  'create',
  'open',
  'read',
  'modify',
  'attrib',
  'close_write',
  'rename',
  'delete',
] as const;
export type AuditOp = (typeof AUDIT_OPS)[number];

/**
 * Mask bit → op, in the order a file's life runs: the kernel merges identical queued events of one process
 * on one object into one event (open + read + close of `cat`, or several writes), so one event can stand for
 * several ops, and they are printed in this order.
 */
const OP_BITS: readonly [AuditOp, number][] = [
  ['create', FAN.CREATE],
  ['open', FAN.OPEN],
  ['read', FAN.ACCESS],
  ['modify', FAN.MODIFY],
  ['attrib', FAN.ATTRIB],
  ['close_write', FAN.CLOSE_WRITE],
  ['rename', FAN.RENAME | FAN.MOVE_SELF],
  ['delete', FAN.DELETE | FAN.DELETE_SELF],
];

export interface AuditEvent {
  /** RFC 3339, when kerno read the event (fanotify events carry no timestamp). */
  time: string;
  path: string;
  op: AuditOp;
  pid: number;
  /** The process name when the event was read; null when the process had already exited and been reaped. */
  comm: string | null;
  /** The kernel event's mask: lines from one (merged) kernel event share it. */
  mask: number;
  /** rename: the new path; null when it is outside every watched directory and cannot be resolved. */
  to?: string | null;
}

/** Resolves a file identifier kerno did not mark (a directory a file was renamed into): null if unknown. */
export type HandleResolver = (info: RawFanInfo) => string | null;

export function opsOf(mask: number): AuditOp[] {
  return OP_BITS.filter(([, bits]) => (mask & bits) !== 0).map(([op]) => op);
}

function named(info: RawFanInfo | undefined, known: ReadonlyMap<string, string>, resolve: HandleResolver) {
  if (!info) return null;
  const dir = known.get(info.key) ?? resolve(info);
  if (dir === null) return null;
  return info.name === undefined || info.name === '.' ? dir : join(dir, info.name);
}

/**
 * The path an event is about: the marked object itself when the event names it (a watched file), else its
 * directory's path and its name (an entry of a watched directory).
 */
export function eventPaths(
  raw: RawFanEvent,
  known: ReadonlyMap<string, string>,
  resolve: HandleResolver,
): { path: string; to?: string | null } {
  const by = (t: number) => raw.infos.find((i) => i.type === t);
  const fid = by(INFO.FID);
  if (raw.mask & FAN.RENAME) {
    // The kernel leaves out the new directory when it is not watched: then the entry's own identifier
    // says where it is now.
    return {
      path: named(by(INFO.OLD_DFID_NAME), known, resolve) ?? '?',
      to: named(by(INFO.NEW_DFID_NAME), known, resolve) ?? (fid ? resolve(fid) : null),
    };
  }
  const self = fid ? known.get(fid.key) : undefined;
  const path = self ?? named(by(INFO.DFID_NAME) ?? by(INFO.DFID), known, resolve);
  const p = path ?? (fid ? resolve(fid) : null) ?? '?';
  // A watched file moved: where it went, if it is still somewhere kerno can name.
  if (raw.mask & FAN.MOVE_SELF) return { path: p, to: fid ? resolve(fid) : null };
  return { path: p };
}

/** One line per op the event stands for; kerno's own accesses (pid === selfPid) are left out. */
export function decode(
  raw: RawFanEvent,
  known: ReadonlyMap<string, string>,
  resolve: HandleResolver,
  selfPid: number,
): AuditEvent[] {
  if (raw.pid === selfPid || raw.mask & FAN.Q_OVERFLOW) return [];
  const ops = opsOf(raw.mask);
  if (ops.length === 0) return [];
  const { path, to } = eventPaths(raw, known, resolve);
  const time = new Date(raw.timeMs).toISOString();
  return ops.map((op) => ({
    time,
    path,
    op,
    pid: raw.pid,
    comm: raw.comm,
    mask: raw.mask,
    ...(op === 'rename' ? { to: to ?? null } : {}),
  }));
}
