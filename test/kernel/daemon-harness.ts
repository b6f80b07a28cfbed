// Runs the real `kerno start` as a child process for the kernel tests (daemon.test.ts, prometheus.test.ts):
// listens on 127.0.0.1:0 and learns its URL from the startup banner, waits for readiness by polling
// /readyz, and always ends the child by its PID.
//
// KERNO_TEST_ENTRY may point at another entry script (default bin/kerno.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../../src/bpf/paths.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`${url}: no answer within 15 s`)));
    req.end();
  });
}

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  stderr(): string;
  /** Sends `signal` and waits for the exit; resolves with the exit code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  /** SIGKILL if still running (for finally blocks). */
  kill(): void;
  /** IDs of the BPF programs this process holds open (from /proc/<pid>/fdinfo). */
  bpfProgramIds(): number[];
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Wait for /readyz 200 (default true); false waits only for the banner. */
  waitReady?: boolean;
  uid?: number;
  gid?: number;
  timeoutMs?: number;
  /** A command the daemon is exec'ed through, e.g. nsenter into a network namespace (same PID). */
  wrap?: string[];
}

export async function startDaemon(opts: StartOptions = {}): Promise<DaemonProcess> {
  const root = packageRoot();
  const entry = process.env.KERNO_TEST_ENTRY ?? join(root, 'bin', 'kerno.ts');
  const argv = [
    ...(opts.wrap ?? []),
    process.execPath,
    '--import',
    'tsx',
    entry,
    'start',
    '--listen',
    '127.0.0.1:0',
    ...(opts.args ?? []),
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: root,
    env: { ...process.env, KERNO_LOG_FORMAT: 'json', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: opts.uid,
    gid: opts.gid,
  });
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid!;
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  try {
    while (!url) {
      const m = /^ {2}metrics +(http:\/\/[^/\s]+)\/metrics/m.exec(err);
      if (m) url = m[1];
      else if (child.exitCode !== null) throw new Error(`kerno start exited with ${child.exitCode}:\n${err}`);
      else if (Date.now() > deadline)
        throw new Error(`kerno start printed no banner within ${timeoutMs} ms:\n${err}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (opts.waitReady !== false) {
      for (;;) {
        const r = await get(`${url}/readyz`).catch(() => undefined);
        if (r?.status === 200) break;
        if (Date.now() > deadline)
          throw new Error(`kerno start not ready within ${timeoutMs} ms: ${r?.body}\n${err}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  } catch (e) {
    kill();
    throw e;
  }
  if (out !== '') throw new Error(`kerno start wrote to stdout: ${out}`);
  return {
    child,
    pid,
    url,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await exited;
      return { ...r, ms: Date.now() - t0 };
    },
    kill,
    bpfProgramIds() {
      const ids = new Set<number>();
      const dir = `/proc/${pid}/fdinfo`;
      for (const fd of readdirSync(dir)) {
        let text: string;
        try {
          text = readFileSync(join(dir, fd), 'utf8');
        } catch {
          continue; // fd closed meanwhile
        }
        const m = /^prog_id:\s+(\d+)$/m.exec(text);
        if (m) ids.add(Number(m[1]));
      }
      return [...ids].sort((a, b) => a - b);
    },
  };
}

/** Numeric value of the first sample of `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}
