// The release's JavaScript entry, run from the unpacked assets (bin/kerno-release.ts unpacks them): points
// the loader at the unpacked addon and BPF objects instead of a checkout's build/, then runs bpf-verify when
// invoked under that name (a link) or as `kerno bpf-verify`, the kubectl plugin as kubectl-kerno (a link), and
// kerno otherwise.
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useInstalledLayout } from '../src/bpf/paths.js';

// <dir>/js/release-entry.mjs → <dir>
const root = dirname(dirname(fileURLToPath(import.meta.url)));
useInstalledLayout({ addon: join(root, 'kerno_native.node'), bpfDir: join(root, 'bpf') });

// A single executable sees argv as [executable, argv0 as typed, ...arguments].
const argv0 = basename(process.argv[1] ?? '');
if (argv0 === 'bpf-verify') {
  await import('./bpf-verify.js');
} else if (argv0 === 'kubectl-kerno') {
  // kubectl runs plugins by name from PATH: a kubectl-kerno link to the executable is the plugin.
  await import('./kubectl-kerno.js');
} else if (process.argv[2] === 'bpf-verify') {
  // bin/bpf-verify.ts reads its arguments from process.argv.slice(2), as it does when run directly.
  process.argv.splice(2, 1);
  await import('./bpf-verify.js');
} else {
  await import('./kerno.js');
}
