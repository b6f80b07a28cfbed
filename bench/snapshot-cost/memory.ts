// Memory of repeated syscall reads with ~10 000 real keys: RSS and its anonymous part across 20
// metrics() + snapshot() pairs (what a daemon does per scrape and per diagnosis window), with an event-loop
// turn between reads as in a daemon, then after forced GCs. Flat RSS = no per-read garbage left behind.
// Also times metrics(): the first scrape decodes every key, later ones only the keys that changed.
// Target (issue #6): daemon RSS < 100 MB and flat.
//   node --expose-gc --import tsx bench/snapshot-cost/memory.ts [--reads 20]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/bpf/paths.js';
import { SyscallCollector } from '../../src/collectors/syscall/index.js';
import type { CollectorContext } from '../../src/collectors/types.js';

const { values: args } = parseArgs({ options: { reads: { type: 'string', default: '20' } } });
const READS = Number(args.reads);
const ROOT = packageRoot();
const KEYS_BIN = join(ROOT, 'bench', 'out', 'snapshot-keys');
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
execFileSync('cc', ['-O2', '-o', KEYS_BIN, join(ROOT, 'bench', 'snapshot-cost', 'keys.c')]);

const mb = (bytes: number): string => (bytes / 1048576).toFixed(0).padStart(4);
function anonBytes(): number {
  let total = 0;
  let anon = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) anon = !line.trim().split(/\s+/)[5]?.startsWith('/');
    else if (anon && line.startsWith('Rss:')) total += Number(line.split(/\s+/)[1]) * 1024;
  }
  return total;
}
const rows: [string, number, number, number][] = [];
const sample = (what: string): void => {
  const m = process.memoryUsage();
  rows.push([what, m.rss, anonBytes(), m.heapUsed + m.external]);
};
const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

const scrapeMs: number[] = [];
const c = new SyscallCollector();
await c.start({} as CollectorContext);
try {
  sample('collector started');
  execFileSync(KEYS_BIN, ['334', '30']);
  // No reset(): it would prune the keys of the (exited) key-making processes. Every snapshot() decodes
  // all 10 000 keys (as a doctor window would); metrics() only the ones that changed since the last one.
  sample('10 000 keys made');
  for (let i = 1; i <= READS; i++) {
    const t0 = performance.now();
    await c.metrics();
    scrapeMs.push(performance.now() - t0);
    await c.snapshot(1e9);
    await turn();
    if (i % 5 === 0 || i === 1) sample(`after ${i} metrics() + snapshot()`);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc)
    for (let i = 0; i < 3; i++) {
      gc();
      await turn();
    }
  sample(gc ? 'after forced GC' : 'end (run with --expose-gc to force a GC)');
} finally {
  await c.stop();
}
console.log(
  `syscall reads, ${READS} × (metrics + snapshot), MB: RSS / anonymous RSS / V8 heap used + external`,
);
for (const [what, rss, anon, v8] of rows)
  console.log(`  ${what.padEnd(40)} ${mb(rss)} ${mb(anon)} ${mb(v8)}`);
// From the 5th read on (first-read JIT and buffer allocation are behind it) to the last one.
const from = rows.find(([w]) => w.startsWith('after 5 '))!;
const last = rows[rows.length - 2]!;
console.log(`  growth after the 5th read: ${((last[1] - from[1]) / 1048576).toFixed(1)} MB RSS`);
const sorted = [...scrapeMs].sort((a, b) => a - b);
console.log(
  `  metrics() (a /metrics scrape's syscall part): first ${scrapeMs[0]!.toFixed(1)} ms, ` +
    `median ${sorted[sorted.length >> 1]!.toFixed(1)} ms`,
);
