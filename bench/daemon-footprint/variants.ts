// Side by side: the daemon's RSS 15 s after start, then RSS and /metrics latency under CONCURRENCY
// keep-alive scrapers (default 50) for LOAD seconds (default 20), for several launch variants (V8 flags in
// NODE_OPTIONS, glibc malloc tunables), interleaved over ROUNDS rounds (default 2), medians per variant.
//   sudo KERNO_ENTRY=dist/bundle/kerno.js node --import tsx bench/daemon-footprint/variants.ts
//   VARIANTS='base;semi2=NODE_OPTIONS=--max-semi-space-size=2'   name=VAR=value,VAR=value;…
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { mb, percentile, sampleProc, startDaemon } from '../metrics-load/daemon.js';

const rounds = Number(process.env.ROUNDS ?? 2);
const loadSeconds = Number(process.env.LOAD ?? 20);
const concurrency = Number(process.env.CONCURRENCY ?? 50);
const variants = (
  process.env.VARIANTS ??
  'base;semi1=NODE_OPTIONS=--max-semi-space-size=1;semi2=NODE_OPTIONS=--max-semi-space-size=2'
)
  .split(';')
  .map((spec) => {
    const [name, ...rest] = spec.split('=');
    const env: Record<string, string> = {};
    for (const kv of rest.join('=').split(',').filter(Boolean)) {
      const i = kv.indexOf('=');
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return { name: name!, env };
  });

if (process.getuid?.() !== 0) {
  console.error('run as root: the daemon must attach every collector');
  process.exit(1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  rss15: number;
  rssLoadMax: number;
  rssLoadEnd: number;
  rssAfter: number;
  p50: number;
  p99: number;
  rate: number;
  errors: number;
  /** Daemon and load generator CPU, % of one core. */
  cpu: number;
  genCpu: number;
}

async function load(url: string, pid: number): Promise<Omit<Run, 'rss15' | 'rssAfter'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const lat: number[] = [];
  let errors = 0;
  let rssLoadMax = 0;
  const sampler = setInterval(() => (rssLoadMax = Math.max(rssLoadMax, sampleProc(pid).rssBytes)), 1000);
  const end = Date.now() + loadSeconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(`${url}/metrics`, { agent }, (res) => {
        // Buffers, not strings: the load generator shares the 2 CPUs with the daemon.
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 200 && Buffer.concat(chunks).includes('kerno_info'))
            lat.push(performance.now() - t0);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const t0 = performance.now();
  const cpu0 = sampleProc(pid).cpuSeconds;
  const self0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  agent.destroy();
  const cpu = ((sampleProc(pid).cpuSeconds - cpu0) / elapsed) * 100;
  const self = process.cpuUsage(self0);
  const genCpu = ((self.user + self.system) / 1e6 / elapsed) * 100;
  lat.sort((a, b) => a - b);
  const rssLoadEnd = sampleProc(pid).rssBytes;
  return {
    rssLoadMax: Math.max(rssLoadMax, rssLoadEnd),
    rssLoadEnd,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    rate: lat.length / elapsed,
    errors,
    cpu,
    genCpu,
  };
}

const results = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
const loads: string[] = [];
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const t0 = Date.now();
    const d = await startDaemon(['--interval', '60s'], v.env);
    try {
      await sleep(Math.max(0, 15_000 - (Date.now() - t0)));
      const rss15 = sampleProc(d.pid).rssBytes;
      const l = await load(d.url, d.pid);
      await sleep(10_000);
      const run = { rss15, ...l, rssAfter: sampleProc(d.pid).rssBytes };
      results.get(v.name)!.push(run);
      loads.push(readLoad());
      console.log(
        `round ${r + 1} ${v.name.padEnd(10)} RSS 15 s ${mb(rss15)}  load max ${mb(l.rssLoadMax)} end ${mb(l.rssLoadEnd)}  ` +
          `+10 s ${mb(run.rssAfter)} MB  p50 ${l.p50.toFixed(1)} p99 ${l.p99.toFixed(1)} ms  ${l.rate.toFixed(0)}/s  ` +
          `errors ${l.errors}  CPU daemon ${l.cpu.toFixed(0)}% generator ${l.genCpu.toFixed(0)}%  load ${loads.at(-1)}`,
      );
    } finally {
      await d.stop();
    }
  }
}

function readLoad(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log(`\nmedians over ${rounds} rounds, ${concurrency} scrapers for ${loadSeconds} s:`);
console.log('variant      RSS 15 s   under load (max / end)   +10 s    p50      p99      scrapes/s');
for (const v of variants) {
  const rs = results.get(v.name)!;
  console.log(
    `${v.name.padEnd(12)} ${mb(med(rs.map((x) => x.rss15))).padStart(6)} MB  ${mb(med(rs.map((x) => x.rssLoadMax))).padStart(6)} / ${mb(med(rs.map((x) => x.rssLoadEnd))).padStart(6)} MB     ` +
      `${mb(med(rs.map((x) => x.rssAfter))).padStart(6)}  ${med(rs.map((x) => x.p50))
        .toFixed(1)
        .padStart(6)}  ${med(rs.map((x) => x.p99))
        .toFixed(1)
        .padStart(7)}  ${med(rs.map((x) => x.rate))
        .toFixed(0)
        .padStart(6)}`,
  );
}
