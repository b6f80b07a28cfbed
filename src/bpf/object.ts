// Typed facade over the native BpfObject: open → (autoload/globals) → load (off the JS thread) → attach →
// read maps / drain ring buffers → close. Every failure is a BpfError with errno, code, the object/program/
// map it concerns and, for load failures, the verifier log.
import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import {
  native,
  type AttachOptions,
  type ObjectHandle,
  type RawBpfObject,
  type RawLoadedProgram,
  type RawMap,
  type RawProgram,
  type RawProgramInfo,
} from './native.js';
import { BpfError, toBpfError } from './errors.js';

export type { AttachOptions } from './native.js';
import { BpfMap } from './map.js';
import type { BtfStruct } from './layout.js';
import { RingBuffer, type RingBufferOptions } from './ringbuf.js';

export interface ProgramInfo {
  name: string;
  section: string;
  /** e.g. "tracing", "raw_tracepoint", "tracepoint" */
  type: string;
  /** e.g. "trace_raw_tp" for tp_btf, "" when not applicable */
  attachType: string;
  autoload: boolean;
  insnCount: number;
}

export interface LoadedProgram {
  name: string;
  autoload: boolean;
  loaded: boolean;
  verifiedInsns: number;
  verifierLog: string;
}

export interface LoadResult {
  programs: LoadedProgram[];
  loadMs: number;
}

export class Link {
  #destroyed = false;
  constructor(
    private readonly owner: BpfObject,
    readonly program: string,
    private readonly id: number,
  ) {}

  get destroyed(): boolean {
    return this.#destroyed || this.owner.closed;
  }

  /** Detaches the program. Idempotent; a closed object has already detached everything. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (!this.owner.closed) this.owner.raw().detach(this.id);
  }
}

/** A program libbpf attaches to a cgroup (its fd is needed): cgroup_skb/…, cgroup/…, sockops. */
export function isCgroupProgram(section: string): boolean {
  const s = section.replace(/^\?/, '');
  return s.startsWith('cgroup') || s === 'sockops';
}

/** Friendly attach-kind name from the ELF section, for tables and hints. */
export function attachKind(section: string): string {
  const i = section.indexOf('/');
  return i < 0 ? section : section.slice(0, i);
}

export class BpfObject implements ObjectHandle {
  /** Objects loaded in this process and not closed yet: what kerno's own cost is read from (run-stats.ts). */
  static readonly #live = new Set<BpfObject>();
  readonly path: string;
  readonly name: string;
  #raw: RawBpfObject | undefined;
  #loaded = false;
  #maps = new Map<string, BpfMap>();
  #links = new Set<Link>();
  #rings = new Set<RingBuffer>();

  private constructor(path: string, raw: RawBpfObject) {
    this.path = path;
    this.name = basename(path).replace(/\.bpf\.o$/, '').replace(/\.o$/, '');
    this.#raw = raw;
  }

  /** Opens (parses) an object file. Nothing is loaded into the kernel yet. */
  static open(path: string): BpfObject {
    if (!existsSync(path)) {
      throw new BpfError(`open ${path}: no such file (build it with scripts/setup.sh)`, {
        errno: 2,
        code: 'ENOENT',
        object: path,
      });
    }
    try {
      return new BpfObject(path, new (native().BpfObject)(path));
    } catch (err) {
      throw toBpfError(err, { object: path });
    }
  }

