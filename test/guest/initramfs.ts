// The guest's initramfs: busybox-static, init.sh, the few modules needed to reach the host's root
// (virtio transport, virtiofs, overlay, virtio_blk, virtio_net) in modprobe's load order, and the
// command to run. Built per boot (well under a second): the command is part of it.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GuestKernel } from './kernels.js';

const BOOT_MODULES = ['virtio_pci', 'virtiofs', 'overlay', 'virtio_blk', 'virtio_net'];
const BUSYBOX = '/bin/busybox';

/** Module files (relative to the modules dir) in load order; built-ins need none. */
export function bootModules(k: GuestKernel): string[] {
  const order: string[] = [];
  for (const m of BOOT_MODULES) {
    const out = execFileSync(
      'modprobe',
      ['-d', dirname(dirname(dirname(k.modulesDir))), '-S', k.release, '--show-depends', m],
      { encoding: 'utf8' },
    );
    for (const line of out.split('\n')) {
      const ins = /^insmod (\S+)/.exec(line.trim());
      if (!ins) continue;
      const rel = ins[1]!.slice(
        ins[1]!.indexOf(`/lib/modules/${k.release}/`) + `/lib/modules/${k.release}/`.length,
      );
      if (!order.includes(rel)) order.push(rel);
    }
  }
  return order;
}

/**
 * Writes the initramfs (an uncompressed newc cpio) to `out`. `script` is a /bin/sh script run as root in
 * the guest's chroot of the host root.
 */
export function buildInitramfs(k: GuestKernel, script: string, out: string): void {
  const dir = mkdtempSync(join(dirname(out), 'initramfs.'));
  try {
    for (const d of ['bin', 'proc', 'sys', 'dev', 'modules', 'kerno']) mkdirSync(join(dir, d));
    copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
    chmodSync(join(dir, 'bin', 'busybox'), 0o755);
    const here = dirname(fileURLToPath(import.meta.url));
    copyFileSync(join(here, 'init.sh'), join(dir, 'init'));
    chmodSync(join(dir, 'init'), 0o755);
    const names: string[] = [];
    for (const rel of bootModules(k)) {
      const src = join(k.modulesDir, rel);
      // busybox insmod reads plain ELF: 6.12's modules are .ko.xz.
      const name = basename(rel).replace(/\.xz$/, '');
      if (rel.endsWith('.xz')) writeFileSync(join(dir, 'modules', name), execFileSync('xz', ['-dc', src]));
      else copyFileSync(src, join(dir, 'modules', name));
      names.push(name);
    }
    writeFileSync(join(dir, 'modules.order'), names.map((n) => `${n}\n`).join(''));
    writeFileSync(join(dir, 'kerno', 'modules-dir'), k.modulesDir);
    writeFileSync(join(dir, 'kerno', 'run.sh'), script);
    const list = execFileSync('find', ['.', '-mindepth', '1'], { cwd: dir, encoding: 'utf8' });
    const cpio = execFileSync('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], {
      cwd: dir,
      input: list,
      maxBuffer: 64 << 20,
    });
    writeFileSync(out, cpio);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
