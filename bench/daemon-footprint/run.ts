// Daemon footprint: RSS and CPU of `kerno start` (every collector attached), first idle, then under a
// syscall-heavy workload (bench/syscall-overhead/getppid-loop.c in a tight loop), each phase DURATION
// seconds (default 300). A scrape every 15 s stands in for Prometheus; the diagnosis window is the default
// 60 s. /proc/<pid>/stat and /status are sampled every 5 s.
// Targets: RSS < 100 MB and flat; idle CPU < 2 % of one core.
//   sudo node --import tsx bench/daemon-footprint/run.ts          DURATION=60 for a shorter run
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { packageRoot } from '../../src/bpf/paths.js';
import { mb, sampleProc, startDaemon, type ProcSample } from '../metrics-load/daemon.js';

const phaseSeconds = Number(process.env.DURATION ?? 300);
const sampleEvery = 5_000;
const scrapeEvery = 15_000;

if (process.getuid?.() !== 0) {
  console.error('run as root: the daemon must attach every collector');
  process.exit(1);
}

const root = packageRoot();
mkdirSync(join(root, 'bench', 'out'), { recursive: true });
const loopBin = join(root, 'bench', 'out', 'getppid-loop');
execFileSync('cc', ['-O2', '-o', loopBin, join(root, 'bench', 'syscall-overhead', 'getppid-loop.c')]);

/** One scrape; resolves with its latency in ms and the exposition size. */
function scrape(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}/metrics`, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
    });
    req.on('error', () => resolve({ ms: NaN, bytes: 0 }));
    req.end();
  });
}

interface PhaseResult {
  name: string;
  cpuPct: number;
  samples: ProcSample[];
  slopeMbPerMin: number;
  scrapes: { ms: number; bytes: number }[];
}

/** Least-squares slope of RSS over time, skipping the first fifth (warm-up: JIT, first windows). */
function rssSlope(samples: ProcSample[]): number {
  const s = samples.slice(Math.floor(samples.length / 5));
  if (s.length < 2) return 0;
  const n = s.length;
  const mt = s.reduce((a, x) => a + x.t, 0) / n;
  const mr = s.reduce((a, x) => a + x.rssBytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of s) {
    num += (x.t - mt) * (x.rssBytes - mr);
    den += (x.t - mt) ** 2;
  }
  return den === 0 ? 0 : ((num / den) * 60) / 1024 / 1024;
}

async function phase(name: string, pid: number, url: string): Promise<PhaseResult> {
  const samples: ProcSample[] = [sampleProc(pid)];
  const scrapes: { ms: number; bytes: number }[] = [];
  const end = Date.now() + phaseSeconds * 1000;
  let nextScrape = Date.now();
  while (Date.now() < end) {
    if (Date.now() >= nextScrape) {
      scrapes.push(await scrape(url));
      nextScrape += scrapeEvery;
    }
    await new Promise((r) => setTimeout(r, Math.min(sampleEvery, Math.max(0, end - Date.now()))));
    samples.push(sampleProc(pid));
  }
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  return {
    name,
    cpuPct: ((last.cpuSeconds - first.cpuSeconds) / (last.t - first.t)) * 100,
    samples,
    slopeMbPerMin: rssSlope(samples),
    scrapes,
  };
}

function report(r: PhaseResult): void {
  const rss = r.samples.map((s) => s.rssBytes);
  console.log(
    `  ${r.name.padEnd(8)} CPU ${r.cpuPct.toFixed(2)}% of one core   RSS first ${mb(rss[0]!)} last ${mb(rss.at(-1)!)} ` +
      `min ${mb(Math.min(...rss))} max ${mb(Math.max(...rss))} MB   trend ${r.slopeMbPerMin >= 0 ? '+' : ''}${r.slopeMbPerMin.toFixed(2)} MB/min`,
  );
  const ms = r.scrapes.map((x) => x.ms).sort((a, b) => a - b);
  console.log(
    `           ${r.scrapes.length} scrapes: median ${ms[Math.floor(ms.length / 2)]?.toFixed(1)} ms, max ${ms.at(-1)?.toFixed(1)} ms, ` +
      `${(Math.max(...r.scrapes.map((x) => x.bytes)) / 1024).toFixed(0)} KiB`,
  );
}

const daemon = await startDaemon();
const results: PhaseResult[] = [];
let workload: ReturnType<typeof spawn> | undefined;
try {
  console.log(
    `kerno start footprint: ${phaseSeconds} s idle, then ${phaseSeconds} s under a getppid loop (pid ${daemon.pid})`,
  );
  results.push(await phase('idle', daemon.pid, daemon.url));
  // One core busy with raw getppid(): every call goes through kerno's sys_enter/sys_exit programs.
  workload = spawn(loopBin, ['100000000000'], { stdio: 'ignore' });
  results.push(await phase('syscalls', daemon.pid, daemon.url));
  const calls = Number(
    /kerno_syscalls_total\{syscall="getppid"\} (\d+)/.exec(
      await new Promise<string>((resolve) => {
        const req = request(`${daemon.url}/metrics`, { agent: false }, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (c: string) => (b += c));
          res.on('end', () => resolve(b));
        });
        req.on('error', () => resolve(''));
        req.end();
      }),
    )?.[1] ?? NaN,
  );
  for (const r of results) report(r);
  console.log(
    Number.isFinite(calls)
      ? `  workload ${(calls / 1e6).toFixed(0)} M getppid calls counted by kerno since start (all processes)`
      : '  workload not observed (syscall collector off)',
  );
  const maxRss = Math.max(...results.flatMap((r) => r.samples.map((s) => s.rssBytes)));
  const idle = results[0]!;
  const flat = results.every((r) => Math.abs(r.slopeMbPerMin) < 1);
  console.log(
    `  targets  RSS < 100 MB: ${maxRss < 100 * 1024 * 1024 ? 'PASS' : 'FAIL'} (max ${mb(maxRss)})   ` +
      `flat (|trend| < 1 MB/min): ${flat ? 'PASS' : 'FAIL'}   idle CPU < 2%: ${idle.cpuPct < 2 ? 'PASS' : 'FAIL'}`,
  );
} finally {
  if (workload?.pid && workload.exitCode === null) process.kill(workload.pid, 'SIGKILL');
  await daemon.stop();
}
