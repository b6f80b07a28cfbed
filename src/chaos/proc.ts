// Process identity, external commands and the procfs counters the scenarios report as ground truth.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

// ------------------------------------------------------------------------------------------------ processes

/** Field 22 of /proc/<pid>/stat (start time in clock ticks). The comm may contain spaces and ')': parse
 *  after the LAST ')'. */
export function parseStatStartTime(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); start time is field 22 → index 19.
  const v = Number(fields[19]);
  return Number.isFinite(v) ? v : undefined;
}

export function processStartTime(pid: number): number | undefined {
  try {
    return parseStatStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True while `pid` is the very process recorded (not a recycled PID) and has not exited. Zombies count as
 *  gone: they hold no resources and cannot be killed further. */
export function isSameProcess(pid: number, startTime: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const state = stat.charAt(close + 2);
    return parseStatStartTime(stat) === startTime && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** SIGKILLs `pid` only if it is still the recorded process. Returns true if a signal was sent. */
export function killIfSame(pid: number, startTime: number): boolean {
  if (!isSameProcess(pid, startTime)) return false;
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------------ commands

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell. Errors name the command and carry its stderr. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 15_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const detail = (stderr || err.message).trim().split('\n').slice(0, 5).join('; ');
          reject(new Error(`${cmd} ${args.join(' ')}: ${detail}`));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

// ------------------------------------------------------------------------------------------------ procfs counters

export interface PsiTotals {
  /** Cumulative stall time, µs, as in the file. */
  someUs: number;
  fullUs: number;
}

export function parsePsi(text: string): PsiTotals {
  const total = (kind: string): number => {
    const m = new RegExp(`^${kind} .*total=(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { someUs: total('some'), fullUs: total('full') };
}

export function readPsi(file: string): PsiTotals | undefined {
  try {
    return parsePsi(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface TcpCounters {
  outSegs: number;
  retransSegs: number;
}

/** OutSegs and RetransSegs from /proc/net/snmp (the reading process's network namespace). */
export function parseSnmpTcp(text: string): TcpCounters | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) return undefined;
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  const get = (name: string): number => Number(values[names.indexOf(name)] ?? NaN);
  const out = { outSegs: get('OutSegs'), retransSegs: get('RetransSegs') };
  return Number.isFinite(out.outSegs) && Number.isFinite(out.retransSegs) ? out : undefined;
}

export function readTcpCounters(): TcpCounters | undefined {
  try {
    return parseSnmpTcp(readFileSync('/proc/net/snmp', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The TCP MIB of a named (`ip netns`) namespace, read from inside it. */
export async function readNetnsTcpCounters(netns: string): Promise<TcpCounters | undefined> {
  try {
    return parseSnmpTcp((await run('ip', ['netns', 'exec', netns, 'cat', '/proc/net/snmp'])).stdout);
  } catch {
    return undefined;
  }
}

export interface DiskCounters {
  writes: number;
  writeTicksMs: number;
  flushes: number;
  flushTicksMs: number;
  /** Weighted time spent doing I/O, ms (queue depth × time). */
  weightedMs: number;
}

/** One device's line of /proc/diskstats (kernel ≥ 5.5 layout: 20 fields). */
export function parseDiskstats(text: string, name: string): DiskCounters | undefined {
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[2] !== name) continue;
    const n = (i: number): number => Number(f[i] ?? 0);
    return { writes: n(7), writeTicksMs: n(10), weightedMs: n(13), flushes: n(18), flushTicksMs: n(19) };
  }
  return undefined;
}

export function readDiskCounters(name: string): DiskCounters | undefined {
  try {
    return parseDiskstats(readFileSync('/proc/diskstats', 'utf8'), name);
  } catch {
    return undefined;
  }
}

export function readVmstat(key: string): number | undefined {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync('/proc/vmstat', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The pids in a cgroup.procs (or tasks) file; none when it is gone or unreadable. */
export function readPids(procsFile: string): number[] {
  try {
    return readFileSync(procsFile, 'utf8')
      .split('\n')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}
