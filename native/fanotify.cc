#include "fanotify.hh"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "common.hh"

namespace kerno {

namespace {

std::string Hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; i++) {
    s.push_back(d[p[i] >> 4]);
    s.push_back(d[p[i] & 15]);
  }
  return s;
}

std::string Key(const int32_t fsid[2], int handle_type, const uint8_t* handle, size_t n) {
  char head[64];
  snprintf(head, sizeof(head), "%08x%08x:%d:", static_cast<uint32_t>(fsid[0]), static_cast<uint32_t>(fsid[1]),
           handle_type);
  return head + Hex(handle, n);
}

// Read as soon as the event is, on the reader thread: the process may exit (and be reaped) moments later.
bool ReadComm(int32_t pid, std::string* out) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/comm", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[64];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0')) n--;
  out->assign(buf, static_cast<size_t>(n));
  return true;
}

std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* usage) {
  if (info.Length() <= i || !info[i].IsString()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return std::string();
  }
  return info[i].As<Napi::String>().Utf8Value();
}

}  // namespace

// fanotifyInit(flags, eventFlags) → fd
Napi::Value FanotifyInitFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "fanotifyInit(flags: number, eventFlags: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = fanotify_init(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value());
  if (fd < 0) {
    Throw(env, "fanotify_init", errno);
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// fanotifyMark(fd, flags, mask, path)
Napi::Value FanotifyMarkFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "fanotifyMark(fd: number, flags: number, mask: number, path: string)";
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = PathArg(info, 3, usage);
  if (env.IsExceptionPending()) return env.Undefined();
  uint64_t mask = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
  if (fanotify_mark(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Uint32Value(), mask,
                    AT_FDCWD, path.c_str()) < 0) {
    Throw(env, "fanotify_mark " + path, errno);
    return env.Undefined();
  }
  return env.Undefined();
}

// fileHandle(path) → key: the identifier fanotify reports for this object (symlinks followed, as by the mark).
Napi::Value FileHandleFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0, "fileHandle(path: string)");
  if (env.IsExceptionPending()) return env.Undefined();
  struct statfs sfs;
  if (statfs(path.c_str(), &sfs) < 0) {
    Throw(env, "statfs " + path, errno);
    return env.Undefined();
  }
  alignas(struct file_handle) uint8_t storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  auto* fh = reinterpret_cast<struct file_handle*>(storage);
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  if (name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, AT_SYMLINK_FOLLOW) < 0) {
    Throw(env, "name_to_handle_at " + path, errno);
    return env.Undefined();
  }
  int32_t fsid[2];
  memcpy(fsid, &sfs.f_fsid, sizeof(fsid));
  return Napi::String::New(env, Key(fsid, fh->handle_type, fh->f_handle, fh->handle_bytes));
}

// pathOfHandle(pathOnSameFs, handleType, handle) → the object's current path, or null when it is gone.
Napi::Value PathOfHandleFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "pathOfHandle(mountPath: string, handleType: number, handle: Buffer)";
  std::string mount = PathArg(info, 0, usage);
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsBuffer()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[2].As<Napi::Buffer<uint8_t>>();
  if (buf.Length() > MAX_HANDLE_SZ) return env.Null();
  alignas(struct file_handle) uint8_t storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  auto* fh = reinterpret_cast<struct file_handle*>(storage);
  fh->handle_bytes = static_cast<unsigned>(buf.Length());
  fh->handle_type = info[1].As<Napi::Number>().Int32Value();
  memcpy(fh->f_handle, buf.Data(), buf.Length());
  // Not O_PATH: open_by_handle_at's mount fd goes through fdget(), which refuses O_PATH descriptors.
  int mfd = open(mount.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (mfd < 0) return env.Null();
  int fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
  close(mfd);
  if (fd < 0) return env.Null();
  char link[64], target[4096];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  close(fd);
  if (n <= 0) return env.Null();
  return Napi::String::New(env, std::string(target, static_cast<size_t>(n)));
}

