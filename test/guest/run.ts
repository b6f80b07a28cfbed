// Command line for the guest harness (used by scripts/verify.sh's kernels phase):
//   node --import tsx test/guest/run.ts prepare                     packages, kernels, host-built workloads
//   node --import tsx test/guest/run.ts run --kernel 6.1 [--cgroup v1|v2] [--timeout 300] [--cpus 2] -- SCRIPT
// `run` streams the guest's output and exits with the script's exit status; 124 on timeout, 125 when the
// guest never reported one (boot failure, panic), with the kernel console's tail on stderr.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { KERNEL_SERIES, fetchKernel, type KernelSeries } from './kernels.js';
import { runInGuest } from './vm.js';
import { workloadBinary } from '../helpers/workload.js';

const PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio', 'xz-utils', 'e2fsprogs', 'kmod'];

function ensurePackages(): void {
  const missing = PACKAGES.filter((p) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).includes(
        'install ok installed',
      );
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  process.stderr.write(`guest: installing ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

function series(v: string | undefined): KernelSeries {
  if (!v || !(KERNEL_SERIES as readonly string[]).includes(v))
    throw new Error(`--kernel must be one of ${KERNEL_SERIES.join(', ')} (got ${v ?? 'nothing'})`);
  return v as KernelSeries;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'prepare') {
    ensurePackages();
    for (const s of KERNEL_SERIES) {
      const k = fetchKernel(s);
      process.stdout.write(`${s}: ${k.release} (${k.pkg})\n`);
    }
    // Built on the host: the guests see this checkout read-only (their writes land in a tmpfs).
    process.stdout.write(`workload: ${workloadBinary()}\n`);
    return 0;
  }
  if (cmd !== 'run')
    throw new Error(
      `usage: run.ts prepare | run --kernel SERIES [--cgroup v1|v2] [--timeout S] [--cpus N] -- SCRIPT`,
    );
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      kernel: { type: 'string' },
      cgroup: { type: 'string', default: 'v2' },
      timeout: { type: 'string', default: '300' },
      mem: { type: 'string', default: '1536' },
      cpus: { type: 'string', default: '2' },
    },
  });
  if (values.cgroup !== 'v1' && values.cgroup !== 'v2') throw new Error(`--cgroup must be v1 or v2`);
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) throw new Error(`--timeout must be a positive number of seconds`);
  if (!(Number.isInteger(Number(values.cpus)) && Number(values.cpus) > 0))
    throw new Error(`--cpus must be a positive integer (got ${values.cpus})`);
  if (positionals.length === 0) throw new Error('no script to run in the guest');
  ensurePackages();
  const kernel = fetchKernel(series(values.kernel));
  process.stderr.write(`guest: booting ${kernel.release} (cgroup ${values.cgroup})\n`);
  const r = await runInGuest({
    kernel,
    script: positionals.join(' '),
    timeoutMs: timeoutS * 1000,
    cgroup: values.cgroup,
    memMiB: Number(values.mem),
    cpus: Number(values.cpus),
    onOutput: (s) => process.stdout.write(s),
  });
  process.stderr.write(
    `guest: ${kernel.release} done in ${(r.wallMs / 1000).toFixed(1)} s, exit ${r.exitCode ?? 'none'}\n`,
  );
  if (r.exitCode === null) {
    process.stderr.write(
      `guest: ${r.timedOut ? `timed out after ${timeoutS} s` : 'no exit status (boot failure or panic)'}; qemu ${r.qemuExit}; console tail:\n`,
    );
    process.stderr.write(r.console.split('\n').slice(-40).join('\n') + '\n');
    return r.timedOut ? 124 : 125;
  }
  return r.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`guest: ${err.message}\n`);
    process.exitCode = 1;
  },
);
