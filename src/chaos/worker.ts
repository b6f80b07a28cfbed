// Builds the C workload helper on demand (cached by source hash) and runs it as child processes speaking
// one JSON object per stdout line (see workloads/kerno-chaos-worker.c for the contract).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processStartTime, run } from './proc.js';

const SOURCE_NAME = 'kerno-chaos-worker.c';

/** The C source next to this module, or in the source tree when running from a build output directory. */
function findSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'workloads', SOURCE_NAME)];
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) {
    candidates.push(join(dir, 'src', 'chaos', 'workloads', SOURCE_NAME));
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`chaos: workload source ${SOURCE_NAME} not found (looked in ${candidates[0]})`);
  return found;
}

function cacheDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const candidates = [
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kerno'),
    join(tmpdir(), `kerno-cache-${uid}`),
  ];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // next
    }
  }
  throw new Error('chaos: no writable cache directory for the workload helper');
}

let binaryPromise: Promise<string> | undefined;

/** Compiles the helper once per source version; concurrent builders race harmlessly (atomic rename). */
export function ensureWorkerBinary(): Promise<string> {
  binaryPromise ??= buildWorkerBinary().catch((err: unknown) => {
    binaryPromise = undefined;
    throw err;
  });
  return binaryPromise;
}

async function buildWorkerBinary(): Promise<string> {
  const src = findSource();
  const hash = createHash('sha256').update(readFileSync(src)).update(process.arch).digest('hex').slice(0, 16);
  const bin = join(cacheDir(), `kerno-chaos-worker-${hash}`);
  if (existsSync(bin)) return bin;
  const cc = process.env.CC || 'cc';
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await run(cc, ['-O2', '-Wall', '-pthread', '-o', tmp, src], { timeoutMs: 60_000 });
    renameSync(tmp, bin);
    removeOldBuilds(dirname(bin), bin);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(
      `chaos: cannot build the workload helper with "${cc}" (install a C compiler such as gcc, or set CC): ` +
        (err as Error).message,
    );
  }
  return bin;
}

/** Builds of earlier source versions are dead weight once a new one exists. */
function removeOldBuilds(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (/^kerno-chaos-worker-[0-9a-f]{16}$/.test(name) && path !== keep) rmSync(path, { force: true });
  }
}

// ------------------------------------------------------------------------------------------------ processes

export type WorkerEvent = { event: string } & Record<string, unknown>;

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The final {"event":"done"} line, when the worker got to print it. */
  done?: WorkerEvent;
  stderr: string;
}

export interface WorkerSpec {
  mode: string;
  /** Process name shown by the kernel (≤ 15 characters): what doctor will print. */
  comm: string;
  /** Self-imposed lifetime: the worker exits on its own after this even if nobody stops it. */
  durationMs: number;
  args?: Record<string, string | number>;
  /** cgroup.procs files the worker writes its own pid into before doing anything. */
  join?: string[];
  /** Run inside this network namespace (ip netns exec). */
  netns?: string;
}

export class WorkerProcess {
  readonly pid: number;
  readonly startTime: number;
  readonly comm: string;
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcess;
  private stderr = '';
  private listeners: ((e: WorkerEvent) => void)[] = [];
  private exitInfo: WorkerExit | undefined;

  private constructor(child: ChildProcess, comm: string) {
    this.child = child;
    this.comm = comm;
    if (child.pid === undefined) throw new Error(`chaos: could not start workload ${comm}`);
    this.pid = child.pid;
    this.startTime = processStartTime(child.pid) ?? 0;
    let buf = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(line);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.stderr.length < 8192) this.stderr += chunk;
    });
    this.exited = new Promise((resolveExit) => {
      child.on('close', (code, signal) => {
        this.exitInfo = { code, signal, done: this.last('done'), stderr: this.stderr.trim() };
        resolveExit(this.exitInfo);
      });
    });
  }

  static start(bin: string, spec: WorkerSpec): WorkerProcess {
    const args = [spec.mode, '--duration-ms', String(Math.max(1, Math.round(spec.durationMs)))];
    args.push('--parent-pid', String(process.pid), '--comm', spec.comm.slice(0, 15));
    for (const j of spec.join ?? []) args.push('--join', j);
    for (const [k, v] of Object.entries(spec.args ?? {})) args.push(`--${k}`, String(v));
    const [cmd, argv] =
      spec.netns !== undefined ? ['ip', ['netns', 'exec', spec.netns, bin, ...args]] : [bin, args];
    return WorkerProcess.launch(cmd as string, argv as string[], spec.comm);
  }

  /**
   * Starts any program as a tracked workload (stress-ng): same lifetime handling as the C worker, but it
   * prints no JSON lines, so readiness is the caller's to establish.
   */
  static launch(cmd: string, argv: string[], comm: string): WorkerProcess {
    // Own process group: a terminal Ctrl+C reaches kerno, which then stops the workers in order.
    const child = spawn(cmd, argv, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let spawnError: Error | undefined;
    child.on('error', (err) => (spawnError = err)); // without a listener a failed spawn would crash kerno
    if (child.pid === undefined) {
      throw new Error(
        `chaos: could not start workload ${comm} (${cmd}): ${spawnError?.message ?? 'spawn failed'}`,
      );
    }
    return new WorkerProcess(child, comm);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): WorkerExit | undefined {
    return this.exitInfo;
  }

  last(event: string): WorkerEvent | undefined {
    for (let i = this.events.length - 1; i >= 0; i--)
      if (this.events[i]!.event === event) return this.events[i];
    return undefined;
  }

  onEvent(fn: (e: WorkerEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Resolves with the "ready" line; rejects if the worker exits first (with its stderr) or times out. */
  async ready(timeoutMs = 60_000): Promise<WorkerEvent> {
    const have = this.last('ready');
    if (have) return have;
    return new Promise((resolveReady, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`workload ${this.comm} not ready after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.onEvent((e) => {
        if (e.event === 'ready') {
          clearTimeout(timer);
          resolveReady(e);
        }
      });
      void this.exited.then((x) => {
        clearTimeout(timer);
        reject(new Error(`workload ${this.comm} exited before it was ready (${describeExit(x)})`));
      });
    });
  }

  /** Asks the worker to finish (SIGTERM: it prints its totals), then SIGKILLs it after `graceMs`. */
  async stop(graceMs = 3000): Promise<WorkerExit> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // exited in between
    }
  }

  private onLine(line: string): void {
    if (!line.startsWith('{')) return;
    try {
      const e = JSON.parse(line) as WorkerEvent;
      this.events.push(e);
      if (this.events.length > 2000) this.events.splice(0, 1000); // progress lines: keep memory bounded
      for (const fn of this.listeners) fn(e);
    } catch {
      // a torn line cannot happen with line-buffered stdout; ignore rather than fail the run
    }
  }
}

export function describeExit(x: WorkerExit): string {
  const how = x.signal ? `killed by ${x.signal}` : `exit code ${x.code}`;
  return x.stderr ? `${how}: ${x.stderr.split('\n').slice(-3).join('; ')}` : how;
}

/** Numeric field of a worker event, 0 when absent. */
export function num(e: WorkerEvent | undefined, key: string): number {
  const v = e?.[key];
  return typeof v === 'number' ? v : 0;
}

export const __test = { findSource: () => resolve(findSource()) };
