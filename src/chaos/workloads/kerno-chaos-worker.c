// kerno-chaos-worker: the real workloads behind `kerno chaos`. One small binary, one mode per workload.
//
// Why C and not Node: the scenarios need exact control over what the kernel sees — real threads that sleep
// with nanosleep (so sched_wakeup fires into a saturated run queue), raw openat calls that fail, O_DIRECT
// writes from aligned buffers, anonymous memory touched page by page with no runtime heap in the way.
//
// Contract with src/chaos (the only caller):
//   kerno-chaos-worker <mode> --duration-ms N [--parent-pid P] [--join FILE]... [mode options]
//   - every --join FILE gets this process's pid written to it BEFORE any work starts (cgroup.procs), so all
//     memory the workload touches is charged to the chaos cgroup;
//   - the process dies with its parent (PR_SET_PDEATHSIG) and exits by itself after --duration-ms, so a
//     SIGKILLed kerno never leaves a workload running for long;
//   - SIGTERM/SIGINT end the work early; the final line is still printed;
//   - stdout carries one JSON object per line: {"event":"ready",…} once set up, {"event":"progress",…}
//     about once a second, and {"event":"done",…} last. Errors go to stderr, exit code != 0.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h> // struct tcp_info with tcpi_segs_out (glibc's copy is older)
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#define MIB (1024ULL * 1024ULL)

static volatile sig_atomic_t stop_flag;
static int64_t deadline_ns;

// ------------------------------------------------------------------------------------------------ helpers

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int should_stop(void) { return stop_flag || now_ns() >= deadline_ns; }

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "kerno-chaos-worker: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

static void sleep_ns(int64_t ns) {
  if (ns <= 0) return;
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  // EINTR (a stop signal) simply ends the sleep early; the caller re-checks should_stop().
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

// Sleeps until `until` (monotonic ns) or a stop request, in slices so a stop is noticed within 50 ms.
static void sleep_until(int64_t until) {
  for (;;) {
    if (stop_flag) return;
    int64_t left = until - now_ns();
    if (left <= 0) return;
    sleep_ns(left > 50000000LL ? 50000000LL : left);
  }
}

static void burn_ns(int64_t ns) {
  int64_t end = now_ns() + ns;
  volatile uint64_t x = 1;
  while (now_ns() < end)
    for (int i = 0; i < 200; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

// ------------------------------------------------------------------------------------------------ args

#define MAX_ARGS 64
static const char *arg_keys[MAX_ARGS];
static const char *arg_vals[MAX_ARGS];
static int arg_count;

static const char *arg_str(const char *key, const char *def) {
  for (int i = arg_count - 1; i >= 0; i--)
    if (strcmp(arg_keys[i], key) == 0) return arg_vals[i];
  return def;
}

static uint64_t arg_u64(const char *key, uint64_t def) {
  const char *v = arg_str(key, NULL);
  if (!v) return def;
  char *end = NULL;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || !end || *end || end == v) die("invalid --%s value: %s", key, v);
  return n;
}

// ------------------------------------------------------------------------------------------------ histogram

// Log-linear: 16 sub-buckets per power of two, so a percentile is within ~6 % of the truth.
#define HIST_SUB 16
#define HIST_BUCKETS (64 * HIST_SUB)
struct hist {
  uint64_t n[HIST_BUCKETS];
  uint64_t count, max;
};

static int hist_index(uint64_t v) {
  if (v < HIST_SUB) return (int)v;
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - 4;
  int sub = (int)((v >> shift) & (HIST_SUB - 1));
  return (shift + 1) * HIST_SUB + sub;
}

static uint64_t hist_upper(int idx) {
  if (idx < HIST_SUB) return (uint64_t)idx;
  int shift = idx / HIST_SUB - 1;
  uint64_t sub = (uint64_t)(idx % HIST_SUB);
  return ((HIST_SUB + sub + 1) << shift) - 1;
}

static void hist_add(struct hist *h, uint64_t v) {
  h->n[hist_index(v)]++;
  h->count++;
  if (v > h->max) h->max = v;
}

static void hist_merge(struct hist *dst, const struct hist *src) {
  for (int i = 0; i < HIST_BUCKETS; i++) dst->n[i] += src->n[i];
  dst->count += src->count;
  if (src->max > dst->max) dst->max = src->max;
}

static uint64_t hist_pct(const struct hist *h, double p) {
  if (!h->count) return 0;
  uint64_t rank = (uint64_t)(p / 100.0 * (double)h->count + 0.5);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    seen += h->n[i];
    if (seen >= rank) {
      uint64_t up = hist_upper(i);
      return up < h->max ? up : h->max;
    }
  }
  return h->max;
}

// ------------------------------------------------------------------------------------------------ cpu

// Spinners keep every CPU's run queue full; wakers sleep 1 ms with nanosleep and burn briefly, so each
// wakeup lands in that full run queue. The waker measures its own oversleep (actual − requested), which is
// the run-queue wait plus timer latency: ground truth independent of any tracer.
struct cpu_waker {
  pthread_t th;
  int64_t sleep_ns, burn_ns;
  struct hist oversleep;
  uint64_t wakeups;
};

static void *cpu_spin(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "kchaos-spin");
  while (!should_stop()) burn_ns(2000000);
  return NULL;
}

