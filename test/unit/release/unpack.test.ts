// The release executable's asset unpacking: once per content hash, private, atomic, reused when intact,
// replaced when damaged, refused when someone else owns the directory.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureUnpacked,
  unpackBase,
  unpackDir,
  whyNotIntact,
  type ReleaseManifest,
} from '../../../src/release/unpack.js';

const base = mkdtempSync(join(tmpdir(), 'kerno-unpack-test-'));
after(() => rmSync(base, { recursive: true, force: true }));

const assets: Record<string, Uint8Array> = {
  'kerno_native.node': new Uint8Array([1, 2, 3, 4]),
  'bpf/probe/feature.bpf.o': new Uint8Array([5, 6]),
};
const manifest: ReleaseManifest = {
  version: '9.9.9',
  hash: '0123456789abcdef',
  files: [
    { path: 'kerno_native.node', size: 4, mode: 0o500 },
    { path: 'bpf/probe/feature.bpf.o', size: 2, mode: 0o400 },
  ],
};
const uid = process.getuid!();

test('root unpacks under /run; others under their runtime directory, with their uid in the name', () => {
  assert.equal(unpackBase(0), '/run');
  assert.equal(unpackBase(1000, { XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000');
  assert.equal(unpackDir(manifest, 0, '/run'), '/run/kerno-9.9.9-0123456789abcdef');
  assert.equal(unpackDir(manifest, 1000, '/tmp'), '/tmp/kerno-9.9.9-0123456789abcdef-u1000');
});

test('unpacks once into a private directory, then reuses it without reading the assets again', () => {
  let reads = 0;
  const read = (k: string) => (reads++, assets[k]!);
  const dir = ensureUnpacked(manifest, read, { uid, base });
  assert.equal(dir, unpackDir(manifest, uid, base));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual([...readFileSync(join(dir, 'bpf/probe/feature.bpf.o'))], [5, 6]);
  assert.equal(statSync(join(dir, 'kerno_native.node')).mode & 0o777, 0o500);
  assert.equal(reads, 2);
  assert.equal(ensureUnpacked(manifest, read, { uid, base }), dir);
  assert.equal(reads, 2, 'an intact directory is reused');
  assert.deepEqual(
    readdirSync(base).filter((n) => n.startsWith('.kerno-unpack-')),
    [],
    'no temporary directory left behind',
  );
});

test('a damaged directory (truncated file, opened-up mode) is replaced whole', () => {
  const dir = ensureUnpacked(manifest, (k) => assets[k]!, { uid, base });
  chmodSync(join(dir, 'kerno_native.node'), 0o600);
  truncateSync(join(dir, 'kerno_native.node'), 1);
  assert.match(whyNotIntact(dir, manifest, uid)!, /kerno_native.node has 1 bytes, expected 4/);
  ensureUnpacked(manifest, (k) => assets[k]!, { uid, base });
  assert.equal(whyNotIntact(dir, manifest, uid), undefined);
  chmodSync(dir, 0o755);
  assert.match(whyNotIntact(dir, manifest, uid)!, /mode 755 is not private/);
  ensureUnpacked(manifest, (k) => assets[k]!, { uid, base });
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('a directory owned by someone else is refused, not reused or removed', (t) => {
  if (uid !== 0) return t.skip('chown needs root');
  const b = mkdtempSync(join(base, 'foreign-'));
  const dir = unpackDir(manifest, uid, b);
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, 4242, 4242);
  assert.throws(
    () => ensureUnpacked(manifest, (k) => assets[k]!, { uid, base: b }),
    /owned by uid 4242, not 0: refusing/,
  );
  assert.equal(statSync(dir).uid, 4242, 'left in place');
});

test('an asset whose size differs from the manifest fails with the path, leaving nothing behind', () => {
  const b = mkdtempSync(join(base, 'short-'));
  assert.throws(
    () =>
      ensureUnpacked(manifest, (k) => (k === 'kerno_native.node' ? new Uint8Array(3) : assets[k]!), {
        uid,
        base: b,
      }),
    /cannot unpack to .*asset kerno_native.node has 3 bytes, manifest says 4/,
  );
  assert.deepEqual(readdirSync(b), []);
});
