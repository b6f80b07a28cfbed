// The kernel's own since-boot health counters: /sys/kernel/oops_count and warn_count (Linux 6.2+) and
// /proc/sys/kernel/tainted. A missing counter file (older kernel) reads as -1, "not available", so rules can
// tell "zero" from "cannot see".

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTaint } from './taint.js';

export interface KernelCounters {
  oopsCount: number;
  warnCount: number;
  taint: number;
}

export interface CounterPaths {
  sysKernel?: string;
  procSysKernel?: string;
}

export function readKernelCounters(paths: CounterPaths = {}): KernelCounters {
  const sys = paths.sysKernel ?? '/sys/kernel';
  const proc = paths.procSysKernel ?? '/proc/sys/kernel';
  return {
    oopsCount: readCount(join(sys, 'oops_count')),
    warnCount: readCount(join(sys, 'warn_count')),
    taint: parseTaint(readOr(join(proc, 'tainted')) ?? '') ?? -1,
  };
}

function readCount(path: string): number {
  const text = readOr(path);
  if (text === undefined) return -1;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR') return undefined;
    throw new Error(`read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Delta of a since-boot counter over a window; 0 when either end is not available. */
export function counterDelta(before: number, after: number): number {
  if (before < 0 || after < 0) return 0;
  return Math.max(0, after - before);
}
