// The native libbpf binding against the real kernel: load off-thread, attach, maps, ring buffer, errors
// with the verifier log, and nothing left attached after close or after the process is killed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { requireKernel } from '../helpers/kernel.js';
import { startWorkload } from '../helpers/workload.js';
import { BpfObject } from '../../src/bpf/object.js';
import { BpfError } from '../../src/bpf/errors.js';
import { bpfObjectDir } from '../../src/bpf/paths.js';

const PROBE = join(bpfObjectDir(), 'fixtures', 'native_probe.bpf.o');
const REJECT = join(bpfObjectDir(), 'fixtures', 'native_reject.bpf.o');

before(() => requireKernel());

function kernoProgramsLoaded(name: string): string[] {
  const out = execFileSync('bpftool', ['prog', 'show'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`name ${name}`));
}

/** Program teardown after the last reference drops is deferred (RCU); wait for it, boundedly. */
async function programsAfterTeardown(name: string): Promise<string[]> {
  for (let i = 0; i < 50 && kernoProgramsLoaded(name).length > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  return kernoProgramsLoaded(name);
}

test('load, attach, exact counts from a per-CPU map and every event through the ring buffer', async () => {
  const N = 50_000;
  const child = startWorkload(['getppid', String(N)]);
  const obj = BpfObject.open(PROBE);
  try {
    obj.setGlobal('target_tgid', child.pid!, 4);
    const r = await obj.load();
    assert.ok((r.programs.find((p) => p.name === 'count_getppid')?.verifiedInsns ?? 0) > 0);
    obj.attach('count_getppid');
    const seqs: bigint[] = [];
    let batches = 0;
    const rb = obj.ringBuffer(
      'events',
      (recs) => {
        batches++;
        for (const rec of recs) {
          assert.equal(rec.length, 16);
          assert.equal(rec.readUInt32LE(8), child.pid);
          seqs.push(rec.readBigUInt64LE(0));
        }
      },
      { intervalMs: 5 },
    );
    await child.run();
    // Everything the kernel wrote, without waiting for the drainer's next interval (a fast producer can
    // keep the drainer in one consume pass for the whole run: then it all arrives as one late batch).
    await rb.flush();
    const [calls, reserveFailures] = obj.map('counts').readCounters();
    assert.equal(calls, BigInt(N), 'per-CPU counter summed in TS equals the calls made');
    assert.equal(reserveFailures, 0n);
    assert.equal(seqs.length, N, 'every event delivered');
    assert.ok(batches < N / 10, `events arrive in batches (${batches} batches)`);
    assert.equal(rb.stats().droppedRecords, 0);
  } finally {
    obj.close();
    await child.finish();
  }
  assert.deepEqual(
    await programsAfterTeardown('count_getppid'),
    [],
    'closed object leaves no program loaded',
  );
});

/**
 * Runs N getppid calls while the JS thread is stuck in the first batch's callback for 1.5 s (a long GC or a
 * slow renderer), the drainer handing over a batch every 1 ms meanwhile; returns what was delivered.
 */
async function stallWhileProducing(maxPendingBytes: number, N: number) {
  const child = startWorkload(['getppid', String(N)]);
  const obj = BpfObject.open(PROBE);
  try {
    obj.setGlobal('target_tgid', child.pid!, 4);
    await obj.load();
    obj.attach('count_getppid');
    let delivered = 0;
    let stalled = false;
    const rb = obj.ringBuffer(
      'events',
      (recs) => {
        delivered += recs.length;
        if (!stalled) {
          stalled = true;
          const until = Date.now() + 1500;
          while (Date.now() < until); // block the event loop: batches keep coming off the drainer thread
        }
      },
      { intervalMs: 1, maxPendingBytes },
    );
    await child.run();
    await rb.flush();
    const [calls, reserveFailures] = obj.map('counts').readCounters();
    return { calls: Number(calls), reserveFailures: Number(reserveFailures), delivered, stats: rb.stats() };
  } finally {
    obj.close();
    await child.finish();
  }
}

test('the drainer bounds undelivered records in bytes, whatever the interval; what it drops is counted', async (t) => {
  const N = 200_000;
  // 1 ms batches while JS is stuck 1.5 s: a bound of 64 batches (the old one) lost records here; 64 MiB
  // (about 3 M framed 16-byte records) holds them all.
  const roomy = await stallWhileProducing(64 << 20, N);
  t.diagnostic(
    `64 MiB bound: ${roomy.stats.batches} batches, ${roomy.delivered} delivered, ${roomy.stats.droppedRecords} dropped`,
  );
  assert.equal(roomy.calls, N);
  assert.equal(roomy.reserveFailures, 0);
  assert.ok(roomy.stats.batches > 64, `more batches than the old 64-batch bound (${roomy.stats.batches})`);
  assert.equal(roomy.stats.droppedRecords, 0);
  assert.equal(roomy.delivered, N, 'every record delivered after the stall');
  // A bound of 8 KiB (~400 records): whole batches are dropped, and every record is either delivered or
  // counted as dropped — none vanishes.
  const tight = await stallWhileProducing(8 << 10, N);
  t.diagnostic(
    `8 KiB bound: ${tight.delivered} delivered, ${tight.stats.droppedRecords} dropped in ${tight.stats.droppedBatches} batches`,
  );
  assert.equal(tight.reserveFailures, 0);
  assert.ok(tight.stats.droppedRecords > 0, 'the tight bound drops');
  assert.equal(tight.delivered + tight.stats.droppedRecords, N, 'delivered + dropped = produced');
  assert.equal(tight.stats.pendingBytes, 0, 'nothing left pending after flush');
});

test('map lookup / update / delete / dump / clear', async () => {
  const obj = BpfObject.open(PROBE);
  try {
    await obj.load();
    const m = obj.map('scratch');
    const key = (i: number) => Buffer.from(new Uint32Array([i]).buffer);
    const val = (v: number) => Buffer.from(new BigUint64Array([BigInt(v)]).buffer);
    for (let i = 0; i < 40; i++) m.update(key(i), val(i * 3));
    assert.equal(m.lookup(key(7))!.readBigUInt64LE(0), 21n);
    assert.equal(m.lookup(key(99)), null);
    const all = m.dump();
    assert.equal(all.length, 40);
    const sum = all.reduce((s, e) => s + e.value.readBigUInt64LE(0), 0n);
    assert.equal(sum, BigInt((39 * 40 * 3) / 2));
    assert.equal(m.delete(key(7)), true);
    assert.equal(m.delete(key(7)), false);
    // Many at once: 7 is already gone and 99 never was (skipped, not an error); the rest are deleted.
    assert.equal(m.deleteMany(Buffer.concat([key(5), key(7), key(6), key(99), key(8)])), 3);
    assert.equal(m.lookup(key(6)), null);
    assert.equal(m.deleteMany(Buffer.alloc(0)), 0);
    assert.throws(() => m.deleteMany(Buffer.alloc(6)), /not a whole number of keys/);
    assert.equal(m.clear(), 36);
    assert.equal(m.dump().length, 0);
    assert.throws(() => m.update(Buffer.alloc(3), val(1)), /key is 3 bytes, expected 4/);
    const pc = obj.map('counts');
    assert.equal(pc.perCpu, true);
    assert.equal(pc.perCpuValues(pc.lookup(key(0))!).length, pc.userValueSize / pc.slotSize);
  } finally {
    obj.close();
  }
});

test('dump({ reduce }) folds per-CPU copies natively: sums, max lanes, first non-empty range, many chunks', async () => {
  const obj = BpfObject.open(PROBE);
  try {
    await obj.load();
    const m = obj.map('folded');
    const ncpu = m.userValueSize / m.slotSize;
    const N = 1500; // × ncpu × 2 KiB: many of the native ~256 KiB chunks
    for (let i = 0; i < N; i++) {
      const v = Buffer.alloc(m.userValueSize);
      for (let c = 0; c < ncpu; c++) {
        const o = c * m.slotSize;
        v.writeBigUInt64LE(BigInt(i * 1000 + c + 1), o); // sum lane
        v.writeBigUInt64LE(BigInt((i + c * 7) % 13), o + 8); // max lane
        if (c === i % ncpu) v.write(`cpu${c}-key${i}`, o + 16, 'latin1'); // only one CPU's copy has a tag
        v.writeBigUInt64LE(BigInt(c), o + 24 + 8 * 251); // last pad lane: summed like any other
      }
      m.update(Buffer.from(new Uint32Array([i]).buffer), v);
    }
    const raw = new Map(m.dump().map((e) => [e.key.readUInt32LE(0), e.value]));
    const folded = m.dump({ reduce: { max: [8], first: [[16, 16]] } });
    assert.equal(folded.length, N);
    for (const { key, value } of folded) {
      const i = key.readUInt32LE(0);
      assert.equal(value.length, m.valueSize);
      const copies = m.perCpuValues(raw.get(i)!);
      const want = { sum: 0n, max: 0n, pad: 0n };
      for (const c of copies) {
        want.sum += c.readBigUInt64LE(0);
        if (c.readBigUInt64LE(8) > want.max) want.max = c.readBigUInt64LE(8);
        want.pad += c.readBigUInt64LE(24 + 8 * 251);
      }
      assert.equal(value.readBigUInt64LE(0), want.sum, `key ${i}: sum lane`);
      assert.equal(value.readBigUInt64LE(8), want.max, `key ${i}: max lane`);
      assert.equal(value.readBigUInt64LE(24 + 8 * 251), want.pad, `key ${i}: default lanes sum`);
      assert.equal(value.toString('latin1', 16, 32).replace(/\0+$/, ''), `cpu${i % ncpu}-key${i}`);
    }
    // chunks(): the same entries, a piece at a time through buffers the map keeps and reuses.
    const byKey = new Map(folded.map((e) => [e.key.readUInt32LE(0), e.value]));
    let seen = 0;
    let pieces = 0;
    let firstBuffer: ArrayBufferLike | undefined;
    for (const chunk of m.chunks({ reduce: { max: [8], first: [[16, 16]] } })) {
      pieces++;
      firstBuffer ??= chunk[0]!.value.buffer;
      assert.equal(chunk[0]!.value.buffer, firstBuffer, 'every chunk is written into the same memory');
      for (const { key, value } of chunk) {
        assert.ok(value.equals(byKey.get(key.readUInt32LE(0))!), `chunked key ${key.readUInt32LE(0)}`);
        seen++;
      }
    }
    assert.equal(seen, N);
    assert.ok(pieces > 1, `several chunks (${pieces})`);
    const tiny = { keys: Buffer.alloc(4), values: Buffer.alloc(8) };
    assert.throws(
      () => obj.raw().mapDumpChunk('folded', undefined, null, tiny),
      /into buffers hold no entry/,
    );
    assert.throws(
      () => obj.raw().mapDumpChunk('folded', { max: [8] }, null, tiny),
      /into must be \{ keys, values, scratch \} Buffers/,
    );
    assert.throws(() => m.dump({ reduce: { max: [4] } }), /reduce: max offset 4 is not an 8-byte lane/);
    assert.throws(() => m.dump({ reduce: { first: [[16, 3]] } }), /reduce: first range \[16, 3\]/);
    // Not per-CPU: nothing to fold, values come back as stored.
    const plain = obj.map('scratch');
    plain.update(Buffer.from(new Uint32Array([5]).buffer), Buffer.from(new BigUint64Array([9n]).buffer));
    assert.equal(plain.dump({ reduce: { max: [0] } })[0]!.value.readBigUInt64LE(0), 9n);
  } finally {
    obj.close();
  }
});

test('a program the verifier rejects yields a BpfError carrying the verifier log', async () => {
  const obj = BpfObject.open(REJECT);
  try {
    await assert.rejects(obj.load(), (err: unknown) => {
      assert.ok(err instanceof BpfError);
      assert.equal(err.program, 'reads_out_of_bounds');
      assert.equal(err.code, 'EACCES');
      assert.match(err.verifierLog ?? '', /invalid access to map value|value_size=8/);
      assert.match(err.message, /^load native_reject \(program reads_out_of_bounds\): /);
      return true;
    });
  } finally {
    obj.close();
  }
});

test('bad inputs: missing file, corrupt object, unknown map/program, wrong global size', async () => {
  assert.throws(
    () => BpfObject.open('/nonexistent/x.bpf.o'),
    (e: unknown) => e instanceof BpfError && e.code === 'ENOENT',
  );
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-'));
  try {
    const corrupt = join(dir, 'corrupt.bpf.o');
    writeFileSync(corrupt, Buffer.from('\x7fELF this is not really an object file'));
    assert.throws(
      () => BpfObject.open(corrupt),
      (e: unknown) => e instanceof BpfError && /open .*corrupt\.bpf\.o: /.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const obj = BpfObject.open(PROBE);
  try {
    assert.throws(() => obj.setGlobal('target_tgid', Buffer.alloc(8)), /size 8 != 4/);
    assert.throws(() => obj.setGlobal('no_such_global', 1), /global no_such_global/);
    assert.throws(() => obj.setAutoload('nope', false), /program nope/);
    assert.throws(() => obj.map('nope'), /no map named nope/);
    await obj.load();
    assert.throws(() => obj.attach('nope'), /program nope/);
  } finally {
    obj.close();
  }
  assert.throws(() => obj.map('counts').lookup(Buffer.alloc(4)), /closed/);
});

test('a killed process leaves no program attached', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '../fixtures/native/hold-attached.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    assert.match(line.toString(), /ready/);
    assert.equal(kernoProgramsLoaded('count_getppid').length, 1, 'the child really attached');
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  assert.deepEqual(await programsAfterTeardown('count_getppid'), []);
});

test('fanotify binding: a file handle names what the kernel reports; errors carry the path and errno name', async () => {
  const { native } = await import('../../src/bpf/native.js');
  const n = native();
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-native-fan-'));
  // FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_FID | FAN_REPORT_DFID_NAME; O_RDONLY | O_CLOEXEC
  const fd = n.fanotifyInit(0x1 | 0x2 | 0x200 | 0x400 | 0x800, 0x80000);
  const got: { mask: number; pid: number; comm: string | null; keys: string[]; names: string[] }[] = [];
  const reader = new n.FanotifyReader(fd, (evs) => {
    for (const e of evs)
      got.push({
        mask: e.mask,
        pid: e.pid,
        comm: e.comm,
        keys: e.infos.map((i) => i.key),
        names: e.infos.flatMap((i) => (i.name === undefined ? [] : [i.name])),
      });
  });
  try {
    // FAN_CREATE | FAN_EVENT_ON_CHILD on the directory.
    n.fanotifyMark(fd, 0x1, 0x100 | 0x08000000, dir);
    assert.throws(
      () => n.fanotifyMark(fd, 0x1, 0x100, join(dir, 'missing')),
      (e: Error & { code?: string }) => e.code === 'ENOENT' && e.message.includes(join(dir, 'missing')),
    );
    assert.throws(() => n.fileHandle(join(dir, 'missing')), /name_to_handle_at|statfs/);
    const key = n.fileHandle(dir);
    assert.match(key, /^[0-9a-f]{16}:-?\d+:[0-9a-f]+$/);
    const maker = spawn('touch', [join(dir, 'new')], { stdio: 'ignore' });
    await once(maker, 'exit');
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]!.mask & 0x100, 0x100);
    assert.equal(got[0]!.pid, maker.pid);
    assert.ok(got[0]!.keys.includes(key), JSON.stringify(got[0]));
    assert.deepEqual(got[0]!.names, ['new']);
    // pathOfHandle gives the directory back from its handle.
    const [, type, hex] = key.split(':');
    assert.equal(n.pathOfHandle(dir, Number(type), Buffer.from(hex!, 'hex')), dir);
    assert.equal(reader.stats().droppedEvents, 0);
  } finally {
    reader.stop();
    n.closeFd(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
