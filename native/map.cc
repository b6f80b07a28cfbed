// Map access for BpfObject. Keys and values cross as raw Buffers and structs are decoded in TypeScript.
// Per-CPU values are folded HERE when the caller passes a reduce spec (u64 sums by default, max or
// first-non-empty at the offsets the spec names): folding runs per key per CPU, so it is native, while which
// field folds how is the caller's choice (src/bpf/read.ts). dump()/dumpChunk() read many keys per native
// call (batch lookups where the kernel supports them), so a snapshot of 10 000 keys costs a handful of
// syscalls, not 20 000 JS→C++ crossings.
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common.hh"
#include "object.hh"

namespace kerno {

namespace {

bool IsPerCpu(enum bpf_map_type t) {
  return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
         t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

bool IsArray(enum bpf_map_type t) { return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY; }

// Size of a value as user space sees it: per-CPU maps return one 8-byte-aligned slot per possible CPU.
int PossibleCpus() {
  int n = libbpf_num_possible_cpus();
  return n > 0 ? n : 1;
}

size_t UserValueSize(struct bpf_map* m) {
  size_t vs = bpf_map__value_size(m);
  if (!IsPerCpu(bpf_map__type(m))) return vs;
  return ((vs + 7) & ~static_cast<size_t>(7)) * static_cast<size_t>(PossibleCpus());
}

bool CheckBuf(Napi::Env env, const Napi::Value& v, size_t want, const char* what, const std::string& map) {
  if (!v.IsBuffer()) {
    Napi::TypeError::New(env, std::string(what) + " must be a Buffer").ThrowAsJavaScriptException();
    return false;
  }
  size_t got = v.As<Napi::Buffer<uint8_t>>().Length();
  if (got != want) {
    Napi::TypeError::New(env, "map " + map + ": " + what + " is " + std::to_string(got) + " bytes, expected " +
                                  std::to_string(want))
        .ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// get_next_key walk: the portable fallback. Returns -errno on failure.
int DumpByIteration(int fd, size_t ks, size_t vs, std::vector<uint8_t>& keys, std::vector<uint8_t>& vals,
                    size_t& count) {
  std::vector<uint8_t> cur(ks), next(ks), val(vs);
  bool first = true;
  while (true) {
    int r = bpf_map_get_next_key(fd, first ? nullptr : cur.data(), next.data());
    if (r) {
      int err = -r;
      if (err == ENOENT) return 0;
      return -err;
    }
    first = false;
    if (bpf_map_lookup_elem(fd, next.data(), val.data()) == 0) {
      keys.insert(keys.end(), next.begin(), next.end());
      vals.insert(vals.end(), val.begin(), val.end());
      count++;
    }
    cur.swap(next);
  }
}

// Growable, uninitialised byte buffer handed to JS without a copy. A dump of 10 000 per-CPU histograms is
// tens of MB: zero-filling and re-copying it (std::vector) cost more than the kernel's own copy. It lives in
// its own anonymous mapping (grown with mremap, returned with munmap) rather than in malloc: glibc raises
// its mmap threshold after freeing a large chunk, so later dumps would come from the heap, which only gives
// memory back to the OS from its top.
struct RawBuf {
  uint8_t* data = nullptr;
  size_t size = 0;
  size_t cap = 0;
  RawBuf() = default;
  RawBuf(const RawBuf&) = delete;
  RawBuf& operator=(const RawBuf&) = delete;
  ~RawBuf() { Unmap(data, cap); }
  static void Unmap(uint8_t* p, size_t len) {
    if (p) munmap(p, len);
  }
  bool Reserve(size_t want) {
    if (want <= cap) return true;
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t next = cap ? cap : page;
    while (next < want) next *= 2;
    void* p = data ? mremap(data, cap, next, MREMAP_MAYMOVE)
                   : mmap(nullptr, next, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    data = static_cast<uint8_t*>(p);
    cap = next;
    return true;
  }
  // Hands the mapping over (pointer, length to unmap); the RawBuf is empty afterwards.
  std::pair<uint8_t*, size_t> Release() {
    std::pair<uint8_t*, size_t> r{data, cap};
    data = nullptr;
    size = cap = 0;
    return r;
  }
};

int DumpByBatch(int fd, size_t ks, size_t vs, uint32_t max_entries, RawBuf& keys, RawBuf& vals, size_t& count) {
  // Hash batch cursors are opaque; 8 bytes covers both hash (bucket index) and array (u32 index) kinds.
  uint64_t in_batch = 0, out_batch = 0;
  bool first = true;
  uint32_t chunk = max_entries < 4096 ? (max_entries ? max_entries : 1) : 4096;
  while (true) {
    // The kernel writes straight into the tail of the output buffers; a map never holds more than
    // max_entries, which is all a caller's fixed buffers are sized for.
    size_t room = max_entries > count ? max_entries - count : 0;
    if (room == 0) return 0;
    __u32 n = chunk < room ? chunk : static_cast<__u32>(room);
    if (!keys.Reserve((count + n) * ks) || !vals.Reserve((count + n) * vs)) return -ENOMEM;
    int r = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch, keys.data + count * ks,
                                 vals.data + count * vs, &n, nullptr);
    int err = r ? -r : 0;
    if (err && err != ENOENT) {
      if (err == ENOSPC && n < room) {  // a hash bucket bigger than the chunk: grow and retry
        chunk = chunk * 2 > max_entries ? max_entries : chunk * 2;
        continue;
      }
      return -err;
    }
    count += n;
    if (err == ENOENT) return 0;
    in_batch = out_batch;
    first = false;
  }
}

Napi::Buffer<uint8_t> RawToBuffer(Napi::Env env, RawBuf& b, size_t used) {
  auto [d, len] = b.Release();
  if (!d) return Napi::Buffer<uint8_t>::New(env, 0);
  return Napi::Buffer<uint8_t>::New(
      env, d, used, [](Napi::Env, uint8_t* p, size_t* mapped) { RawBuf::Unmap(p, *mapped), delete mapped; },
      new size_t(len));
}

Napi::Buffer<uint8_t> ToBuffer(Napi::Env env, std::vector<uint8_t>&& v) {
  auto* heap = new std::vector<uint8_t>(std::move(v));
  return Napi::Buffer<uint8_t>::New(env, heap->data(), heap->size(),
                                    [](Napi::Env, uint8_t*, std::vector<uint8_t>* p) { delete p; }, heap);
}

}  // namespace

Napi::Value BpfObject::MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  if (!CheckBuf(env, info[1], bpf_map__key_size(m), "key", name)) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  std::vector<uint8_t> val(UserValueSize(m));
  int r = bpf_map_lookup_elem(bpf_map__fd(m), key.Data(), val.data());
  if (r) {
    int err = -r;
    if (err == ENOENT) return env.Null();
    Throw(env, "lookup map " + name, err);
    return env.Undefined();
  }
  return ToBuffer(env, std::move(val));
}

Napi::Value BpfObject::MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  if (!CheckBuf(env, info[1], bpf_map__key_size(m), "key", name)) return env.Undefined();
  if (!CheckBuf(env, info[2], UserValueSize(m), "value", name)) return env.Undefined();
  uint64_t flags = info.Length() > 3 && info[3].IsNumber() ? static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value()) : static_cast<uint64_t>(BPF_ANY);
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto val = info[2].As<Napi::Buffer<uint8_t>>();
  int r = bpf_map_update_elem(bpf_map__fd(m), key.Data(), val.Data(), flags);
  if (r) Throw(env, "update map " + name, -r);
  return env.Undefined();
}

// Deletes `count` keys packed back to back in one buffer: BPF_MAP_DELETE_BATCH where the map supports it
// (one system call for all of them instead of one each: compacting 10 000 keys of exited processes cost
// ~400 ms of single deletes on a guest), else one delete per key. A key already gone is skipped, not an
// error. Returns how many keys were deleted.
Napi::Value BpfObject::MapDeleteMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  if (!info[1].IsBuffer()) {
    Throw(env, "delete from map " + name + ": keys must be a Buffer", EINVAL);
    return env.Undefined();
  }
  auto keys = info[1].As<Napi::Buffer<uint8_t>>();
  const size_t ks = bpf_map__key_size(m);
  if (ks == 0 || keys.Length() % ks != 0) {
    Throw(env, "delete from map " + name + ": keys buffer is not a whole number of keys", EINVAL);
    return env.Undefined();
  }
  const int fd = bpf_map__fd(m);
  const uint32_t total = static_cast<uint32_t>(keys.Length() / ks);
  uint32_t done = 0, deleted = 0;
  bool batch = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  while (done < total) {
    if (batch) {
      uint32_t n = total - done;
      int r = bpf_map_delete_batch(fd, keys.Data() + static_cast<size_t>(done) * ks, &n, &opts);
      done += n;
      deleted += n;
      if (r == 0) continue;
      int err = -r;
      if (err == ENOENT) {
        done++;  // this key was already gone: skip it and go on with the rest
        continue;
      }
      if ((err == EINVAL || err == 524 /* ENOTSUPP */ || err == EOPNOTSUPP) && n == 0) {
        batch = false;  // no batch ops for this map kind (or kernel): one at a time
        continue;
      }
      Throw(env, "delete batch from map " + name, err);
      return env.Undefined();
    }
    int r = bpf_map_delete_elem(fd, keys.Data() + static_cast<size_t>(done) * ks);
    done++;
    if (r == 0) {
      deleted++;
    } else if (-r != ENOENT) {
      Throw(env, "delete from map " + name, -r);
      return env.Undefined();
    }
  }
  return Napi::Number::New(env, deleted);
}

