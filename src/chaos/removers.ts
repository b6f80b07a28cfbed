// Removers, one per kind of chaos resource. Removal is by exact recorded identity: a PID only together with
// its start time (a recycled PID is never killed), cgroups / namespaces / tables / files only by the
// kerno-chaos names names.ts generates (assertOurs). Nothing is ever matched by process name.
import { existsSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isSameProcess, killIfSame, readPids, run } from './proc.js';
import { assertOurs, describeResource, type ChaosResource } from './names.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, startTime: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isSameProcess(pid, startTime)) return true;
    await sleep(20);
  }
  return !isSameProcess(pid, startTime);
}

/** Kills what is left inside one of our cgroups (every member is ours by construction), then removes it. */
export async function removeCgroup(dir: string, timeoutMs = 5000): Promise<void> {
  assertOurs('cgroup', basename(dir));
  if (!existsSync(dir)) return;
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < end) {
    if (existsSync(join(dir, 'cgroup.kill'))) {
      try {
        writeFileSync(join(dir, 'cgroup.kill'), '1');
      } catch {
        // v2 only; fall back to per-pid kills
      }
    }
    for (const pid of readPids(join(dir, 'cgroup.procs'))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      lastErr = err;
    }
    await sleep(50);
  }
  throw new Error(`remove cgroup ${dir}: ${(lastErr as Error | undefined)?.message ?? 'timed out'}`);
}

export function netnsExists(name: string): boolean {
  return existsSync(join('/run/netns', name));
}

export async function removeNetns(name: string): Promise<void> {
  assertOurs('network namespace', name);
  if (!netnsExists(name)) return;
  // Every process inside is ours (we created the namespace); without them the namespace can go at once.
  try {
    const { stdout } = await run('ip', ['netns', 'pids', name]);
    for (const pid of stdout
      .split('\n')
      .map(Number)
      .filter((n) => n > 0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  } catch {
    // listing failed: delete anyway
  }
  await run('ip', ['netns', 'delete', name]);
}

export async function removeLink(name: string): Promise<void> {
  assertOurs('link', name);
  if (!existsSync(join('/sys/class/net', name))) return;
  try {
    await run('ip', ['link', 'delete', name]);
  } catch (err) {
    // Deleting the namespace destroys the veth pair asynchronously (the kernel's netns cleanup work), so
    // the link can vanish between the check above and the delete: gone is what we wanted.
    if (!existsSync(join('/sys/class/net', name))) return;
    throw err;
  }
}

export async function removeNftTable(family: string, name: string, netns?: string): Promise<void> {
  assertOurs('nft table', name);
  if (netns !== undefined && !netnsExists(netns)) return; // the table went with its namespace
  const prefix = netns !== undefined ? ['netns', 'exec', netns, 'nft'] : [];
  const cmd = netns !== undefined ? 'ip' : 'nft';
  try {
    await run(cmd, [...prefix, 'list', 'table', family, name]);
  } catch {
    return; // does not exist
  }
  await run(cmd, [...prefix, 'delete', 'table', family, name]);
}

export function removePath(path: string): void {
  assertOurs('path', basename(path));
  rmSync(path, { recursive: true, force: true });
}

/**
 * The loop devices attached to `backing`, after checking the chain ends at one of our files: a loop device
 * may only be detached when it (or the loop device under it) is backed by a kerno-chaos file.
 */
async function loopsOn(backing: string): Promise<string[]> {
  let file = backing;
  const m = /^\/dev\/(loop\d+)$/.exec(backing);
  if (m) {
    try {
      file = readFileSync(`/sys/block/${m[1]}/loop/backing_file`, 'utf8').trim();
    } catch {
      return []; // the loop device under it is gone, so nothing can be attached to it either
    }
  }
  assertOurs('loop backing file', basename(file));
  if (!m && !existsSync(backing)) return [];
  const { stdout } = await run('losetup', ['--noheadings', '--output', 'NAME', '--associated', backing]);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\/dev\/loop\d+$/.test(l));
}

export async function removeLoops(backing: string): Promise<void> {
  for (const dev of await loopsOn(backing)) await run('losetup', ['--detach', dev]);
}

/** Deletes our throttle rule (a 0 limit removes it); only the line for our device is touched. */
export function removeIoThrottle(file: string, dev: string): void {
  if (!/^\d+:\d+$/.test(dev)) throw new Error(`refusing to write I/O throttle for device "${dev}"`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // the hierarchy is gone
  }
  if (text.split('\n').some((l) => l.startsWith(`${dev} `))) writeFileSync(file, `${dev} 0`);
}

// Throttle rules go before the loop devices (a throttled device drains slowly when detached); loop devices
// stacked on loop devices are detached top first (reverse order of registration, see removeResources).
const REMOVAL_ORDER: ChaosResource['kind'][] = [
  'process',
  'io-throttle',
  'loop',
  'nft-table',
  'netns',
  'link',
  'cgroup',
  'path',
];

/** Removes resources in dependency order; every failure is collected, none stops the rest. */
export async function removeResources(
  resources: readonly ChaosResource[],
  log?: (line: string) => void,
): Promise<{ removed: string[]; failed: string[] }> {
  const removed: string[] = [];
  const failed: string[] = [];
  const at = new Map(resources.map((r, i) => [r, i]));
  const ordered = [...resources].sort(
    (a, b) =>
      REMOVAL_ORDER.indexOf(a.kind) - REMOVAL_ORDER.indexOf(b.kind) ||
      (a.kind === 'loop' ? at.get(b)! - at.get(a)! : 0),
  );
  for (const r of ordered) {
    const what = describeResource(r);
    try {
      switch (r.kind) {
        case 'process':
          // It must be really gone before its cgroup and namespace can be removed.
          if (killIfSame(r.pid, r.startTime) && !(await waitGone(r.pid, r.startTime, 3000))) {
            throw new Error(`process ${r.pid} survived SIGKILL`);
          }
          break;
        case 'nft-table':
          await removeNftTable(r.family, r.name, r.netns);
          break;
        case 'netns':
          await removeNetns(r.name);
          break;
        case 'link':
          await removeLink(r.name);
          break;
        case 'cgroup':
          await removeCgroup(r.dir);
          break;
        case 'path':
          removePath(r.path);
          break;
        case 'loop':
          await removeLoops(r.backing);
          break;
        case 'io-throttle':
          removeIoThrottle(r.file, r.dev);
          break;
      }
      removed.push(what);
    } catch (err) {
      failed.push(`${what}: ${(err as Error).message}`);
      log?.(`    cleanup: could not remove ${what}: ${(err as Error).message}`);
    }
  }
  return { removed, failed };
}