static void *cpu_wake(void *arg) {
  struct cpu_waker *w = arg;
  prctl(PR_SET_NAME, "kchaos-wake");
  prctl(PR_SET_TIMERSLACK, 1UL);
  while (!should_stop()) {
    int64_t t0 = now_ns();
    sleep_ns(w->sleep_ns);
    int64_t over = now_ns() - t0 - w->sleep_ns;
    hist_add(&w->oversleep, over > 0 ? (uint64_t)over : 0);
    w->wakeups++;
    burn_ns(w->burn_ns);
  }
  return NULL;
}

static int mode_cpu(void) {
  int spinners = (int)arg_u64("spinners", 4);
  int wakers = (int)arg_u64("wakers", 4);
  int64_t sleep = (int64_t)arg_u64("sleep-us", 1000) * 1000;
  int64_t burn = (int64_t)arg_u64("burn-us", 100) * 1000;
  pthread_t *sp = calloc((size_t)spinners, sizeof(*sp));
  struct cpu_waker *wk = calloc((size_t)wakers, sizeof(*wk));
  if (!sp || !wk) die("out of memory");
  for (int i = 0; i < spinners; i++)
    if (pthread_create(&sp[i], NULL, cpu_spin, NULL)) die("pthread_create spinner: %s", strerror(errno));
  for (int i = 0; i < wakers; i++) {
    wk[i].sleep_ns = sleep;
    wk[i].burn_ns = burn;
    if (pthread_create(&wk[i].th, NULL, cpu_wake, &wk[i])) die("pthread_create waker: %s", strerror(errno));
  }
  emit("{\"event\":\"ready\",\"pid\":%d,\"spinners\":%d,\"wakers\":%d}", getpid(), spinners, wakers);
  while (!should_stop()) {
    sleep_until(now_ns() + 1000000000LL);
    uint64_t n = 0;
    for (int i = 0; i < wakers; i++) n += wk[i].wakeups;
    emit("{\"event\":\"progress\",\"wakeups\":%llu}", (unsigned long long)n);
  }
  for (int i = 0; i < spinners; i++) pthread_join(sp[i], NULL);
  struct hist *all = calloc(1, sizeof(*all));
  if (!all) die("out of memory");
  for (int i = 0; i < wakers; i++) {
    pthread_join(wk[i].th, NULL);
    hist_merge(all, &wk[i].oversleep);
  }
  emit("{\"event\":\"done\",\"wakeups\":%llu,\"oversleepP50Ns\":%llu,\"oversleepP99Ns\":%llu,"
       "\"oversleepMaxNs\":%llu}",
       (unsigned long long)all->count, (unsigned long long)hist_pct(all, 50), (unsigned long long)hist_pct(all, 99),
       (unsigned long long)all->max);
  return 0;
}

