// Loads the native addon and describes its raw surface. Everything here is deliberately untyped-ish
// bytes; src/bpf/object.ts gives it a typed, validated face.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { installedLayout, packageRoot } from './paths.js';
import type { BtfStruct } from './layout.js';

export interface RawProgram {
  name: string;
  section: string;
  type: string;
  attachType: string;
  autoload: boolean;
  insnCount: number;
  fd: number;
}

export interface RawMap {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  fd: number;
}

export interface RawLoadedProgram {
  name: string;
  autoload: boolean;
  loaded: boolean;
  verifiedInsns: number;
  xlatedBytes: number;
  id: number;
  verifierLog: string;
}

export interface RawLoadResult {
  programs: RawLoadedProgram[];
  loadNs: number;
  libbpfLog: string;
}

/**
 * How a per-CPU map's copies fold into one value natively (map.dump({ reduce })): every 8-byte lane is
 * summed, except `max` lanes (byte offsets) which take the largest, and `first` byte ranges ([offset,
 * length], whole lanes) which take the first CPU whose range is non-zero.
 */
export interface PerCpuReduce {
  max?: readonly number[];
  first?: readonly (readonly [number, number])[];
}

export interface RawDump {
  keys: Buffer;
  values: Buffer;
  count: number;
  keySize: number;
  valueSize: number;
}

export interface RawRingStats {
  records: number;
  batches: number;
  droppedRecords: number;
  droppedBatches: number;
  /** Batches handed to JS by the drainer thread but not delivered yet. */
  pending: number;
  /** Their size in bytes (framed records): what `maxPendingBytes` bounds. */
  pendingBytes: number;
}

export interface RawProgramInfo {
  id: number;
  verifiedInsns: number;
  runTimeNs: number;
  runCount: number;
  recursionMisses: number;
}

/** What a map or ring buffer needs of the object that owns it: the raw handle while it is open. */
export interface ObjectHandle {
  readonly path: string;
  readonly closed: boolean;
  raw(): RawBpfObject;
}

/** Where a program attaches when its section cannot say: a cgroup program needs its cgroup directory. */
export interface AttachOptions {
  /** cgroup v2 directory a cgroup program (cgroup_skb, cgroup/sock…) attaches to (BPF link, multi-attach). */
  cgroup?: string;
}

export interface RawBpfObject {
  programs(): RawProgram[];
  maps(): RawMap[];
  btfStruct(name: string): BtfStruct | undefined;
  setAutoload(program: string, on: boolean): void;
  setGlobal(name: string, value: Buffer): void;
  setMaxEntries(map: string, n: number): void;
  load(): Promise<RawLoadResult>;
  attach(program: string, opts?: AttachOptions): number;
  detach(linkId: number): void;
  programInfo(program: string): RawProgramInfo | null;
  mapLookup(map: string, key: Buffer): Buffer | null;
  mapUpdate(map: string, key: Buffer, value: Buffer, flags?: number): void;
  mapDelete(map: string, key: Buffer): boolean;
  /** Deletes the keys packed back to back in `keys` (batched where supported); returns how many existed. */
  mapDeleteMany(map: string, keys: Buffer): number;
  mapDump(map: string, reduce?: PerCpuReduce): RawDump;
  mapDumpChunk(
    map: string,
    reduce: PerCpuReduce | undefined,
    cursor: Buffer | null,
    into: { keys: Buffer; values: Buffer; scratch?: Buffer },
  ): { count: number; cursor: Buffer; done: boolean; keySize: number; valueSize: number };
  mapClear(map: string): number;
  ringOpen(
    map: string,
    cb: (batch: Buffer, count: number) => void,
    opts: { intervalMs?: number; maxBatchRecords?: number; maxPendingBytes?: number },
  ): number;
  ringStats(id: number): RawRingStats | null;
  ringDrainNow(id: number): { batch: Buffer; count: number } | null;
  ringClose(id: number): void;
  close(): void;
}

/** One file identifier of a fanotify event (native/fanotify.cc); `key` matches fileHandle(path). */
export interface RawFanInfo {
  type: number;
  key: string;
  handleType: number;
  handle: Buffer;
  name?: string;
}

export interface RawFanEvent {
  mask: number;
  pid: number;
  /** Wall clock (ms) when the reader thread read it. */
  timeMs: number;
  /** /proc/<pid>/comm read at that moment; null when the process was already gone. */
  comm: string | null;
  infos: RawFanInfo[];
}

export interface RawFanotifyReader {
  stop(): void;
  stats(): { events: number; droppedEvents: number; readErrors: number; pending: number };
}

export interface NativeAddon {
  BpfObject: new (path: string) => RawBpfObject;
  takeLog(): string;
  setLogLevel(level: 0 | 1 | 2): void;
  numPossibleCpus(): number;
  enableStats(): number;
  closeFd(fd: number): void;
  fanotifyInit(flags: number, eventFlags: number): number;
  fanotifyMark(fd: number, flags: number, mask: number, path: string): void;
  fileHandle(path: string): string;
  pathOfHandle(pathOnSameFs: string, handleType: number, handle: Buffer): string | null;
  FanotifyReader: new (
    fd: number,
    cb: (events: RawFanEvent[]) => void,
    opts?: { maxPending?: number },
  ) => RawFanotifyReader;
  /** The loaded libbpf's version string, e.g. "v1.1". */
  libbpfVersion(): string;
}

let cached: NativeAddon | undefined;

export function addonPath(): string {
  return installedLayout()?.addon ?? join(packageRoot(), 'build', 'Release', 'kerno_native.node');
}

/** Loads the addon once. Throws a one-line error naming the fix when it has not been built. */
export function native(): NativeAddon {
  if (cached) return cached;
  const p = addonPath();
  if (!existsSync(p)) {
    throw new Error(`native addon not built (${p} missing): run scripts/setup.sh`);
  }
  const require = createRequire(import.meta.url);
  cached = require(p) as NativeAddon;
  return cached;
}
