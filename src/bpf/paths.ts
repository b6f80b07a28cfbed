import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** Where a release executable unpacked its assets (see bin/release-entry.ts); undefined in a checkout. */
export interface InstalledLayout {
  /** The native addon (its libbpf, libelf and libz sit beside it). */
  addon: string;
  /** The compiled BPF objects (build/bpf/ in a checkout). */
  bpfDir: string;
}

let installed: InstalledLayout | undefined;

/** Makes the loader use an unpacked release instead of the checkout's build/ (set once, before any load). */
export function useInstalledLayout(layout: InstalledLayout): void {
  installed = layout;
}

export function installedLayout(): InstalledLayout | undefined {
  return installed;
}

/**
 * The package root (kerno's package.json), whether running from src/ via tsx, from dist/, or from an
 * installed npm package (which ships no binding.gyp or sources, so only package.json's name can tell).
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (isKernoPackage(join(dir, 'package.json'))) {
      root = dir;
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('cannot locate the kerno package root (a package.json named "kerno")');
}

function isKernoPackage(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === 'kerno';
  } catch {
    return false;
  }
}

/** Directory of compiled BPF objects (scripts/build-bpf.sh output, or a release's unpacked copy). */
export function bpfObjectDir(): string {
  return process.env.KERNO_BPF_DIR ?? installed?.bpfDir ?? join(packageRoot(), 'build', 'bpf');
}

export function bpfObjectPath(name: string): string {
  return join(bpfObjectDir(), `${name}.bpf.o`);
}