// ------------------------------------------------------------------------------------------------ fd-leak

static int mode_fd_leak(void) {
  uint64_t rate = arg_u64("rate", 50);
  uint64_t socket_every = arg_u64("socket-every", 5);
  const char *file = arg_str("file", NULL);
  if (!file) die("fd-leak needs --file");
  // Leak up to the hard limit, not the (often 1024) soft one, so the leak lasts the whole duration.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  int fd0 = open(file, O_RDONLY | O_CREAT, 0600);
  if (fd0 < 0) die("open %s: %s", file, strerror(errno));
  emit("{\"event\":\"ready\",\"pid\":%d,\"fdLimit\":%llu}", getpid(), (unsigned long long)rl.rlim_cur);
  uint64_t opened = 1, files = 1, sockets = 0;
  int exhausted = 0, exhausted_errno = 0;
  int64_t start = now_ns(), next_report = start + 1000000000LL;
  while (!should_stop()) {
    int64_t t = now_ns();
    uint64_t due = (uint64_t)((double)(t - start) / 1e9 * (double)rate) + 1;
    while (!exhausted && opened < due) {
      int fd;
      int is_socket = socket_every && (opened % socket_every) == 0;
      if (is_socket)
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      else
        fd = openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          exhausted = 1;
          exhausted_errno = errno;
          emit("{\"event\":\"exhausted\",\"errno\":%d,\"opened\":%llu}", errno, (unsigned long long)opened);
          break;
        }
        die("open: %s", strerror(errno));
      }
      opened++;
      if (is_socket)
        sockets++;
      else
        files++;
    }
    if (t >= next_report) {
      emit("{\"event\":\"progress\",\"opened\":%llu}", (unsigned long long)opened);
      next_report += 1000000000LL;
    }
    sleep_ns(5000000);
  }
  double secs = (double)(now_ns() - start) / 1e9;
  emit("{\"event\":\"done\",\"opened\":%llu,\"files\":%llu,\"sockets\":%llu,\"exhausted\":%s,\"exhaustedErrno\":%d,"
       "\"seconds\":%.3f}",
       (unsigned long long)opened, (unsigned long long)files, (unsigned long long)sockets,
       exhausted ? "true" : "false", exhausted_errno, secs);
  return 0;
}

// ------------------------------------------------------------------------------------------------ syscall-errors

// connect() to a loopback port nobody listens on fails with ECONNREFUSED: a client whose dependency is
// down, the failure syscall_error_rate exists to show (an errno that reports the work failing, not one
// that answers a probe). The port is held by a bound, non-listening socket of our own, so no other
// process can start listening on it mid-run. Paced in 10 ms batches; the pacing sleep is nanosleep, which
// kerno excludes as a blocking syscall.
static int mode_syscall_errors(void) {
  uint64_t rate = arg_u64("rate", 1000);
  int hold = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (hold < 0) die("socket: %s", strerror(errno));
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(hold, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("bind 127.0.0.1:0: %s", strerror(errno));
  socklen_t alen = sizeof(addr);
  if (getsockname(hold, (struct sockaddr *)&addr, &alen) < 0) die("getsockname: %s", strerror(errno));
  emit("{\"event\":\"ready\",\"pid\":%d,\"syscall\":\"connect\",\"port\":%d}", getpid(), ntohs(addr.sin_port));
  uint64_t calls = 0, errors = 0, refused = 0;
  int64_t start = now_ns(), next_report = start + 1000000000LL;
  while (!should_stop()) {
    int64_t t = now_ns();
    uint64_t due = (uint64_t)((double)(t - start) / 1e9 * (double)rate) + 1;
    while (calls < due) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) die("socket: %s", strerror(errno));
      long r = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
      calls++;
      if (r < 0) {
        errors++;
        if (errno == ECONNREFUSED) refused++;
      }
      close(fd);
    }
    if (t >= next_report) {
      emit("{\"event\":\"progress\",\"calls\":%llu,\"errors\":%llu}", (unsigned long long)calls,
           (unsigned long long)errors);
      next_report += 1000000000LL;
    }
    sleep_ns(10000000);
  }
  close(hold);
  double secs = (double)(now_ns() - start) / 1e9;
  emit("{\"event\":\"done\",\"syscall\":\"connect\",\"calls\":%llu,\"errors\":%llu,\"refused\":%llu,"
       "\"seconds\":%.3f,\"ratePerSec\":%.1f}",
       (unsigned long long)calls, (unsigned long long)errors, (unsigned long long)refused, secs,
       secs > 0 ? (double)calls / secs : 0.0);
  return 0;
}