Napi::Function FanotifyReader::Init(Napi::Env env) {
  return DefineClass(env, "FanotifyReader",
                     {InstanceMethod("stop", &FanotifyReader::Stop), InstanceMethod("stats", &FanotifyReader::Stats)});
}

// new FanotifyReader(fd, callback(events[]), { maxPending }): reads `fd` (not owned: the caller closes it
// after stop()) on a thread; batches the JS thread has not taken yet beyond maxPending are dropped and counted.
FanotifyReader::FanotifyReader(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FanotifyReader>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "new FanotifyReader(fd: number, callback, opts?)").ThrowAsJavaScriptException();
    return;
  }
  fd_ = info[0].As<Napi::Number>().Int32Value();
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object o = info[2].As<Napi::Object>();
    if (o.Has("maxPending")) max_pending_ = o.Get("maxPending").As<Napi::Number>().Uint32Value();
  }
  if (max_pending_ < 1) max_pending_ = 1;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    Throw(env, "eventfd for fanotify reader", errno);
    return;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "kerno:fanotify", 0, 1);
  // Like the ring drainer: whoever waits for events keeps the process alive, not this thread.
  tsfn_.Unref(env);
  started_ = true;
  thread_ = std::thread(&FanotifyReader::Run, this);
}

FanotifyReader::~FanotifyReader() { StopThread(); }

void FanotifyReader::Run() {
  std::vector<char> buf(256 * 1024);
  struct pollfd fds[2];
  fds[0].fd = fd_;
  fds[0].events = POLLIN;
  fds[1].fd = wake_fd_;
  fds[1].events = POLLIN;
  bool last = false;
  while (true) {
    if (!last) {
      fds[0].revents = fds[1].revents = 0;
      poll(fds, 2, -1);
      // On stop, one last pass reads what is already queued, so events just before the end are not lost.
      if (stopping_.load()) last = true;
    }
    auto* batch = new std::vector<FanEvent>();
    while (true) {
      ssize_t n = read(fd_, buf.data(), buf.size());
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EINTR) read_errors_++;
        break;
      }
      double now = std::chrono::duration<double, std::milli>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
      auto* m = reinterpret_cast<struct fanotify_event_metadata*>(buf.data());
      ssize_t left = n;
      for (; FAN_EVENT_OK(m, left); m = FAN_EVENT_NEXT(m, left)) {
        if (m->vers != FANOTIFY_METADATA_VERSION) continue;
        FanEvent e;
        e.mask = m->mask;
        e.pid = m->pid;
        e.time_ms = now;
        if (m->fd >= 0) close(m->fd);
        const char* p = reinterpret_cast<const char*>(m) + m->metadata_len;
        const char* end = reinterpret_cast<const char*>(m) + m->event_len;
        while (p + sizeof(struct fanotify_event_info_header) <= end) {
          auto* h = reinterpret_cast<const struct fanotify_event_info_header*>(p);
          if (h->len < sizeof(*h) || p + h->len > end) break;
          uint8_t t = h->info_type;
          bool fid = t == FAN_EVENT_INFO_TYPE_FID || t == FAN_EVENT_INFO_TYPE_DFID ||
                     t == FAN_EVENT_INFO_TYPE_DFID_NAME || t == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
                     t == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME;
          if (fid && h->len >= sizeof(struct fanotify_event_info_fid) + sizeof(struct file_handle)) {
            auto* f = reinterpret_cast<const struct fanotify_event_info_fid*>(p);
            auto* fh = reinterpret_cast<const struct file_handle*>(f->handle);
            const uint8_t* hb = reinterpret_cast<const uint8_t*>(fh->f_handle);
            const char* after = reinterpret_cast<const char*>(hb) + fh->handle_bytes;
            if (after <= p + h->len) {
              FanInfo fi;
              fi.type = t;
              int32_t fsid[2];
              memcpy(fsid, &f->fsid, sizeof(fsid));
              fi.handle_type = fh->handle_type;
              fi.handle.assign(hb, hb + fh->handle_bytes);
              fi.key = Key(fsid, fh->handle_type, hb, fh->handle_bytes);
              if (t == FAN_EVENT_INFO_TYPE_DFID_NAME || t == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
                  t == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
                fi.name.assign(after, strnlen(after, static_cast<size_t>(p + h->len - after)));
                fi.has_name = true;
              }
              e.infos.push_back(std::move(fi));
            }
          }
          p += h->len;
        }
        if (e.pid > 0) e.has_comm = ReadComm(e.pid, &e.comm);
        batch->push_back(std::move(e));
      }
    }
    if (batch->empty()) {
      delete batch;
    } else {
      events_ += batch->size();
      Deliver(batch);
    }
    if (last) break;
  }
}

