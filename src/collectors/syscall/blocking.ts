// Syscalls that block by nature (waiting is their job): their latency is idle time, not work. The collector
// marks their entries `blocking`; what that means for a diagnosis is the rules' business. The reference's x86_64 list (kerno-reference §3.1) plus the newer variants
// and the *_time64/clock waits that behave the same way.
//
// read/readv/preadv2/recv* are here too: on a pipe, socket or tty they wait for the peer (a shell waiting
// for a command's output, an idle agent reading its control pipe) and seconds-long p99s fired
// syscall_latency_high on idle hosts. The kernel tells file reads apart: read/readv/preadv2 of a regular
// file or block device are recorded as "read[file]" etc. (bpf/syscall.h), which are not in this list, so
// a slow disk read is measured. pread64/preadv only work on seekable files and stay measured.
export const BLOCKING_SYSCALLS: readonly string[] = [
  'poll',
  'select',
  'pause',
  'nanosleep',
  'accept',
  'wait4',
  'futex',
  'epoll_wait',
  'waitid',
  'pselect6',
  'ppoll',
  'epoll_pwait',
  'accept4',
  'epoll_pwait2',
  'clock_nanosleep',
  'rt_sigsuspend',
  'rt_sigtimedwait',
  'futex_waitv',
  'io_getevents',
  'io_pgetevents',
  'io_uring_enter',
  'msgrcv',
  'semtimedop',
  'mq_timedreceive',
  'read',
  'readv',
  'preadv2',
  'recvfrom',
  'recvmsg',
  'recvmmsg',
];