// ------------------------------------------------------------------------------------------------ disk

struct disk_writer {
  pthread_t th;
  int idx;
  const char *dir;
  size_t block;
  uint64_t max_bytes;
  int direct;
  struct hist lat;
  uint64_t bytes;
};

static void *disk_write(void *arg) {
  struct disk_writer *w = arg;
  prctl(PR_SET_NAME, "kchaos-disk");
  char path[4096];
  snprintf(path, sizeof(path), "%s/writer-%d", w->dir, w->idx);
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_DSYNC;
  int fd = w->direct ? open(path, flags | O_DIRECT, 0600) : -1;
  if (fd < 0) fd = open(path, flags, 0600); // filesystems without O_DIRECT: buffered + O_DSYNC
  if (fd < 0) die("open %s: %s", path, strerror(errno));
  void *buf;
  if (posix_memalign(&buf, 4096, w->block)) die("posix_memalign: out of memory");
  uint64_t seed = (uint64_t)now_ns() ^ ((uint64_t)w->idx << 32);
  for (size_t i = 0; i < w->block / 8; i++) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    ((uint64_t *)buf)[i] = seed;
  }
  uint64_t off = 0;
  while (!should_stop()) {
    int64_t t0 = now_ns();
    ssize_t n = pwrite(fd, buf, w->block, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOSPC) break;
      die("pwrite %s: %s", path, strerror(errno));
    }
    hist_add(&w->lat, (uint64_t)(now_ns() - t0));
    w->bytes += (uint64_t)n;
    off += (uint64_t)n;
    // Wrap instead of growing: overwrites keep the disk busy without filling the filesystem.
    if (off + w->block > w->max_bytes) off = 0;
  }
  free(buf);
  close(fd);
  return NULL;
}

static int mode_disk(void) {
  int writers = (int)arg_u64("writers", 4);
  size_t block = (size_t)arg_u64("block", 4096);
  uint64_t max_bytes = arg_u64("max-file-bytes", 16 * MIB);
  int direct = (int)arg_u64("direct", 1);
  const char *dir = arg_str("dir", NULL);
  if (!dir) die("disk needs --dir");
  if (block < 512 || block % 512) die("--block must be a multiple of 512");
  struct disk_writer *w = calloc((size_t)writers, sizeof(*w));
  if (!w) die("out of memory");
  for (int i = 0; i < writers; i++) {
    w[i].idx = i;
    w[i].dir = dir;
    w[i].block = block;
    w[i].max_bytes = max_bytes;
    w[i].direct = direct;
    if (pthread_create(&w[i].th, NULL, disk_write, &w[i])) die("pthread_create: %s", strerror(errno));
  }
  emit("{\"event\":\"ready\",\"pid\":%d,\"writers\":%d,\"block\":%zu}", getpid(), writers, block);
  int64_t start = now_ns();
  while (!should_stop()) {
    sleep_until(now_ns() + 1000000000LL);
    uint64_t n = 0, b = 0;
    for (int i = 0; i < writers; i++) n += w[i].lat.count, b += w[i].bytes;
    emit("{\"event\":\"progress\",\"writes\":%llu,\"bytes\":%llu}", (unsigned long long)n, (unsigned long long)b);
  }
  struct hist *all = calloc(1, sizeof(*all));
  if (!all) die("out of memory");
  uint64_t bytes = 0;
  for (int i = 0; i < writers; i++) {
    pthread_join(w[i].th, NULL);
    hist_merge(all, &w[i].lat);
    bytes += w[i].bytes;
  }
  double secs = (double)(now_ns() - start) / 1e9;
  emit("{\"event\":\"done\",\"writes\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"writeP50Ns\":%llu,\"writeP99Ns\":%llu,"
       "\"writeMaxNs\":%llu}",
       (unsigned long long)all->count, (unsigned long long)bytes, secs, (unsigned long long)hist_pct(all, 50),
       (unsigned long long)hist_pct(all, 99), (unsigned long long)all->max);
  return 0;
}

