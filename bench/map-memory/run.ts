// Kernel memory of kerno's BPF maps (issue #20): measured memlock on this host (the figure `bpftool map
// show` prints, cross-checked against bpftool) and the modelled worst case (every map full) at several
// CPU counts, for the objects `kerno doctor` loads, before → after the map-memory bound.
//
//   after   the collectors of the default configuration started as doctor starts them
//           (src/collectors/map-memory.ts: the same report `bpf-verify --json` gives under mapMemory)
//   before  with --before DIR: the objects built at an earlier commit (bench/map-memory/run.sh builds them),
//           loaded without attaching, sized by that commit's loader rule (per-CPU hashes under 64 MiB
//           each, at least 64 keys; nothing else capped)
//
//   node --import tsx bench/map-memory/run.ts [--before DIR] [--cpus 2,16,64,192]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BpfObject } from '../../src/bpf/object.js';
import { possibleCpus } from '../../src/bpf/map.js';
import { mapMemory } from '../../src/bpf/map-memory.js';
import type { RawMap } from '../../src/bpf/native.js';
import {
  MAP_MEMORY_BOUND,
  collectorMapMemory,
  type ObjectMapMemory,
} from '../../src/collectors/map-memory.js';

const { values } = parseArgs({
  options: { before: { type: 'string' }, cpus: { type: 'string', default: '2,16,64,192' } },
});
const cpuCounts = [...new Set(values.cpus!.split(',').map(Number))];
const OBJECTS = ['disk', 'dns', 'fd', 'oom', 'sched', 'syscall', 'tcp'];

/** The loader rule before the bound: per-CPU hashes under 64 MiB each, never below 64 keys. */
function beforeMaxEntries(m: RawMap, cpus: number): number {
  if (m.type !== 'percpu_hash' && m.type !== 'lru_percpu_hash') return m.maxEntries;
  const perKey = ((m.valueSize + 7) & ~7) * cpus;
  return Math.min(m.maxEntries, Math.max(64, Math.floor((64 << 20) / perKey)));
}

async function before(dir: string): Promise<ObjectMapMemory[]> {
  const out: ObjectMapMemory[] = [];
  for (const name of OBJECTS) {
    const obj = BpfObject.open(join(dir, `${name}.bpf.o`));
    try {
      // The programs doctor loads: autoload ones, task-storage variant (syscall's start_hash then unused).
      obj.selectPrograms(
        obj
          .programs()
          .filter((p) => p.autoload)
          .map((p) => p.name),
      );
      if (name === 'syscall') obj.setMaxEntries('start_hash', 1);
      const defs = new Map(obj.mapInfos().map((m) => [m.name, m]));
      for (const m of defs.values()) {
        const cap = beforeMaxEntries(m, possibleCpus());
        if (cap < m.maxEntries) obj.setMaxEntries(m.name, cap);
      }
      await obj.load();
      const maps = mapMemory(obj.mapInfos(), cpuCounts, (m, cpus) =>
        beforeMaxEntries(defs.get(m.name) ?? m, cpus),
      );
      out.push({
        object: name,
        maps,
        memlockBytes: maps.reduce((s, m) => s + (m.memlockBytes ?? 0), 0),
        worstCaseBytes: Object.fromEntries(
          cpuCounts.map((n) => [n, maps.reduce((s, m) => s + m.worstCaseBytes[n]!, 0)]),
        ),
      });
    } finally {
      obj.close();
    }
  }
  return out;
}

/**
 * memlock of every map this process holds, from our fds' fdinfo and from `bpftool map show` (matched by map
 * id), read back to back: no-prealloc maps grow between two reads while the programs run.
 */
