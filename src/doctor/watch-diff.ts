// `kerno doctor --watch` (issue 18, reference §4.7): what changed between two consecutive windows. A
// finding is identified by (rule, subject) as everywhere in the engine; it is NEW the first window it
// appears, ONGOING while it stays, RESOLVED the first window it is gone (and kept that way for
// `keepResolvedMs` so a live screen does not lose it at once). Pure: the clock is an argument.
import { SEVERITY_RANK, type Finding } from './types.js';
import { findingKey } from './timeline.js';
import { formatEta, formatValue } from './format.js';

export type WatchStatus = 'new' | 'ongoing' | 'resolved';

/** One difference in an ongoing finding since the previous window: "value 120ms → 180ms". */
export interface EvidenceChange {
  /** "severity", "value", "eta" or "evidence". */
  what: string;
  from: string;
  to: string;
}

export interface WatchEntry {
  status: WatchStatus;
  /** The latest finding (for a resolved one: as last seen). */
  finding: Finding;
  /** Epoch ms of the window end at which it was first seen in this run (of this appearance). */
  sinceMs: number;
  /** Epoch ms of the window end at which it was last seen. */
  lastSeenMs: number;
  /** Epoch ms of the window end at which it was first missing (resolved only). */
  resolvedAtMs?: number;
  /** Changes since the previous window (ongoing only; empty when nothing changed). */
  changes: EvidenceChange[];
}

export interface WatchState {
  /** 1 for the first window. */
  cycle: number;
  /** New and ongoing in rank order, then resolved (most recently resolved first). */
  entries: WatchEntry[];
}

export interface DiffOptions {
  /** How long a resolved finding stays listed after it resolved; 0: only in the window it resolved. */
  keepResolvedMs?: number;
  /** At most this many changed evidence lines listed per finding (the rest are counted). Default 2. */
  maxEvidenceChanges?: number;
}

export const EMPTY_WATCH_STATE: WatchState = { cycle: 0, entries: [] };

/**
 * The next state given the previous one and the findings of the window that ended at `nowMs` (ranked, as
 * the engine returns them).
 */
export function diffFindings(
  prev: WatchState,
  findings: readonly Finding[],
  nowMs: number,
  opts: DiffOptions = {},
): WatchState {
  const keepMs = opts.keepResolvedMs ?? 0;
  const active = new Map<string, WatchEntry>();
  const resolvedBefore = new Map<string, WatchEntry>();
  for (const e of prev.entries) {
    (e.status === 'resolved' ? resolvedBefore : active).set(findingKey(e.finding), e);
  }
  const seen = new Set<string>();
  const current: WatchEntry[] = [];
  for (const f of findings) {
    const key = findingKey(f);
    if (seen.has(key)) continue;
    seen.add(key);
    const before = active.get(key);
    current.push(
      before
        ? {
            status: 'ongoing',
            finding: f,
            sinceMs: before.sinceMs,
            lastSeenMs: nowMs,
            changes: evidenceChanges(before.finding, f, opts.maxEvidenceChanges ?? 2),
          }
        : { status: 'new', finding: f, sinceMs: nowMs, lastSeenMs: nowMs, changes: [] },
    );
  }
  const resolved: WatchEntry[] = [];
  for (const [key, e] of active) {
    if (seen.has(key)) continue;
    resolved.push({ ...e, status: 'resolved', resolvedAtMs: nowMs, changes: [] });
  }
  for (const [key, e] of resolvedBefore) {
    if (seen.has(key) || active.has(key)) continue;
    if (nowMs - (e.resolvedAtMs ?? nowMs) < keepMs) resolved.push(e);
  }
  resolved.sort((a, b) => (b.resolvedAtMs ?? 0) - (a.resolvedAtMs ?? 0));
  return { cycle: prev.cycle + 1, entries: [...current, ...resolved] };
}

/** Entries by status, for headers and the JSON summary. */
export function countByStatus(state: WatchState): Record<WatchStatus, number> {
  const n: Record<WatchStatus, number> = { new: 0, ongoing: 0, resolved: 0 };
  for (const e of state.entries) n[e.status] += 1;
  return n;
}

/** A line with its numbers blanked: "p99 12ms over 40 calls" → "p# #ms over # calls". */
function skeleton(line: string): string {
  return line.replace(/\d[\d.,]*/g, '#');
}

/** Only what a reader would notice: a formatted value that reads the same is no change. */
export function evidenceChanges(before: Finding, after: Finding, maxEvidence = 2): EvidenceChange[] {
  const out: EvidenceChange[] = [];
  if (before.severity !== after.severity) {
    const dir = SEVERITY_RANK[after.severity] > SEVERITY_RANK[before.severity] ? 'escalated' : 'eased';
    out.push({ what: `severity (${dir})`, from: before.severity, to: after.severity });
  }
  const v0 = formatValue(before.unit, before.value);
  const v1 = formatValue(after.unit, after.value);
  if (v0 !== v1) out.push({ what: 'value', from: v0, to: v1 });
  const e0 = before.etaNs === undefined ? 'none' : formatEta(before.etaNs);
  const e1 = after.etaNs === undefined ? 'none' : formatEta(after.etaNs);
  if (e0 !== e1) out.push({ what: 'eta', from: e0, to: e1 });
  // Evidence lines whose words stay and only numbers move repeat what `value` says: counted, not listed.
  // A line with new words (another top process, another device) is a new fact and is shown.
  const lines: EvidenceChange[] = [];
  let updated = 0;
  const n = Math.max(before.evidence.length, after.evidence.length);
  for (let i = 0; i < n; i++) {
    const a = before.evidence[i];
    const b = after.evidence[i];
    if (a === b) continue;
    if (a !== undefined && b !== undefined && skeleton(a) === skeleton(b)) updated++;
    else lines.push({ what: 'evidence', from: a ?? '', to: b ?? '' });
  }
  out.push(...lines.slice(0, maxEvidence));
  const listed = Math.min(lines.length, maxEvidence);
  const rest = lines.length - listed + updated;
  if (rest > 0) {
    const more = listed > 0 ? ' more' : '';
    out.push({
      what: 'evidence',
      from: '',
      to: `${rest}${more} line${rest === 1 ? '' : 's'} with new numbers`,
    });
  }
  return out;
}
