// Boots one guest (QEMU TCG: nested KVM fails on these machines), runs one shell script in it with a time
// bound and returns its exit code and output. The guest sees the host's root read-only through virtiofsd
// (overlay + tmpfs upper inside), so it runs this checkout as it is. Every process it starts is killed by
// PID, and its scratch directory removed, whatever happens.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildInitramfs } from './initramfs.js';
import type { GuestKernel } from './kernels.js';
import type { GuestNet } from './net.js';

export const QEMU = 'qemu-system-x86_64';
export const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';

export interface GuestOptions {
  kernel: GuestKernel;
  /** a /bin/sh script, run as root in the guest with the checkout as working directory */
  script: string;
  timeoutMs: number;
  cgroup?: 'v1' | 'v2';
  memMiB?: number;
  cpus?: number;
  net?: GuestNet;
  /** extra kernel command line words (e.g. netconsole=…) */
  append?: string[];
  /** called with the guest's output as it arrives */
  onOutput?: (chunk: string) => void;
}

export interface GuestResult {
  /** the script's exit status; null when the guest never reported one (panic, timeout, boot failure) */
  exitCode: number | null;
  output: string;
  /** the guest kernel's console (ttyS0) */
  console: string;
  timedOut: boolean;
  wallMs: number;
  /** how QEMU ended, with its stderr tail (for a guest that never reported an exit status) */
  qemuExit: string;
}

const EXIT_RE = /KERNO_GUEST_EXIT=(\d+)\s*$/;

