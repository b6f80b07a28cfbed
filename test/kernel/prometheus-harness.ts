// A real Prometheus (Debian's) for the tests that scrape `kerno start`: a free port, its process started on
// a config the test writes and stopped again, and instant queries through its HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { get } from './daemon-harness.js';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export async function query(prom: string, q: string): Promise<PromResult[]> {
  const r = await get(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = JSON.parse(r.body) as { status: string; data?: { result: PromResult[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error ?? r.body}`);
  return body.data!.result;
}

/**
 * Starts Prometheus on `port` with `dir/prometheus.yml` (written by the test) and its data in `dir/data`;
 * `onLog` gets its stderr (the tests keep the tail for failure messages). Readiness is the caller's wait.
 */
export function spawnPrometheus(dir: string, port: number, onLog: (chunk: string) => void): ChildProcess {
  mkdirSync(join(dir, 'data'));
  const child = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.setEncoding('utf8').on('data', onLog);
  return child;
}

/** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
export async function stopPrometheus(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}
