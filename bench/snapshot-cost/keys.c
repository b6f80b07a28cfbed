// Creates many distinct (syscall, process) keys for the syscall collector: forks PROCS short-lived children,
// each making PER_PROC distinct cheap syscalls (raw syscall(2), so no libc caching), then exits.
// With PROCS × PER_PROC = 10 000 the collector's maps hold ~10 000 keys (plus the host's own).
//   keys PROCS PER_PROC          prints the number of keys it created
//   keys PROCS PER_PROC hold     the same, but the children stay alive (their keys are not compacted away)
//                                until stdin closes; they die with the parent (PR_SET_PDEATHSIG)
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];

// Each entry is one syscall number; arguments point at a scratch buffer or ask for harmless defaults.
static void call(int i) {
  switch (i) {
  case 0: syscall(SYS_getpid); break;
  case 1: syscall(SYS_getppid); break;
  case 2: syscall(SYS_getuid); break;
  case 3: syscall(SYS_getgid); break;
  case 4: syscall(SYS_geteuid); break;
  case 5: syscall(SYS_getegid); break;
  case 6: syscall(SYS_gettid); break;
  case 7: syscall(SYS_getpgrp); break;
  case 8: syscall(SYS_getsid, 0); break;
  case 9: syscall(SYS_getpgid, 0); break;
  case 10: syscall(SYS_sched_yield); break;
  case 11: syscall(SYS_getpriority, PRIO_PROCESS, 0); break;
  case 12: syscall(SYS_getrlimit, RLIMIT_NOFILE, buf); break;
  case 13: syscall(SYS_times, buf); break;
  case 14: syscall(SYS_uname, buf); break;
  case 15: syscall(SYS_sysinfo, buf); break;
  case 16: syscall(SYS_getcwd, buf, sizeof(buf)); break;
  case 17: syscall(SYS_getrusage, RUSAGE_SELF, buf); break;
  case 18: syscall(SYS_time, NULL); break;
  case 19: syscall(SYS_gettimeofday, buf, NULL); break;
  case 20: syscall(SYS_clock_gettime, CLOCK_MONOTONIC, buf); break;
  case 21: syscall(SYS_clock_getres, CLOCK_MONOTONIC, buf); break;
  case 22: syscall(SYS_getitimer, ITIMER_REAL, buf); break;
  case 23: syscall(SYS_sched_getscheduler, 0); break;
  case 24: syscall(SYS_sched_getparam, 0, buf); break;
  case 25: syscall(SYS_getgroups, 0, NULL); break;
  case 26: syscall(SYS_getresuid, buf, buf + 8, buf + 16); break;
  case 27: syscall(SYS_getresgid, buf, buf + 8, buf + 16); break;
  case 28: syscall(SYS_personality, 0xffffffffUL); break;
  case 29: syscall(SYS_sched_getaffinity, 0, 128, buf); break;
  case 30: syscall(SYS_getcpu, buf, buf + 8, NULL); break;
  case 31: syscall(SYS_close, -1); break;        /* EBADF: exercises the errno map */
  case 32: syscall(SYS_dup, -1); break;          /* EBADF */
  case 33: syscall(SYS_fcntl, -1, 1); break;     /* EBADF */
  case 34: syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, buf, 8); break;
  case 35: syscall(SYS_sigaltstack, NULL, buf); break;
  case 36: syscall(SYS_umask, 022); break;
  case 37: syscall(SYS_alarm, 0); break;
  case 38: syscall(SYS_getrandom, buf, 16, 0); break;
  case 39: syscall(SYS_capget, buf, buf + 64); break;
  }
}
#define NCALLS 40

int main(int argc, char **argv) {
  long procs = argc > 1 ? atol(argv[1]) : 334;
  long per = argc > 2 ? atol(argv[2]) : 30;
  if (per < 1 || per > NCALLS) {
    fprintf(stderr, "keys: PER_PROC must be 1..%d\n", NCALLS);
    return 2;
  }
  int hold = argc > 3 && argv[3][0] == 'h';
  pid_t parent = getpid();
  pid_t *kids = hold ? calloc(procs, sizeof(pid_t)) : NULL;
  int ready[2];
  if (hold && (!kids || pipe(ready) < 0)) {
    perror("keys: setup");
    return 1;
  }
  for (long p = 0; p < procs; p++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      if (hold) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
      }
      for (int i = 0; i < per; i++) call(i);
      if (!hold) _exit(0);
      char c = 1;
      if (write(ready[1], &c, 1) != 1) _exit(1);
      for (;;) pause();
    }
    if (hold) {
      kids[p] = pid;
      char c;
      if (read(ready[0], &c, 1) != 1) return 1;
    } else if (waitpid(pid, NULL, 0) < 0) {
      perror("waitpid");
      return 1;
    }
  }
  printf("%ld\n", procs * per);
  fflush(stdout);
  if (hold) {
    char b;
    while (read(0, &b, 1) > 0) {
    }
    for (long p = 0; p < procs; p++) kill(kids[p], SIGKILL);
    while (wait(NULL) > 0) {
    }
  }
  return 0;
}
