// The checks of `kerno preflight`: can `kerno start` (and `kerno doctor`) do their job on this host, with
// this configuration? Each check is one small function returning a verdict; the ones that must touch the
// system (open a file, bind a port, load a BPF program, ask the kubelet) do exactly that and nothing more.
// Decisions that need no system access (version parsing, capability bits, rlimits) are pure functions of
// their inputs so they are tested on fixtures.
import { constants, existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { KubeletError } from '../k8s/kubelet.js';
import { prepareStateDir, StateDirError } from '../netconsole/index.js';
import { kubeletTarget } from '../runtime/kubernetes.js';
import { HTTP_LISTEN, NETCONSOLE_LISTEN, parseListenAddress } from '../util/listen-address.js';
import { effectiveCapabilities } from '../util/privileges.js';
import { bpfObjectDir } from '../bpf/paths.js';
import { listObjects, verifyObjects } from './bpf-verify.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier (JSON consumers key on it). */
  name: CheckName;
  /** What is checked, for people. */
  title: string;
  status: CheckStatus;
  /** What was found (also on a pass: the kernel version, the cgroup layout, the program count). */
  detail: string;
  /** One line: what to do about a warn or fail. Absent on a pass. */
  remediation?: string;
}

/** Every check, in the order they run and are reported (the original's ten first, then kerno's own). */
export const CHECK_NAMES = [
  'kernel',
  'btf',
  'cgroup',
  'cap_bpf',
  'cap_perfmon',
  'procfs',
  'cap_net_admin',
  'state_dir',
  'listen',
  'tracefs',
  'bpf_objects',
  'bpf_stats',
  'memlock',
  'kubelet',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

const pass = (name: CheckName, title: string, detail: string): CheckResult => ({
  name,
  title,
  status: 'pass',
  detail,
});
const notPass = (
  status: 'warn' | 'fail',
  name: CheckName,
  title: string,
  detail: string,
  remediation: string,
): CheckResult => ({ name, title, status, detail, remediation });

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err);
}

// ---- kernel version -------------------------------------------------------------------------------------