  get closed(): boolean {
    return this.#raw === undefined;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** @internal */
  raw(): RawBpfObject {
    if (!this.#raw) throw new BpfError(`${this.name}: object is closed`, { object: this.path });
    return this.#raw;
  }

  programs(): ProgramInfo[] {
    return this.raw()
      .programs()
      .map((p: RawProgram) => ({
        name: p.name,
        section: p.section,
        type: p.type,
        attachType: p.attachType,
        autoload: p.autoload,
        insnCount: p.insnCount,
      }));
  }

  mapInfos(): RawMap[] {
    return this.raw().maps();
  }

  /** A struct as the object's BTF describes it (undefined when absent): for checking record layouts. */
  btfStruct(name: string): BtfStruct | undefined {
    return this.raw().btfStruct(name);
  }

  setAutoload(program: string, on: boolean): this {
    this.call(() => this.raw().setAutoload(program, on), { program });
    return this;
  }

  /** Loads only the named programs (all others get autoload off). */
  selectPrograms(names: readonly string[]): this {
    const want = new Set(names);
    for (const p of this.programs()) this.setAutoload(p.name, want.has(p.name));
    for (const n of want) {
      if (!this.programs().some((p) => p.name === n)) {
        throw new BpfError(`${this.name}: no program named ${n}`, { object: this.path, program: n, code: 'ENOENT' });
      }
    }
    return this;
  }

  /** Sets a `const volatile` global before load. Numbers are written little-endian in `bytes` bytes. */
  setGlobal(name: string, value: number | bigint | Buffer, bytes: 1 | 2 | 4 | 8 = 4): this {
    let buf: Buffer;
    if (Buffer.isBuffer(value)) buf = value;
    else {
      buf = Buffer.alloc(bytes);
      if (bytes === 8) buf.writeBigUInt64LE(BigInt(value));
      else buf.writeUIntLE(Number(value), 0, bytes);
    }
    this.call(() => this.raw().setGlobal(name, buf), {});
    return this;
  }

  /** Resizes a map before load (shrink preallocated maps a chosen program variant does not use). */
  setMaxEntries(map: string, n: number): this {
    this.call(() => this.raw().setMaxEntries(map, n), { map });
    return this;
  }

  /** Loads every autoload program into the kernel on a worker thread. */
  async load(): Promise<LoadResult> {
    try {
      const r = await this.raw().load();
      this.#loaded = true;
      BpfObject.#live.add(this);
      return { loadMs: r.loadNs / 1e6, programs: r.programs.map(toLoaded) };
    } catch (err) {
      const e = toBpfError(err, { object: this.path });
      e.message = e.message.replace(`load ${this.path}`, `load ${this.name}`);
      throw e;
    }
  }

  attach(program: string, opts?: AttachOptions): Link {
    const id = this.call(() => this.raw().attach(program, opts), { program });
    const link = new Link(this, program, id);
    this.#links.add(link);
    return link;
  }

  /** Attaches every loaded (autoload) program; on failure detaches what was attached and rethrows. */
  attachAll(opts?: AttachOptions): Link[] {
    const links: Link[] = [];
    try {
      for (const p of this.programs())
        if (p.autoload) links.push(this.attach(p.name, isCgroupProgram(p.section) ? opts : undefined));
      return links;
    } catch (err) {
      for (const l of links) l.destroy();
      throw err;
    }
  }

  map(name: string): BpfMap {
    let m = this.#maps.get(name);
    if (!m) {
      const info = this.mapInfos().find((x) => x.name === name || x.name.endsWith(`.${name}`));
      if (!info) throw new BpfError(`${this.name}: no map named ${name}`, { object: this.path, map: name, code: 'ENOENT' });
      m = new BpfMap(this, info);
      this.#maps.set(name, m);
    }
    return m;
  }

  programInfo(program: string): RawProgramInfo | null {
    return this.call(() => this.raw().programInfo(program), { program });
  }

  /** Every object loaded in this process and still open. */
  static loadedObjects(): BpfObject[] {
    return [...BpfObject.#live];
  }

  /** Starts draining a ring buffer on a background thread; records arrive in batches. */
  ringBuffer(map: string, onRecords: (records: Buffer[]) => void, opts: RingBufferOptions = {}): RingBuffer {
    const rb = new RingBuffer(this, map, onRecords, opts, () => this.#rings.delete(rb));
    this.#rings.add(rb);
    return rb;
  }

  /** Stops drainers, detaches links, frees the object. Idempotent. */
  close(): void {
    if (!this.#raw) return;
    BpfObject.#live.delete(this);
    for (const rb of this.#rings) rb.stop();
    this.#rings.clear();
    this.#raw.close();
    this.#raw = undefined;
  }

  private call<T>(fn: () => T, ctx: { program?: string; map?: string }): T {
    try {
      return fn();
    } catch (err) {
      throw toBpfError(err, { object: this.path, ...ctx });
    }
  }
}

function toLoaded(p: RawLoadedProgram): LoadedProgram {
  return {
    name: p.name,
    autoload: p.autoload,
    loaded: p.loaded,
    verifiedInsns: p.verifiedInsns,
    verifierLog: p.verifierLog,
  };
}
