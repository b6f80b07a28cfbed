// Debian cloud kernels for test guests: downloaded as packages (apt-get download) and extracted, never
// installed. Each lives in <cache>/kernels/<release>/ with boot/vmlinuz-<release> and a depmod'ed
// lib/modules/<release>/, so a second run costs nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const KERNEL_SERIES = ['6.1', '6.12'] as const;
export type KernelSeries = (typeof KERNEL_SERIES)[number];

export interface GuestKernel {
  series: KernelSeries;
  /** uname -r inside the guest, e.g. 6.1.0-57-cloud-amd64 */
  release: string;
  /** the Debian package it came from, with its version */
  pkg: string;
  vmlinuz: string;
  /** the extracted lib/modules/<release> directory (depmod'ed) */
  modulesDir: string;
}

export function cacheDir(): string {
  return process.env.KERNO_GUEST_CACHE ?? '/var/cache/kerno-guest';
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}

/**
 * The package for a series, from the Debian archive as apt sees it now: 6.1 is what the
 * linux-image-cloud-amd64 metapackage depends on (Debian 12's kernel); 6.12 the newest
 * linux-image-6.12.*+deb12-cloud-amd64 (bookworm's backported LTS kernel). Old builds leave the archive,
 * so names are resolved rather than pinned.
 */
export function resolvePackage(series: KernelSeries): string {
  if (series === '6.1') {
    const deps = run('apt-cache', ['depends', '--important', 'linux-image-cloud-amd64']);
    const m = /Depends: (linux-image-6\.1\.\S+-cloud-amd64)/.exec(deps);
    if (!m)
      throw new Error(`no 6.1 kernel behind linux-image-cloud-amd64 (apt-cache depends: ${deps.trim()})`);
    return m[1]!;
  }
  const names = run('apt-cache', [
    'search',
    '--names-only',
    '^linux-image-6\\.12\\.[0-9]+\\+deb12-cloud-amd64$',
  ])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
  const patch = (n: string) => Number(/^linux-image-6\.12\.(\d+)/.exec(n)![1]);
  names.sort((a, b) => patch(b) - patch(a));
  if (names.length === 0) throw new Error('no linux-image-6.12.*+deb12-cloud-amd64 package in the apt lists');
  return names[0]!;
}

function aptUpdated(): boolean {
  try {
    return readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'));
  } catch {
    return false;
  }
}

/** Downloads (once) and extracts the kernel of a series; returns where its pieces are. */
export function fetchKernel(series: KernelSeries): GuestKernel {
  if (!aptUpdated()) run('apt-get', ['update', '-qq']);
  let pkg: string;
  try {
    pkg = resolvePackage(series);
  } catch {
    // Lists older than the archive name builds that are gone: refresh once and ask again.
    run('apt-get', ['update', '-qq']);
    pkg = resolvePackage(series);
  }
  const release = pkg.replace(/^linux-image-/, '');
  const dir = join(cacheDir(), 'kernels', release);
  const kernel: GuestKernel = {
    series,
    release,
    pkg,
    vmlinuz: join(dir, 'boot', `vmlinuz-${release}`),
    modulesDir: join(dir, 'lib', 'modules', release),
  };
  if (existsSync(join(dir, '.complete'))) return kernel;
  mkdirSync(join(cacheDir(), 'kernels'), { recursive: true });
  // Extract beside the final place and rename: an interrupted run never leaves a half kernel behind.
  const tmp = mkdtempSync(join(cacheDir(), 'kernels', `.${release}.`));
  try {
    run('apt-get', ['download', '-q', pkg], { cwd: tmp });
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
    const root = join(tmp, 'root');
    run('dpkg-deb', ['-x', join(tmp, deb), root]);
    run('depmod', ['-b', root, release]);
    execFileSync('touch', [join(root, '.complete')]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(root, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { ...kernel, pkg: `${pkg}` };
}