/** "6.18.0-1-amd64" → [6, 18]; the original strips anything after '-', '+' or a space. */
export function parseKernelRelease(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text.split(/[-+ ]/)[0] ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function atLeast(v: [number, number], major: number, minor: number): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

export function kernelCheck(rel: string): CheckResult {
  const title = 'Linux kernel ≥ 5.8';
  const v = parseKernelRelease(rel);
  if (v === undefined)
    return notPass(
      'fail',
      'kernel',
      title,
      `cannot parse the kernel release "${rel}"`,
      'run on Linux 5.8 or later',
    );
  if (atLeast(v, 5, 8)) return pass('kernel', title, rel);
  return notPass(
    'fail',
    'kernel',
    title,
    `${rel}: CAP_BPF, ring buffers and tp_btf programs need 5.8`,
    'upgrade the kernel to 5.8 or later (5.11+ also frees BPF maps from RLIMIT_MEMLOCK)',
  );
}

// ---- BTF --------------------------------------------------------------------------------------------------

export const DEFAULT_BTF_PATH = '/sys/kernel/btf/vmlinux';

/**
 * The kernel's BTF; KERNO_BTF_PATH names another file (a kernel that exposes it elsewhere, or a test
 * pointing at a missing one).
 */
export async function btfCheck(path: string): Promise<CheckResult> {
  const title = 'kernel BTF';
  try {
    const fh = await open(path, constants.O_RDONLY);
    const { size } = await fh.stat();
    await fh.close();
    return pass('btf', title, `${path} (${Math.round(size / 1024)} KiB)`);
  } catch (err) {
    return notPass(
      'fail',
      'btf',
      title,
      `cannot open ${path}: ${errCode(err)}`,
      'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (and mount /sys/kernel/btf into the container)',
    );
  }
}

// ---- cgroup ----------------------------------------------------------------------------------------------

const CGROUP2_MAGIC = 0x63677270;
const CGROUP1_MAGIC = 0x27e0eb;
const TMPFS_MAGIC = 0x01021994;

/**
 * What a cgroup root is, from its statfs type and (for a tmpfs of v1 hierarchies) its entries. v1 and hybrid
 * layouts pass with a note: kerno reads v1 memory/cpu hierarchies as well as cgroup2.
 */
export function cgroupVerdict(
  root: string,
  fsType: number | undefined,
  entries: readonly string[],
): CheckResult {
  const title = 'cgroup hierarchy';
  if (fsType === CGROUP2_MAGIC) return pass('cgroup', title, `cgroup v2 (unified) at ${root}`);
  if (fsType === CGROUP1_MAGIC)
    return pass(
      'cgroup',
      title,
      `cgroup v1 hierarchy at ${root} (note: v1 is supported; v2 gives per-cgroup PSI)`,
    );
  if (fsType === TMPFS_MAGIC) {
    const v1 = entries.filter((e) => ['memory', 'cpu', 'cpuacct', 'cpu,cpuacct', 'blkio'].includes(e));
    if (v1.length > 0) {
      const hybrid = entries.includes('unified') ? `, cgroup2 at ${join(root, 'unified')} (hybrid)` : '';
      return pass(
        'cgroup',
        title,
        `cgroup v1 at ${root} (${v1.join(', ')})${hybrid} (note: v1 is supported; v2 gives per-cgroup PSI)`,
      );
    }
  }
  return notPass(
    'fail',
    'cgroup',
    title,
    fsType === undefined
      ? `${root} is missing or unreadable`
      : `${root} holds no cgroup hierarchy (statfs type 0x${fsType.toString(16)})`,
    'mount cgroup2 (or the v1 hierarchies) at /sys/fs/cgroup, or set cgroup_root / KERNO_CGROUP_ROOT to where it is',
  );
}

export function cgroupCheck(root: string): CheckResult {
  let fsType: number | undefined;
  let entries: string[] = [];
  try {
    fsType = statfsSync(root).type;
    if (fsType === TMPFS_MAGIC) entries = readdirSync(root);
  } catch {
    fsType = undefined;
  }
  return cgroupVerdict(root, fsType, entries);
}

// ---- capabilities ----------------------------------------------------------------------------------------

export const CAP = { NET_ADMIN: 12, SYS_ADMIN: 21, SYS_RESOURCE: 24, PERFMON: 38, BPF: 39 } as const;

export function hasCap(caps: bigint, bit: number): boolean {
  return (caps & (1n << BigInt(bit))) !== 0n;
}

export function capabilityChecks(
  caps: bigint,
): Record<'cap_bpf' | 'cap_perfmon' | 'cap_net_admin', CheckResult> {
  const one = (
    name: 'cap_bpf' | 'cap_perfmon' | 'cap_net_admin',
    cap: keyof typeof CAP,
    onMissing: 'warn' | 'fail',
    why: string,
  ): CheckResult => {
    const title = `CAP_${cap}`;
    if (hasCap(caps, CAP[cap])) return pass(name, title, 'in the effective set');
    // Since 5.8 the kernel accepts CAP_SYS_ADMIN wherever it asks for CAP_BPF or CAP_PERFMON.
    if (cap !== 'NET_ADMIN' && hasCap(caps, CAP.SYS_ADMIN))
      return notPass(
        'warn',
        name,
        title,
        'not in the effective set, but CAP_SYS_ADMIN is, which the kernel accepts instead (more than kerno needs)',
        `grant CAP_${cap} and drop CAP_SYS_ADMIN (least privilege)`,
      );
    return notPass(
      onMissing,
      name,
      title,
      `not in the effective set (CapEff ${caps.toString(16).padStart(16, '0')}): ${why}`,
      `run as root, or grant CAP_${cap} (systemd AmbientCapabilities=, Kubernetes securityContext.capabilities.add: [${cap}])`,
    );
  };
  return {
    cap_bpf: one('cap_bpf', 'BPF', 'fail', 'BPF programs and maps cannot be created'),
    cap_perfmon: one(
      'cap_perfmon',
      'PERFMON',
      'fail',
      'tracing programs cannot be loaded or read kernel memory',
    ),
    // A warning, as in the original: only the dns collector needs it (the kernel asks for it to attach
    // cgroup_skb programs); every other collector runs without it.
    cap_net_admin: one(
      'cap_net_admin',
      'NET_ADMIN',
      'warn',
      'the dns collector cannot attach its cgroup_skb programs (the others run); chaos network scenarios need it too',
    ),
  };
}

// ---- /proc, tracefs, bpf_stats ---------------------------------------------------------------------------

export function procfsCheck(path = '/proc/version'): CheckResult {
  const title = '/proc readable';
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === '') throw Object.assign(new Error('empty'), { code: 'empty' });
    return pass('procfs', title, path);
  } catch (err) {
    return notPass(
      'fail',
      'procfs',
      title,
      `cannot read ${path}: ${errCode(err)}`,
      'mount procfs at /proc (in a container: hostPID: true and the host /proc)',
    );
  }
}

