import { readdir } from 'node:fs/promises';
import { isVanished, withContext } from './read-text.js';

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

/** In-flight filesystem calls per batch: enough to keep libuv's thread pool busy, bounded for huge trees. */
export const IO_CONCURRENCY = 64;

/**
 * Breadth-first list of the cgroup directories under `root`, the root at depth 0 and nothing deeper than
 * `maxDepth`. Cgroups come and go while we walk: a directory that vanished or is unreadable is skipped
 * (ENOENT, ENODEV, EACCES …) instead of failing the walk. Only the root itself must be readable.
 */
export async function walkCgroupTree(root: string, maxDepth: number, maxDirs = 100_000): Promise<CgroupWalk> {
  const rootDir: CgroupDir = { rel: '/', abs: root, depth: 0 };
  const dirs: CgroupDir[] = [rootDir];
  let level = [rootDir];
  let truncated = false;
  let first = true;
  while (level.length > 0 && level[0]!.depth < maxDepth && !truncated) {
    const children = await mapBounded(level, IO_CONCURRENCY, async (dir) => {
      try {
        const entries = await readdir(dir.abs, { withFileTypes: true });
        return entries
          .filter((e) => e.isDirectory())
          .map((e) => ({
            rel: dir.rel === '/' ? `/${e.name}` : `${dir.rel}/${e.name}`,
            abs: `${dir.abs}/${e.name}`,
            depth: dir.depth + 1,
          }));
      } catch (err) {
        if (first) throw withContext(`walk cgroup tree ${root}`, err);
        if (isVanished(err)) return [];
        throw withContext(`walk cgroup tree at ${dir.abs}`, err);
      }
    });
    first = false;
    level = [];
    for (const batch of children) {
      for (const child of batch) {
        if (dirs.length >= maxDirs) {
          truncated = true;
          break;
        }
        dirs.push(child);
        level.push(child);
      }
    }
  }
  return { dirs, truncated };
}

/** Promise.all over `items` with at most `limit` calls of `fn` in flight; results keep input order. */
export async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
