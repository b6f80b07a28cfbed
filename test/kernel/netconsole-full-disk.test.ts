// The incident store on a real full filesystem (issue 15 item 1): a 64 KiB tmpfs fills up, the failed
// writes are cut back to the last whole record, the incidents that could not be written wait and are
// written once the filesystem grows, and the file, the end offset, the count and the list agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKernel } from '../helpers/kernel.js';
import { NetconsoleReceiver } from '../../src/netconsole/receiver.js';
import { IncidentStore, panicsPath, parseRecords } from '../../src/netconsole/store.js';

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'kerno-test-full', dir]);
}

/** One incident per call: a panic line from its own sender, closed by the idle timeout. */
function sendPanic(r: NetconsoleReceiver, n: number, t: number): void {
  const pad = 'x'.repeat(200);
  r.ingest(
    Buffer.from(`[ ${n}.000000] Kernel panic - not syncing: kerno full-disk test ${n} ${pad}\n`),
    { address: `10.9.${(n >> 8) & 255}.${n & 255}`, port: 6665 },
    t,
  );
}

test('a full disk loses no acknowledged incident: failed appends are cut back and retried in order', async () => {
  requireKernel();
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-fulldisk-'));
  mountTmpfs(dir, '64k');
  try {
    const store = await IncidentStore.open(dir);
    const idle = 500;
    let t = 1_000_000;
    const r = new NetconsoleReceiver({
      listen: 'udp://127.0.0.1:0',
      store,
      idleTimeoutMs: idle,
      maxSenders: 4_096,
      storeRetryMs: 10,
      now: () => t,
    });
    const announced: string[] = [];
    r.on('incident', (i) => announced.push(i.id));
    const total = 400;
    for (let n = 0; n < total; n++) sendPanic(r, n, t);
    t += idle + 100;
    r.tick(t);
    await r.settled();
    const full = r.stats();
    assert.ok(full.storeErrors > 0, 'the 64 KiB filesystem filled up');
    assert.ok(full.unstored > 0, `incidents wait for the store (${full.unstored})`);
    assert.equal(full.incidents + full.unstored + full.incidentsLost, total);
    // What is on disk is whole records only, and the store's end offset is the file size.
    const onDisk = readFileSync(panicsPath(dir));
    assert.equal(store.endOffset, onDisk.length);
    const parsed = parseRecords(onDisk);
    assert.equal(parsed.corrupt, 0);
    assert.equal(parsed.tornTail, false);
    assert.equal(parsed.records.length, full.incidents);

    execFileSync('mount', ['-o', 'remount,size=512k', dir]);
    for (let i = 0; i < 200 && r.stats().unstored > 0; i++) {
      t += 50_000;
      r.tick(t);
      await r.settled();
    }
    for (let n = total; n < total + 10; n++) sendPanic(r, n, t);
    t += idle + 100;
    r.tick(t);
    await r.settled();
    await r.stop();
    const end = r.stats();
    const after = parseRecords(readFileSync(panicsPath(dir)));
    assert.equal(end.unstored, 0);
    assert.equal(after.corrupt, 0, 'no record glued onto a partial one');
    assert.equal(after.records.length + end.incidentsLost, total + 10);
    assert.equal(end.incidents, after.records.length, 'the count is what the file holds');
    assert.equal(new Set(announced).size, after.records.length, 'each stored incident announced once');
    assert.equal((await store.list({ limit: 1_000 })).length, after.records.length);
    assert.equal(store.endOffset, statSync(panicsPath(dir)).size);
    console.log(
      `full disk: ${full.incidents} stored / ${full.storeErrors} store errors while full; ` +
        `${after.records.length} stored, ${end.incidentsLost} lost after growing to 512k`,
    );
    await store.close();
  } finally {
    execFileSync('umount', [dir]);
    rmdirSync(dir);
  }
});

test('state files are 0600 in a 0700 directory', async () => {
  requireKernel();
  const parent = mkdtempSync(join(tmpdir(), 'kerno-test-mode-'));
  const dir = join(parent, 'state');
  try {
    const store = await IncidentStore.open(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(panicsPath(dir)).mode & 0o777, 0o600);
    await store.close();
  } finally {
    execFileSync('rm', ['-rf', parent]);
  }
});
