import type { ErrnoCount, SyscallEntry, SyscallSignals } from '../../src/signals.js';

/** Comm of the collector's bounded-key overflow bucket: real calls, but no single process to point at. */
export const OTHER_COMM = '[other]';

/**
 * Syscalls that block by design (waiting is their job) never count as slow or failing. The entry's own flag
 * is authoritative; the snapshot's list is honoured too, so a collector that only fills the list is safe.
 */
export function isBlocking(e: SyscallEntry, sig: SyscallSignals): boolean {
  return e.blocking || sig.blockingSyscalls.includes(e.name);
}

/** "fsync(postgres)" */
export function syscallSubject(e: Pick<SyscallEntry, 'name' | 'comm'>): string {
  return `${e.name}(${e.comm})`;
}

// Errnos that are answers, not failures. Linux asm-generic numbers (x86_64 and arm64 agree on all of them).
//
// Everywhere: the call asks to be retried or is still in progress. EAGAIN is how every non-blocking socket
// says "nothing yet" (an idle event loop returns it thousands of times a second); EINTR and the kernel's
// ERESTART* codes (visible to sys_exit before the signal code rewrites them) mean a signal arrived.
const EVERYWHERE: ReadonlySet<number> = new Set([
  4, // EINTR
  11, // EAGAIN / EWOULDBLOCK
  114, // EALREADY
  115, // EINPROGRESS (non-blocking connect)
  512, // ERESTARTSYS
  513, // ERESTARTNOINTR
  514, // ERESTARTNOHAND
  516, // ERESTART_RESTARTBLOCK
]);

const ENOENT = 2;
const EBADF = 9;
const ESRCH = 3;
const ECHILD = 10;
const EEXIST = 17;
const ENOTDIR = 20;
const EINVAL = 22;
const ENOTTY = 25;
const ENOTEMPTY = 39;
const ENODATA = 61;
const ENOPROTOOPT = 92;
const EOPNOTSUPP = 95;
const ETIMEDOUT = 110;

// Per syscall: the error is the expected answer of a probe. stat()/access() ask "does it exist?";
// readlink() on a non-link is how realpath() walks a path; isatty() is ioctl(TCGETS) → ENOTTY; `mkdir -p`
// and epoll_ctl re-adds meet EEXIST; `rm -f` and PATH search by execvp meet ENOENT. fcntl(fd, F_GETFD) is
// how a shell asks "is this fd open?" before a redirection (EBADF = no: bash did 15/s here), and daemons
// close every possible descriptor before exec. Recursive removers (Node's fs.rm, rimraf) call rmdir() first
// and descend on ENOTEMPTY (a test suite's temp-dir cleanup: 13/s here). bpf() answers ENOENT when
// BPF_MAP_GET_NEXT_KEY passes the last key and when a lookup misses: every map dump by a BPF tool (a kerno
// daemon beside doctor: 430/s here) ends that way. openat ENOENT is NOT here: a process reopening a missing
// file in a loop is the misconfiguration the rule exists to show (it has its own floor, below).
const EXISTENCE = [ENOENT, ENOTDIR];
const XATTR = [ENODATA, EOPNOTSUPP, ENOENT];
const BY_SYSCALL: ReadonlyMap<string, ReadonlySet<number>> = new Map(
  (
    [
      ['stat', EXISTENCE],
      ['lstat', EXISTENCE],
      ['newfstatat', EXISTENCE],
      ['fstatat64', EXISTENCE],
      ['statx', EXISTENCE],
      ['statfs', EXISTENCE],
      ['access', EXISTENCE],
      ['faccessat', EXISTENCE],
      ['faccessat2', EXISTENCE],
      ['readlink', [EINVAL, ...EXISTENCE]],
      ['readlinkat', [EINVAL, ...EXISTENCE]],
      ['getxattr', XATTR],
      ['lgetxattr', XATTR],
      ['fgetxattr', XATTR],
      ['listxattr', XATTR],
      ['llistxattr', XATTR],
      ['flistxattr', XATTR],
      ['ioctl', [ENOTTY, EINVAL]],
      ['mkdir', [EEXIST]],
      ['mkdirat', [EEXIST]],
      ['unlink', [ENOENT]],
      ['unlinkat', [ENOENT]],
      ['rmdir', [ENOENT, ENOTEMPTY]],
      ['bpf', [ENOENT]],
      ['execve', [ENOENT]],
      ['execveat', [ENOENT]],
      ['epoll_ctl', [EEXIST, ENOENT]],
      ['kill', [ESRCH]],
      ['tgkill', [ESRCH]],
      ['wait4', [ECHILD]],
      ['waitid', [ECHILD]],
      ['futex', [ETIMEDOUT]],
      ['fcntl', [EBADF]],
      ['close', [EBADF]],
      ['getsockopt', [ENOPROTOOPT]],
      ['setsockopt', [ENOPROTOOPT]],
    ] as const
  ).map(([name, errnos]) => [name, new Set<number>(errnos)]),
);

