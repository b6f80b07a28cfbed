// Where `kerno doctor`'s fixed cost goes: replays the doctor pipeline phase by phase (the same modules,
// the same Collection, rules and JSON renderer) with a clock around each phase. Run the COMPILED file
// (dist/bench/doctor-startup/profile.js, built by scripts/setup.sh) so the numbers are those of bin/kerno,
// not of the tsx loader. Only dynamic imports: a static import would run before the first clock read.
// bin/kerno runs the esbuild bundle (dist/bundle/), so the import phase loads the bundle's doctor chunk;
// the later phases run the same code from dist/src/ (imported outside the clocks).
//   node dist/bench/doctor-startup/profile.js [--window-ms 1000]
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';

const boot = performance.now(); // since process start (performance.timeOrigin)
const { values: args } = parseArgs({ options: { 'window-ms': { type: 'string', default: '1000' } } });
const WINDOW_MS = Number(args['window-ms']);

const phases: [string, number][] = [['node start-up (process start → first line of this script)', boot]];
async function phase<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  phases.push([name, performance.now() - t0]);
  return r;
}

// What bin/kerno loads for `doctor`: its entry (main, commands, io; a few KB, not importable here without
// running the CLI) imports the doctor command's chunk, which imports every shared chunk doctor needs
// (commander, config + zod, collectors, rules, renderers). Found through esbuild's metafile.
const bundle = new URL('../../bundle/', import.meta.url);
const meta = JSON.parse(readFileSync(new URL('meta.json', bundle), 'utf8')) as {
  outputs: Record<string, { entryPoint?: string }>;
};
const outputOf = (entry: string): string | undefined =>
  Object.entries(meta.outputs).find(([, o]) => o.entryPoint === entry)?.[0];
const entryOut = outputOf('dist/bin/kerno.js');
const doctorOut = outputOf('dist/src/cli/doctor-cmd.js');
if (!entryOut || !doctorOut)
  throw new Error('dist/bundle/meta.json: no kerno or doctor-cmd output; run scripts/setup.sh');
await phase(
  'import doctor code (dist/bundle: doctor command chunk + the shared chunks it imports)',
  async () => {
    await import(new URL(relative(dirname(entryOut), doctorOut), bundle).href);
  },
);
const { loadConfig } = await import('../../src/config/index.js');
const { createLogger } = await import('../../src/runtime/log.js');
const { Collection } = await import('../../src/runtime/collection.js');
const { evaluateDetailed, buildReport } = await import('../../src/doctor/engine.js');
const { ALL_RULES } = await import('../../rules/index.js');
const { renderJson } = await import('../../src/render/index.js');
const { VERSION } = await import('../../src/version.js');
const { collectorDefs } = await import('../../src/collectors/registry.js');
const { BpfObject } = await import('../../src/bpf/object.js');
const { bpfObjectPath } = await import('../../src/bpf/paths.js');

const { config } = await phase('load configuration', () => loadConfig({ env: process.env }));
const collection = await phase(
  'construct Collection (supervisor, collector instances)',
  () => new Collection({ config, logger: createLogger({ level: 'error' }), env: process.env }),
);
// When each collector reached its final start state, relative to the start of startAll (they start in
// parallel; BPF loads run on native worker threads).
const t0 = performance.now();
const ready = new Map<string, number>();
const unsubscribe = collection.supervisor.onStateChange((s) => {
  if (s.state !== 'loading' && !ready.has(s.name)) ready.set(s.name, performance.now() - t0);
});
await phase('start every collector (parallel: BPF open + load + attach, procfs baselines)', () =>
  collection.start(),
);
unsubscribe();
await new Promise((r) => setTimeout(r, WINDOW_MS));
const signals = await phase('snapshot → Signals', () => collection.snapshot());
const report = await phase('rules + report', () => {
  const { findings, ruleErrors } = evaluateDetailed(signals, ALL_RULES, config.doctor.thresholds);
  return buildReport(signals, findings, { version: VERSION, partial: false, ruleErrors });
});
const json = await phase('render JSON', () => renderJson(report));
await phase('stop every collector (detach, close)', () => collection.stop());

const total = phases.reduce((n, [, ms]) => n + ms, 0);
console.log(`doctor phases (window ${WINDOW_MS} ms excluded; report ${json.length} bytes):`);
for (const [name, ms] of phases) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${name}`);
console.log(`  ${total.toFixed(1).padStart(7)} ms  total fixed cost (process exit not included)`);
console.log('collector start, parallel (ms after startAll began, until attached/failed):');
for (const [name, ms] of [...ready.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${name}`);
}

// The same collectors started one after another and kept attached (as the parallel start leaves them),
// then stopped: is the parallel start faster than the sum of its parts on this machine?
console.log('collector start, sequential (one after another, all kept attached):');
const abort = new AbortController();
const ctx = { signal: abort.signal, fault: () => {}, log: () => {} };
const attached: { stop(): Promise<void> }[] = [];
let sequentialTotal = 0;
for (const def of collectorDefs()) {
  const c = def.factory();
  const s0 = performance.now();
  try {
    await c.start(ctx);
    const ms = performance.now() - s0;
    sequentialTotal += ms;
    attached.push(c);
    const what = def.bpf ? ` (BPF, ${c.stats().programsLoaded} programs)` : '';
    console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${def.name}${what}`);
  } catch (err) {
    console.log(`  failed  ${def.name}: ${(err as Error).message}`);
    await c.stop();
  }
}
console.log(
  `  ${sequentialTotal.toFixed(1).padStart(7)} ms  total (parallel start above: ${(phases.find(([n]) => n.startsWith('start every'))?.[1] ?? 0).toFixed(1)} ms)`,
);
const st0 = performance.now();
for (const c of attached) await c.stop();
console.log(`  ${(performance.now() - st0).toFixed(1).padStart(7)} ms  stop all, one after another`);
abort.abort();

// Per BPF object, where its start goes: open (ELF parse), load (libbpf: vmlinux BTF + CO-RE relocations +
// the kernel verifier; native worker thread), attach. Programs as bench/syscall-overhead/attach.ts picks them.
console.log('BPF objects one at a time: open / load / attach (ms):');
for (const name of ['syscall', 'tcp', 'fd', 'oom', 'sched', 'disk']) {
  const o0 = performance.now();
  const obj = BpfObject.open(bpfObjectPath(name));
  try {
    obj.selectPrograms(
      obj
        .programs()
        .map((p) => p.name)
        .filter((p) => !p.endsWith('_hash')),
    );
    const o1 = performance.now();
    const { loadMs } = await obj.load();
    const o2 = performance.now();
    const links = obj.attachAll();
    const o3 = performance.now();
    console.log(
      `  ${name.padEnd(8)} open ${(o1 - o0).toFixed(1).padStart(5)}, load ${(o2 - o1).toFixed(1).padStart(5)} ` +
        `(in libbpf ${loadMs.toFixed(1)}), attach ${(o3 - o2).toFixed(1).padStart(5)}  (${links.length} programs)`,
    );
  } finally {
    obj.close();
  }
}