export const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'] as const;

export function tracefsCheck(paths: readonly string[] = TRACEFS_PATHS): CheckResult {
  const title = 'tracefs';
  // A mounted tracefs has an `events` directory; the bare mount point exists (empty) even when not mounted.
  const found = paths.find((p) => existsSync(join(p, 'events')));
  if (found !== undefined) return pass('tracefs', title, found);
  return notPass(
    'warn',
    'tracefs',
    title,
    `not mounted at ${paths.join(' or ')}: kerno's tp_btf programs do not need it; reading trace_pipe by hand does`,
    'mount -t tracefs nodev /sys/kernel/tracing (optional)',
  );
}

/**
 * Whether BPF run-time accounting is on system-wide: when it is, every BPF program on the host (kerno's
 * included) pays two clock reads per run, which kerno's overhead figures must be read against. kerno
 * itself never needs it on (bpf-verify --read uses BPF_ENABLE_STATS, scoped to its own fd), so an
 * unreadable sysctl is a warning.
 */
export function bpfStatsCheck(path = '/proc/sys/kernel/bpf_stats_enabled'): CheckResult {
  const title = 'kernel.bpf_stats_enabled readable';
  const fix = 'mount the host /proc/sys (read-only is enough), not a masked one';
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    return notPass('warn', 'bpf_stats', title, `cannot read ${path}: ${errCode(err)}`, fix);
  }
  if (text !== '0' && text !== '1')
    return notPass('warn', 'bpf_stats', title, `${path} holds ${JSON.stringify(text)}, not 0 or 1`, fix);
  return pass(
    'bpf_stats',
    title,
    text === '1'
      ? "on (1): every BPF program on this host pays run-time accounting, kerno's included"
      : 'off (0)',
  );
}

// ---- memlock ---------------------------------------------------------------------------------------------

/** "Max locked memory   8388608   8388608   bytes" from /proc/self/limits: soft and hard, Infinity = unlimited. */
export function parseMemlock(limits: string): { soft: number; hard: number } | undefined {
  const m = /^Max locked memory\s+(\S+)\s+(\S+)/m.exec(limits);
  if (!m) return undefined;
  const n = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

/** Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; libbpf raises it when it may (CAP_SYS_RESOURCE). */
export function memlockCheck(rel: string, limits: string, caps: bigint): CheckResult {
  const title = 'locked-memory limit for BPF maps';
  const v = parseKernelRelease(rel);
  if (v !== undefined && atLeast(v, 5, 11))
    return pass('memlock', title, 'kernel ≥ 5.11 charges BPF maps to the memory cgroup, not RLIMIT_MEMLOCK');
  const m = parseMemlock(limits);
  const fmt = (x: number): string => (x === Infinity ? 'unlimited' : `${Math.round(x / 1024)} KiB`);
  if (m === undefined)
    return notPass(
      'warn',
      'memlock',
      title,
      'cannot read RLIMIT_MEMLOCK from /proc/self/limits',
      'ulimit -l unlimited',
    );
  if (m.soft === Infinity) return pass('memlock', title, 'RLIMIT_MEMLOCK unlimited');
  if (hasCap(caps, CAP.SYS_RESOURCE))
    return pass('memlock', title, `RLIMIT_MEMLOCK ${fmt(m.soft)}; libbpf raises it (CAP_SYS_RESOURCE)`);
  return notPass(
    'fail',
    'memlock',
    title,
    `kernel < 5.11 and RLIMIT_MEMLOCK is ${fmt(m.soft)} (hard ${fmt(m.hard)}) without CAP_SYS_RESOURCE: BPF maps will fail to allocate`,
    'raise it: ulimit -l unlimited, systemd LimitMEMLOCK=infinity, or grant CAP_SYS_RESOURCE',
  );
}

// ---- state directory, listen address ---------------------------------------------------------------------

export async function stateDirCheck(dir: string): Promise<CheckResult> {
  const title = 'state directory writable';
  const fix = `make ${dir} a writable directory on a disk filesystem, or choose another with --state-dir / daemon.state_dir`;
  let resolved: string;
  try {
    resolved = await prepareStateDir(dir, { create: false });
  } catch (err) {
    const why =
      err instanceof StateDirError ? err.message : `state directory ${JSON.stringify(dir)}: ${errCode(err)}`;
    return notPass('fail', 'state_dir', title, why, fix);
  }
  if (!existsSync(resolved)) return pass('state_dir', title, `${resolved} (kerno start will create it)`);
  // access(W_OK) can pass where a write cannot (a full disk, some overlay setups): write a probe file.
  const probe = join(resolved, `.kerno-preflight-${process.pid}`);
  try {
    const fh = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.write('kerno preflight\n');
    } finally {
      await fh.close();
      await unlink(probe);
    }
  } catch (err) {
    return notPass('fail', 'state_dir', title, `cannot write in ${resolved}: ${errCode(err)}`, fix);
  }
  return pass('state_dir', title, resolved);
}

