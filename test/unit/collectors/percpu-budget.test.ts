import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PERCPU_MAP_BUDGET,
  SHARED_MAP_BUDGET,
  budgetedMaxEntries,
  perCpuMaxEntries,
} from '../../../src/collectors/bpf-loader.js';

// struct syscall_value (bpf/syscall.h): 2224 bytes per CPU per key.
const SYSCALL_VALUE = 2224;

test('per-CPU hashes hold the most keys their budget pays for, at every CPU count', () => {
  for (const cpus of [1, 2, 64, 192]) {
    const n = perCpuMaxEntries(10240, SYSCALL_VALUE, cpus);
    assert.ok(n * SYSCALL_VALUE * cpus <= PERCPU_MAP_BUDGET, `${cpus} CPUs: ${n} keys within budget`);
    assert.ok(
      (n + 1) * SYSCALL_VALUE * cpus > PERCPU_MAP_BUDGET,
      `${cpus} CPUs: the largest size within budget`,
    );
  }
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 2), 471);
});

test('small values are never capped; one key is the floor on huge hosts', () => {
  assert.equal(perCpuMaxEntries(8192, 16, 2), 8192);
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 4096), 1);
  assert.equal(perCpuMaxEntries(32, SYSCALL_VALUE, 1), 32, 'never raised');
  // Values are 8-byte aligned per CPU in the kernel's per-CPU allocation.
  assert.equal(perCpuMaxEntries(1 << 23, 12, 1), Math.floor(PERCPU_MAP_BUDGET / 16));
});

test('shared no-prealloc hashes are capped by bytes whatever the CPU count; preallocated maps are not', () => {
  const shared = { type: 'hash', valueSize: SYSCALL_VALUE, maxEntries: 10240, flags: 1 };
  assert.equal(budgetedMaxEntries(shared, 2), Math.floor(SHARED_MAP_BUDGET / SYSCALL_VALUE));
  assert.equal(budgetedMaxEntries(shared, 192), budgetedMaxEntries(shared, 2));
  assert.equal(budgetedMaxEntries({ ...shared, flags: 0 }, 192), 10240, 'preallocated: its definition');
  assert.equal(budgetedMaxEntries({ ...shared, type: 'percpu_array' }, 192), 10240);
  assert.equal(
    budgetedMaxEntries({ ...shared, type: 'percpu_hash' }, 192),
    perCpuMaxEntries(10240, SYSCALL_VALUE, 192),
  );
});
