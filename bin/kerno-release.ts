// The single executable's own entry (scripts/package.sh bundles it as the SEA main script): unpack the
// embedded assets once (src/release/unpack.ts), then hand over to the ESM bundle among them
// (bin/release-entry.ts). Kept small: it runs before every command, --version included.
import { getAsset } from 'node:sea';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT } from '../src/cli/io.js';
import { ensureUnpacked, MANIFEST_KEY, type ReleaseManifest } from '../src/release/unpack.js';

function fail(what: string, err: unknown): never {
  process.stderr.write(`kerno: ${what}: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(EXIT.INTERNAL);
}

let dir: string;
try {
  const manifest = JSON.parse(getAsset(MANIFEST_KEY, 'utf8')) as ReleaseManifest;
  dir = ensureUnpacked(manifest, (key) => new Uint8Array(getAsset(key)));
} catch (err) {
  fail('cannot start the release executable', err);
}
import(pathToFileURL(join(dir, 'js', 'release-entry.mjs')).href).catch((err: unknown) =>
  fail(`cannot load ${join(dir, 'js')}`, err),
);
