import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PERCPU_MAP_BUDGET, perCpuMaxEntries } from '../../../src/collectors/bpf-loader.js';

// struct syscall_value (bpf/syscall.h): 2224 bytes per CPU per key.
const SYSCALL_VALUE = 2224;

test('per-CPU hashes keep their size on small hosts and shrink on big ones', () => {
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 2), 10240, '2 CPUs: 45 MB, within budget');
  const on64 = perCpuMaxEntries(10240, SYSCALL_VALUE, 64);
  assert.equal(on64, 471);
  assert.ok(on64 * SYSCALL_VALUE * 64 <= PERCPU_MAP_BUDGET);
  assert.ok((on64 + 1) * SYSCALL_VALUE * 64 > PERCPU_MAP_BUDGET, 'the largest size within budget');
});

test('small values are never capped; a floor keeps a few keys on huge hosts', () => {
  assert.equal(perCpuMaxEntries(8192, 16, 256), 8192);
  assert.equal(perCpuMaxEntries(10240, SYSCALL_VALUE, 4096), 64);
  assert.equal(perCpuMaxEntries(32, SYSCALL_VALUE, 4096), 32, 'never raised');
  // Values are 8-byte aligned per CPU in the kernel's per-CPU allocation.
  assert.equal(perCpuMaxEntries(1 << 23, 12, 1), Math.floor(PERCPU_MAP_BUDGET / 16));
});
