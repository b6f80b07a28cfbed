import { readdirSync, statSync } from 'node:fs';
import { isVanished, withContext } from './read-text.js';
import { mapSliced } from './sliced.js';

export interface CgroupDir {
  /** Path relative to the hierarchy root, as /proc/<pid>/cgroup shows it: "/" for the root itself. */
  rel: string;
  abs: string;
  depth: number;
}

export interface CgroupWalk {
  dirs: CgroupDir[];
  /** True when maxDirs stopped the walk early: the result is a prefix (breadth-first) of the tree. */
  truncated: boolean;
}

export const MAX_CGROUP_DIRS = 100_000;

/**
 * Breadth-first list of the cgroup directories under `root`, the root at depth 0 and nothing deeper than
 * `maxDepth`. Cgroups come and go while we walk: a directory that vanished or is unreadable is skipped
 * (ENOENT, ENODEV, EACCES …) instead of failing the walk. Only the root itself must be readable. Reads are
 * synchronous in slices (see readPseudoFile for why): cgroupfs directories live in kernel memory.
 */
export async function walkCgroupTree(
  root: string,
  maxDepth: number,
  maxDirs = MAX_CGROUP_DIRS,
): Promise<CgroupWalk> {
  const rootDir: CgroupDir = { rel: '/', abs: root, depth: 0 };
  const dirs: CgroupDir[] = [rootDir];
  let level = [rootDir];
  let truncated = false;
  while (level.length > 0 && level[0]!.depth < maxDepth && !truncated) {
    const children = await mapSliced(level, (dir) => subdirs(dir, dir === rootDir));
    level = [];
    for (const child of children.flat()) {
      if (dirs.length >= maxDirs) {
        truncated = true;
        break;
      }
      dirs.push(child);
      level.push(child);
    }
  }
  return { dirs, truncated };
}

function subdirs(dir: CgroupDir, isRoot: boolean): CgroupDir[] {
  try {
    // A directory's link count is 2 + its subdirectories on cgroupfs (kernfs) as on most Unix file systems:
    // 2 means a leaf, and one stat replaces listing it (open, two getdents, close), which matters when
    // most of a node's thousands of cgroups are leaves. Other counts (btrfs says 1) are listed as before.
    if (!isRoot && statSync(dir.abs).nlink === 2) return [];
    return readdirSync(dir.abs, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => ({
        rel: dir.rel === '/' ? `/${e.name}` : `${dir.rel}/${e.name}`,
        abs: `${dir.abs}/${e.name}`,
        depth: dir.depth + 1,
      }));
  } catch (err) {
    if (!isRoot && isVanished(err)) return [];
    throw withContext(`walk cgroup tree at ${dir.abs}`, err);
  }
}
