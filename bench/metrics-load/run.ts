// /metrics under load: CONCURRENCY scrapers (default 20), each a keep-alive loop of GET /metrics, for
// DURATION seconds (default 30) against a daemon with every collector attached. Prints latency percentiles,
// throughput and errors. Targets: p99 < 50 ms, zero errors.
//   sudo node --import tsx bench/metrics-load/run.ts            DURATION=10 CONCURRENCY=20 to change
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { mb, percentile, sampleProc, startDaemon } from './daemon.js';

const duration = Number(process.env.DURATION ?? 30) * 1000;
const concurrency = Number(process.env.CONCURRENCY ?? 20);

if (process.getuid?.() !== 0) {
  console.error('run as root: the daemon must attach every collector');
  process.exit(1);
}

const daemon = await startDaemon(['--interval', '60s']);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const latencies: number[] = [];
let errors = 0;
let bytes = 0;
const errorKinds = new Map<string, number>();

function scrape(url: string): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const fail = (why: string): void => {
      errors++;
      errorKinds.set(why, (errorKinds.get(why) ?? 0) + 1);
      resolve();
    };
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
        if (!body.includes('kerno_info')) return fail('incomplete body');
        latencies.push(performance.now() - t0);
        bytes += body.length;
        resolve();
      });
      res.on('error', (e) => fail(e.message));
    });
    req.on('error', (e) => fail(e.message));
    req.end();
  });
}

try {
  // Warm-up: one scrape, so the first measured one does not pay for lazy initialisation.
  await scrape(`${daemon.url}/metrics`);
  latencies.length = 0;
  bytes = 0;
  const before = sampleProc(daemon.pid);
  const end = Date.now() + duration;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await scrape(`${daemon.url}/metrics`);
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const after = sampleProc(daemon.pid);
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  const p99 = percentile(latencies, 0.99);
  console.log(
    `/metrics under load: ${concurrency} concurrent keep-alive scrapers for ${(duration / 1000).toFixed(0)} s`,
  );
  console.log(
    `  requests        ${n} ok, ${errors} errors${errors ? ` ${JSON.stringify(Object.fromEntries(errorKinds))}` : ''}`,
  );
  console.log(
    `  throughput      ${(n / elapsed).toFixed(0)} scrapes/s, ${(bytes / Math.max(1, n) / 1024).toFixed(1)} KiB per scrape`,
  );
  console.log(
    `  latency (ms)    p50 ${percentile(latencies, 0.5).toFixed(1)}  p90 ${percentile(latencies, 0.9).toFixed(1)}  ` +
      `p99 ${p99.toFixed(1)}  max ${latencies[n - 1]?.toFixed(1)}`,
  );
  console.log(
    `  daemon          CPU ${(((after.cpuSeconds - before.cpuSeconds) / elapsed) * 100).toFixed(0)}% of one core, ` +
      `RSS ${mb(before.rssBytes)} → ${mb(after.rssBytes)} MB`,
  );
  const pass = p99 < 50 && errors === 0;
  console.log(`  target          p99 < 50 ms and zero errors: ${pass ? 'PASS' : 'FAIL'}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  agent.destroy();
  const code = await daemon.stop();
  if (code !== 0) console.error(`daemon exited with ${code}`);
}
