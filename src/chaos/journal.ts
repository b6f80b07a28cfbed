// The write-ahead journal of chaos runs: everything a run creates is written to its state file BEFORE it is
// created, so a run killed at any point leaves a list of what to remove (removers.ts, cleanup.ts).
import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSameProcess, processStartTime } from './proc.js';
import { isValidRunId, type ChaosResource } from './names.js';

export interface RunState {
  version: 1;
  id: string;
  scenario: string;
  owner: { pid: number; startTime: number };
  createdAt: string;
  resources: ChaosResource[];
}

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
    for (const name of listDir(dir)) {
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

export function isLive(state: RunState): boolean {
  if (state.owner.pid === process.pid) return activeRuns.has(state.id);
  return isSameProcess(state.owner.pid, state.owner.startTime);
}

/** Removes the state directories that are empty (after a sweep). */
export function pruneStateDirs(): void {
  for (const dir of stateDirCandidates()) removeDirIfEmpty(dir);
}

/** The entries of `dir`, or none when it cannot be read. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