Napi::Value BpfObject::MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  if (!CheckBuf(env, info[1], bpf_map__key_size(m), "key", name)) return env.Undefined();
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  int r = bpf_map_delete_elem(bpf_map__fd(m), key.Data());
  if (r) {
    int err = -r;
    if (err == ENOENT) return Napi::Boolean::New(env, false);
    Throw(env, "delete from map " + name, err);
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

namespace {

// How to fold one key's per-CPU copies into one value. Every 8-byte lane is summed unless it is listed as a
// max lane (e.g. a histogram's max_ns) or lies in a "first" byte range (e.g. a comm that only the inserting
// CPU's copy holds: the first CPU whose range is non-zero wins).
struct PerCpuReduce {
  std::vector<uint8_t> lane_max;                      // per lane: 1 = max instead of sum
  std::vector<std::pair<size_t, size_t>> first;       // [offset, length) byte ranges
  std::vector<uint8_t> lane_first;                    // per lane: 1 = inside a "first" range
};

// Parses { max?: number[], first?: [offset, length][] } against a value of `vs` bytes. Throws and returns
// false on a malformed spec (a lane off the end, a range crossing lanes it does not own, …).
bool ParseReduce(Napi::Env env, const Napi::Value& v, size_t vs, const std::string& map, PerCpuReduce& out) {
  auto fail = [&](const std::string& why) {
    Napi::TypeError::New(env, "dump map " + map + ": reduce: " + why).ThrowAsJavaScriptException();
    return false;
  };
  if (!v.IsObject()) return fail("must be an object");
  if (vs % 8) return fail("value size " + std::to_string(vs) + " is not a multiple of 8");
  size_t lanes = vs / 8;
  out.lane_max.assign(lanes, 0);
  out.lane_first.assign(lanes, 0);
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("max") && !o.Get("max").IsUndefined()) {
    if (!o.Get("max").IsArray()) return fail("max must be an array of byte offsets");
    Napi::Array a = o.Get("max").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsNumber()) return fail("max offsets must be numbers");
      int64_t off = e.As<Napi::Number>().Int64Value();
      if (off < 0 || off % 8 || static_cast<size_t>(off) + 8 > vs)
        return fail("max offset " + std::to_string(off) + " is not an 8-byte lane of the value");
      out.lane_max[off / 8] = 1;
    }
  }
  if (o.Has("first") && !o.Get("first").IsUndefined()) {
    if (!o.Get("first").IsArray()) return fail("first must be an array of [offset, length]");
    Napi::Array a = o.Get("first").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsArray() || e.As<Napi::Array>().Length() != 2) return fail("first entries must be [offset, length]");
      Napi::Array r = e.As<Napi::Array>();
      if (!r.Get(0u).IsNumber() || !r.Get(1u).IsNumber()) return fail("first entries must be numbers");
      int64_t off = r.Get(0u).As<Napi::Number>().Int64Value(), len = r.Get(1u).As<Napi::Number>().Int64Value();
      if (off < 0 || len <= 0 || off % 8 || len % 8 || static_cast<size_t>(off + len) > vs)
        return fail("first range [" + std::to_string(off) + ", " + std::to_string(len) +
                    "] is not whole 8-byte lanes of the value");
      out.first.emplace_back(static_cast<size_t>(off), static_cast<size_t>(len));
      for (int64_t l = off / 8; l < (off + len) / 8; l++) out.lane_first[l] = 1;
    }
  }
  return true;
}