// ------------------------------------------------------------------------------------------------ memory

static uint64_t page_size;

static void touch(char *p, uint64_t len, uint64_t seed) {
  for (uint64_t o = 0; o < len; o += page_size) p[o] = (char)(seed + o / page_size + 1);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 // Linux 5.14; older headers lack it
#endif

// Allocates [p, p+len) as touch() does, with the page faults taken in one system call. What the guest
// kernel accounts is the same (anonymous pages charged to this cgroup); only their content differs (zeros).
// Measured here for 18–19 GiB: touch() 70–79 s (~16 µs a page; 79 s with 17 GiB of page cache to reclaim,
// over 120 s once in CI), MADV_POPULATE_WRITE 4–25 s (7–12 s with that page cache). Writing a byte to each
// page after populating still cost ~30 s: the first non-zero write to a guest page is what is slow on this
// hypervisor, so the pages stay zero. Kernels before 5.14 (EINVAL), or a populate cut short at the cgroup
// limit (ENOMEM), fault page by page instead, so what the kernel does at the limit is unchanged.
static void fault_in(char *p, uint64_t len, uint64_t seed) {
  if (madvise(p, len, MADV_POPULATE_WRITE) != 0) touch(p, len, seed);
}

static char *map_anon(uint64_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap %llu bytes: %s", (unsigned long long)len, strerror(errno));
  return p;
}

// Holds anonymous memory that grows linearly from --start-bytes to --end-bytes over --ramp-ms, then stays.
static int mode_mem_ramp(void) {
  uint64_t start_b = arg_u64("start-bytes", 64 * MIB);
  uint64_t end_b = arg_u64("end-bytes", start_b);
  int64_t ramp = (int64_t)arg_u64("ramp-ms", 10000) * 1000000LL;
  if (end_b < start_b) end_b = start_b;
  char *mem = map_anon(end_b);
  fault_in(mem, start_b, 0);
  uint64_t held = start_b;
  int64_t t0 = now_ns(), next_report = t0 + 1000000000LL;
  emit("{\"event\":\"ready\",\"pid\":%d,\"heldBytes\":%llu}", getpid(), (unsigned long long)held);
  while (!should_stop()) {
    int64_t el = now_ns() - t0;
    uint64_t want = el >= ramp ? end_b : start_b + (uint64_t)((double)(end_b - start_b) * (double)el / (double)ramp);
    want -= want % page_size;
    if (want > held) {
      fault_in(mem + held, want - held, held);
      held = want;
    }
    if (now_ns() >= next_report) {
      emit("{\"event\":\"progress\",\"heldBytes\":%llu}", (unsigned long long)held);
      next_report += 1000000000LL;
    }
    sleep_ns(50000000);
  }
  emit("{\"event\":\"done\",\"heldBytes\":%llu}", (unsigned long long)held);
  return 0;
}

// Allocates and touches memory until the kernel's OOM killer ends it. Reaching --max-bytes alive means the
// cgroup limit did not apply: that is an error, not a success.
static int mode_mem_oom(void) {
  uint64_t chunk = arg_u64("chunk-bytes", 4 * MIB);
  uint64_t max_b = arg_u64("max-bytes", 1024 * MIB);
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (write(fd, "1000", 4) < 0) { /* best effort: the cgroup limit alone decides the victim */
    }
    close(fd);
  }
  emit("{\"event\":\"ready\",\"pid\":%d}", getpid());
  uint64_t held = 0;
  while (held < max_b && !should_stop()) {
    char *p = map_anon(chunk);
    touch(p, chunk, held);
    held += chunk;
  }
  emit("{\"event\":\"done\",\"heldBytes\":%llu,\"survived\":true}", (unsigned long long)held);
  return held >= max_b ? 4 : 0;
}

