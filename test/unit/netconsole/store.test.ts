import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IncidentStore, listIncidents, panicsPath, parseRecords } from '../../../src/netconsole/store.js';
import { incidentId, type PanicIncident } from '../../../src/netconsole/incident.js';
import { FIXTURES } from './fixtures.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'kerno-test-store-'));
}

function incident(n: number, node = 'node-a'): PanicIncident {
  const reason = `BUG: kernel NULL pointer dereference, address: ${String(n).padStart(16, '0')}`;
  const time = new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
  return {
    id: incidentId(node, 'oops', reason, time),
    time,
    node,
    sender: '10.0.0.5:6665',
    kind: 'oops',
    reason,
    triggers: [reason],
    context: ['CPU: 1 UID: 0 PID: 42 Comm: insmod', 'Call Trace:', ' <TASK>', ' </TASK>'],
    truncated: false,
    endedBy: 'idle',
  };
}

test('append, list newest first, filter by node and kind, limit', async () => {
  const dir = tmp();
  try {
    const store = await IncidentStore.open(dir);
    const a = await store.append(incident(1));
    const b = await store.append(incident(2, 'node-b'));
    await store.append(incident(3));
    assert.equal(a.offset, 0);
    assert.equal(b.offset, a.end);
    assert.equal(store.endOffset, readFileSync(panicsPath(dir)).length);
    const all = await store.list();
    assert.deepEqual(
      all.map((i) => i.reason.slice(-1)),
      ['3', '2', '1'],
    );
    assert.deepEqual(
      (await store.list({ node: 'node-b' })).map((i) => i.node),
      ['node-b'],
    );
    assert.equal((await store.list({ limit: 2 })).length, 2);
    assert.equal((await store.list({ kind: 'panic' })).length, 0);
    await store.close();
    assert.deepEqual(await listIncidents(dir), all, 'a read-only lister sees the same');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a torn final line is tolerated on read and cut off before the next append', async () => {
  const dir = tmp();
  try {
    const store = await IncidentStore.open(dir);
    await store.append(incident(1));
    await store.close();
    const path = panicsPath(dir);
    appendFileSync(path, '{"v":1,"id":"torn","time":"2025-');
    const r = parseRecords(readFileSync(path));
    assert.equal(r.records.length, 1);
    assert.equal(r.tornTail, true);
    assert.equal(r.corrupt, 0);
    assert.equal((await listIncidents(dir)).length, 1);
    const again = await IncidentStore.open(dir);
    await again.append(incident(2));
    await again.close();
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => JSON.parse(l).v === 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt line in the middle is skipped and counted; records around it survive', () => {
  const good = JSON.stringify({ v: 1, ...incident(1) });
  const r = parseRecords(
    Buffer.from(`${good}\nnot json at all\n{"v":1,"id":5}\n${good.replace('node-a', 'node-z')}\n`),
  );
  assert.equal(r.records.length, 2);
  assert.equal(r.corrupt, 2);
});

test('durability: an incident acknowledged by a process SIGKILLed right after the ack is listed on reopen', async () => {
  const dir = tmp();
  try {
    const first = await IncidentStore.open(dir);
    await first.append(incident(1));
    await first.close();
    const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'store-child.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ackId = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('child did not ACK within 30 s')), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ACK (\S+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve(m[1] as string);
        }
      });
      child.on('exit', (code) => {
        if (!/ACK/.test(out)) reject(new Error(`child exited (${code}) before ACK`));
      });
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
      else child.on('exit', (_c, sig) => resolve(sig));
    });
    assert.equal(exit, 'SIGKILL');
    const store = await IncidentStore.open(dir);
    const listed = await store.list();
    await store.close();
    assert.deepEqual(
      listed.map((i) => i.id),
      [ackId, incident(1).id],
    );
    assert.equal(listed[0]?.node, 'node-child');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file replaced by garbage does not crash the lister', async () => {
  const dir = tmp();
  try {
    writeFileSync(panicsPath(dir), Buffer.from([0, 1, 2, 0x0a, 0xff, 0xfe, 0x0a]));
    assert.deepEqual(await listIncidents(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt lines are counted at open and by every full read, with an event when the count changes', async () => {
  const dir = tmp();
  try {
    const good = JSON.stringify({ v: 1, ...incident(1) });
    writeFileSync(panicsPath(dir), `${good}\nnot json\n`);
    const store = await IncidentStore.open(dir);
    assert.equal(store.corrupt, 1);
    assert.deepEqual(store.recentIds, [incident(1).id]);
    const seen: number[] = [];
    store.on('corrupt', (n) => seen.push(n));
    appendFileSync(panicsPath(dir), 'more garbage\n');
    assert.equal((await store.list()).length, 1);
    assert.equal(store.corrupt, 2);
    assert.deepEqual(seen, [2]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
