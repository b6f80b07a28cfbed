// Readers for one memory cgroup's files, v1 and v2. Byte values are parsed as BigInt first: "unlimited" is
// written as a number near 2^63 that a JS Number cannot even represent exactly, so the unlimited test must
// happen before the conversion. Reads are synchronous pseudo-file reads (see readPseudoFile); callers batch
// them with mapSliced.

import type { CgroupMemoryEvents } from '../../signals/types.js';
import { parsePsi, type PsiStats } from './psi.js';
import { readPseudoFile } from './read-text.js';

/**
 * v1 reports "no limit" as PAGE_COUNTER_MAX in bytes: LONG_MAX rounded down to the page size
 * (9223372036854771712 with 4 KiB pages, a little less with 16/64 KiB pages). Anything at or above 2^62
 * (4 EiB) is no real limit on any machine, which covers every page size without listing them.
 */
export const UNLIMITED_AT = 2n ** 62n;

/** v1 memory.limit_in_bytes: bytes, or undefined when unlimited or unparseable. */
export function parseLimitV1(text: string): bigint | undefined {
  const v = parseBig(text);
  return v === undefined || v >= UNLIMITED_AT ? undefined : v;
}

/** v2 memory.max / memory.high: bytes, or undefined for "max" (and for an empty or unparseable file). */
export function parseMaxV2(text: string): bigint | undefined {
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const v = parseBig(t);
  return v === undefined || v >= UNLIMITED_AT ? undefined : v;
}

function parseBig(text: string): bigint | undefined {
  const t = text.trim();
  return /^\d+$/.test(t) ? BigInt(t) : undefined;
}

/** Flat "key value" files (memory.events, memory.oom_control, memory.stat) into key → number. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (!k || v === undefined) continue;
    const n = Number(v);
    if (Number.isFinite(n)) out.set(k, n);
  }
  return out;
}

export interface MemoryEventsV2 extends CgroupMemoryEvents {
  oomGroupKill: number;
}

/** v2 memory.events: low high max oom oom_kill oom_group_kill (oom_group_kill since 5.18: 0 if absent). */
export function parseMemoryEvents(text: string): MemoryEventsV2 {
  const kv = parseKeyValues(text);
  return {
    low: kv.get('low') ?? 0,
    high: kv.get('high') ?? 0,
    max: kv.get('max') ?? 0,
    oom: kv.get('oom') ?? 0,
    oomKill: kv.get('oom_kill') ?? 0,
    oomGroupKill: kv.get('oom_group_kill') ?? 0,
  };
}

export interface OomControlV1 {
  oomKillDisable: boolean;
  underOom: boolean;
  /** Kills in this cgroup (the oom_kill line exists since 4.13; 0 if absent). */
  oomKill: number;
}

/** v1 memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 0". */
export function parseOomControl(text: string): OomControlV1 {
  const kv = parseKeyValues(text);
  return {
    oomKillDisable: kv.get('oom_kill_disable') === 1,
    underOom: kv.get('under_oom') === 1,
    oomKill: kv.get('oom_kill') ?? 0,
  };
}

/** The cgroup's own limit file: v1 memory.limit_in_bytes, v2 memory.max. */
export function limitFile(version: 1 | 2): string {
  return version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
}

/**
 * The limit set on this cgroup itself, in bytes; undefined when it has none (an ancestor's limit still
 * applies, but the ancestor is what gets reported) or the cgroup vanished.
 */
export function readOwnLimit(version: 1 | 2, dir: string): bigint | undefined {
  const text = readPseudoFile(`${dir}/${limitFile(version)}`);
  if (text === undefined) return undefined;
  return version === 1 ? parseLimitV1(text) : parseMaxV2(text);
}

/** One read of a limited cgroup. */
export interface CgroupMemorySample {
  version: 1 | 2;
  currentBytes: number;
  limitBytes: number;
  /** v2 memory.high; 0 = unset (and always 0 on v1). */
  highBytes: number;
  /** v1 memory.failcnt (0 on v2). */
  failcnt: number;
  events: CgroupMemoryEvents;
  underOom: boolean;
  /** v2 memory.pressure, when PSI is enabled. */
  psi?: PsiStats;
}

/**
 * Reads a cgroup whose own limit is `limitBytes`. Returns undefined when the cgroup disappeared before its
 * usage could be read (its usage file is the one read that must succeed).
 */
export function readMemorySample(
  version: 1 | 2,
  dir: string,
  limitBytes: bigint,
): CgroupMemorySample | undefined {
  return version === 1 ? readV1(dir, limitBytes) : readV2(dir, limitBytes);
}

function readV1(dir: string, limit: bigint): CgroupMemorySample | undefined {
  const usage = readPseudoFile(`${dir}/memory.usage_in_bytes`);
  const failcnt = readPseudoFile(`${dir}/memory.failcnt`);
  const oomControl = readPseudoFile(`${dir}/memory.oom_control`);
  const current = usage === undefined ? undefined : parseBig(usage);
  if (current === undefined) return undefined;
  const oom = oomControl === undefined ? undefined : parseOomControl(oomControl);
  return {
    version: 1,
    currentBytes: Number(current),
    limitBytes: Number(limit),
    highBytes: 0,
    failcnt: failcnt === undefined ? 0 : Number(parseBig(failcnt) ?? 0n),
    events: { low: 0, high: 0, max: 0, oom: 0, oomKill: oom?.oomKill ?? 0 },
    underOom: oom?.underOom ?? false,
  };
}

function readV2(dir: string, limit: bigint): CgroupMemorySample | undefined {
  const currentText = readPseudoFile(`${dir}/memory.current`);
  const high = readPseudoFile(`${dir}/memory.high`);
  const events = readPseudoFile(`${dir}/memory.events`);
  const pressure = readPseudoFile(`${dir}/memory.pressure`);
  const current = currentText === undefined ? undefined : parseBig(currentText);
  if (current === undefined) return undefined;
  const ev = events === undefined ? undefined : parseMemoryEvents(events);
  const sample: CgroupMemorySample = {
    version: 2,
    currentBytes: Number(current),
    limitBytes: Number(limit),
    highBytes: high === undefined ? 0 : Number(parseMaxV2(high) ?? 0n),
    failcnt: 0,
    events: {
      low: ev?.low ?? 0,
      high: ev?.high ?? 0,
      max: ev?.max ?? 0,
      oom: ev?.oom ?? 0,
      oomKill: ev?.oomKill ?? 0,
    },
    // v2 has no under_oom flag; `oom` events rising is the equivalent, read as a rate by rules.
    underOom: false,
  };
  if (pressure !== undefined) {
    try {
      sample.psi = parsePsi(pressure);
    } catch {
      // An empty pressure file (PSI off for this cgroup) carries no signal.
    }
  }
  return sample;
}
