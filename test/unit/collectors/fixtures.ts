import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectorContext } from '../../../src/collectors/types.js';

export const PROCFS_FIXTURES = fileURLToPath(new URL('../../fixtures/procfs/', import.meta.url));

export function fixturePath(name: string): string {
  return join(PROCFS_FIXTURES, name);
}

export function readFixture(name: string): Promise<string> {
  return readFile(fixturePath(name), 'utf8');
}

/** A tmp dir removed by the returned cleanup (call it in `after`/`finally`). */
export async function tmpDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `kerno-test-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A CollectorContext for driving a collector directly; records faults and log lines for assertions. */
export function testContext(): CollectorContext & {
  faults: unknown[];
  logs: { level: string; msg: string }[];
  abort: () => void;
} {
  const controller = new AbortController();
  const faults: unknown[] = [];
  const logs: { level: string; msg: string }[] = [];
  return {
    signal: controller.signal,
    fault: (err) => faults.push(err),
    log: (level, msg) => logs.push({ level, msg }),
    faults,
    logs,
    abort: () => controller.abort(),
  };
}

/** A settable monotonic clock in ns. */
export function manualClock(startNs = 1e9): { now: () => number; advanceSec: (s: number) => void } {
  let t = startNs;
  return { now: () => t, advanceSec: (s) => (t += s * 1e9) };
}

/** Polls `cond` with real timers until it holds or `limitMs` passes (generous: this is not a timing test). */
export async function waitFor(cond: () => boolean, limitMs = 5000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
