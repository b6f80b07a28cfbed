// Side by side: the idle daemon's CPU (% of one core), event-loop wake-ups and RSS for several builds at
// once, so host noise hits every variant alike. Each variant is `kerno start` from its own entry (a bundle
// copied from an earlier build, or this checkout's), with nothing scraping it. After WARMUP seconds (default
// 75: past the first diagnosis window) CPU time, voluntary context switches (each a sleep the main loop or a
// worker woke from) and RSS are measured over MEASURE seconds (default 120), per thread as well.
//   sudo node --import tsx bench/daemon-footprint/idle-cpu.ts before=/tmp/ab/before/dist/bundle/kerno.js after=dist/bundle/kerno.js
// The launcher's malloc settings are applied to every variant; V8 flags go in NODE_OPTIONS.
import { readdirSync, readFileSync } from 'node:fs';
import { mb, sampleProc, startDaemon, statCpuSeconds, type BenchDaemon } from '../metrics-load/daemon.js';

const warmup = Number(process.env.WARMUP ?? 75);
const measure = Number(process.env.MEASURE ?? 120);
const variants = process.argv.slice(2).map((arg) => {
  const i = arg.indexOf('=');
  if (i <= 0) throw new Error(`expected name=entry, got ${arg}`);
  return { name: arg.slice(0, i), entry: arg.slice(i + 1) };
});
if (variants.length === 0) {
  console.error('usage: idle-cpu.ts name=entry [name=entry …]');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('run as root: the daemon must attach every collector');
  process.exit(1);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LAUNCH_ENV = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };

interface Threads {
  /** thread name → [CPU seconds, voluntary switches] */
  [name: string]: [number, number];
}
function threads(pid: number): Threads {
  const out: Threads = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const vol = Number(
        /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(
          readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'),
        )?.[1],
      );
      // The main thread is the one whose tid is the pid; the others are grouped by name.
      const name = tid === String(pid) ? 'main' : comm;
      const prev = out[name] ?? [0, 0];
      out[name] = [prev[0] + statCpuSeconds(stat), prev[1] + vol];
    } catch {
      // a thread that exited between readdir and read
    }
  }
  return out;
}

const daemons: { name: string; d: BenchDaemon }[] = [];
try {
  for (const v of variants) daemons.push({ name: v.name, d: await startDaemon([], LAUNCH_ENV, v.entry) });
  await sleep(warmup * 1000);
  const before = daemons.map(({ d }) => ({ p: sampleProc(d.pid), th: threads(d.pid) }));
  await sleep(measure * 1000);
  const after = daemons.map(({ d }) => ({ p: sampleProc(d.pid), th: threads(d.pid) }));
  console.log(
    `idle daemon, ${measure} s after ${warmup} s warm-up, no scrapes (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
  );
  console.log('variant\tCPU % of a core\twake-ups/s (all threads)\tmain thread CPU % / wake-ups/s\tRSS MB');
  daemons.forEach(({ name }, i) => {
    const a = before[i]!;
    const b = after[i]!;
    const secs = b.p.t - a.p.t;
    const cpu = ((b.p.cpuSeconds - a.p.cpuSeconds) / secs) * 100;
    let wake = 0;
    for (const [k, [, v]] of Object.entries(b.th)) wake += v - (a.th[k]?.[1] ?? 0);
    const main = [((b.th.main![0] - a.th.main![0]) / secs) * 100, (b.th.main![1] - a.th.main![1]) / secs];
    console.log(
      `${name}\t${cpu.toFixed(2)}\t${(wake / secs).toFixed(0)}\t${main[0]!.toFixed(2)} / ${main[1]!.toFixed(0)}\t${mb(b.p.rssBytes)}`,
    );
  });
} finally {
  for (const { d } of daemons) await d.stop();
}
