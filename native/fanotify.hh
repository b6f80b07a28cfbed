// A thin fanotify binding (fanotify_init / fanotify_mark / name_to_handle_at / open_by_handle_at and a reader
// thread). Which paths, which events and what they mean is decided in TypeScript (src/audit/).
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kerno {

// One file identifier of an event: `key` is "<fsid>:<handle type>:<handle hex>", the same string
// fileHandle() returns for a path, so TypeScript matches them without understanding handles.
struct FanInfo {
  uint8_t type;
  std::string key;
  int handle_type;
  std::vector<uint8_t> handle;
  std::string name;
  bool has_name = false;
};

struct FanEvent {
  uint64_t mask;
  int32_t pid;
  double time_ms;  // wall clock when read: fanotify events carry no timestamp
  std::string comm;
  bool has_comm = false;
  std::vector<FanInfo> infos;
};

class FanotifyReader : public Napi::ObjectWrap<FanotifyReader> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit FanotifyReader(const Napi::CallbackInfo& info);
  ~FanotifyReader();

 private:
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void Run();
  void Deliver(std::vector<FanEvent>* batch);
  void StopThread();

  int fd_ = -1;
  int wake_fd_ = -1;
  uint32_t max_pending_ = 256;
  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  // Shared with queued deliveries, which may run after this object is gone.
  std::shared_ptr<std::atomic<uint32_t>> pending_ = std::make_shared<std::atomic<uint32_t>>(0);
  std::atomic<uint64_t> events_{0}, dropped_events_{0}, read_errors_{0};
};

Napi::Value FanotifyInitFn(const Napi::CallbackInfo& info);
Napi::Value FanotifyMarkFn(const Napi::CallbackInfo& info);
Napi::Value FileHandleFn(const Napi::CallbackInfo& info);
Napi::Value PathOfHandleFn(const Napi::CallbackInfo& info);

}  // namespace kerno
