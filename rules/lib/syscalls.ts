import type { ErrnoCount, SyscallEntry } from '../../src/signals/types.js';

/**
 * The syscall rules' one policy on waiting: a syscall that blocks by nature (the collector's `blocking`
 * fact) never counts as slow or failing, since its latency is idle time and its errors (ETIMEDOUT from a
 * futex wait) are how a wait ends.
 */
export function excludedAsWaiting(e: Pick<SyscallEntry, 'blocking'>): boolean {
  return e.blocking;
}

/** "fsync(postgres)" */
export function syscallSubject(e: Pick<SyscallEntry, 'name' | 'comm'>): string {
  return `${e.name}(${e.comm})`;
}

// What an errno means decides whether it counts (design §5: an error that merely answers a probe is not a
// failure of the work). Three classes, Linux asm-generic numbers (x86_64 and arm64 agree on all of them):
//
//   failure  the operation did not get done and the program cannot make it succeed by asking differently:
//            a peer refused, reset or never answered, the disk failed or is full, a limit or a permission
//            stopped it. These count at the normal bar (syscall_error_warning_pct, syscall_error_min_per_sec).
//   answer   the call answered a question: "nothing yet" (EAGAIN, EINPROGRESS), "a signal came" (EINTR,
//            ERESTART*), "no such thing" (ENOENT from stat, open or execvp's PATH search; ESRCH, ECHILD),
//            "not that kind of file" (ESPIPE from CPython's seekability check of piped stdio, ENOTTY from
//            isatty, ENOTDIR, EISDIR), "not supported here" (ENOSYS from glibc probing clone3 or statx,
//            EOPNOTSUPP, EAFNOSUPPORT from IPv6 probes). Healthy programs produce them by the thousand; they
//            never warn on their own, whatever their volume.
//   other    everything else (EINVAL, EBADF, EFAULT, EBUSY, EADDRINUSE …) and errors the top-N errno list
//            does not itemise: a bug or a probe depending on the program, so they need the much higher bar
//            of syscall_error_other_pct and syscall_error_other_min_per_sec, and warn at most.
//
// The classes are judged by errno, not by a hand-kept list of benign (syscall, errno) pairs, which always
// misses the next program's probe. The one exception is where a syscall's own documentation gives an errno
// the meaning of an answer (QUESTIONS below): access() exists to ask "may I?", so any refusal is its
// answer; readlink() on a file that is not a symlink is EINVAL, and realpath() walks every component of a
// path that way (gcc's cc1plus: 1,480/s here); ioctl() says ENOTTY/EINVAL for a request this file does not
// support (isatty, terminal and feature probes); fcntl(F_GETFD) and close() say EBADF for "not open" (shells
// before a redirection, daemons closing every descriptor); prctl() says EINVAL for an option this kernel lacks;
// epoll_ctl() says EPERM for a file that cannot be polled (Go's runtime offers every file it opens to its
// netpoller and takes EPERM as "regular file": esbuild 219/s here, and so every Go daemon — containerd,
// kubelet, dockerd).
export type ErrnoClass = 'failure' | 'answer' | 'other';

const EPERM = 1;
const EINVAL = 22;
const EBADF = 9;
const ENOTTY = 25;
const ALL = 'all' as const;
const QUESTIONS: ReadonlyMap<string, ReadonlySet<number> | typeof ALL> = new Map<
  string,
  ReadonlySet<number> | typeof ALL
>([
  ['access', ALL],
  ['faccessat', ALL],
  ['faccessat2', ALL],
  ['readlink', new Set([EINVAL])],
  ['readlinkat', new Set([EINVAL])],
  ['ioctl', new Set([ENOTTY, EINVAL])],
  ['fcntl', new Set([EBADF])],
  ['close', new Set([EBADF])],
  ['prctl', new Set([EINVAL])],
  ['epoll_ctl', new Set([EPERM])],
]);

