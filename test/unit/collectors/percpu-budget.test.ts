import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PERCPU_MAP_BUDGET,
  SHARED_MAP_BUDGET,
  budgetBytes,
  budgetedMaxEntries,
  perCpuMaxEntries,
} from '../../../src/collectors/bpf-loader.js';

// struct syscall_value (bpf/syscall.h): 2224 bytes per CPU per key.
const SYSCALL_VALUE = 2224;

test('budgets keep their 2-CPU size on small hosts and shrink as 2/cpus to their floor', () => {
  assert.equal(budgetBytes(PERCPU_MAP_BUDGET, 1), PERCPU_MAP_BUDGET.onTwo);
  assert.equal(budgetBytes(PERCPU_MAP_BUDGET, 2), PERCPU_MAP_BUDGET.onTwo);
  assert.equal(budgetBytes(PERCPU_MAP_BUDGET, 8), PERCPU_MAP_BUDGET.onTwo / 4);
  assert.equal(budgetBytes(PERCPU_MAP_BUDGET, 64), PERCPU_MAP_BUDGET.floor);
  assert.equal(budgetBytes(PERCPU_MAP_BUDGET, 192), PERCPU_MAP_BUDGET.floor);
  assert.equal(budgetBytes(SHARED_MAP_BUDGET, 192), SHARED_MAP_BUDGET.floor);
});

test('per-CPU hashes hold the most keys their budget pays for, at every CPU count', () => {
  for (const cpus of [1, 2, 8, 64, 192]) {
    const budget = budgetBytes(PERCPU_MAP_BUDGET, cpus);
    const n = perCpuMaxEntries(10240, SYSCALL_VALUE, cpus);
    assert.ok(n * SYSCALL_VALUE * cpus <= budget, `${cpus} CPUs: ${n} keys within budget`);
    if (n < 10240)
      assert.ok((n + 1) * SYSCALL_VALUE * cpus > budget, `${cpus} CPUs: the largest size within budget`);
  }
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 2), 10240, '2 CPUs: 45 MB, the whole definition');
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 192), 4);
});

test('small values are never capped; one key is the floor on huge hosts', () => {
  assert.equal(perCpuMaxEntries(8192, 16, 2), 8192);
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 4096), 1);
  assert.equal(perCpuMaxEntries(32, SYSCALL_VALUE, 1), 32, 'never raised');
  // Values are 8-byte aligned per CPU in the kernel's per-CPU allocation.
  assert.equal(perCpuMaxEntries(1 << 23, 12, 1), Math.floor(PERCPU_MAP_BUDGET.onTwo / 16));
});

test('shared no-prealloc hashes are capped by bytes on big hosts; preallocated maps never', () => {
  const shared = { type: 'hash', valueSize: SYSCALL_VALUE, maxEntries: 10240, flags: 1 };
  assert.equal(budgetedMaxEntries(shared, 2), 10240, '2 CPUs: 23 MB, the whole definition');
  assert.equal(budgetedMaxEntries(shared, 192), Math.floor(SHARED_MAP_BUDGET.floor / SYSCALL_VALUE));
  assert.equal(budgetedMaxEntries({ ...shared, flags: 0 }, 192), 10240, 'preallocated: its definition');
  assert.equal(budgetedMaxEntries({ ...shared, type: 'percpu_array' }, 192), 10240);
  assert.equal(
    budgetedMaxEntries({ ...shared, type: 'percpu_hash' }, 192),
    perCpuMaxEntries(10240, SYSCALL_VALUE, 192),
  );
});
