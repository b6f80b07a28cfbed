#include "ringbuf.hh"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "common.hh"
#include "object.hh"

namespace kerno {

namespace {
struct Delivery {
  std::vector<uint8_t>* data;
  uint32_t count;
  uint64_t bytes;
  std::atomic<uint32_t>* pending;
  std::atomic<uint64_t>* pending_bytes;
};
}  // namespace

RingDrain::RingDrain(Napi::Env env, int map_fd, const std::string& map_name, Napi::Function cb, int interval_ms,
                     size_t max_batch_records, uint64_t max_pending_bytes)
    : interval_ms_(interval_ms), max_batch_records_(max_batch_records), max_pending_bytes_(max_pending_bytes) {
  errno = 0;
  rb_ = ring_buffer__new(map_fd, &RingDrain::OnSample, this, nullptr);
  if (!rb_) {
    Throw(env, "open ring buffer " + map_name, errno ? errno : EINVAL);
    return;
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    Throw(env, "eventfd for ring buffer " + map_name, errno);
    ring_buffer__free(rb_);
    rb_ = nullptr;
    return;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, cb, "kerno:ringbuf:" + map_name, 0, 1);
  // The drainer must not keep the process alive on its own: whoever needs the events keeps a timer.
  tsfn_.Unref(env);
  batch_ = new std::vector<uint8_t>();
  started_ = true;
  thread_ = std::thread(&RingDrain::Run, this);
}

RingDrain::~RingDrain() { Stop(); }

int RingDrain::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingDrain*>(ctx);
  uint32_t len = static_cast<uint32_t>(size);
  size_t at = self->batch_->size();
  size_t padded = (size + 3) & ~static_cast<size_t>(3);
  self->batch_->resize(at + 4 + padded);
  memcpy(self->batch_->data() + at, &len, 4);
  memcpy(self->batch_->data() + at + 4, data, size);
  self->batch_count_++;
  self->records_++;
  // Bound a single batch; returning >0 stops this consume() pass after the current record is accounted.
  if (self->batch_count_ >= self->max_batch_records_) {
    self->Flush();
  }
  return 0;
}

void RingDrain::Flush() {
  if (batch_count_ == 0) return;
  uint64_t bytes = batch_->size();
  // One batch is always allowed when nothing is pending, so a batch larger than the bound still gets through.
  uint64_t queued = pending_bytes_.load();
  if (queued > 0 && queued + bytes > max_pending_bytes_) {
    dropped_records_ += batch_count_;
    dropped_batches_++;
    batch_->clear();
    batch_count_ = 0;
    return;
  }
  auto* d = new Delivery{batch_, batch_count_, bytes, &pending_, &pending_bytes_};
  pending_++;
  pending_bytes_ += bytes;
  batches_++;
  napi_status st = tsfn_.NonBlockingCall(d, [](Napi::Env env, Napi::Function fn, Delivery* dv) {
    dv->pending->fetch_sub(1);
    dv->pending_bytes->fetch_sub(dv->bytes);
    if (env != nullptr && fn != nullptr) {
      std::vector<uint8_t>* v = dv->data;
      auto buf = Napi::Buffer<uint8_t>::New(env, v->data(), v->size(),
                                            [](Napi::Env, uint8_t*, std::vector<uint8_t>* p) { delete p; }, v);
      fn.Call({buf, Napi::Number::New(env, dv->count)});
    } else {
      delete dv->data;
    }
    delete dv;
  });
  if (st != napi_ok) {
    pending_--;
    pending_bytes_ -= bytes;
    batches_--;
    dropped_records_ += batch_count_;
    dropped_batches_++;
    delete d->data;
    delete d;
  }
  batch_ = new std::vector<uint8_t>();
  batch_count_ = 0;
}

void RingDrain::Run() {
  struct pollfd fds[2];
  fds[0].fd = ring_buffer__epoll_fd(rb_);
  fds[0].events = POLLIN;
  fds[1].fd = wake_fd_;
  fds[1].events = POLLIN;
  while (!stopping_.load()) {
    fds[0].revents = fds[1].revents = 0;
    poll(fds, 2, interval_ms_);
    std::lock_guard<std::mutex> lock(mu_);
    ring_buffer__consume(rb_);
    Flush();
  }
  // Final drain so records produced just before stop are not lost.
  std::lock_guard<std::mutex> lock(mu_);
  ring_buffer__consume(rb_);
  Flush();
}

