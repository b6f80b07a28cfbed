// Decoding fanotify events without the kernel: mask → ops in a file's life order, the path from the marked
// object or its directory + name, renames with both ends, kerno's own events and overflows left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAN, INFO, decode, opsOf } from '../../../src/audit/events.js';
import { normalizePaths } from '../../../src/audit/files.js';
import { auditJsonLine, auditLine, auditSummary } from '../../../src/render/audit/lines.js';
import type { RawFanEvent, RawFanInfo } from '../../../src/bpf/native.js';

const known = new Map([
  ['fs:1:d1', '/srv/d'],
  ['fs:1:f1', '/etc/passwd'],
]);
const info = (type: number, key: string, name?: string): RawFanInfo => ({
  type,
  key,
  handleType: 1,
  handle: Buffer.alloc(0),
  ...(name !== undefined ? { name } : {}),
});
const raw = (mask: number, infos: RawFanInfo[], pid = 42, comm: string | null = 'cat'): RawFanEvent => ({
  mask,
  pid,
  comm,
  timeMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  infos,
});
const none = () => null;

test('one line per op of a merged event, in the order a file is used', () => {
  assert.deepEqual(opsOf(FAN.CLOSE_WRITE | FAN.MODIFY | FAN.OPEN), ['open', 'modify', 'close_write']);
  assert.deepEqual(opsOf(FAN.DELETE_SELF | FAN.ATTRIB), ['attrib', 'delete']);
  assert.deepEqual(opsOf(FAN.CREATE | FAN.ONDIR), ['create']);
  assert.deepEqual(opsOf(FAN.Q_OVERFLOW), []);
});

test('an entry of a watched directory is its directory + name; a watched file is its own path', () => {
  const child = decode(
    raw(FAN.OPEN | FAN.ACCESS, [info(INFO.DFID_NAME, 'fs:1:d1', 'b'), info(INFO.FID, 'fs:1:x')]),
    known,
    none,
    1,
  );
  assert.deepEqual(
    child.map((e) => [e.op, e.path, e.pid, e.comm, e.time]),
    [
      ['open', '/srv/d/b', 42, 'cat', '2026-01-02T03:04:05.678Z'],
      ['read', '/srv/d/b', 42, 'cat', '2026-01-02T03:04:05.678Z'],
    ],
  );
  // A marked file's event also names its parent (/etc, not watched): the file's own identifier wins.
  const file = decode(
    raw(FAN.ACCESS, [info(INFO.DFID_NAME, 'fs:1:etc', 'passwd'), info(INFO.FID, 'fs:1:f1')]),
    known,
    none,
    1,
  );
  assert.equal(file[0]!.path, '/etc/passwd');
  // The directory itself ("." as the name).
  assert.equal(
    decode(raw(FAN.OPEN | FAN.ONDIR, [info(INFO.DFID_NAME, 'fs:1:d1', '.')]), known, none, 1)[0]!.path,
    '/srv/d',
  );
});

test('a rename carries both paths; a target outside every watched directory is resolved or null', () => {
  const inside = decode(
    raw(FAN.RENAME, [info(INFO.OLD_DFID_NAME, 'fs:1:d1', 'd'), info(INFO.NEW_DFID_NAME, 'fs:1:d1', 'e')]),
    known,
    none,
    1,
  );
  assert.deepEqual(
    inside.map((e) => [e.op, e.path, e.to]),
    [['rename', '/srv/d/d', '/srv/d/e']],
  );
  const out = decode(
    raw(FAN.RENAME, [info(INFO.OLD_DFID_NAME, 'fs:1:d1', 'd'), info(INFO.NEW_DFID_NAME, 'fs:1:tmp', 'z')]),
    known,
    (i) => (i.key === 'fs:1:tmp' ? '/tmp' : null),
    1,
  );
  assert.equal(out[0]!.to, '/tmp/z');
  // Into an unwatched directory the kernel names no new directory: the entry's own identifier says where.
  const away = decode(
    raw(FAN.RENAME, [info(INFO.OLD_DFID_NAME, 'fs:1:d1', 'd'), info(INFO.FID, 'fs:1:file')]),
    known,
    (i) => (i.key === 'fs:1:file' ? '/elsewhere/d2' : null),
    1,
  );
  assert.equal(away[0]!.to, '/elsewhere/d2');
  const lost = decode(raw(FAN.RENAME, [info(INFO.OLD_DFID_NAME, 'fs:1:d1', 'd')]), known, none, 1);
  assert.equal(lost[0]!.to, null);
});

test('kerno’s own events and queue overflows are not lines', () => {
  assert.deepEqual(decode(raw(FAN.OPEN, [info(INFO.FID, 'fs:1:f1')], 7), known, none, 7), []);
  assert.deepEqual(decode(raw(FAN.Q_OVERFLOW, [], -1), known, none, 7), []);
});

test('paths are made absolute and deduplicated in order', () => {
  assert.deepEqual(normalizePaths(['/a/', '/b', '/a', '/b/../a']), ['/a', '/b']);
});

test('JSON lines: fixed fields, `to` only on a rename, comm null when unknown; pretty lines name the process', () => {
  const [open] = decode(raw(FAN.OPEN, [info(INFO.FID, 'fs:1:f1')], 9, null), known, none, 1);
  assert.equal(
    auditJsonLine(open!),
    '{"time":"2026-01-02T03:04:05.678Z","path":"/etc/passwd","op":"open","pid":9,"comm":null,"mask":32}\n',
  );
  const [ren] = decode(
    raw(
      FAN.RENAME,
      [info(INFO.OLD_DFID_NAME, 'fs:1:d1', 'd'), info(INFO.NEW_DFID_NAME, 'fs:1:d1', 'e')],
      5,
      'mv',
    ),
    known,
    none,
    1,
  );
  assert.match(
    auditJsonLine(ren!),
    /"op":"rename","pid":5,"comm":"mv","mask":268435456,"to":"\/srv\/d\/e"\}\n$/,
  );
  const line = auditLine(ren!, false);
  assert.match(line, /^\d\d:\d\d:\d\d\.678\s+5 {2}mv\s+rename\s+\/srv\/d\/d → \/srv\/d\/e\n$/);
  assert.match(auditLine(open!, false), / [?] {2,}open /);
  assert.equal(auditSummary(1, 0, 2.5e9), 'kerno: 1 file event in 2.5s\n');
  assert.equal(auditSummary(3, 2, 1e9), 'kerno: 3 file events in 1.0s, 2 dropped\n');
});