// Reclaim/refault pressure inside a small memory cgroup: an anonymous working set that is kept hot plus a
// file larger than the cgroup's room, read over and over. Every pass must fault the file back in from
// disk (refaults of recently evicted pages), and every charge beyond the limit forces direct reclaim.
static int mode_page_cache(void) {
  const char *file = arg_str("file", NULL);
  uint64_t file_b = arg_u64("file-bytes", 256 * MIB);
  uint64_t anon_b = arg_u64("anon-bytes", 0);
  uint64_t chunk = 1 * MIB;
  if (!file) die("page-cache needs --file");
  int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) die("open %s: %s", file, strerror(errno));
  char *buf = malloc(chunk);
  if (!buf) die("out of memory");
  struct stat st;
  if (fstat(fd, &st) || (uint64_t)st.st_size < file_b) {
    for (uint64_t o = 0; o < file_b && !should_stop(); o += chunk) {
      memset(buf, (int)(o / chunk) | 1, chunk);
      if (pwrite(fd, buf, chunk, (off_t)o) != (ssize_t)chunk) die("write %s: %s", file, strerror(errno));
    }
    fdatasync(fd);
  }
  // Pages cached by whoever wrote the file earlier are charged elsewhere and would make every access a hit:
  // drop them, so each page is read from disk and charged to this cgroup.
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  char *anon = anon_b ? map_anon(anon_b) : NULL;
  if (anon) touch(anon, anon_b, 7);
  emit("{\"event\":\"ready\",\"pid\":%d}", getpid());
  uint64_t passes = 0, bytes = 0, faults0 = 0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  faults0 = (uint64_t)ru.ru_majflt;
  char *map = mmap(NULL, file_b, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("mmap %s: %s", file, strerror(errno));
  // Random page order: nearly every access misses, and each major fault reads a whole read-around window
  // (the device's read_ahead_kb) into a cgroup that has no room for it, so every fault forces direct
  // reclaim of the cgroup's own pages — the stall that PSI "memory" counts.
  uint64_t pages = file_b / page_size, x = 88172645463325252ULL ^ (arg_u64("seed", 0) * 0x9E3779B97F4A7C15ULL);
  volatile char sink = 0;
  int64_t next_report = now_ns() + 1000000000LL, next_anon = 0;
  while (!should_stop()) {
    for (int i = 0; i < 256; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      sink += map[(x % pages) * page_size];
    }
    bytes += 256 * page_size;
    int64_t t = now_ns();
    if (anon && t >= next_anon) {
      touch(anon, anon_b, passes); // keep the anonymous set hot so reclaim must take the file
      passes++;
      next_anon = t + 100000000LL;
    }
    if (t >= next_report) {
      getrusage(RUSAGE_SELF, &ru);
      emit("{\"event\":\"progress\",\"bytesTouched\":%llu,\"majorFaults\":%llu}", (unsigned long long)bytes,
           (unsigned long long)((uint64_t)ru.ru_majflt - faults0));
      next_report += 1000000000LL;
    }
  }
  (void)sink;
  getrusage(RUSAGE_SELF, &ru);
  emit("{\"event\":\"done\",\"bytesTouched\":%llu,\"majorFaults\":%llu}", (unsigned long long)bytes,
       (unsigned long long)((uint64_t)ru.ru_majflt - faults0));
  return 0;
}