// What a dump of a map hands back per key: every CPU's copy (`vs` bytes), or, given a reduce spec and a
// per-CPU map, one folded value (`out_vs`, the kernel's value size). False with an exception pending.
struct DumpLayout {
  size_t ks = 0, vs = 0, out_vs = 0;
  size_t slot = 0;  // one CPU's copy, 8-byte aligned
  int ncpu = 1;
  bool reduce = false;
  PerCpuReduce red;
};

bool LayoutFor(Napi::Env env, struct bpf_map* m, const Napi::Value& spec, const std::string& name, DumpLayout& l) {
  l.ks = bpf_map__key_size(m);
  l.vs = UserValueSize(m);
  l.ncpu = PossibleCpus();
  l.reduce = !spec.IsUndefined() && IsPerCpu(bpf_map__type(m));
  l.out_vs = l.reduce ? bpf_map__value_size(m) : l.vs;
  l.slot = (l.out_vs + 7) & ~static_cast<size_t>(7);
  return !l.reduce || ParseReduce(env, spec, l.out_vs, name, l.red);
}

// Folds `ncpu` copies (`slot` bytes apart) of one value into `dst` (`vs` bytes).
void ReduceValue(const uint8_t* src, size_t slot, int ncpu, size_t vs, const PerCpuReduce& red, uint8_t* dst) {
  size_t lanes = vs / 8;
  for (size_t l = 0; l < lanes; l++) {
    if (red.lane_first[l]) continue;
    uint64_t acc = 0;
    bool max = red.lane_max[l];
    for (int c = 0; c < ncpu; c++) {
      uint64_t x;
      memcpy(&x, src + c * slot + l * 8, 8);
      acc = max ? (x > acc ? x : acc) : acc + x;
    }
    memcpy(dst + l * 8, &acc, 8);
  }
  for (const auto& [off, len] : red.first) {
    memset(dst + off, 0, len);
    for (int c = 0; c < ncpu; c++) {
      const uint8_t* p = src + c * slot + off;
      bool nonzero = false;
      for (size_t b = 0; b < len && !nonzero; b++) nonzero = p[b] != 0;
      if (nonzero) {
        memcpy(dst + off, p, len);
        break;
      }
    }
  }
}

