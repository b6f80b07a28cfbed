// RingDrain: drains one BPF ring buffer on a background thread and delivers records to JS in batches.
// Producers submit with BPF_RB_NO_WAKEUP (design §3: a wakeup per event costs ~1.6 µs), so this thread does
// not wait for epoll wakeups: it consumes on a fixed interval, and still honours epoll for producers that
// do wake it. One ThreadSafeFunction call per batch; if JS falls behind (more than `maxPendingBytes` of
// records handed over and not yet delivered) new batches are dropped and counted — memory stays bounded and
// the loss is visible. The bound is in bytes, not batches: with a 1 ms interval a batch bound allowed only
// ~64 ms of JS lag, with 10 ms ten times that; a byte bound is the same memory and lag at any interval.
#pragma once
#include <napi.h>
#include <bpf/libbpf.h>

#include <atomic>
#include <mutex>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace kerno {

struct RingStatsSnapshot {
  uint64_t records = 0;
  uint64_t batches = 0;
  uint64_t droppedRecords = 0;
  uint64_t droppedBatches = 0;
  uint32_t pending = 0;       // batches handed to the ThreadSafeFunction, not yet delivered to JS
  uint64_t pendingBytes = 0;  // their size (framed records)
};

class RingDrain {
 public:
  // JS thread. Throws a JS error (and leaves the object unstarted) on failure; check ok().
  RingDrain(Napi::Env env, int map_fd, const std::string& map_name, Napi::Function cb, int interval_ms,
            size_t max_batch_records, uint64_t max_pending_bytes);
  ~RingDrain();
  bool ok() const { return started_; }
  // JS thread. Wakes the drainer, joins it after a final drain, releases the JS callback. Idempotent.
  void Stop();
  RingStatsSnapshot Stats() const;
  // JS thread. Consumes what the kernel has written right now and returns it (framed like a batch)
  // instead of waiting for the next interval; earlier batches already handed to the ThreadSafeFunction
  // are delivered through it first. Returns the record count.
  uint32_t DrainNow(std::vector<uint8_t>* out);

  // Drainer thread (called by libbpf from ring_buffer__consume).
  static int OnSample(void* ctx, void* data, size_t size);

 private:
  void Run();
  void Flush();

  struct ring_buffer* rb_ = nullptr;
  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  int wake_fd_ = -1;
  int interval_ms_;
  size_t max_batch_records_;
  uint64_t max_pending_bytes_;
  // Serialises ring_buffer__consume and the current batch between the drainer thread and DrainNow.
  std::mutex mu_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<uint32_t> pending_{0};
  std::atomic<uint64_t> pending_bytes_{0};
  // Current batch: records framed as [u32 length][bytes][pad to 4]. Drainer thread only.
  std::vector<uint8_t>* batch_ = nullptr;
  uint32_t batch_count_ = 0;
  std::atomic<uint64_t> records_{0}, batches_{0}, dropped_records_{0}, dropped_batches_{0};
};

}  // namespace kerno
