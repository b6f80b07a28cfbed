// What `kerno version` prints and the daemon exports as kerno_build_info: a release reports what
// scripts/package.sh stamped into it; a checkout asks git and its own build stamp.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { release as kernelRelease } from 'node:os';
import { join } from 'node:path';
import { native } from './bpf/native.js';
import { packageRoot } from './bpf/paths.js';
import { RELEASE, VERSION, type ReleaseStamp } from './version.js';

export interface BuildInfo {
  version: string;
  /** git commit ("-dirty" when built from a tree with changes); "unknown" without git. */
  commit: string;
  /** RFC 3339; a checkout's last build (dist/.stamp); "unknown" when there is none. */
  buildDate: string;
  /** "release" for the single executable, "checkout" for a source tree. */
  kind: 'release' | 'checkout';
  node: string;
  /** The libbpf the native addon loaded, e.g. "v1.1"; "unavailable: …" when the addon does not load. */
  libbpf: string;
  kernel: string;
}

export interface BuildInfoSources {
  release?: ReleaseStamp | undefined;
  git?: (args: string[]) => string;
  checkoutBuildTime?: () => Date | undefined;
  libbpf?: () => string;
  kernel?: () => string;
  nodeVersion?: string;
}

function git(args: string[]): string {
  return execFileSync('git', ['-C', packageRoot(), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 5000,
  }).trim();
}

function checkoutCommit(run: (args: string[]) => string): string {
  try {
    const head = run(['rev-parse', '--short=12', 'HEAD']);
    // Tracked changes only: untracked scratch files do not change what was built.
    const dirty = run(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

function lastCheckoutBuild(): Date | undefined {
  try {
    return statSync(join(packageRoot(), 'dist', '.stamp')).mtime;
  } catch {
    return undefined;
  }
}

function loadedLibbpf(): string {
  try {
    return native().libbpfVersion();
  } catch (err) {
    return `unavailable: ${(err as Error).message}`;
  }
}

export function buildInfo(src: BuildInfoSources = {}): BuildInfo {
  const stamp = 'release' in src ? src.release : RELEASE;
  const common = {
    node: src.nodeVersion ?? process.version,
    libbpf: (src.libbpf ?? loadedLibbpf)(),
    kernel: (src.kernel ?? kernelRelease)(),
  };
  if (stamp) {
    return {
      version: stamp.version,
      commit: stamp.commit,
      buildDate: stamp.date,
      kind: 'release',
      ...common,
    };
  }
  const built = (src.checkoutBuildTime ?? lastCheckoutBuild)();
  return {
    version: VERSION,
    commit: checkoutCommit(src.git ?? git),
    buildDate: built ? built.toISOString() : 'unknown',
    kind: 'checkout',
    ...common,
  };
}
