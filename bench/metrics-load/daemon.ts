// Starts `kerno start` for the benchmarks (bench/metrics-load, bench/daemon-footprint) on 127.0.0.1:<any>,
// learns its URL from the banner, waits for /readyz, and reads its RSS and CPU time from /proc.
//   KERNO_ENTRY=dist/bin/kerno.js   benchmark the compiled build (default: bin/kerno.ts through tsx);
//                                   bin/kerno: the launcher, with the environment and V8 flags it sets
//   MALLOC_ARENA_MAX=               measure without the deployed malloc setting (default 2, as deployed)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { isAbsolute, join } from 'node:path';
import { packageRoot } from '../../src/bpf/paths.js';

export interface BenchDaemon {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<number | null>;
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

export async function startDaemon(
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  entryOverride?: string,
): Promise<BenchDaemon> {
  const root = packageRoot();
  const entry = entryOverride ?? process.env.KERNO_ENTRY ?? join(root, 'bin', 'kerno.ts');
  // A launcher (bin/kerno: no extension) runs as itself, with the environment and flags it sets.
  const [cmd, ...pre] = /\.m?ts$/.test(entry)
    ? [process.execPath, '--import', 'tsx', entry]
    : /\.m?js$/.test(entry)
      ? [process.execPath, entry]
      : [isAbsolute(entry) ? entry : join(root, entry)];
  const child = spawn(cmd!, [...pre, 'start', '--listen', '127.0.0.1:0', ...args], {
    cwd: root,
    // As deployed (deploy/systemd/kerno.service, the DaemonSet): two malloc arenas instead of one per
    // thread that ever allocated — the BPF objects load on worker threads and would otherwise leave
    // ~40 MB of freed-but-retained arena memory behind. MALLOC_ARENA_MAX= (empty) measures without.
    env: {
      ...process.env,
      KERNO_LOG_FORMAT: 'json',
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-50_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /^ {2}metrics +(http:\/\/[^/\s]+)\/metrics/m.exec(err)?.[1];
    if (child.exitCode !== null) throw new Error(`kerno start exited:\n${err}`);
    if (Date.now() > deadline) throw new Error(`no banner:\n${err}`);
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  while ((await status(`${url}/readyz`)) !== 200) {
    if (Date.now() > deadline) throw new Error(`not ready:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    pid: child.pid!,
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface ProcSample {
  /** Seconds since the epoch. */
  t: number;
  rssBytes: number;
  /** user + system CPU seconds. */
  cpuSeconds: number;
}

const TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** user + system CPU seconds of a /proc/<pid>/stat (or /proc/<pid>/task/<tid>/stat) line. */
export function statCpuSeconds(stat: string): number {
  // Fields after the last ")" (comm may hold spaces and parentheses): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS;
}

export function sampleProc(pid: number): ProcSample {
  const cpuSeconds = statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { t: Date.now() / 1000, rssBytes: rssKb * 1024, cpuSeconds };
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
