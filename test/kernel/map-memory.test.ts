// Kernel memory of kerno's maps (issue #20): the model in src/bpf/map-memory.ts against the kernel's own
// memlock figure (what bpftool prints), and the worst case of what `kerno doctor` loads under its bound.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { requireKernel } from '../helpers/kernel.js';
import { BpfObject } from '../../src/bpf/object.js';
import { bpfObjectPath } from '../../src/bpf/paths.js';
import { possibleCpus } from '../../src/bpf/map.js';
import { growsWithEntries, memlockOf, modelMapBytes } from '../../src/bpf/map-memory.js';
import { budgetedMaxEntries } from '../../src/collectors/bpf-loader.js';
import {
  MAP_MEMORY_BOUND,
  collectorMapMemory,
  type MapMemoryReport,
} from '../../src/collectors/map-memory.js';
import { runBpfVerify } from '../../src/cli/bpf-verify.js';
import type { CliIO } from '../../src/cli/io.js';

before(() => requireKernel());

/**
 * Model vs kernel: the fixed struct sizes in the model were read on 6.18; another 6.x kernel may differ by
 * a few bytes of header per map, never by a per-entry or per-CPU amount. 1% or 1 KiB, whichever is larger.
 */
function near(measured: number, modelled: number): boolean {
  return Math.abs(measured - modelled) <= Math.max(1024, modelled * 0.01);
}

const OBJECTS = ['syscall', 'sched', 'fd', 'disk', 'dns', 'tcp', 'oom'];

/** An object loaded (not attached) with the collectors' memory budgets: its no-prealloc hashes are empty. */
async function loadSized(name: string): Promise<BpfObject> {
  const obj = BpfObject.open(bpfObjectPath(name));
  obj.selectPrograms(
    obj
      .programs()
      .filter((p) => p.autoload)
      .map((p) => p.name),
  );
  for (const m of obj.mapInfos()) {
    const cap = budgetedMaxEntries(m, possibleCpus());
    if (cap < m.maxEntries) obj.setMaxEntries(m.name, cap);
  }
  await obj.load();
  return obj;
}

test('every map of every collector object costs what the model says on this host', async () => {
  const cpus = possibleCpus();
  for (const name of OBJECTS) {
    const obj = await loadSized(name);
    try {
      for (const m of obj.mapInfos()) {
        const measured = memlockOf(m.fd);
        const modelled = modelMapBytes(m, cpus, 0);
        assert.ok(measured !== undefined, `${name}.${m.name}: no memlock in fdinfo`);
        assert.ok(modelled !== undefined, `${name}.${m.name}: no model for ${m.type}`);
        assert.ok(
          near(measured, modelled),
          `${name}.${m.name} (${m.type}): kernel ${measured} B, model ${modelled} B`,
        );
      }
    } finally {
      obj.close();
    }
  }
});

test('a no-prealloc hash grows by what the model charges per entry, per-CPU or shared', async () => {
  const cpus = possibleCpus();
  for (const [name, map] of [
    ['syscall', 'hists'],
    ['syscall', 'hists_shared'],
    ['fd', 'procs'],
  ] as const) {
    const obj = await loadSized(name);
    try {
      const info = obj.mapInfos().find((m) => m.name === map)!;
      assert.ok(growsWithEntries(info));
      const m = obj.map(map);
      const n = Math.min(50, info.maxEntries);
      for (let i = 0; i < n; i++) {
        const key = Buffer.alloc(info.keySize);
        key.writeUInt32LE(i + 1);
        // The BPF memory allocator refills its per-CPU caches asynchronously (irq_work): a burst of
        // inserts can find one empty (ENOMEM, as the programs see it too); the retry finds it refilled.
        for (let attempt = 0; ; attempt++) {
          try {
            m.update(key, Buffer.alloc(m.userValueSize));
            break;
          } catch (err) {
            if ((err as { code?: string }).code !== 'ENOMEM' || attempt >= 20) throw err;
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }
      const measured = memlockOf(info.fd)!;
      const modelled = modelMapBytes(info, cpus, n)!;
      assert.ok(
        near(measured, modelled),
        `${name}.${map} with ${n} keys: kernel ${measured} B, model ${modelled} B`,
      );
      assert.ok(measured > modelMapBytes(info, cpus, 0)!, 'the entries are charged');
    } finally {
      obj.close();
    }
  }
});

test('what kerno doctor loads stays under 32 MiB full at 192 CPUs, and under its own worst case now', async () => {
  const r = await collectorMapMemory([possibleCpus(), 64, 192]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.objects.map((o) => o.object),
    [...OBJECTS].sort(),
  );
  assert.ok(r.worstCaseBytes[192]! < MAP_MEMORY_BOUND, `192 CPUs: ${r.worstCaseBytes[192]} B full`);
  assert.ok(r.worstCaseBytes[64]! < MAP_MEMORY_BOUND, `64 CPUs: ${r.worstCaseBytes[64]} B full`);
  for (const o of r.objects)
    for (const m of o.maps) {
      const worst = m.worstCaseBytes[possibleCpus()]!;
      assert.ok(
        m.memlockBytes !== undefined && m.memlockBytes <= worst + Math.max(1024, worst * 0.01),
        `${o.object}.${m.name}: ${m.memlockBytes} B now, worst case ${worst} B`,
      );
    }
});

test('bpf-verify --json reports the collectors’ map memory; --object files do not get it', async () => {
  let out = '';
  const io = { out: (s: string) => void (out += s), err: () => {}, signal: new AbortController().signal };
  assert.equal(await runBpfVerify(['--json'], io as unknown as CliIO), 0);
  const r = JSON.parse(out) as { mapMemory: MapMemoryReport };
  assert.equal(r.mapMemory.cpus, possibleCpus());
  assert.equal(r.mapMemory.objects.length, OBJECTS.length);
  assert.equal(
    r.mapMemory.memlockBytes,
    r.mapMemory.objects.reduce((s, o) => s + o.memlockBytes, 0),
  );
  assert.ok(r.mapMemory.worstCaseBytes[192]! < r.mapMemory.boundBytes);
  out = '';
  assert.equal(await runBpfVerify(['--json', '--object', bpfObjectPath('oom')], io as unknown as CliIO), 0);
  assert.equal((JSON.parse(out) as { mapMemory?: unknown }).mapMemory, undefined);
});