// Batch dump of a per-CPU map, folding each key's copies as it goes. The kernel writes a bounded chunk
// (≈256 KiB, cache-sized, at least 32 keys) into a reused scratch buffer, so user space never holds every
// CPU's copy of every key: 10 000 histograms on a 64-CPU host would otherwise be 1.4 GB per read.
int DumpReduced(int fd, size_t ks, size_t vs, int ncpu, uint32_t max_entries, const PerCpuReduce& red,
                RawBuf& keys, RawBuf& vals, size_t& count) {
  size_t slot = (vs + 7) & ~static_cast<size_t>(7);
  size_t per_key = slot * static_cast<size_t>(ncpu);
  uint32_t limit = max_entries ? max_entries : 1;
  uint32_t chunk = static_cast<uint32_t>(std::max<size_t>(32, (256u << 10) / per_key));
  if (chunk > limit) chunk = limit;
  RawBuf scratch;  // not malloc: same reason as the output buffers
  uint64_t in_batch = 0, out_batch = 0;
  bool first = true;
  while (true) {
    size_t room = limit > count ? limit - count : 0;
    if (room == 0) return 0;
    __u32 n = chunk < room ? chunk : static_cast<__u32>(room);
    if (!scratch.Reserve(static_cast<size_t>(n) * per_key)) return -ENOMEM;
    if (!keys.Reserve((count + n) * ks) || !vals.Reserve((count + n) * vs)) return -ENOMEM;
    int r = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch, keys.data + count * ks,
                                 scratch.data, &n, nullptr);
    int err = r ? -r : 0;
    if (err && err != ENOENT) {
      if (err == ENOSPC && n < room) {  // a hash bucket bigger than the chunk: grow and retry
        chunk = chunk * 2 > limit ? limit : chunk * 2;
        continue;
      }
      return -err;
    }
    for (__u32 i = 0; i < n; i++)
      ReduceValue(scratch.data + i * per_key, slot, ncpu, vs, red, vals.data + (count + i) * vs);
    count += n;
    if (err == ENOENT) return 0;
    in_batch = out_batch;
    first = false;
  }
}

}  // namespace