const FAILURE_ERRNOS: ReadonlySet<number> = new Set([
  1, // EPERM
  5, // EIO
  12, // ENOMEM
  13, // EACCES
  23, // ENFILE
  24, // EMFILE
  27, // EFBIG
  28, // ENOSPC
  30, // EROFS
  32, // EPIPE
  37, // ENOLCK
  100, // ENETDOWN
  101, // ENETUNREACH
  102, // ENETRESET
  103, // ECONNABORTED
  104, // ECONNRESET
  105, // ENOBUFS
  110, // ETIMEDOUT
  111, // ECONNREFUSED
  112, // EHOSTDOWN
  113, // EHOSTUNREACH
  116, // ESTALE
  121, // EREMOTEIO
  122, // EDQUOT
]);

const ANSWER_ERRNOS: ReadonlySet<number> = new Set([
  2, // ENOENT
  3, // ESRCH
  4, // EINTR
  6, // ENXIO
  10, // ECHILD
  11, // EAGAIN / EWOULDBLOCK
  17, // EEXIST
  20, // ENOTDIR
  21, // EISDIR
  25, // ENOTTY
  29, // ESPIPE
  38, // ENOSYS
  39, // ENOTEMPTY
  61, // ENODATA
  88, // ENOTSOCK
  92, // ENOPROTOOPT
  93, // EPROTONOSUPPORT
  95, // EOPNOTSUPP / ENOTSUP
  97, // EAFNOSUPPORT
  107, // ENOTCONN
  114, // EALREADY
  115, // EINPROGRESS
  512, // ERESTARTSYS
  513, // ERESTARTNOINTR
  514, // ERESTARTNOHAND
  516, // ERESTART_RESTARTBLOCK
]);

/** What an errno means; `syscall` only matters where its documentation makes the errno an answer. */
export function errnoClass(errno: number, syscall?: string): ErrnoClass {
  const q = syscall !== undefined ? QUESTIONS.get(syscall) : undefined;
  if (q === ALL || q?.has(errno)) return 'answer';
  if (FAILURE_ERRNOS.has(errno)) return 'failure';
  if (ANSWER_ERRNOS.has(errno)) return 'answer';
  return 'other';
}

/** One line per class, for `kerno explain` and the finding's evidence. */
export const ERRNO_CLASS_DOCS: Readonly<Record<ErrnoClass, string>> = {
  failure:
    'failure: the operation did not get done (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, EPIPE, EIO, ' +
    'ENOSPC, EDQUOT, EMFILE, ENFILE, ENOMEM, EACCES, EPERM, EROFS, ESTALE …): counts at the normal bar',
  answer:
    'answer: the call answered a probe (EAGAIN, EINTR, EINPROGRESS, ENOENT, ESPIPE, ENOTTY, ENOSYS, EEXIST, ' +
    'EOPNOTSUPP …; and where a syscall documents it so: any access() refusal, readlink() EINVAL, ' +
    'fcntl()/close() EBADF): never warns on its own',
  other:
    'other: meaning depends on the program (EINVAL, EBADF, EFAULT, EBUSY …, and errors not itemised): ' +
    'needs the higher bar, WARNING at most',
};

export interface ErrorBreakdown {
  /** Errors that reported a failure of the work. */
  failures: number;
  /** Errors that answered a probe. */
  answers: number;
  /** Everything else, including errors the top-N errno list does not itemise (unknown is not benign). */
  other: number;
  /** Itemised errnos of each class, largest first. */
  failing: ErrnoCount[];
  answering: ErrnoCount[];
  otherErrnos: ErrnoCount[];
}

export function errorBreakdown(e: SyscallEntry): ErrorBreakdown {
  const of = (c: ErrnoClass) => e.errnos.filter((x) => errnoClass(x.errno, e.name) === c);
  const sum = (xs: ErrnoCount[]) => xs.reduce((n, x) => n + x.count, 0);
  const failing = of('failure');
  const answering = of('answer');
  const otherErrnos = of('other');
  const failures = Math.min(e.errors, sum(failing));
  const answers = Math.min(e.errors - failures, sum(answering));
  return {
    failures,
    answers,
    other: Math.max(0, e.errors - failures - answers),
    failing,
    answering,
    otherErrnos,
  };
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
