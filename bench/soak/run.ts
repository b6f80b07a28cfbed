// Soak: `kerno start` (every collector, through the launcher bin/kerno as users run it) for
// DURATION seconds (default 3600; run it longer for a longer soak), scraped every SCRAPE_EVERY seconds
// (default 15, like Prometheus) with a burst of BURST concurrent scrapes every BURST_EVERY seconds (default
// 50 every 300 s), sampling RSS, CPU and open fds every SAMPLE_EVERY seconds (default 10). Prints a line per
// minute, then the trend (least squares, MB/min, after the first WARMUP seconds, default 120) and a verdict.
// Targets (issue #20): RSS < 70 MB idle, < 100 MB under 50 scrapers, flat; idle CPU < 1 % of one core.
//   sudo node --import tsx bench/soak/run.ts                         DURATION=900 for a short run
//   KERNO_ENTRY=dist/bundle/kerno.js (default bin/kerno, the launcher)  OUT=file.tsv (samples, default none)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { mb, percentile, sampleProc, startDaemon } from '../metrics-load/daemon.js';

const num = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);
const duration = num('DURATION', 3600);
const scrapeEvery = num('SCRAPE_EVERY', 15);
const sampleEvery = num('SAMPLE_EVERY', 10);
const burst = num('BURST', 50);
const burstEvery = num('BURST_EVERY', 300);
const warmup = num('WARMUP', 120);

if (process.getuid?.() !== 0) {
  console.error('run as root: the daemon must attach every collector');
  process.exit(1);
}
// What users run: the launcher (dist/bundle/kerno.js with its malloc and V8 settings).
process.env.KERNO_ENTRY ??= 'bin/kerno';

interface Sample {
  t: number;
  rss: number;
  cpu: number;
  fds: number;
  inBurst: boolean;
}