// mapDump(name, reduce?) → { keys: Buffer, values: Buffer, count, keySize, valueSize }
// With `reduce` ({ max?: lane offsets, first?: [offset, length][] }) a per-CPU map comes back with one
// folded value per key (valueSize = the kernel's value size); without it, every CPU's copy.
Napi::Value BpfObject::MapDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  DumpLayout l;
  if (!LayoutFor(env, m, info[1], name, l)) return env.Undefined();
  const auto& [ks, vs, out_vs, slot, ncpu, reduce, red] = l;
  int fd = bpf_map__fd(m);
  uint32_t max_entries = bpf_map__max_entries(m);
  RawBuf bkeys, bvals;
  size_t count = 0;
  int r = reduce ? DumpReduced(fd, ks, out_vs, ncpu, max_entries, red, bkeys, bvals, count)
                 : DumpByBatch(fd, ks, vs, max_entries, bkeys, bvals, count);
  if (r < 0 && r != -ENOMEM) {
    // No batch ops for this map here: walk it (folding as we go) into the same output.
    std::vector<uint8_t> keys, vals;
    count = 0;
    r = DumpByIteration(fd, ks, vs, keys, vals, count);
    if (r == 0 && (!bkeys.Reserve(count * ks + 1) || !bvals.Reserve(count * out_vs + 1))) r = -ENOMEM;
    for (size_t i = 0; r == 0 && i < count; i++) {
      memcpy(bkeys.data + i * ks, keys.data() + i * ks, ks);
      if (reduce)
        ReduceValue(vals.data() + i * vs, slot, ncpu, out_vs, red, bvals.data + i * out_vs);
      else
        memcpy(bvals.data + i * vs, vals.data() + i * vs, vs);
    }
  }
  if (r < 0) {
    Throw(env, "dump map " + name, -r);
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("keys", RawToBuffer(env, bkeys, count * ks));
  o.Set("values", RawToBuffer(env, bvals, count * out_vs));
  o.Set("count", Napi::Number::New(env, static_cast<double>(count)));
  o.Set("keySize", Napi::Number::New(env, static_cast<double>(ks)));
  o.Set("valueSize", Napi::Number::New(env, static_cast<double>(out_vs)));
  return o;
}

