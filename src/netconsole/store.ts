// Durable record of incidents: one JSON object per line in <state-dir>/panics.jsonl, appended and fsync'ed
// before append() resolves — an incident is acknowledged (metric, webhook, event) only once it is on disk.
// Why JSON lines and not SQLite: no native dependency to build for every node image, append-only writes
// that a crash can only tear at the very end, and a reader that tolerates that torn last line. See
// docs/netconsole.md. One process writes (the receiver); any number may read.
//
// A failed append (ENOSPC, EIO) is cut back to the last whole record before the error is reported, so the
// end offset — which the webhook cursor counts in — stays true and the next record starts on a line of its
// own. Files are 0600 in a 0700 directory: they hold kernel log text.

import { EventEmitter } from 'node:events';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isPanicIncident, type IncidentKind, type PanicIncident } from './incident.js';
import { prepareStateDir, STATE_FILE_MODE } from './state-dir.js';

export const PANICS_FILE = 'panics.jsonl';
export const RECORD_VERSION = 1;

export function panicsPath(stateDir: string): string {
  return join(stateDir, PANICS_FILE);
}

export interface StoredIncident {
  incident: PanicIncident;
  /** Byte offset of the record's line, and of the byte after its newline. */
  offset: number;
  end: number;
}

export interface ListOptions {
  /** Newest first; at most this many. */
  limit?: number;
  node?: string;
  kind?: IncidentKind;
  /** Only incidents at or after this time (ms since the epoch). */
  sinceMs?: number;
}

export interface ReadResult {
  records: StoredIncident[];
  /** Lines that were not valid incident JSON (a torn last line is not counted: it is expected). */
  corrupt: number;
  /** True when the file ended in a partial line. */
  tornTail: boolean;
}

/** Parse a panics.jsonl buffer starting at `base` (its byte offset in the file). */
export function parseRecords(buf: Buffer, base = 0): ReadResult {
  const out: ReadResult = { records: [], corrupt: 0, tornTail: false };
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      out.tornTail = true;
      break;
    }
    const line = buf.toString('utf8', start, nl).trim();
    if (line.length > 0) {
      const inc = parseLine(line);
      if (inc) out.records.push({ incident: inc, offset: base + start, end: base + nl + 1 });
      else out.corrupt++;
    }
    start = nl + 1;
  }
  return out;
}

function parseLine(line: string): PanicIncident | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPanicIncident(value)) return undefined;
  const { v: _v, ...incident } = value as PanicIncident & { v?: number };
  return incident;
}

/** Read every complete record of a panics file (missing file = none). */
export async function readIncidentFile(path: string, fromOffset = 0): Promise<ReadResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], corrupt: 0, tornTail: false };
    throw new Error(`read ${path}: ${(err as Error).message}`, { cause: err });
  }
  // An offset past the end means the file was replaced by a shorter one: read it all.
  const from = fromOffset > 0 && fromOffset <= buf.length ? fromOffset : 0;
  return parseRecords(buf.subarray(from), from);
}

export function filterIncidents(records: readonly PanicIncident[], opts: ListOptions = {}): PanicIncident[] {
  const seen = new Set<string>();
  const out: PanicIncident[] = [];
  for (let i = records.length - 1; i >= 0; i--) {
    const inc = records[i] as PanicIncident;
    if (seen.has(inc.id)) continue;
    seen.add(inc.id);
    if (opts.node !== undefined && inc.node !== opts.node) continue;
    if (opts.kind !== undefined && inc.kind !== opts.kind) continue;
    if (opts.sinceMs !== undefined && Date.parse(inc.time) < opts.sinceMs) continue;
    out.push(inc);
    if (opts.limit !== undefined && out.length >= opts.limit) break;
  }
  return out;
}

export interface IncidentList {
  incidents: PanicIncident[];
  /** Lines of the file that are not valid records and were skipped. */
  corrupt: number;
}

/** List incidents from a state directory without opening it for writing (kerno panics, GET /panics). */
export async function listIncidents(stateDir: string, opts: ListOptions = {}): Promise<PanicIncident[]> {
  return (await listIncidentsDetailed(stateDir, opts)).incidents;
}

export async function listIncidentsDetailed(stateDir: string, opts: ListOptions = {}): Promise<IncidentList> {
  const r = await readIncidentFile(panicsPath(stateDir));
  return {
    incidents: filterIncidents(
      r.records.map((s) => s.incident),
      opts,
    ),
    corrupt: r.corrupt,
  };
}

