// Cost of the TCP MIB across every network namespace (src/collectors/tcp-namespaces.ts), read once per
// window end, against the single /proc/net/snmp read it replaced — side by side, interleaved, at growing
// node scale: K namespaces with a process in each (`unshare --net sleep`, as a container runtime makes them)
// plus E process-less `ip netns` namespaces (read by entering them: a short nsenter process each).
//
//   node --import tsx bench/tcp-namespaces/run.ts [--sizes 0,16,64,256] [--empty 0,8] [--runs 15]
//
// Everything it creates is named kerno-bench-* (netns) or tracked by PID (holders) and removed at the end.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readNamespaceMibs } from '../../src/collectors/tcp-namespaces.js';
import { parseSnmp, tcpCounters } from '../../src/collectors/procfs/net-snmp.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '0,16,64,256' },
    empty: { type: 'string', default: '0,8' },
    runs: { type: 'string', default: '15' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const empties = values.empty.split(',').map(Number);
const runs = Number(values.runs);

const holders: ChildProcess[] = [];
const named: string[] = [];

function cleanup(): void {
  for (const h of holders.splice(0)) h.kill('SIGKILL');
  for (const n of named.splice(0)) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function grow(k: number, e: number): Promise<void> {
  while (holders.length < k) holders.push(spawn('unshare', ['--net', 'sleep', '3600'], { stdio: 'ignore' }));
  while (named.length < e) {
    const n = `kerno-bench-${process.pid}-${named.length}`;
    execFileSync('ip', ['netns', 'add', n]);
    named.push(n);
  }
  await new Promise((r) => setTimeout(r, 300));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

console.log(
  `runs ${runs} per variant, interleaved; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  '| namespaces with a process | ip netns without | processes | single /proc/net/snmp | all namespaces | ratio |',
);
console.log('|---|---|---|---|---|---|');
try {
  for (const e of empties) {
    for (const k of sizes) {
      if (named.length > e) {
        cleanup();
      }
      await grow(k, e);
      const single: number[] = [];
      const all: number[] = [];
      let seen = 0;
      let processes = 0;
      for (let i = 0; i < runs; i++) {
        single.push(await time(() => tcpCounters(parseSnmp(readFileSync('/proc/net/snmp', 'utf8')))));
        all.push(
          await time(async () => {
            const r = await readNamespaceMibs();
            seen = r.mibs.size;
            processes = r.scan.processes;
          }),
        );
      }
      const s = median(single);
      const a = median(all);
      console.log(
        `| ${k} (+ host; ${seen} MIBs read) | ${e} | ${processes} | ${s.toFixed(3)} ms | ${a.toFixed(2)} ms | ${(a / s).toFixed(0)}× |`,
      );
    }
    cleanup();
  }
} finally {
  cleanup();
}