const agent = new Agent({ keepAlive: true, maxSockets: Math.max(1, burst) });
function scrape(url: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}/metrics`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - t0 : NaN));
    });
    req.on('error', () => resolve(NaN));
    req.end();
  });
}

function slope(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const t0 = Date.now();
const daemon = await startDaemon();
const samples: Sample[] = [];
const lat: number[] = [];
const burstLat: number[] = [];
let errors = 0;
let inBurst = false;
const loads: string[] = [load()];
try {
  console.log(
    `soak: kerno start (pid ${daemon.pid}, ${process.env.KERNO_ENTRY}) for ${duration} s; a scrape every ${scrapeEvery} s, ` +
      `${burst} concurrent every ${burstEvery} s; load average ${loads[0]}`,
  );
  const end = t0 + duration * 1000;
  let nextScrape = Date.now();
  let nextBurst = t0 + burstEvery * 1000;
  let nextSample = Date.now();
  let nextPrint = t0 + 60_000;
  while (Date.now() < end) {
    const now = Date.now();
    if (now >= nextSample) {
      const p = sampleProc(daemon.pid);
      samples.push({
        t: (now - t0) / 1000,
        rss: p.rssBytes,
        cpu: p.cpuSeconds,
        fds: fdCount(daemon.pid),
        inBurst,
      });
      nextSample += sampleEvery * 1000;
    }
    if (now >= nextBurst && burst > 0) {
      nextBurst += burstEvery * 1000;
      inBurst = true;
      // 50 scrapers, 5 s of closed loops: the peak a few Prometheus replicas and dashboards could make.
      const stop = Date.now() + 5_000;
      const sampler = setInterval(() => {
        const p = sampleProc(daemon.pid);
        samples.push({
          t: (Date.now() - t0) / 1000,
          rss: p.rssBytes,
          cpu: p.cpuSeconds,
          fds: fdCount(daemon.pid),
          inBurst,
        });
      }, 1000);
      await Promise.all(
        Array.from({ length: burst }, async () => {
          while (Date.now() < stop) {
            const ms = await scrape(daemon.url);
            if (Number.isNaN(ms)) errors++;
            else burstLat.push(ms);
          }
        }),
      );
      clearInterval(sampler);
      inBurst = false;
    } else if (now >= nextScrape) {
      nextScrape += scrapeEvery * 1000;
      const ms = await scrape(daemon.url);
      if (Number.isNaN(ms)) errors++;
      else lat.push(ms);
    }
    if (Date.now() >= nextPrint) {
      nextPrint += 60_000;
      const s = samples.at(-1)!;
      loads.push(load());
      console.log(
        `  ${String(Math.round(s.t)).padStart(6)} s  RSS ${mb(s.rss)} MB  fds ${s.fds}  CPU ${s.cpu.toFixed(1)} s  load ${loads.at(-1)}`,
      );
    }
    await sleep(Math.max(0, Math.min(nextSample, nextScrape, nextBurst, end) - Date.now()));
  }
} finally {
  agent.destroy();
  await daemon.stop();
}

const steady = samples.filter((s) => s.t >= warmup && !s.inBurst);
const idle = samples.filter((s) => !s.inBurst);
const rssTrend = slope(steady.map((s) => ({ t: s.t / 60, y: s.rss / 1024 / 1024 })));
const fdTrend = slope(steady.map((s) => ({ t: s.t / 60, y: s.fds })));
// Idle CPU: the steady part's CPU seconds minus what bursts used, over the time outside bursts.
let idleCpu = 0;
let idleTime = 0;
for (let i = 1; i < samples.length; i++) {
  const a = samples[i - 1]!;
  const b = samples[i]!;
  if (a.t < warmup || a.inBurst || b.inBurst) continue;
  idleCpu += b.cpu - a.cpu;
  idleTime += b.t - a.t;
}
const cpuPct = idleTime > 0 ? (idleCpu / idleTime) * 100 : NaN;
const rssIdleMax = Math.max(...steady.map((s) => s.rss));
const rssIdleMed = [...steady.map((s) => s.rss)].sort((a, b) => a - b)[Math.floor(steady.length / 2)] ?? NaN;
const rssMax = Math.max(...samples.map((s) => s.rss));
const first15 = samples.find((s) => s.t >= 15);
lat.sort((a, b) => a - b);
burstLat.sort((a, b) => a - b);
const minutes = (samples.at(-1)?.t ?? 0) / 60;

console.log(`\nsoak summary (${minutes.toFixed(1)} min, load average ${loads[0]} → ${loads.at(-1)}):`);
console.log(
  `  RSS 15 s ${first15 ? mb(first15.rss) : 'n/a'} MB; outside bursts after ${warmup} s: median ${mb(rssIdleMed)}, max ${mb(rssIdleMax)} MB; ` +
    `max overall (incl. ${burst}-scraper bursts) ${mb(rssMax)} MB`,
);
console.log(
  `  trend ${rssTrend >= 0 ? '+' : ''}${rssTrend.toFixed(3)} MB/min, fds ${fdTrend >= 0 ? '+' : ''}${fdTrend.toFixed(3)}/min (${idle[0]?.fds} → ${idle.at(-1)?.fds})`,
);
console.log(
  `  idle CPU ${cpuPct.toFixed(2)} % of one core (between scrapes and bursts; includes diagnosis windows)`,
);
console.log(
  `  scrapes: ${lat.length} single (p50 ${percentile(lat, 0.5).toFixed(1)} ms, p99 ${percentile(lat, 0.99).toFixed(1)} ms), ` +
    `${burstLat.length} in bursts (p99 ${percentile(burstLat, 0.99).toFixed(1)} ms), ${errors} errors`,
);
// Flat: less than 0.05 MB/min is < 3 MB per hour; a leak of one 65 KiB exposition per scrape would be 0.25.
const flat = Math.abs(rssTrend) < 0.05 && fdTrend <= 0.01;
const verdict = [
  `RSS idle < 70 MB ${rssIdleMax < 70 * 2 ** 20 ? 'MET' : 'MISSED'} (max ${mb(rssIdleMax)})`,
  `< 100 MB with ${burst} scrapers ${rssMax < 100 * 2 ** 20 ? 'MET' : 'MISSED'} (max ${mb(rssMax)})`,
  `flat ${flat ? 'MET' : 'MISSED'} (${rssTrend.toFixed(3)} MB/min)`,
  `idle CPU < 1 % ${cpuPct < 1 ? 'MET' : 'MISSED'} (${cpuPct.toFixed(2)} %)`,
];
console.log(`verdict: ${verdict.join('; ')}`);
if (process.env.OUT)
  writeFileSync(
    process.env.OUT,
    't\trss_mb\tcpu_s\tfds\tburst\n' +
      samples
        .map((s) => `${s.t.toFixed(1)}\t${mb(s.rss)}\t${s.cpu.toFixed(2)}\t${s.fds}\t${s.inBurst ? 1 : 0}`)
        .join('\n') +
      '\n',
  );
