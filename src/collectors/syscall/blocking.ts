// Syscalls that block by design (waiting is their job): their latency is idle time, not a problem, so the
// syscall rules exclude them. The reference's x86_64 list (kerno-reference §3.1) plus the newer variants
// and the *_time64/clock waits that behave the same way.
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
];