function bothMemlocks(): { fdinfo: number; bpftool: number | undefined } {
  const ours = new Map<number, number>();
  const fdDir = '/proc/self/fdinfo';
  for (const fd of readdirSync(fdDir)) {
    try {
      const text = readFileSync(join(fdDir, fd), 'utf8');
      const id = /^map_id:\s*(\d+)/m.exec(text)?.[1];
      const memlock = /^memlock:\s*(\d+)/m.exec(text)?.[1];
      if (id && memlock) ours.set(Number(id), Number(memlock));
    } catch {
      /* closed meanwhile */
    }
  }
  const fdinfo = [...ours.values()].reduce((s, x) => s + x, 0);
  let listing: string;
  try {
    listing = execFileSync('bpftool', ['-j', 'map', 'show'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return { fdinfo, bpftool: undefined }; // no bpftool (a minimal guest)
  }
  const maps = JSON.parse(listing) as { id: number; bytes_memlock?: number }[];
  return {
    fdinfo,
    bpftool: maps.filter((m) => ours.has(m.id)).reduce((s, m) => s + (m.bytes_memlock ?? 0), 0),
  };
}

const mb = (b: number | undefined): string => (b === undefined ? '–' : (b / 1e6).toFixed(1));

const prior = values.before ? await before(values.before) : undefined;
// Measured inside collectorMapMemory, while the collectors are up: bpftool is asked in the same window.
let check: ReturnType<typeof bothMemlocks> | undefined;
const after = await collectorMapMemory(cpuCounts, () => {
  check = bothMemlocks();
});

console.log(
  `map memory, ${possibleCpus()} possible CPUs here, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  `after: memlock of the collectors' maps ${after.memlockBytes} B; cross-check, read back to back: fdinfo ` +
    `${check?.fdinfo} B, bpftool map show ${check?.bpftool ?? 'n/a'} B`,
);
const head = `| object | memlock here (MB) | ${cpuCounts.map((n) => `full, ${n} CPUs`).join(' | ')} |`;
console.log(`\n${head}\n|${'---|'.repeat(cpuCounts.length + 2)}`);
for (const name of OBJECTS) {
  const a = after.objects.find((o) => o.object === name);
  const b = prior?.find((o) => o.object === name);
  const cell = (x: number | undefined, y: number | undefined): string => (b ? `${mb(x)} → ${mb(y)}` : mb(y));
  console.log(
    `| ${name} | ${cell(b?.memlockBytes, a?.memlockBytes)} | ${cpuCounts
      .map((n) => cell(b?.worstCaseBytes[n], a?.worstCaseBytes[n]))
      .join(' | ')} |`,
  );
}
const sum = (os: ObjectMapMemory[] | undefined, f: (o: ObjectMapMemory) => number): number | undefined =>
  os?.reduce((s, o) => s + f(o), 0);
const total = (f: (o: ObjectMapMemory) => number): string =>
  prior ? `${mb(sum(prior, f))} → **${mb(sum(after.objects, f))}**` : `**${mb(sum(after.objects, f))}**`;
console.log(
  `| **total** | ${total((o) => o.memlockBytes)} | ${cpuCounts.map((n) => total((o) => o.worstCaseBytes[n]!)).join(' | ')} |`,
);
console.log(
  `\nbound: ${(MAP_MEMORY_BOUND / 1e6).toFixed(1)} MB (32 MiB) full; errors: ${JSON.stringify(after.errors)}`,
);
if (prior) {
  console.log('\nbiggest maps full at the largest CPU count, before → after:');
  const n = cpuCounts[cpuCounts.length - 1]!;
  const rows = prior
    .flatMap((o) =>
      o.maps.map((m) => ({ id: `${o.object}.${m.name}`, b: m.worstCaseBytes[n]!, type: m.type })),
    )
    .sort((x, y) => y.b - x.b)
    .slice(0, 8);
  for (const r of rows) {
    const [o, m] = r.id.split('.');
    const a = after.objects.find((x) => x.object === o)?.maps.find((x) => x.name === m);
    console.log(`  ${r.id} (${r.type} → ${a?.type}): ${mb(r.b)} → ${mb(a?.worstCaseBytes[n])} MB`);
  }
}