function killTree(p: ChildProcess | undefined): void {
  if (p?.pid && p.exitCode === null && p.signalCode === null) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads what was appended to an open file since `pos`. */
function readFrom(fd: number, pos: number): { text: string; pos: number } {
  const size = fstatSync(fd).size;
  if (size <= pos) return { text: '', pos };
  const buf = Buffer.alloc(size - pos);
  const n = readSync(fd, buf, 0, buf.length, pos);
  return { text: buf.toString('utf8', 0, n), pos: pos + n };
}

/** Whole contents of an open file. */
function readAll(fd: number): string {
  return readFrom(fd, 0).text;
}

/** Host paths the guest mounts over (init.sh): the checkout and the kernel cache must not be under them. */
const HIDDEN_IN_GUEST = ['/run', '/var/tmp', '/proc', '/sys', '/dev'];

function assertVisibleInGuest(what: string, path: string): void {
  const hidden = HIDDEN_IN_GUEST.find((h) => path === h || path.startsWith(`${h}/`));
  if (hidden) throw new Error(`${what} ${path} is under ${hidden}, which the guest mounts over: move it`);
}

export async function runInGuest(o: GuestOptions): Promise<GuestResult> {
  assertVisibleInGuest('the working directory', process.cwd());
  assertVisibleInGuest('the guest kernel cache', o.kernel.modulesDir);
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'kerno-guest-'));
  const mem = o.memMiB ?? 1536;
  const sock = join(dir, 'fs.sock');
  const outLog = join(dir, 'out.log');
  const conLog = join(dir, 'console.log');
  let fsd: ChildProcess | undefined;
  let qemu: ChildProcess | undefined;
  // The logs are read through descriptors opened here (QEMU truncates, not replaces, them): output stays
  // readable even if something sweeps the scratch directory meanwhile.
  writeFileSync(outLog, '');
  writeFileSync(conLog, '');
  const outFd = openSync(outLog, 'r');
  const conFd = openSync(conLog, 'r');
  const cleanup = () => {
    killTree(qemu);
    killTree(fsd);
  };
  process.once('exit', cleanup);
  try {
    const script = `cd ${JSON.stringify(process.cwd())} || exit 126\nexport PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n${o.script}\n`;
    buildInitramfs(o.kernel, script, join(dir, 'initrd'));
    // A fresh ext4 scratch disk: the guest mounts it at /var/tmp so block I/O has a real device.
    execFileSync('truncate', ['-s', '512M', join(dir, 'scratch.img')]);
    execFileSync('mkfs.ext4', [
      '-q',
      '-F',
      '-E',
      'lazy_itable_init=0,lazy_journal_init=0',
      join(dir, 'scratch.img'),
    ]);

    fsd = spawn(
      VIRTIOFSD,
      [
        `--socket-path=${sock}`,
        '-o',
        'source=/',
        '-o',
        'sandbox=chroot',
        '-o',
        'cache=always',
        '-o',
        'no_posix_lock',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let fsdErr = '';
    fsd.stderr!.on('data', (d: Buffer) => (fsdErr += d.toString()));
    await waitFor(() => existsSync(sock) || fsd!.exitCode !== null, 10_000, 'virtiofsd socket').catch((e) => {
      throw new Error(`${(e as Error).message}: ${fsdErr.trim()}`);
    });
    if (fsd.exitCode !== null) throw new Error(`virtiofsd exited ${fsd.exitCode}: ${fsdErr.trim()}`);

    const append = [
      'console=ttyS0',
      'panic=-1',
      'loglevel=6',
      `kerno.cgroup=${o.cgroup ?? 'v2'}`,
      ...(o.net ? [`kerno.ip=${o.net.guestIp}/${o.net.prefix}`] : []),
      ...(o.append ?? []),
    ];
    const args = [
      // Single-threaded TCG: with one host thread per vCPU, the guest's live code patching (a tracepoint's
      // static key flipped when kerno attaches or detaches) was seen torn on the other vCPU — 6.12 guests
      // panicked with RIP inside a half-written NOP in ttwu_do_activate/__schedule, 3 times in 2 phase runs.
      // One thread runs the vCPUs in turn, so a patch is never observed half done; the phase takes
      // ~5.5 min instead of ~4.
      '-accel',
      'tcg,thread=single',
      '-cpu',
      'max',
      '-smp',
      String(o.cpus ?? 2),
      '-m',
      `${mem}M`,
      '-object',
      `memory-backend-memfd,id=mem,size=${mem}M,share=on`,
      '-numa',
      'node,memdev=mem',
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
      '-chardev',
      `socket,id=fs,path=${sock}`,
      '-device',
      'vhost-user-fs-pci,chardev=fs,tag=kernohost',
      '-drive',
      `file=${join(dir, 'scratch.img')},format=raw,if=virtio,cache=unsafe`,
      '-serial',
      `file:${conLog}`,
      '-serial',
      `file:${outLog}`,
      '-kernel',
      o.kernel.vmlinuz,
      '-initrd',
      join(dir, 'initrd'),
      '-append',
      append.join(' '),
    ];
    if (o.net) {
      args.push('-netdev', `tap,id=n0,ifname=${o.net.tap},script=no,downscript=no`);
      args.push('-device', 'virtio-net-pci,netdev=n0');
    }
    const argv = o.net ? [...o.net.nsenter, QEMU, ...args] : [QEMU, ...args];
    qemu = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let qemuErr = '';
    qemu.stderr!.on('data', (d: Buffer) => (qemuErr += d.toString()));
    const exited = once(qemu, 'exit');

    let output = '';
    let pos = 0;
    let timedOut = false;
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      const r = readFrom(outFd, pos);
      pos = r.pos;
      if (r.text) {
        output += r.text;
        o.onOutput?.(r.text);
      }
      if (qemu.exitCode !== null || qemu.signalCode !== null) break;
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    killTree(qemu);
    await exited;
    const tail = readFrom(outFd, pos).text;
    output += tail;
    if (tail) o.onOutput?.(tail);
    const m = EXIT_RE.exec(output);
    const consoleText = readAll(conFd);
    if (!m && !timedOut && qemu.exitCode !== 0 && qemuErr.trim()) {
      throw new Error(`qemu exited ${qemu.exitCode}: ${qemuErr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    return {
      exitCode: m ? Number(m[1]) : null,
      output: m ? output.slice(0, m.index) : output,
      console: consoleText,
      timedOut,
      wallMs: Date.now() - t0,
      qemuExit: `${qemu.signalCode ?? `exit ${qemu.exitCode}`}${qemuErr.trim() ? `: ${qemuErr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
    };
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
    for (const p of [qemu, fsd]) if (p && p.exitCode === null && p.signalCode === null) await once(p, 'exit');
    closeSync(outFd);
    closeSync(conFd);
    rmSync(dir, { recursive: true, force: true });
  }
}