// ------------------------------------------------------------------------------------------------ tcp

static int parse_addr(const char *ip, uint64_t port, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int mode_tcp_recv(void) {
  const char *ip = arg_str("bind", "0.0.0.0");
  uint64_t port = arg_u64("port", 0);
  struct sockaddr_in sa;
  if (parse_addr(ip, port, &sa)) die("invalid --bind %s", ip);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(ls, (struct sockaddr *)&sa, sizeof(sa))) die("bind %s:%llu: %s", ip, (unsigned long long)port, strerror(errno));
  if (listen(ls, 64)) die("listen: %s", strerror(errno));
  emit("{\"event\":\"ready\",\"pid\":%d}", getpid());
  struct pollfd fds[65];
  int nfds = 1;
  fds[0].fd = ls;
  fds[0].events = POLLIN;
  static char buf[256 * 1024];
  uint64_t bytes = 0;
  while (!should_stop()) {
    int r = poll(fds, (nfds_t)nfds, 100);
    if (r <= 0) continue;
    if ((fds[0].revents & POLLIN) && nfds < 65) {
      int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) {
        fds[nfds].fd = c;
        fds[nfds].events = POLLIN;
        fds[nfds].revents = 0;
        nfds++;
      }
    }
    for (int i = 1; i < nfds; i++) {
      if (!fds[i].revents) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        bytes += (uint64_t)n;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i] = fds[--nfds];
        i--;
      }
    }
  }
  emit("{\"event\":\"done\",\"bytesReceived\":%llu}", (unsigned long long)bytes);
  return 0;
}

struct tcp_stream {
  pthread_t th;
  struct sockaddr_in dst;
  size_t chunk;
  uint64_t bytes, retrans, segs_out;
  int connected;
  char local[64];
};

static void *tcp_send(void *arg) {
  struct tcp_stream *s = arg;
  prctl(PR_SET_NAME, "kchaos-tcpsend");
  char *buf = malloc(s->chunk);
  if (!buf) die("out of memory");
  uint64_t x = (uint64_t)now_ns();
  for (size_t i = 0; i + 8 <= s->chunk; i += 8) {
    x = x * 6364136223846793005ULL + 1;
    memcpy(buf + i, &x, 8);
  }
  int fd = -1;
  // The receiver may still be starting, and the SYN itself may be dropped: retry until stopped.
  while (!should_stop()) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&s->dst, sizeof(s->dst)) == 0) break;
    close(fd);
    fd = -1;
    sleep_ns(100000000);
  }
  if (fd >= 0) {
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    getsockname(fd, (struct sockaddr *)&me, &len);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip));
    snprintf(s->local, sizeof(s->local), "%s:%u", ip, ntohs(me.sin_port));
    s->connected = 1;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)); // so a stop is noticed while the window is shut
    while (!should_stop()) {
      ssize_t n = send(fd, buf, s->chunk, MSG_NOSIGNAL);
      if (n > 0)
        s->bytes += (uint64_t)n;
      else if (n < 0 && errno != EINTR && errno != EAGAIN)
        break;
    }
    struct tcp_info ti;
    len = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
      s->retrans = ti.tcpi_total_retrans;
      s->segs_out = ti.tcpi_segs_out;
    }
    close(fd);
  }
  free(buf);
  return NULL;
}

