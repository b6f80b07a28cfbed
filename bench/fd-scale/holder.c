// Holds many processes with many open descriptors, for the fd collector at node scale.
//   holder PROCS FDS     forks PROCS children named "kerno-fdhold"; each opens FDS descriptors on
//                        /dev/null and waits. Prints "ready" once every child has opened them all, then
//                        holds until its stdin closes; it then kills its children and reaps them. Children
//                        also die with it (PR_SET_PDEATHSIG), so nothing outlives the bench.
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long procs = argc > 1 ? atol(argv[1]) : 100;
  long fds = argc > 2 ? atol(argv[2]) : 100;
  pid_t *kids = calloc(procs, sizeof(pid_t));
  int ready[2];
  if (!kids || pipe(ready) < 0) {
    perror("holder: setup");
    return 1;
  }
  prctl(PR_SET_NAME, "kerno-fdhold");
  pid_t parent = getpid();
  long made = 0;
  for (; made < procs; made++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("holder: fork");
      break;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      close(ready[0]);
      for (long i = 0; i < fds; i++) {
        if (open("/dev/null", O_RDONLY) < 0) {
          perror("holder: open");
          break;
        }
      }
      char c = 1;
      if (write(ready[1], &c, 1) != 1) _exit(1);
      for (;;) pause();
    }
    kids[made] = pid;
  }
  close(ready[1]);
  for (long n = 0; n < made;) {
    char buf[4096];
    ssize_t r = read(ready[0], buf, sizeof buf);
    if (r <= 0) break;
    n += r;
  }
  printf("ready %ld\n", made);
  fflush(stdout);
  char b;
  while (read(0, &b, 1) > 0) {
  }
  for (long i = 0; i < made; i++) kill(kids[i], SIGKILL);
  while (wait(NULL) > 0) {
  }
  return made == procs ? 0 : 1;
}