/**
 * Binds the daemon's listen address, and the netconsole receiver's UDP address when one is configured, and
 * lets go at once: are they free, and may kerno bind them? (`kerno start` exits 1 when either is taken.)
 */
export async function listenCheck(listen: string, netconsoleListen?: string): Promise<CheckResult> {
  const title = 'listen address bindable';
  const fix = (what: string, flag: string): string =>
    `free ${what} (ss -ltnup names the holder) or choose another with ${flag}`;
  let tcp;
  let udp;
  try {
    tcp = parseListenAddress(listen, HTTP_LISTEN);
    udp =
      netconsoleListen === undefined ? undefined : parseListenAddress(netconsoleListen, NETCONSOLE_LISTEN);
  } catch (err) {
    return notPass('fail', 'listen', title, (err as Error).message, 'fix --listen / --netconsole-listen');
  }
  const tcpErr = await tryBind(() => bindTcp(tcp.host, tcp.port));
  if (tcpErr !== undefined)
    return notPass(
      'fail',
      'listen',
      title,
      `cannot bind ${listen}: ${tcpErr}`,
      fix(listen, '--listen / daemon.listen'),
    );
  if (udp !== undefined) {
    const udpErr = await tryBind(() => bindUdp(udp.host, udp.port));
    if (udpErr !== undefined)
      return notPass(
        'fail',
        'listen',
        title,
        `cannot bind the netconsole receiver ${netconsoleListen}: ${udpErr}`,
        fix(netconsoleListen!, '--netconsole-listen / daemon.netconsole_listen'),
      );
    return pass('listen', title, `${listen} (HTTP), ${netconsoleListen} (netconsole)`);
  }
  return pass('listen', title, listen);
}

async function tryBind(bind: () => Promise<() => Promise<void>>): Promise<string | undefined> {
  try {
    const release = await bind();
    await release();
    return undefined;
  } catch (err) {
    return errCode(err);
  }
}

function bindTcp(host: string | undefined, port: number): Promise<() => Promise<void>> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () =>
      resolve(() => new Promise<void>((done) => server.close(() => done()))),
    );
  });
}

function bindUdp(host: string | undefined, port: number): Promise<() => Promise<void>> {
  const socket = createSocket(host !== undefined && isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address: host, port, exclusive: true }, () =>
      resolve(() => new Promise<void>((done) => socket.close(() => done()))),
    );
  });
}

// ---- BPF objects -----------------------------------------------------------------------------------------

/** Every program of every object loads (the verifier accepts it); nothing is attached. */
export async function bpfObjectsCheck(dir = bpfObjectDir(), signal?: AbortSignal): Promise<CheckResult> {
  const title = 'every BPF program loads';
  const paths = listObjects(dir);
  if (paths.length === 0)
    return notPass(
      'fail',
      'bpf_objects',
      title,
      `no BPF objects in ${dir}`,
      'build them (scripts/setup.sh) or use a release build, which ships them',
    );
  const r = await verifyObjects(paths, 0, signal, { attach: false });
  const rejected = r.programs.filter((p) => !p.loaded && !p.absent);
  const absent = r.programs.filter((p) => p.absent).length;
  const note = absent > 0 ? ` (${absent} optional without their hook on this kernel)` : '';
  if (rejected.length === 0 && r.total > 0)
    return pass('bpf_objects', title, `${r.loaded}/${r.total} programs in ${paths.length} objects${note}`);
  const first = rejected[0];
  const name = (p: string): string =>
    p
      .split('/')
      .pop()!
      .replace(/\.bpf\.o$/, '');
  return notPass(
    'fail',
    'bpf_objects',
    title,
    `${rejected.length}/${r.total} rejected${note}` +
      (first ? `: ${first.program} (${name(first.object)}): ${first.error ?? 'failed'}` : ''),
    first?.hint ?? 'run bpf-verify for the verifier log of each rejected program',
  );
}

