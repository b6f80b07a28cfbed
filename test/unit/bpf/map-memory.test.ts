// The map-memory model against the kernel's own figures (memlock in fdinfo, what bpftool prints), read
// on 6.18 with 2 possible CPUs from kerno's maps as loaded; test/kernel/map-memory.test.ts re-checks the
// model against the running kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growsWithEntries, modelMapBytes, type MapDefinition } from '../../../src/bpf/map-memory.js';

const def = (type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0): MapDefinition => ({
  name: 'm',
  type,
  keySize,
  valueSize,
  maxEntries,
  flags,
});

test('the model gives the kernel figures measured on 6.18 with 2 CPUs', () => {
  const cases: [MapDefinition, number, number][] = [
    [def('percpu_array', 4, 2224, 512), 0, 2281784], // the old syscall overflow
    [def('percpu_array', 4, 8, 7), 0, 480], // counters
    [def('array', 4, 2296, 1, 1152), 0, 8192], // .rodata (mmapable)
    [def('hash', 4, 16, 32768), 0, 2884640], // syscall start_hash, preallocated
    [def('hash', 12, 8, 10240), 0, 1000480], // syscall errnos
    [def('lru_hash', 4, 16, 16384), 0, 1442688], // comms
    [def('percpu_hash', 8, 2224, 10240, 1), 0, 263040], // hists, empty
    [def('hash', 28, 2304, 1024), 0, 2463280], // dns stats, preallocated
    [def('ringbuf', 0, 0, 262144), 0, 275784], // oom events
    [def('task_storage', 4, 16, 0, 1), 0, 512],
  ];
  for (const [d, entries, want] of cases)
    assert.equal(modelMapBytes(d, 2, entries), want, `${d.type} ${d.keySize}/${d.valueSize}×${d.maxEntries}`);
});

test('per-CPU maps grow with the CPU count; shared ones do not', () => {
  const overflow = def('percpu_array', 4, 2224, 512);
  // 512 × 2224 bytes per CPU: the 73 MB at 64 CPUs and 218 MB at 192.
  assert.equal(modelMapBytes(overflow, 192)! - modelMapBytes(overflow, 64)!, 128 * 512 * 2224);
  const shared = def('array', 4, 2224, 512);
  assert.equal(modelMapBytes(shared, 192), modelMapBytes(shared, 2));
});

test('a no-prealloc hash costs what it holds; full is the worst case', () => {
  const hists = def('percpu_hash', 8, 2224, 10240, 1);
  assert.ok(growsWithEntries(hists));
  assert.ok(!growsWithEntries(def('lru_hash', 4, 16, 16384)));
  const empty = modelMapBytes(hists, 4, 0)!;
  assert.equal(modelMapBytes(hists, 4, 10)! - empty, 10 * (64 + 8 + 16 + 2224 * 4));
  assert.equal(modelMapBytes(hists, 4), modelMapBytes(hists, 4, 10240));
  assert.equal(modelMapBytes(hists, 4, 99999), modelMapBytes(hists, 4), 'never more than max_entries');
});

test('an unknown map type has no model', () => {
  assert.equal(modelMapBytes(def('bloom_filter', 0, 8, 100), 2), undefined);
});