export function isExpectedErrno(syscall: string, errno: number): boolean {
  return EVERYWHERE.has(errno) || (BY_SYSCALL.get(syscall)?.has(errno) ?? false);
}

// Lookup misses: opening a path that is not there. Each one is a real failure, but processes starting up
// produce them in bulk (the dynamic loader probing RPATH/LD_LIBRARY_PATH directories, shell tools probing
// for files): on a developer VM running pyenv's shell scripts we measured 20–90 ENOENT/s per command name,
// 40–65 % of their openat calls. So they count towards the failure share, but on their own need a much
// higher volume (`syscall_lookup_miss_min_per_sec`) than other errnos to fire: a process stuck reopening
// a missing file does it in a loop, hundreds to thousands of times a second.
const ENXIO = 6;
const LOOKUP_MISS = new Set([ENOENT, ENOTDIR, ENXIO]);
const OPENERS = new Set(['open', 'openat', 'openat2', 'creat', 'open_by_handle_at']);

export function isLookupMiss(syscall: string, errno: number): boolean {
  return OPENERS.has(syscall) && LOOKUP_MISS.has(errno);
}

export interface ErrorBreakdown {
  /** Errors that are real failures (lookup misses included). */
  failures: number;
  /** The part of `failures` that are lookup misses (a path that does not exist). */
  lookupMisses: number;
  /** Errnos counted as failures, largest first (from the entry's top list). */
  failing: ErrnoCount[];
  /** Errnos set aside as normal control flow. */
  expected: ErrnoCount[];
}

/**
 * Splits an entry's errors into real failures and expected answers. The errno list is a top-N, so errors
 * not itemised in it are counted as failures, and not as lookup misses: unknown is not benign.
 */
export function errorBreakdown(e: SyscallEntry): ErrorBreakdown {
  const expected = e.errnos.filter((x) => isExpectedErrno(e.name, x.errno));
  const failing = e.errnos.filter((x) => !isExpectedErrno(e.name, x.errno));
  const expectedCount = expected.reduce((n, x) => n + x.count, 0);
  const failures = Math.max(0, e.errors - expectedCount);
  const misses = failing.filter((x) => isLookupMiss(e.name, x.errno)).reduce((n, x) => n + x.count, 0);
  return { failures, lookupMisses: Math.min(misses, failures), failing, expected };
}

/** What a slow or failing syscall usually waits on: points the reader at the right next tool. */
export function syscallResourceHint(name: string): string | undefined {
  if (
    /^(f(data)?sync|sync(fs)?|sync_file_range|msync|p?write(v|64)?|pwritev2|io_uring_enter|io_submit|io_getevents)$/.test(
      name,
    )
  )
    return 'storage: check the disk behind the files it writes (iostat -x 1 5; cat /proc/pressure/io)';
  if (
    /^(p?read(v|64)?|preadv2|openat2?|open|creat|n?e?w?f?stat(at|x|64)?|statfs|getdents64|rename(at2?)?|unlink(at)?|mkdir(at)?)$/.test(
      name,
    )
  )
    return 'filesystem: a slow or remote filesystem (NFS, FUSE) or a busy disk (findmnt -T <path>; cat /proc/pressure/io)';
  if (/^(connect|send(to|msg|mmsg)?|recv(from|msg|mmsg)?|shutdown|close)$/.test(name))
    return 'network: the peer or the path to it (ss -tinp; cat /proc/pressure/cpu)';
  if (/^(mmap|munmap|mprotect|brk|madvise|mremap|clone3?|fork|vfork|execve)$/.test(name))
    return 'memory: reclaim or compaction stalls while mapping memory (cat /proc/pressure/memory; vmstat 1 5)';
  return undefined;
}

/** What an errno usually means operationally. */
export function errnoHint(errno: number): string | undefined {
  const hints: Record<number, string> = {
    1: 'EPERM: an LSM, seccomp or capability denial (journalctl -k | grep -iE "denied|audit")',
    2: 'ENOENT: a path the process expects does not exist (strace output names it)',
    9: 'EBADF: the process uses a descriptor it already closed (a use-after-close bug)',
    12: 'ENOMEM: the process or its cgroup ran out of memory (cat /proc/pressure/memory)',
    13: 'EACCES: file permissions or an LSM denial (ls -l on the path; journalctl -k | grep -i denied)',
    23: 'ENFILE: the system-wide file table is full (cat /proc/sys/fs/file-nr)',
    24: 'EMFILE: the process hit its descriptor limit (see fd_leak; grep "open files" /proc/<pid>/limits)',
    28: 'ENOSPC: a filesystem is full (df -h; df -i)',
    32: 'EPIPE: writing to a connection the peer closed (clients timing out?)',
    104: 'ECONNRESET: peers reset connections (ss -tinp; check the peer and any proxy)',
    110: 'ETIMEDOUT: a peer does not answer (ping/mtr to it)',
    111: 'ECONNREFUSED: nothing listens on the target port — a dependency is down (ss -ltn on the target)',
    113: 'EHOSTUNREACH: no route to the peer (ip route get <addr>)',
  };
  return hints[errno];
}