// ---- kubelet ---------------------------------------------------------------------------------------------

/** When pod names are configured (kubernetes.enabled, or auto inside a pod): one GET /pods of the kubelet. */
export async function kubeletCheck(
  config: Pick<Config, 'kubernetes'>,
  env: NodeJS.ProcessEnv,
): Promise<CheckResult> {
  const title = 'kubelet reachable (pod names)';
  const t = kubeletTarget(config, env);
  if (!t.on)
    return pass(
      'kubelet',
      title,
      `not configured (kubernetes.enabled: ${String(config.kubernetes.enabled)}, environment: ${t.environment.kind})`,
    );
  try {
    const index = await t.fetch();
    return pass('kubelet', title, `${t.url ?? 'kubelet'}: ${index.pods.size} pods`);
  } catch (err) {
    const kind = err instanceof KubeletError ? err.kind : 'error';
    return notPass(
      'fail',
      'kubelet',
      title,
      `${t.url ?? 'no kubelet URL'}: ${kind}: ${(err as Error).message}`,
      kubeletFix(kind),
    );
  }
}

function kubeletFix(kind: string): string {
  switch (kind) {
    case 'unauthorized':
    case 'forbidden':
      return 'grant the service account get on nodes/proxy (the chart does: rbac.yaml) and mount its token';
    case 'tls':
      return "trust the kubelet's serving certificate (kubernetes.ca_file) or set kubernetes.insecure_skip_tls_verify";
    case 'config':
      return 'set kubernetes.kubelet_url or NODE_NAME (downward API spec.nodeName), or kubernetes.enabled: false';
    default:
      return 'check that the kubelet listens on kubernetes.kubelet_url (port 10250) from this network namespace, or set kubernetes.enabled: false';
  }
}

// ---- all of them -----------------------------------------------------------------------------------------

export interface PreflightInputs {
  config: Pick<Config, 'daemon' | 'kubernetes' | 'cgroup_root'>;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** Runs every check in CHECK_NAMES order; a check that throws is a fail naming the error, never a crash. */
export async function runChecks({ config, env, signal }: PreflightInputs): Promise<CheckResult[]> {
  const rel = release();
  const caps = effectiveCapabilities();
  const capsResult = capabilityChecks(caps);
  const limits = (): string => {
    try {
      return readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return '';
    }
  };
  const run: Record<CheckName, () => CheckResult | Promise<CheckResult>> = {
    kernel: () => kernelCheck(rel),
    btf: () => btfCheck(env.KERNO_BTF_PATH || DEFAULT_BTF_PATH),
    cgroup: () => cgroupCheck(config.cgroup_root ?? env.KERNO_CGROUP_ROOT ?? '/sys/fs/cgroup'),
    cap_bpf: () => capsResult.cap_bpf,
    cap_perfmon: () => capsResult.cap_perfmon,
    procfs: () => procfsCheck(),
    cap_net_admin: () => capsResult.cap_net_admin,
    state_dir: () => stateDirCheck(config.daemon.state_dir),
    listen: () => listenCheck(config.daemon.listen, config.daemon.netconsole_listen),
    tracefs: () => tracefsCheck(),
    bpf_objects: () => bpfObjectsCheck(bpfObjectDir(), signal),
    bpf_stats: () => bpfStatsCheck(),
    memlock: () => memlockCheck(rel, limits(), caps),
    kubelet: () => kubeletCheck(config, env),
  };
  const out: CheckResult[] = [];
  for (const name of CHECK_NAMES) {
    try {
      out.push(await run[name]());
    } catch (err) {
      out.push(
        notPass('fail', name, name, `check failed: ${(err as Error).message}`, 'report this as a kerno bug'),
      );
    }
  }
  return out;
}
