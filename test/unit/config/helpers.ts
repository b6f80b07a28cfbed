import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A scratch directory tree for config discovery; remove() deletes exactly what was created. */
export function scratch(): { root: string; write(rel: string, text: string): string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'kerno-test-config-'));
  return {
    root,
    write(rel, text) {
      const path = join(root, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
