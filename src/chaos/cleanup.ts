// Everything a chaos run creates is written to a state file BEFORE it is created (write-ahead), so a run
// killed at any point leaves a list of what to remove. Removal is by exact recorded identity: a PID only
// together with its start time (a recycled PID is never killed), cgroups / namespaces / tables / files only
// by the kerno-chaos names this module generated. Nothing is ever matched by process name.
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isSameProcess, killIfSame, processStartTime, run } from './proc.js';
import { detectCgroupRoots, scratchCandidates } from './host.js';

export const NAME_PREFIX = 'kerno-chaos-';
export const NFT_PREFIX = 'kerno_chaos_';

export type ChaosResource =
  | { kind: 'process'; pid: number; startTime: number; comm: string }
  | { kind: 'cgroup'; dir: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'nft-table'; family: string; name: string; netns?: string }
  | { kind: 'path'; path: string }
  /** Loop devices attached to `backing` (a kerno-chaos file, or a loop device that is backed by one). */
  | { kind: 'loop'; backing: string }
  /** A blkio throttle rule for device `dev` (maj:min of one of our loop devices) written into `file`. */
  | { kind: 'io-throttle'; file: string; dev: string };

export interface RunState {
  version: 1;
  id: string;
  scenario: string;
  owner: { pid: number; startTime: number };
  createdAt: string;
  resources: ChaosResource[];
}

export interface CleanupReport {
  /** Runs whose owner was gone and whose leftovers were handled. */
  staleRuns: string[];
  /** Runs still in progress in another process (left alone). */
  liveRuns: string[];
  removed: string[];
  failed: string[];
}

// ------------------------------------------------------------------------------------------------ names

const ID_RE = /^[0-9a-f]{8}$/;
/** kerno-chaos-<id>, kerno-chaos-<tag>-<id>, kerno_chaos_<id> */
const NAME_ID_RE = /^kerno[-_]chaos[-_](?:[a-z]+[-_])?([0-9a-f]{8})$/;
/** veth ends: kc<id>h (host side), kc<id>n (namespace side); IFNAMSIZ leaves no room for the full prefix. */
const LINK_RE = /^kc([0-9a-f]{8})[hn]$/;

export function isValidRunId(id: string): boolean {
  return ID_RE.test(id);
}

/** The run id embedded in a chaos resource name, or undefined if the name is not one of ours. */
export function runIdOfName(name: string): string | undefined {
  return NAME_ID_RE.exec(name)?.[1] ?? LINK_RE.exec(name)?.[1];
}

export function resourceName(id: string, tag?: string): string {
  return tag ? `${NAME_PREFIX}${tag}-${id}` : `${NAME_PREFIX}${id}`;
}

export function nftTableName(id: string): string {
  return `${NFT_PREFIX}${id}`;
}

export function vethNames(id: string): { host: string; peer: string } {
  return { host: `kc${id}h`, peer: `kc${id}n` };
}

/** Refuses anything that does not carry our prefix: the last line of defence against removing a user's file. */
function assertOurs(kind: string, name: string): void {
  if (runIdOfName(name) === undefined)
    throw new Error(`refusing to remove ${kind} "${name}": not a kerno-chaos name`);
}

export function describeResource(r: ChaosResource): string {
  switch (r.kind) {
    case 'process':
      return `process ${r.pid} (${r.comm})`;
    case 'cgroup':
      return `cgroup ${r.dir}`;
    case 'netns':
      return `network namespace ${r.name}`;
    case 'link':
      return `link ${r.name}`;
    case 'nft-table':
      return `nft table ${r.family} ${r.name}${r.netns ? ` (netns ${r.netns})` : ''}`;
    case 'path':
      return `path ${r.path}`;
    case 'loop':
      return `loop devices on ${r.backing}`;
    case 'io-throttle':
      return `I/O throttle for ${r.dev} in ${r.file}`;
  }
}

// ------------------------------------------------------------------------------------------------ state files

let cachedStateDir: string | undefined;

/** /run/kerno-chaos when writable (root), else a per-user directory under the temp dir. */
function stateDirCandidates(): string[] {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return ['/run/kerno-chaos', join(tmpdir(), `kerno-chaos-state-${uid}`)];
}

/** The directory this process writes its state files to (created on first use). */
export function stateDir(): string {
  if (cachedStateDir) return cachedStateDir;
  for (const dir of stateDirCandidates()) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
      cachedStateDir = dir;
      return dir;
    } catch {
      // try the next candidate
    }
  }
  throw new Error('chaos: no writable state directory (/run/kerno-chaos or the temp dir)');
}

function statePath(id: string): string {
  return join(stateDir(), `${id}.json`);
}

export function writeState(state: RunState): void {
  const dir = stateDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = statePath(state.id);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1), { mode: 0o600 });
  renameSync(tmp, file); // atomic: a crash mid-write leaves the previous complete list
}

/** Removes a state directory once it is empty: verify checks that no kerno-chaos-* path is left behind. */
function removeDirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
    if (dir === cachedStateDir) cachedStateDir = undefined;
  } catch {
    // not empty (another run's state) or already gone
  }
}

export function removeStateFile(id: string): void {
  for (const dir of stateDirCandidates()) {
    rmSync(join(dir, `${id}.json`), { force: true });
    removeDirIfEmpty(dir);
  }
}

/** Every state file in every state directory that exists (never creates one). */
export function readStates(): { file: string; state?: RunState }[] {
  const out: { file: string; state?: RunState }[] = [];
  for (const dir of stateDirCandidates()) {
    for (const name of safeReaddir(dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(dir, name);
      try {
        const state = JSON.parse(readFileSync(file, 'utf8')) as RunState;
        out.push(isValidRunId(state.id) && Array.isArray(state.resources) ? { file, state } : { file });
      } catch {
        out.push({ file });
      }
    }
  }
  return out;
}

export function ownerIdentity(): { pid: number; startTime: number } {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 };
}

/** Run ids owned by this process that are still running (their state files are not stale). */
export const activeRuns = new Set<string>();

function isLive(state: RunState): boolean {
  if (state.owner.pid === process.pid) return activeRuns.has(state.id);
  return isSameProcess(state.owner.pid, state.owner.startTime);
}

// ------------------------------------------------------------------------------------------------ removal

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, startTime: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isSameProcess(pid, startTime)) return true;
    await sleep(20);
  }
  return !isSameProcess(pid, startTime);
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
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

// ------------------------------------------------------------------------------------------------ stale runs

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
  for (const dir of stateDirCandidates()) removeDirIfEmpty(dir);
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
  for (const name of safeReaddir('/run/netns')) {
    if (name.startsWith(NAME_PREFIX) && orphan(name))
      await attempt(`network namespace ${name}`, () => removeNetns(name));
  }
  // Host-side veth ends whose namespace vanished without them.
  for (const name of safeReaddir('/sys/class/net')) {
    if (LINK_RE.test(name) && orphan(name) && (await isVeth(name)))
      await attempt(`link ${name}`, () => removeLink(name));
  }
  // Cgroups directly under every cgroup root we create in.
  for (const root of detectCgroupRoots()) {
    for (const name of safeReaddir(root)) {
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
    for (const name of safeReaddir(dir)) {
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
  for (const name of safeReaddir('/sys/block')) {
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

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
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
