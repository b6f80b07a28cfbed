// A release executable carries its native addon (with the libbpf, libelf and libz it links), the CO-RE BPF
// objects and the JavaScript bundle as SEA assets. They are unpacked once per content hash to a private
// directory that only the owner can enter, written under a temporary name and renamed into place, so a
// concurrent or interrupted start never sees a half-written tree; later starts reuse it.
import { lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface ManifestFile {
  /** Relative path inside the unpacked directory; also the SEA asset key. */
  path: string;
  size: number;
  /** File mode (0o500 for shared objects, 0o400 for data). */
  mode: number;
}

/** Written by scripts/package.sh as the SEA asset "manifest.json". */
export interface ReleaseManifest {
  version: string;
  /** sha256 over every file's path and content (first 16 hex digits): names the unpacked directory. */
  hash: string;
  files: ManifestFile[];
}

export const MANIFEST_KEY = 'manifest.json';

/** Root unpacks to /run (tmpfs, cleared at boot); anyone else to their runtime or temporary directory. */
export function unpackBase(uid: number, env: NodeJS.ProcessEnv = process.env): string {
  if (uid === 0) return '/run';
  return env.XDG_RUNTIME_DIR || tmpdir();
}

export function unpackDir(m: ReleaseManifest, uid: number, base = unpackBase(uid)): string {
  return join(base, uid === 0 ? `kerno-${m.version}-${m.hash}` : `kerno-${m.version}-${m.hash}-u${uid}`);
}

/** Why `dir` cannot be used as is, or undefined when it is ours, private and holds every file whole. */
export function whyNotIntact(dir: string, m: ReleaseManifest, uid: number): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return 'missing';
  }
  if (!st.isDirectory()) return 'not a directory';
  if (st.uid !== uid) return `owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `mode ${(st.mode & 0o777).toString(8)} is not private`;
  for (const f of m.files) {
    let size: number;
    try {
      size = statSync(join(dir, f.path)).size;
    } catch {
      return `${f.path} missing`;
    }
    if (size !== f.size) return `${f.path} has ${size} bytes, expected ${f.size}`;
  }
  return undefined;
}

/**
 * Returns the unpacked directory for `m`, unpacking it first when it is missing or damaged. A directory
 * owned by someone else is refused, never reused or removed.
 */
export function ensureUnpacked(
  m: ReleaseManifest,
  read: (key: string) => Uint8Array,
  opts: { uid?: number; base?: string } = {},
): string {
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const base = opts.base ?? unpackBase(uid);
  const dir = unpackDir(m, uid, base);
  const why = whyNotIntact(dir, m, uid);
  if (why === undefined) return dir;
  if (why !== 'missing') {
    if (why.startsWith('owned by') || why === 'not a directory') {
      throw new Error(`release assets: ${dir} is ${why}: refusing to use it (remove it and retry)`);
    }
    // Ours but damaged (a truncated file, a changed mode): replace it whole.
    rmSync(dir, { recursive: true, force: true });
  }
  const tmp = mkdtempSync(join(base, `.kerno-unpack-`));
  try {
    for (const f of m.files) {
      const data = read(f.path);
      if (data.byteLength !== f.size) {
        throw new Error(`asset ${f.path} has ${data.byteLength} bytes, manifest says ${f.size}`);
      }
      const target = join(tmp, f.path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      writeFileSync(target, data, { mode: f.mode });
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another start renamed its copy in first: use that one.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || whyNotIntact(dir, m, uid) !== undefined) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`release assets: cannot unpack to ${dir}: ${(err as Error).message}`);
  }
  return dir;
}