export interface IncidentStoreEvents {
  append: [StoredIncident];
  /** The count of corrupt lines in the file changed (seen at open or on a full read). */
  corrupt: [number];
}

export interface OpenedStore {
  /** Ids of the newest records, oldest first (for deduplication across restarts). */
  recentIds: string[];
}

/** Ids remembered from the file at open. */
const RECENT_IDS_AT_OPEN = 4_096;

export class IncidentStore extends EventEmitter<IncidentStoreEvents> {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** A failed append may have left bytes past `size`: cut them before the next write. */
  private dirty = false;
  private corruptLines: number;
  /** Ids of the newest records at open, oldest first. */
  readonly recentIds: readonly string[];

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private size: number,
    corrupt: number,
    recentIds: string[],
  ) {
    super();
    this.corruptLines = corrupt;
    this.recentIds = recentIds;
  }

  /** Corrupt lines skipped in the file (at open, updated by every full read). */
  get corrupt(): number {
    return this.corruptLines;
  }

  /**
   * Open (creating) <stateDir>/panics.jsonl for appending. A torn last line — a write that never reached
   * its fsync, so was never acknowledged — is cut off first, or the next record would be glued onto it.
   */
  static async open(stateDir: string): Promise<IncidentStore> {
    await prepareStateDir(stateDir);
    const path = panicsPath(stateDir);
    try {
      const existed = await exists(path);
      const fh = await open(path, 'a+', STATE_FILE_MODE);
      try {
        // Files written by older versions were 0640.
        await fh.chmod(STATE_FILE_MODE);
        let size = (await fh.stat()).size;
        let corrupt = 0;
        let recentIds: string[] = [];
        if (size > 0) {
          const buf = await fh.readFile();
          const good = lastNewlineEnd(buf);
          if (good < size) {
            await fh.truncate(good);
            await fh.sync();
            size = good;
          }
          const parsed = parseRecords(buf.subarray(0, good));
          corrupt = parsed.corrupt;
          recentIds = parsed.records.slice(-RECENT_IDS_AT_OPEN).map((r) => r.incident.id);
        }
        if (!existed) fsyncDir(dirname(path));
        return new IncidentStore(path, fh, size, corrupt, recentIds);
      } catch (err) {
        await fh.close().catch(() => undefined);
        throw err;
      }
    } catch (err) {
      throw new Error(`open incident store ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Append and fsync one incident; resolves only when it is durable. Appends are serialized. */
  append(incident: PanicIncident): Promise<StoredIncident> {
    const next = this.chain.then(() => this.write(incident));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(incident: PanicIncident): Promise<StoredIncident> {
    if (this.closed) throw new Error(`append to ${this.path}: store is closed`);
    const line = Buffer.from(JSON.stringify({ v: RECORD_VERSION, ...incident }) + '\n', 'utf8');
    const offset = this.size;
    try {
      if (this.dirty) await this.cutBack();
      this.dirty = true;
      let written = 0;
      while (written < line.length) {
        const r = await this.fh.write(line, written, line.length - written);
        written += r.bytesWritten;
      }
      await this.fh.sync();
      this.dirty = false;
    } catch (err) {
      // Never leave a partial record for the next one to be glued onto: cut back to the last whole one.
      // If even that fails, `dirty` stays set and the next append retries the cut before writing.
      if (this.dirty) await this.cutBack().catch(() => undefined);
      throw new Error(`append to ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.size += line.length;
    const stored: StoredIncident = { incident, offset, end: this.size };
    this.emit('append', stored);
    return stored;
  }

  private async cutBack(): Promise<void> {
    await this.fh.truncate(this.size);
    await this.fh.sync();
    this.dirty = false;
  }

  /** Bytes of complete, acknowledged records. */
  get endOffset(): number {
    return this.size;
  }

  async readFrom(offset = 0): Promise<StoredIncident[]> {
    return (await readIncidentFile(this.path, offset)).records;
  }

  async list(opts: ListOptions = {}): Promise<PanicIncident[]> {
    const r = await readIncidentFile(this.path);
    this.noteCorrupt(r.corrupt);
    return filterIncidents(
      r.records.map((s) => s.incident),
      opts,
    );
  }

  private noteCorrupt(n: number): void {
    if (n === this.corruptLines) return;
    this.corruptLines = n;
    this.emit('corrupt', n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    await this.fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function lastNewlineEnd(buf: Buffer): number {
  const i = buf.lastIndexOf(0x0a);
  return i < 0 ? 0 : i + 1;
}

/** A new file's directory entry is durable only once the directory itself is fsync'ed. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
