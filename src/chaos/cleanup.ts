// The sweep at the start of every chaos run: removes what interrupted runs left behind, first from their
// journals (journal.ts), then any kerno-chaos-named resource whose run has no live owner (a lost journal).
import { readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { run } from './proc.js';
import { detectCgroupRoots, scratchCandidates } from './host.js';
import { NAME_PREFIX, NFT_PREFIX, isChaosLinkName, runIdOfName } from './names.js';
import { activeRuns, isLive, listDir, pruneStateDirs, readStates } from './journal.js';
import {
  removeCgroup,
  removeLink,
  removeNetns,
  removeNftTable,
  removePath,
  removeResources,
} from './removers.js';

export interface CleanupReport {
  /** Runs whose owner was gone and whose leftovers were handled. */
  staleRuns: string[];
  /** Runs still in progress in another process (left alone). */
  liveRuns: string[];
  removed: string[];
  failed: string[];
}

/**
 * Removes the leftovers of chaos runs whose owner process is gone (killed with SIGKILL, host crash …), and
 * any kerno-chaos resource whose run id has no live owner (its state file was lost). Runs still in
 * progress in another kerno process are left alone. Called at the start of every chaos run.
 */
export async function cleanupStale(log?: (line: string) => void): Promise<CleanupReport> {
  const report: CleanupReport = { staleRuns: [], liveRuns: [], removed: [], failed: [] };
  const live = new Set<string>();
  for (const { file, state } of readStates()) {
    if (!state) {
      rmSync(file, { force: true }); // unreadable: nothing to act on; the orphan sweep below still runs
      continue;
    }
    if (isLive(state)) {
      live.add(state.id);
      report.liveRuns.push(state.id);
      continue;
    }
    report.staleRuns.push(state.id);
    const { removed, failed } = await removeResources(state.resources, log);
    report.removed.push(...removed);
    report.failed.push(...failed);
    if (failed.length === 0) rmSync(file, { force: true });
  }
  pruneStateDirs();
  for (const id of activeRuns) live.add(id);
  await sweepOrphans(live, report, log);
  if (report.removed.length > 0)
    log?.(`==> chaos: removed ${report.removed.length} leftovers of an interrupted run`);
  return report;
}

async function sweepOrphans(
  live: Set<string>,
  report: CleanupReport,
  log?: (line: string) => void,
): Promise<void> {
  const orphan = (name: string): boolean => {
    const id = runIdOfName(name);
    return id !== undefined && !live.has(id);
  };
  const attempt = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
    try {
      await fn();
      report.removed.push(what);
    } catch (err) {
      report.failed.push(`${what}: ${(err as Error).message}`);
      log?.(`    cleanup: could not remove ${what}: ${(err as Error).message}`);
    }
  };
  // Loop devices on our files (and loop devices stacked on those), before the files themselves.
  for (const { dev, backing } of loopBackings()) {
    const name = basename(backing.replace(/ \(deleted\)$/, ''));
    if (!name.startsWith(NAME_PREFIX) || !orphan(name)) continue;
    for (const upper of loopBackings().filter((l) => l.backing === dev))
      await attempt(`loop device ${upper.dev}`, () => run('losetup', ['--detach', upper.dev]).then(() => {}));
    await attempt(`loop device ${dev}`, () => run('losetup', ['--detach', dev]).then(() => {}));
  }
  // Network namespaces (their veth ends and nft tables go with them).
  for (const name of listDir('/run/netns')) {
    if (name.startsWith(NAME_PREFIX) && orphan(name))
      await attempt(`network namespace ${name}`, () => removeNetns(name));
  }
  // Per-namespace resolver files (`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf): DNS scenarios.
  for (const name of listDir('/etc/netns')) {
    if (name.startsWith(NAME_PREFIX) && orphan(name))
      await attempt(`path /etc/netns/${name}`, () => removePath(join('/etc/netns', name)));
  }
  // Host-side veth ends whose namespace vanished without them.
  for (const name of listDir('/sys/class/net')) {
    if (isChaosLinkName(name) && orphan(name) && (await isVeth(name)))
      await attempt(`link ${name}`, () => removeLink(name));
  }
  // Cgroups directly under every cgroup root we create in.
  for (const root of detectCgroupRoots()) {
    for (const name of listDir(root)) {
      if (name.startsWith(NAME_PREFIX) && orphan(name)) {
        const dir = join(root, name);
        await attempt(`cgroup ${dir}`, () => removeCgroup(dir));
      }
    }
  }
  // nft tables in this namespace (scenarios create theirs inside their own namespace, but be thorough).
  for (const t of await listNftTables()) {
    if (t.name.startsWith(NFT_PREFIX) && orphan(t.name)) {
      await attempt(`nft table ${t.family} ${t.name}`, () => removeNftTable(t.family, t.name));
    }
  }
  // Scenario files and directories.
  for (const dir of scratchCandidates()) {
    for (const name of listDir(dir)) {
      if (name.startsWith(NAME_PREFIX) && orphan(name)) {
        const path = join(dir, name);
        await attempt(`path ${path}`, () => removePath(path));
      }
    }
  }
}

/** Attached loop devices and what backs each one (/sys/block/loopN/loop/backing_file). */
function loopBackings(): { dev: string; backing: string }[] {
  const out: { dev: string; backing: string }[] = [];
  for (const name of listDir('/sys/block')) {
    if (!/^loop\d+$/.test(name)) continue;
    try {
      out.push({
        dev: `/dev/${name}`,
        backing: readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim(),
      });
    } catch {
      // not attached
    }
  }
  return out;
}

async function isVeth(name: string): Promise<boolean> {
  try {
    const { stdout } = await run('ip', ['-d', '-j', 'link', 'show', 'dev', name]);
    const info = JSON.parse(stdout) as { linkinfo?: { info_kind?: string } }[];
    return info[0]?.linkinfo?.info_kind === 'veth';
  } catch {
    return false;
  }
}

async function listNftTables(): Promise<{ family: string; name: string }[]> {
  try {
    const { stdout } = await run('nft', ['list', 'tables']);
    return parseNftTables(stdout);
  } catch {
    return []; // nft missing or not permitted: nothing of ours can exist either
  }
}

export function parseNftTables(text: string): { family: string; name: string }[] {
  const out: { family: string; name: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^table\s+(\S+)\s+(\S+)/.exec(line.trim());
    if (m) out.push({ family: m[1]!, name: m[2]! });
  }
  return out;
}
