// A full BPF map must never be silent: keys that find no room are counted and reach the window's coverage
// (map_full), so a report on a node with more (syscall, pid) keys than entries says what it could not
// attribute. The syscall maps take ~10 000 keys in production; here they are cut to 16 entries each (the
// loader's max_entries override) and filled by real processes through the programs' normal path.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { packageRoot } from '../../src/bpf/paths.js';
import { SyscallCollector } from '../../src/collectors/syscall/index.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import { createLogger } from '../../src/runtime/log.js';
import { judgeCollector } from '../../src/doctor/coverage.js';

before(() => requireKernel());

/** bench/snapshot-cost/keys.c: PROCS children, each making PER_PROC distinct syscalls, one after another. */
function keysBinary(): string {
  const dir = join(packageRoot(), 'build', 'test');
  const bin = join(dir, 'snapshot-keys');
  mkdirSync(dir, { recursive: true });
  execFileSync('cc', ['-O2', '-o', bin, join(packageRoot(), 'bench', 'snapshot-cost', 'keys.c')]);
  return bin;
}

test('syscall keys that find hists and hists_shared full are counted as map_full drops in coverage', async () => {
  const bin = keysBinary();
  const sup = new Supervisor({ logger: createLogger({ level: 'error' }) });
  sup.add('syscall', () => new SyscallCollector({ maxEntries: { hists: 16, hists_shared: 16 } }));
  await sup.startAll();
  try {
    const before = await sup.snapshotAll(1e9);
    const base = before.coverage.find((c) => c.name === 'syscall')!;
    assert.equal(base.state, 'ok');
    // 60 processes × 30 distinct syscalls = 1 800 keys for 32 entries, made in far less than the
    // collector's 250 ms compaction check: most keys go to the overflow bucket.
    assert.equal(execFileSync(bin, ['60', '30'], { encoding: 'utf8' }).trim(), '1800');
    const { parts, coverage } = await sup.snapshotAll(1e9);
    const c = coverage.find((x) => x.name === 'syscall')!;
    const mapFull = c.eventsDroppedByReason?.map_full ?? 0;
    assert.ok(mapFull >= 1800 - 32, `map_full drops ${mapFull} (want ≥ 1768 of the 1800 keys' calls)`);
    assert.ok(c.eventsDropped >= mapFull);
    // The report judges the window incomplete and says why.
    const judged = judgeCollector(c);
    assert.ok(judged.shortfalls.some((s) => s.kind === 'dropped' && s.events === c.eventsDropped));
    // The calls themselves are not lost: the overflow bucket keeps them in the window's totals.
    const total = parts.reduce((n, p) => n + (p.syscall?.totalCount ?? 0), 0);
    assert.ok(total >= mapFull, `totalCount ${total}, map_full ${mapFull}`);
  } finally {
    await sup.stopAll();
  }
});