static int mode_tcp_send(void) {
  const char *ip = arg_str("connect", NULL);
  uint64_t port = arg_u64("port", 0);
  int streams = (int)arg_u64("streams", 4);
  size_t chunk = (size_t)arg_u64("chunk", 64 * 1024);
  if (!ip || !port) die("tcp-send needs --connect and --port");
  struct tcp_stream *s = calloc((size_t)streams, sizeof(*s));
  if (!s) die("out of memory");
  for (int i = 0; i < streams; i++) {
    if (parse_addr(ip, port, &s[i].dst)) die("invalid --connect %s", ip);
    s[i].chunk = chunk;
    if (pthread_create(&s[i].th, NULL, tcp_send, &s[i])) die("pthread_create: %s", strerror(errno));
  }
  emit("{\"event\":\"ready\",\"pid\":%d,\"streams\":%d}", getpid(), streams);
  int announced = 0;
  while (!should_stop()) {
    sleep_until(now_ns() + (announced ? 1000000000LL : 100000000LL));
    if (!announced) {
      int all = 1;
      for (int i = 0; i < streams; i++) all &= s[i].connected;
      if (!all) continue;
      announced = 1;
      for (int i = 0; i < streams; i++) emit("{\"event\":\"connected\",\"local\":\"%s\"}", s[i].local);
    }
    uint64_t b = 0;
    for (int i = 0; i < streams; i++) b += s[i].bytes;
    emit("{\"event\":\"progress\",\"bytesSent\":%llu}", (unsigned long long)b);
  }
  uint64_t bytes = 0, retrans = 0, segs = 0;
  int connected = 0;
  for (int i = 0; i < streams; i++) {
    pthread_join(s[i].th, NULL);
    bytes += s[i].bytes;
    retrans += s[i].retrans;
    segs += s[i].segs_out;
    connected += s[i].connected;
  }
  emit("{\"event\":\"done\",\"bytesSent\":%llu,\"connected\":%d,\"socketRetransSegs\":%llu,\"socketSegsOut\":%llu}",
       (unsigned long long)bytes, connected, (unsigned long long)retrans, (unsigned long long)segs);
  return 0;
}

// ------------------------------------------------------------------------------------------------ main

static void on_stop(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void join_cgroup(const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("join %s: %s", path, strerror(errno));
  char pid[32];
  int n = snprintf(pid, sizeof(pid), "%d\n", getpid());
  if (write(fd, pid, (size_t)n) != n) die("join %s: %s", path, strerror(errno));
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage: kerno-chaos-worker <mode> --duration-ms N [options]");
  const char *mode = argv[1];
  page_size = (uint64_t)sysconf(_SC_PAGESIZE);
  for (int i = 2; i < argc; i++) {
    if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) die("bad argument: %s", argv[i]);
    if (arg_count >= MAX_ARGS) die("too many arguments");
    arg_keys[arg_count] = argv[i] + 2;
    arg_vals[arg_count] = argv[i + 1];
    arg_count++;
    i++;
  }
  // Join cgroups first: nothing this process allocates may be charged elsewhere.
  for (int i = 0; i < arg_count; i++)
    if (strcmp(arg_keys[i], "join") == 0) join_cgroup(arg_vals[i]);

  uint64_t parent = arg_u64("parent-pid", 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent && (uint64_t)getppid() != parent) die("parent %llu already gone", (unsigned long long)parent);

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop; // no SA_RESTART: blocking calls return EINTR so the stop is seen at once
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  uint64_t duration_ms = arg_u64("duration-ms", 0);
  if (!duration_ms) die("--duration-ms is required");
  deadline_ns = now_ns() + (int64_t)duration_ms * 1000000LL;

  char comm[16];
  snprintf(comm, sizeof(comm), "kchaos-%s", mode);
  prctl(PR_SET_NAME, arg_str("comm", comm));

  if (strcmp(mode, "cpu") == 0) return mode_cpu();
  if (strcmp(mode, "fd-leak") == 0) return mode_fd_leak();
  if (strcmp(mode, "syscall-errors") == 0) return mode_syscall_errors();
  if (strcmp(mode, "disk") == 0) return mode_disk();
  if (strcmp(mode, "mem-ramp") == 0) return mode_mem_ramp();
  if (strcmp(mode, "mem-oom") == 0) return mode_mem_oom();
  if (strcmp(mode, "page-cache") == 0) return mode_page_cache();
  if (strcmp(mode, "tcp-recv") == 0) return mode_tcp_recv();
  if (strcmp(mode, "tcp-send") == 0) return mode_tcp_send();
  die("unknown mode %s", mode);
  return 2;
}
