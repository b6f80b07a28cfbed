// Cgroup id → cgroup path.
//
// The id BPF reports for a cgroup (bpf_get_current_cgroup_id(), task->cgroups->dfl_cgrp->kn->id, a memcg's
// css.cgroup->kn->id) is the kernfs node id of the cgroup's directory. On 64-bit kernels that id IS the
// directory's inode number (kernfs_id_ino() returns it unchanged when ino_t is 64 bits), so
// stat(dir).ino === id. Ids are allocated per hierarchy (each cgroup mount has its own kernfs root, and every
// root directory is id 1), so an id means nothing without its hierarchy: bpf_get_current_cgroup_id() is in
// the cgroup2 (default) hierarchy; a memcg id from a v1 host is in the memory hierarchy. Ids only grow
// (idr_alloc_cyclic plus a generation in the upper 32 bits), which tells us when a rescan can help.
//
// Resolution walks the hierarchy once, caches every ino → path, and rescans on a miss only when it could
// find something: the id is newer than anything seen (a cgroup created since the last scan) or the last
// scan is old. A cached hit is re-validated with one stat, because a path can be removed and recreated
// under a new id.

import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { findUnifiedMount } from './cgroup-mounts.js';
import { walkCgroupTree } from './cgroup-walk.js';
import { mapSliced } from './sliced.js';

export interface ResolvedCgroup {
  /** The hierarchy's mount point. */
  root: string;
  /** Relative to the hierarchy root, as in /proc/<pid>/cgroup: "/" or "/system.slice/foo.service". */
  path: string;
  absPath: string;
}

export interface CgroupIdResolverOptions {
  /** Hierarchy to search; default: the cgroup2 mount (from /proc/self/mountinfo). */
  root?: string;
  /** Directory depth bound for the walk (default 16: deeper than any runtime nests containers). */
  maxDepth?: number;
  /** Monotonic clock in ms (tests). */
  nowMs?: () => number;
}

/** A miss for an id newer than every id seen rescans at most this often (a burst of new cgroups). */
const NEW_ID_RESCAN_MS = 100;
/** Any other miss (a removed cgroup, one below maxDepth) rescans at most this often. */
const STALE_RESCAN_MS = 2000;

export class CgroupIdResolver {
  private readonly maxDepth: number;
  private readonly nowMs: () => number;
  private root: string | undefined;
  private byId = new Map<bigint, string>();
  private maxIdSeen = 0n;
  private lastScanAt = -Infinity;
  private scanning: Promise<void> | undefined;
  private scanCount = 0;

  constructor(opts: CgroupIdResolverOptions = {}) {
    this.root = opts.root;
    this.maxDepth = opts.maxDepth ?? 16;
    this.nowMs = opts.nowMs ?? (() => performance.now());
  }

  async resolve(id: number | bigint): Promise<ResolvedCgroup | undefined> {
    const key = BigInt(id);
    const root = await this.hierarchyRoot();
    const cached = await this.validated(root, key);
    if (cached !== undefined) return cached;
    const since = this.nowMs() - this.lastScanAt;
    if (since >= STALE_RESCAN_MS || (key > this.maxIdSeen && since >= NEW_ID_RESCAN_MS)) {
      await this.rescan(root);
      return this.validated(root, key);
    }
    return undefined;
  }

  /** Number of cached directories. */
  get size(): number {
    return this.byId.size;
  }

  /** Hierarchy walks done so far (each miss that could succeed costs one). */
  get scans(): number {
    return this.scanCount;
  }

  private async hierarchyRoot(): Promise<string> {
    if (this.root === undefined) {
      const unified = await findUnifiedMount();
      if (unified === undefined) throw new Error('resolve cgroup id: no cgroup2 mount found in mountinfo');
      this.root = unified;
    }
    return this.root;
  }

  private async validated(root: string, id: bigint): Promise<ResolvedCgroup | undefined> {
    const rel = this.byId.get(id);
    if (rel === undefined) return undefined;
    const absPath = rel === '/' ? root : `${root}${rel}`;
    try {
      if ((await stat(absPath, { bigint: true })).ino === id) return { root, path: rel, absPath };
    } catch {
      // gone since the scan: fall through to forget it
    }
    this.byId.delete(id);
    return undefined;
  }

  private rescan(root: string): Promise<void> {
    // Concurrent misses share one walk.
    this.scanning ??= this.scan(root).finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scan(root: string): Promise<void> {
    const { dirs } = await walkCgroupTree(root, this.maxDepth);
    const byId = new Map<bigint, string>();
    let maxId = this.maxIdSeen;
    await mapSliced(dirs, (d) => {
      try {
        const ino = statSync(d.abs, { bigint: true }).ino;
        byId.set(ino, d.rel);
        if (ino > maxId) maxId = ino;
      } catch {
        // removed between readdir and stat: not resolvable anyway
      }
    });
    // Replacing the map (not merging) drops removed cgroups, so the cache is bounded by the live tree.
    this.byId = byId;
    this.maxIdSeen = maxId;
    this.lastScanAt = this.nowMs();
    this.scanCount++;
  }
}

const shared = new Map<string, CgroupIdResolver>();

/**
 * Path (relative to the hierarchy root) of the cgroup whose kernfs id is `id`, or undefined when no such
 * cgroup exists now. `root` selects the hierarchy (default: the cgroup2 mount). Resolvers, and their
 * caches, are shared per root across calls.
 */
export async function resolveCgroupId(id: number | bigint, root?: string): Promise<string | undefined> {
  const key = root ?? '';
  let resolver = shared.get(key);
  if (!resolver) {
    resolver = new CgroupIdResolver(root === undefined ? {} : { root });
    shared.set(key, resolver);
  }
  return (await resolver.resolve(id))?.path;
}
