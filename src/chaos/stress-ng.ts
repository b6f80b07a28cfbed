// stress-ng as a second, independent inducer: software we did not write makes the same incident, so a rule
// that fires for it is not tuned to kerno's own worker. stress-ng forks its stressors, so it is started
// inside one of our cgroups (a shell writes its own pid into cgroup.procs, then execs stress-ng): every
// stressor is then found through the cgroup, and the cleanup journal kills them all with it.
import { existsSync, readFileSync } from 'node:fs';
import { readPids } from './proc.js';
import type { ChaosSession } from './session.js';
import type { ChaosSubject, HostFacts, ScenarioContext } from './types.js';
import type { WorkerProcess } from './worker.js';

const SEARCH = ['/usr/bin', '/usr/local/bin', '/bin', ...(process.env.PATH ?? '').split(':')];

export function stressNgPath(): string {
  for (const d of SEARCH) {
    const p = `${d}/stress-ng`;
    if (d !== '' && existsSync(p)) return p;
  }
  throw new Error('the stress-ng inducer needs stress-ng (Debian package stress-ng); install it');
}

/** The stressors are held in a cgroup of ours (how cleanup finds every one): that needs root. */
export function requireRootForStressNg(host: HostFacts): void {
  if (!host.isRoot)
    throw new Error(
      'the stress-ng inducer needs root: its stressors are held in a cgroup so that cleanup finds them all',
    );
}

/**
 * Starts `stress-ng <args> --timeout <run length + 10 s>` with its pid in every `join` file first, so no
 * stressor can escape the cgroups. The timeout is a backstop: the session stops it at the deadline.
 */
export function startStressNg(
  session: ChaosSession,
  join: readonly string[],
  args: readonly string[],
): WorkerProcess {
  const bin = stressNgPath();
  const timeoutS = Math.ceil(session.remainingMs() / 1000) + 10;
  const script =
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 1; shift; n=$((n-1)); done; exec "$@"';
  const argv = ['-c', script, 'sh', String(join.length), ...join, bin, ...args, '--timeout', `${timeoutS}s`];
  return session.startCommand('/bin/sh', argv, 'stress-ng');
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The processes in a cgroup whose comm starts with `prefix` (stress-ng names stressors stress-ng-<name>). */
export function stressors(procsFile: string, prefix: string): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const pid of readPids(procsFile)) {
    const comm = commOf(pid);
    if (comm?.startsWith(prefix)) out.push({ pid, comm });
  }
  return out;
}

/**
 * Waits until `count` stressors named `prefix…` run in the cgroup (stress-ng forks them after start-up),
 * and fails with stress-ng's own words if it exits first.
 */
export async function waitForStressors(
  ctx: ScenarioContext,
  w: WorkerProcess,
  procsFile: string,
  prefix: string,
  count: number,
  timeoutMs = 15_000,
): Promise<{ pid: number; comm: string }[]> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const found = stressors(procsFile, prefix);
    if (found.length >= count) return found;
    if (!w.running)
      throw new Error(`stress-ng exited before its stressors ran: ${w.exit?.stderr || 'no output'}`);
    if (performance.now() > end || ctx.signal.aborted)
      throw new Error(`stress-ng: ${found.length} of ${count} ${prefix} stressors after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reports each stressor as a process subject once. */
export function subjectReporter(
  onSubject: (s: ChaosSubject) => void,
  into: ChaosSubject[],
): (procs: { pid: number; comm: string }[]) => void {
  const seen = new Set<number>();
  return (procs) => {
    for (const p of procs) {
      if (seen.has(p.pid)) continue;
      seen.add(p.pid);
      const s = { kind: 'process', pid: p.pid, comm: p.comm } as const;
      into.push(s);
      onSubject(s);
    }
  };
}