void FanotifyReader::Deliver(std::vector<FanEvent>* batch) {
  if (pending_->load() >= max_pending_) {
    dropped_events_ += batch->size();
    delete batch;
    return;
  }
  (*pending_)++;
  std::shared_ptr<std::atomic<uint32_t>> pending = pending_;
  napi_status st = tsfn_.NonBlockingCall(batch, [pending](Napi::Env env, Napi::Function fn, std::vector<FanEvent>* b) {
    (*pending)--;
    if (env != nullptr && fn != nullptr) {
      Napi::Array arr = Napi::Array::New(env, b->size());
      for (size_t i = 0; i < b->size(); i++) {
        const FanEvent& e = (*b)[i];
        Napi::Object o = Napi::Object::New(env);
        o.Set("mask", Napi::Number::New(env, static_cast<double>(e.mask)));
        o.Set("pid", Napi::Number::New(env, e.pid));
        o.Set("timeMs", Napi::Number::New(env, e.time_ms));
        o.Set("comm", e.has_comm ? Napi::String::New(env, e.comm) : env.Null());
        Napi::Array infos = Napi::Array::New(env, e.infos.size());
        for (size_t j = 0; j < e.infos.size(); j++) {
          const FanInfo& fi = e.infos[j];
          Napi::Object io = Napi::Object::New(env);
          io.Set("type", Napi::Number::New(env, fi.type));
          io.Set("key", Napi::String::New(env, fi.key));
          io.Set("handleType", Napi::Number::New(env, fi.handle_type));
          io.Set("handle", Napi::Buffer<uint8_t>::Copy(env, fi.handle.data(), fi.handle.size()));
          if (fi.has_name) io.Set("name", Napi::String::New(env, fi.name));
          infos.Set(static_cast<uint32_t>(j), io);
        }
        o.Set("infos", infos);
        arr.Set(static_cast<uint32_t>(i), o);
      }
      fn.Call({arr});
    }
    delete b;
  });
  if (st != napi_ok) {
    (*pending_)--;
    dropped_events_ += batch->size();
    delete batch;
  }
}

void FanotifyReader::StopThread() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  uint64_t one = 1;
  ssize_t w = write(wake_fd_, &one, sizeof(one));
  (void)w;
  if (thread_.joinable()) thread_.join();
  tsfn_.Release();
  close(wake_fd_);
  wake_fd_ = -1;
}

Napi::Value FanotifyReader::Stop(const Napi::CallbackInfo& info) {
  StopThread();
  return info.Env().Undefined();
}

Napi::Value FanotifyReader::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("events", Napi::Number::New(env, static_cast<double>(events_.load())));
  o.Set("droppedEvents", Napi::Number::New(env, static_cast<double>(dropped_events_.load())));
  o.Set("readErrors", Napi::Number::New(env, static_cast<double>(read_errors_.load())));
  o.Set("pending", Napi::Number::New(env, pending_->load()));
  return o;
}

}  // namespace kerno