// mapDumpChunk(name, reduce?, cursor: Buffer(8) | null, into: { keys, values, scratch? })
//   → { count, cursor: Buffer(8), done }
// One batch read continuing from `cursor` (null: from the start), of at most as many entries as the
// caller's buffers hold, written into them (folded into `values` through `scratch` with `reduce`). A
// reader walks a big map in cache-sized pieces and keeps no copy of it: 10 000 histograms are ~22 MB.
Napi::Value BpfObject::MapDumpChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  auto fail = [&](const std::string& why) {
    Napi::TypeError::New(env, "dump map " + name + ": " + why).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  DumpLayout l;
  if (!LayoutFor(env, m, info[1], name, l)) return env.Undefined();
  const auto& [ks, vs, out_vs, slot, ncpu, reduce, red] = l;
  bool first = info.Length() < 3 || info[2].IsNull() || info[2].IsUndefined();
  uint64_t in_batch = 0, out_batch = 0;
  if (!first) {
    if (!info[2].IsBuffer() || info[2].As<Napi::Buffer<uint8_t>>().Length() != 8)
      return fail("cursor must be the 8-byte Buffer a previous chunk returned, or null");
    memcpy(&in_batch, info[2].As<Napi::Buffer<uint8_t>>().Data(), 8);
  }
  if (info.Length() < 4 || !info[3].IsObject()) return fail("into must be { keys, values, scratch? }");
  Napi::Object into = info[3].As<Napi::Object>();
  if (!into.Get("keys").IsBuffer() || !into.Get("values").IsBuffer() ||
      (reduce && !into.Get("scratch").IsBuffer()))
    return fail(reduce ? "into must be { keys, values, scratch } Buffers" : "into must be { keys, values } Buffers");
  auto keys = into.Get("keys").As<Napi::Buffer<uint8_t>>();
  auto vals = into.Get("values").As<Napi::Buffer<uint8_t>>();
  size_t cap = std::min(keys.Length() / ks, vals.Length() / out_vs);
  uint8_t* dst = vals.Data();
  if (reduce) {
    auto scratch = into.Get("scratch").As<Napi::Buffer<uint8_t>>();
    cap = std::min(cap, scratch.Length() / (slot * static_cast<size_t>(ncpu)));
    dst = scratch.Data();
  }
  cap = std::min<size_t>(cap, bpf_map__max_entries(m));
  if (cap == 0) return fail("into buffers hold no entry");
  __u32 n = static_cast<__u32>(cap);
  int r = bpf_map_lookup_batch(bpf_map__fd(m), first ? nullptr : &in_batch, &out_batch, keys.Data(), dst, &n,
                               nullptr);
  int err = r ? -r : 0;
  if (err && err != ENOENT) {
    Throw(env, "dump map " + name, err);
    return env.Undefined();
  }
  if (reduce)
    for (__u32 i = 0; i < n; i++)
      ReduceValue(dst + i * slot * ncpu, slot, ncpu, out_vs, red, vals.Data() + i * out_vs);
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", Napi::Number::New(env, n));
  o.Set("cursor", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(&out_batch), 8));
  o.Set("done", Napi::Boolean::New(env, err == ENOENT));
  o.Set("keySize", Napi::Number::New(env, static_cast<double>(ks)));
  o.Set("valueSize", Napi::Number::New(env, static_cast<double>(out_vs)));
  return o;
}

// mapClear(name) → number of entries removed (arrays: zeroed). Used to start a new window.
Napi::Value BpfObject::MapClear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  std::string name = bpf_map__name(m);
  int fd = bpf_map__fd(m);
  size_t ks = bpf_map__key_size(m), vs = UserValueSize(m);
  double n = 0;
  if (IsArray(bpf_map__type(m))) {
    std::vector<uint8_t> zero(vs, 0);
    for (uint32_t i = 0; i < bpf_map__max_entries(m); i++) {
      int r = bpf_map_update_elem(fd, &i, zero.data(), BPF_ANY);
      if (r) {
        Throw(env, "clear map " + name, -r);
        return env.Undefined();
      }
      n++;
    }
    return Napi::Number::New(env, n);
  }
  // Collect first, then delete: deleting while walking with get_next_key restarts the walk.
  std::vector<uint8_t> keys, vals;
  size_t count = 0;
  int r = DumpByIteration(fd, ks, 0 + vs, keys, vals, count);
  if (r < 0) {
    Throw(env, "clear map " + name, -r);
    return env.Undefined();
  }
  for (size_t i = 0; i < count; i++) {
    if (bpf_map_delete_elem(fd, keys.data() + i * ks) == 0) n++;
  }
  return Napi::Number::New(env, n);
}

}  // namespace kerno
