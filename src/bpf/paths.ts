import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package root (holds package.json), whether running from src/ via tsx or from dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) {
      root = dir;
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('cannot locate the kerno package root (package.json + binding.gyp)');
}

/** Directory of compiled BPF objects (scripts/build-bpf.sh output). */
export function bpfObjectDir(): string {
  return process.env.KERNO_BPF_DIR ?? join(packageRoot(), 'build', 'bpf');
}

export function bpfObjectPath(name: string): string {
  return join(bpfObjectDir(), `${name}.bpf.o`);
}