uint32_t RingDrain::DrainNow(std::vector<uint8_t>* out) {
  if (!started_ || stopped_) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  // Records the drainer consumed but had not handed over yet are returned here too, synchronously.
  ring_buffer__consume(rb_);
  uint32_t n = batch_count_;
  out->swap(*batch_);
  batch_->clear();
  batch_count_ = 0;
  return n;
}

void RingDrain::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  uint64_t one = 1;
  ssize_t w = write(wake_fd_, &one, sizeof(one));
  (void)w;
  if (thread_.joinable()) thread_.join();
  tsfn_.Release();
  ring_buffer__free(rb_);
  rb_ = nullptr;
  close(wake_fd_);
  wake_fd_ = -1;
  delete batch_;
  batch_ = nullptr;
}

RingStatsSnapshot RingDrain::Stats() const {
  RingStatsSnapshot s;
  s.records = records_.load();
  s.batches = batches_.load();
  s.droppedRecords = dropped_records_.load();
  s.droppedBatches = dropped_batches_.load();
  s.pending = pending_.load();
  s.pendingBytes = pending_bytes_.load();
  return s;
}

// ringOpen(map, callback(batch: Buffer, count: number), { intervalMs, maxBatchRecords, maxPendingBytes }) → id
Napi::Value BpfObject::RingOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF) {
    Throw(env, std::string("ring buffer ") + bpf_map__name(m) + ": not a BPF_MAP_TYPE_RINGBUF", EINVAL);
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "ringOpen(map, callback, opts)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int interval = 10;
  size_t max_batch = 65536;
  double max_pending_bytes = 64.0 * 1024 * 1024;
  if (info.Length() > 2 && info[2].IsObject()) {
    Napi::Object o = info[2].As<Napi::Object>();
    if (o.Has("intervalMs")) interval = o.Get("intervalMs").As<Napi::Number>().Int32Value();
    if (o.Has("maxBatchRecords")) max_batch = o.Get("maxBatchRecords").As<Napi::Number>().Uint32Value();
    if (o.Has("maxPendingBytes")) max_pending_bytes = o.Get("maxPendingBytes").As<Napi::Number>().DoubleValue();
  }
  if (interval < 1) interval = 1;
  if (max_batch < 1) max_batch = 1;
  if (!(max_pending_bytes >= 1)) max_pending_bytes = 1;
  auto drain = std::make_unique<RingDrain>(env, bpf_map__fd(m), bpf_map__name(m), info[1].As<Napi::Function>(),
                                           interval, max_batch, static_cast<uint64_t>(max_pending_bytes));
  if (!drain->ok()) return env.Undefined();  // exception already pending
  int id = next_id_++;
  rings_[id] = std::move(drain);
  return Napi::Number::New(env, id);
}

Napi::Value BpfObject::RingStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "ringStats(id: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto it = rings_.find(info[0].As<Napi::Number>().Int32Value());
  if (it == rings_.end()) return env.Null();
  RingStatsSnapshot s = it->second->Stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("records", Napi::Number::New(env, static_cast<double>(s.records)));
  o.Set("batches", Napi::Number::New(env, static_cast<double>(s.batches)));
  o.Set("droppedRecords", Napi::Number::New(env, static_cast<double>(s.droppedRecords)));
  o.Set("droppedBatches", Napi::Number::New(env, static_cast<double>(s.droppedBatches)));
  o.Set("pending", Napi::Number::New(env, s.pending));
  o.Set("pendingBytes", Napi::Number::New(env, static_cast<double>(s.pendingBytes)));
  return o;
}

// ringDrainNow(id) → { batch: Buffer, count } consumed synchronously (e.g. right before a snapshot).
Napi::Value BpfObject::RingDrainNow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "ringDrainNow(id: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto it = rings_.find(info[0].As<Napi::Number>().Int32Value());
  if (it == rings_.end()) return env.Null();
  auto* v = new std::vector<uint8_t>();
  uint32_t n = it->second->DrainNow(v);
  Napi::Object o = Napi::Object::New(env);
  o.Set("batch", Napi::Buffer<uint8_t>::New(env, v->data(), v->size(),
                                             [](Napi::Env, uint8_t*, std::vector<uint8_t>* p) { delete p; }, v));
  o.Set("count", Napi::Number::New(env, n));
  return o;
}

Napi::Value BpfObject::RingClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "ringClose(id: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto it = rings_.find(info[0].As<Napi::Number>().Int32Value());
  if (it != rings_.end()) {
    it->second->Stop();
    rings_.erase(it);
  }
  return env.Undefined();
}

}  // namespace kerno
