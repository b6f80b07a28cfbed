#include "object.hh"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <cstring>
#include <set>
#include <vector>

#include "common.hh"
#include "log.hh"
#include "ringbuf.hh"

namespace kerno {

namespace {

// Every live object, so the env cleanup hook can close what JS forgot (process exit, worker teardown).
std::set<BpfObject*>& LiveObjects() {
  static std::set<BpfObject*> live;
  return live;
}

std::string ProgTypeStr(struct bpf_program* p) {
  const char* s = libbpf_bpf_prog_type_str(bpf_program__type(p));
  return s ? s : "unknown";
}

std::string AttachTypeStr(struct bpf_program* p) {
  const char* s = libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(p));
  return s ? s : "";
}

bool IsStringArg(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].IsString(); }

// Verifier logs can be large; the tail explains the rejection. 4 MiB keeps even big logs complete
// without the kernel truncating (which would turn the real error into ENOSPC).
constexpr size_t kVerifierLogSize = 4 * 1024 * 1024;

// Runs bpf_object__load on a worker thread (it can take 100s of ms in the verifier) and settles a Promise.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, BpfObject* owner, Napi::Object ownerJs)
      : Napi::AsyncWorker(env, "kerno:bpf-load"), owner_(owner), deferred_(Napi::Promise::Deferred::New(env)) {
    owner_ref_ = Napi::Persistent(ownerJs);
    struct bpf_program* p;
    bpf_object__for_each_program(p, owner_->obj()) {
      Prog pr;
      pr.prog = p;
      pr.name = bpf_program__name(p);
      pr.autoload = bpf_program__autoload(p);
      progs_.push_back(std::move(pr));
    }
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Worker thread: no JS access here.
  void Execute() override {
    // Per-program verifier log buffers, allocated here (off the JS thread). Log level 0 + a custom buffer:
    // no logging on success, libbpf retries with level 1 into this buffer on failure, so we get the
    // verifier's own words for exactly the failing program. Only the first byte needs clearing.
    for (auto& pr : progs_) {
      if (!pr.autoload) continue;
      pr.log.reset(new char[kVerifierLogSize]);
      pr.log[0] = '\0';
      bpf_program__set_log_buf(pr.prog, pr.log.get(), kVerifierLogSize);
    }
    auto t0 = std::chrono::steady_clock::now();
    ret_ = bpf_object__load(owner_->obj());
    err_ = ret_ < 0 ? -ret_ : 0;
    load_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    for (auto& pr : progs_) {
      if (!pr.autoload) continue;
      int fd = bpf_program__fd(pr.prog);
      if (fd >= 0) {
        struct bpf_prog_info pi;
        memset(&pi, 0, sizeof(pi));
        __u32 len = sizeof(pi);
        if (bpf_obj_get_info_by_fd(fd, &pi, &len) == 0) {
          pr.verified_insns = pi.verified_insns;
          pr.xlated_len = pi.xlated_prog_len;
          pr.prog_id = pi.id;
        }
        pr.loaded = true;
      }
      if (pr.log) pr.text.assign(pr.log.get(), strnlen(pr.log.get(), kVerifierLogSize));
    }
  }

  // JS thread.
  void OnOK() override {
    Napi::Env env = Env();
    for (auto& pr : progs_) {
      bpf_program__set_log_buf(pr.prog, nullptr, 0);
      pr.log.reset();
    }
    owner_->SetLoading(false);
    std::string libbpf_log = TakeLog();
    Napi::Array arr = Napi::Array::New(env);
    uint32_t i = 0;
    std::string failed_names, failed_log;
    for (auto& pr : progs_) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", pr.name);
      o.Set("autoload", pr.autoload);
      o.Set("loaded", pr.loaded);
      o.Set("verifiedInsns", Napi::Number::New(env, pr.verified_insns));
      o.Set("xlatedBytes", Napi::Number::New(env, pr.xlated_len));
      o.Set("id", Napi::Number::New(env, pr.prog_id));
      o.Set("verifierLog", pr.text);
      arr.Set(i++, o);
      if (pr.autoload && !pr.loaded && !pr.text.empty()) {
        if (!failed_names.empty()) failed_names += ",";
        failed_names += pr.name;
        failed_log += pr.text;
      }
    }
    if (ret_ == 0) {
      owner_->SetLoaded();
      Napi::Object res = Napi::Object::New(env);
      res.Set("programs", arr);
      res.Set("loadNs", Napi::Number::New(env, static_cast<double>(load_ns_)));
      res.Set("libbpfLog", libbpf_log);
      deferred_.Resolve(res);
      return;
    }
    std::string ctx = "load " + owner_->path();
    if (!failed_names.empty()) ctx += " (program " + failed_names + ")";
    Napi::Error e = MakeError(env, ctx, err_);
    e.Set("programs", arr);
    e.Set("verifierLog", failed_log);
    e.Set("libbpfLog", libbpf_log);
    if (!failed_names.empty()) e.Set("program", failed_names);
    deferred_.Reject(e.Value());
  }

 private:
  struct Prog {
    struct bpf_program* prog = nullptr;
    std::string name;
    bool autoload = false;
    bool loaded = false;
    uint32_t verified_insns = 0;
    uint32_t xlated_len = 0;
    uint32_t prog_id = 0;
    std::unique_ptr<char[]> log;
    std::string text;
  };
  BpfObject* owner_;
  Napi::ObjectReference owner_ref_;  // keeps the JS wrapper (and so the object) alive during the load
  Napi::Promise::Deferred deferred_;
  std::vector<Prog> progs_;
  int ret_ = 0;
  int err_ = 0;
  long long load_ns_ = 0;
};

void CleanupHook(void*) {
  // Copy: CloseAll does not erase, destructors do.
  std::vector<BpfObject*> all(LiveObjects().begin(), LiveObjects().end());
  for (BpfObject* o : all) o->CloseAll();
}

}  // namespace

Napi::Function BpfObject::Init(Napi::Env env) {
  napi_add_env_cleanup_hook(env, CleanupHook, nullptr);
  return DefineClass(env, "BpfObject",
                     {
                         InstanceMethod("programs", &BpfObject::Programs),
                         InstanceMethod("maps", &BpfObject::Maps),
                         InstanceMethod("btfStruct", &BpfObject::BtfStruct),
                         InstanceMethod("setAutoload", &BpfObject::SetAutoload),
                         InstanceMethod("setGlobal", &BpfObject::SetGlobal),
                         InstanceMethod("setMaxEntries", &BpfObject::SetMaxEntries),
                         InstanceMethod("load", &BpfObject::Load),
                         InstanceMethod("attach", &BpfObject::Attach),
                         InstanceMethod("detach", &BpfObject::Detach),
                         InstanceMethod("programInfo", &BpfObject::ProgramInfo),
                         InstanceMethod("mapLookup", &BpfObject::MapLookup),
                         InstanceMethod("mapUpdate", &BpfObject::MapUpdate),
                         InstanceMethod("mapDelete", &BpfObject::MapDelete),
                         InstanceMethod("mapDeleteMany", &BpfObject::MapDeleteMany),
                         InstanceMethod("mapDump", &BpfObject::MapDump),
                         InstanceMethod("mapDumpChunk", &BpfObject::MapDumpChunk),
                         InstanceMethod("mapClear", &BpfObject::MapClear),
                         InstanceMethod("ringOpen", &BpfObject::RingOpen),
                         InstanceMethod("ringStats", &BpfObject::RingStats),
                         InstanceMethod("ringDrainNow", &BpfObject::RingDrainNow),
                         InstanceMethod("ringClose", &BpfObject::RingClose),
                         InstanceMethod("close", &BpfObject::Close),
                     });
}

namespace {
// True when this thread's effective set holds CAP_SYS_ADMIN, or when that cannot be told.
bool EffectiveCapSysAdmin() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return true;
  return (data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))) != 0;
}
}  // namespace

BpfObject::BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {
  Napi::Env env = info.Env();
  if (!IsStringArg(info, 0)) {
    Napi::TypeError::New(env, "new BpfObject(path: string)").ThrowAsJavaScriptException();
    return;
  }
  path_ = info[0].As<Napi::String>().Utf8Value();
  // Without CAP_SYS_ADMIN (the DaemonSet grants CAP_BPF + CAP_PERFMON), BPF_BTF_GET_NEXT_ID fails with
  // EPERM, and libbpf before 1.3 then fails the whole load as soon as one CO-RE relocation has no
  // candidate in vmlinux (the ___old flavours of core_fixes.bpf.h on a current kernel) instead of
  // skipping the kernel modules' BTF. kerno relocates only against vmlinux types, so naming vmlinux's
  // BTF explicitly, which turns that module search off, loses nothing. Only then: a run that can search
  // modules behaves as before.
  LIBBPF_OPTS(bpf_object_open_opts, opts);
  static const char kVmlinuxBtf[] = "/sys/kernel/btf/vmlinux";
  if (!EffectiveCapSysAdmin() && access(kVmlinuxBtf, R_OK) == 0) opts.btf_custom_path = kVmlinuxBtf;
  errno = 0;
  obj_ = bpf_object__open_file(path_.c_str(), &opts);
  if (!obj_) {
    int err = errno ? errno : EINVAL;
    Napi::Error e = MakeError(env, "open " + path_, err);
    e.Set("libbpfLog", TakeLog());
    e.ThrowAsJavaScriptException();
    return;
  }
  LiveObjects().insert(this);
}

BpfObject::~BpfObject() {
  CloseAll();
  LiveObjects().erase(this);
}

void BpfObject::CloseAll() {
  // Order matters: drainers read maps, links reference programs; the object goes last.
  for (auto& kv : rings_) kv.second->Stop();
  rings_.clear();
  for (auto& kv : links_) bpf_link__destroy(kv.second);
  links_.clear();
  if (obj_ && !loading_) {
    bpf_object__close(obj_);
    obj_ = nullptr;
  }
}

bool BpfObject::Usable(Napi::Env env, bool needLoaded) {
  if (!obj_) {
    Napi::Error::New(env, path_ + ": object is closed").ThrowAsJavaScriptException();
    return false;
  }
  if (loading_) {
    Napi::Error::New(env, path_ + ": load in progress").ThrowAsJavaScriptException();
    return false;
  }
  if (needLoaded && !loaded_) {
    Napi::Error::New(env, path_ + ": object is not loaded").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

struct bpf_map* BpfObject::FindMap(Napi::Env env, const Napi::Value& name) {
  if (!name.IsString()) {
    Napi::TypeError::New(env, "map name must be a string").ThrowAsJavaScriptException();
    return nullptr;
  }
  std::string n = name.As<Napi::String>().Utf8Value();
  struct bpf_map* m = bpf_object__find_map_by_name(obj_, n.c_str());
  if (!m) Throw(env, path_ + ": map " + n, ENOENT);
  return m;
}

struct bpf_program* BpfObject::FindProgram(Napi::Env env, const std::string& name) {
  struct bpf_program* p = bpf_object__find_program_by_name(obj_, name.c_str());
  if (!p) Throw(env, path_ + ": program " + name, ENOENT);
  return p;
}

Napi::Value BpfObject::Programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  Napi::Array arr = Napi::Array::New(env);
  uint32_t i = 0;
  struct bpf_program* p;
  bpf_object__for_each_program(p, obj_) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", bpf_program__name(p));
    o.Set("section", bpf_program__section_name(p));
    o.Set("type", ProgTypeStr(p));
    o.Set("attachType", AttachTypeStr(p));
    o.Set("autoload", bpf_program__autoload(p));
    o.Set("insnCount", Napi::Number::New(env, static_cast<double>(bpf_program__insn_cnt(p))));
    o.Set("fd", Napi::Number::New(env, loaded_ ? bpf_program__fd(p) : -1));
    arr.Set(i++, o);
  }
  return arr;
}

Napi::Value BpfObject::Maps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  Napi::Array arr = Napi::Array::New(env);
  uint32_t i = 0;
  struct bpf_map* m;
  bpf_object__for_each_map(m, obj_) {
    Napi::Object o = Napi::Object::New(env);
    const char* ts = libbpf_bpf_map_type_str(bpf_map__type(m));
    o.Set("name", bpf_map__name(m));
    o.Set("type", ts ? ts : "unknown");
    o.Set("keySize", Napi::Number::New(env, bpf_map__key_size(m)));
    o.Set("valueSize", Napi::Number::New(env, bpf_map__value_size(m)));
    o.Set("maxEntries", Napi::Number::New(env, bpf_map__max_entries(m)));
    o.Set("flags", Napi::Number::New(env, bpf_map__map_flags(m)));
    o.Set("fd", Napi::Number::New(env, loaded_ ? bpf_map__fd(m) : -1));
    arr.Set(i++, o);
  }
  return arr;
}

// btfStruct(name) → { size, members: [{ name, offset, size }] } (bytes) from the object's own BTF, or
// undefined when the object's BTF has no such struct. Lets TypeScript check the record layouts it decodes
// against what clang compiled, instead of trusting offsets copied by hand.
Napi::Value BpfObject::BtfStruct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  if (!IsStringArg(info, 0)) {
    Napi::TypeError::New(env, "btfStruct(name: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  const struct btf* btf = bpf_object__btf(obj_);
  if (!btf) return env.Undefined();
  __s32 id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_STRUCT);
  if (id < 0) return env.Undefined();
  const struct btf_type* t = btf__type_by_id(btf, id);
  Napi::Object o = Napi::Object::New(env);
  o.Set("size", Napi::Number::New(env, t->size));
  Napi::Array members = Napi::Array::New(env);
  const struct btf_member* m = btf_members(t);
  for (uint32_t i = 0; i < btf_vlen(t); i++, m++) {
    Napi::Object mo = Napi::Object::New(env);
    const char* mn = btf__name_by_offset(btf, m->name_off);
    mo.Set("name", mn ? mn : "");
    __u32 bits = btf_member_bit_offset(t, i);
    mo.Set("offset", Napi::Number::New(env, bits / 8));
    if (btf_member_bitfield_size(t, i) || bits % 8) mo.Set("bitfield", true);
    __s64 sz = btf__resolve_size(btf, m->type);
    mo.Set("size", Napi::Number::New(env, static_cast<double>(sz)));
    members.Set(i, mo);
  }
  o.Set("members", members);
  return o;
}

Napi::Value BpfObject::SetAutoload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  if (loaded_) {
    Napi::Error::New(env, "setAutoload: object already loaded").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!IsStringArg(info, 0) || info.Length() < 2 || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "setAutoload(program: string, on: boolean)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  struct bpf_program* p = FindProgram(env, name);
  if (!p) return env.Undefined();
  int ret = bpf_program__set_autoload(p, info[1].As<Napi::Boolean>().Value());
  if (ret) Throw(env, "setAutoload " + name, -ret);
  return env.Undefined();
}

// setGlobal(name, bytes): writes a `const volatile` (.rodata) or global (.data/.bss) variable's initial
// value before load — how libbpf-tools passes tunables such as kerno's own PID to filter.
Napi::Value BpfObject::SetGlobal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  if (loaded_) {
    Napi::Error::New(env, "setGlobal: object already loaded").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!IsStringArg(info, 0) || info.Length() < 2 || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "setGlobal(name: string, value: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  auto value = info[1].As<Napi::Buffer<uint8_t>>();
  struct btf* btf = bpf_object__btf(obj_);
  if (!btf) {
    Throw(env, "setGlobal " + name + ": object has no BTF", ENOENT);
    return env.Undefined();
  }
  struct bpf_map* m;
  bpf_object__for_each_map(m, obj_) {
    if (!bpf_map__is_internal(m)) continue;
    // Internal maps are named "<obj>.rodata" etc. (truncated); the datasec BTF name is ".rodata".
    const char* mname = bpf_map__name(m);
    const char* dot = strchr(mname, '.');
    if (!dot) continue;
    int sec_id = btf__find_by_name_kind(btf, dot, BTF_KIND_DATASEC);
    if (sec_id < 0) continue;
    const struct btf_type* sec = btf__type_by_id(btf, sec_id);
    const struct btf_var_secinfo* vs = btf_var_secinfos(sec);
    for (int i = 0; i < btf_vlen(sec); i++, vs++) {
      const struct btf_type* var = btf__type_by_id(btf, vs->type);
      if (strcmp(btf__name_by_offset(btf, var->name_off), name.c_str()) != 0) continue;
      if (vs->size != value.Length()) {
        Throw(env, "setGlobal " + name + ": size " + std::to_string(value.Length()) + " != " + std::to_string(vs->size), EINVAL);
        return env.Undefined();
      }
      size_t sz = 0;
      void* data = const_cast<void*>(bpf_map__initial_value(m, &sz));
      if (!data || vs->offset + vs->size > sz) {
        Throw(env, "setGlobal " + name + ": no initial value", EINVAL);
        return env.Undefined();
      }
      memcpy(static_cast<char*>(data) + vs->offset, value.Data(), vs->size);
      return env.Undefined();
    }
  }
  Throw(env, path_ + ": global " + name, ENOENT);
  return env.Undefined();
}

// setMaxEntries(map, n): resize a map before load (e.g. shrink a preallocated fallback map that is unused).
Napi::Value BpfObject::SetMaxEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  if (loaded_) {
    Napi::Error::New(env, "setMaxEntries: object already loaded").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct bpf_map* m = FindMap(env, info[0]);
  if (!m) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "setMaxEntries(map: string, n: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int ret = bpf_map__set_max_entries(m, info[1].As<Napi::Number>().Uint32Value());
  if (ret) Throw(env, std::string("setMaxEntries ") + bpf_map__name(m), -ret);
  return env.Undefined();
}

Napi::Value BpfObject::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, false)) return env.Undefined();
  if (loaded_) {
    Napi::Error::New(env, path_ + ": already loaded").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  TakeLog();  // drop stale messages so the result carries only this load's log
  loading_ = true;
  auto* w = new LoadWorker(env, this, info.This().As<Napi::Object>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value BpfObject::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  if (!IsStringArg(info, 0)) {
    Napi::TypeError::New(env, "attach(program: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  // attach(program, {cgroup: path}): cgroup programs (cgroup_skb, cgroup/sock…) need the cgroup's fd,
  // which bpf_program__attach cannot guess. The link holds its own reference, so the fd is closed here.
  std::string cgroup;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Value cg = info[1].As<Napi::Object>().Get("cgroup");
    if (cg.IsString()) {
      cgroup = cg.As<Napi::String>().Utf8Value();
    } else if (!cg.IsUndefined()) {
      Napi::TypeError::New(env, "attach(program: string, {cgroup?: string})").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  struct bpf_program* p = FindProgram(env, name);
  if (!p) return env.Undefined();
  TakeLog();
  errno = 0;
  struct bpf_link* link = nullptr;
  std::string where;
  if (cgroup.empty()) {
    link = bpf_program__attach(p);
  } else {
    where = " to cgroup " + cgroup;
    int fd = open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      Napi::Error e = MakeError(env, "attach " + name + ": open cgroup " + cgroup, errno);
      e.Set("program", name);
      e.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    link = bpf_program__attach_cgroup(p, fd);
    int saved = errno;
    close(fd);
    errno = saved;
  }
  if (!link) {
    int err = errno ? errno : EINVAL;
    std::string sec = bpf_program__section_name(p);
    Napi::Error e = MakeError(env, "attach " + name + " (" + sec + ")" + where, err);
    e.Set("program", name);
    e.Set("libbpfLog", TakeLog());
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int id = next_id_++;
  links_[id] = link;
  return Napi::Number::New(env, id);
}

Napi::Value BpfObject::Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "detach(linkId: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto it = links_.find(info[0].As<Napi::Number>().Int32Value());
  if (it != links_.end()) {
    bpf_link__destroy(it->second);
    links_.erase(it);
  }
  return env.Undefined();
}

// programInfo(name): kernel-side facts for a loaded program (run time when kernel.bpf_stats_enabled=1).
Napi::Value BpfObject::ProgramInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env, true)) return env.Undefined();
  if (!IsStringArg(info, 0)) {
    Napi::TypeError::New(env, "programInfo(program: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  struct bpf_program* p = FindProgram(env, name);
  if (!p) return env.Undefined();
  int fd = bpf_program__fd(p);
  if (fd < 0) return env.Null();
  struct bpf_prog_info pi;
  memset(&pi, 0, sizeof(pi));
  __u32 len = sizeof(pi);
  int ret = bpf_obj_get_info_by_fd(fd, &pi, &len);
  if (ret) {
    Throw(env, "programInfo " + name, ErrFromRet(ret));
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", Napi::Number::New(env, pi.id));
  o.Set("verifiedInsns", Napi::Number::New(env, pi.verified_insns));
  o.Set("runTimeNs", Napi::Number::New(env, static_cast<double>(pi.run_time_ns)));
  o.Set("runCount", Napi::Number::New(env, static_cast<double>(pi.run_cnt)));
  o.Set("recursionMisses", Napi::Number::New(env, static_cast<double>(pi.recursion_misses)));
  return o;
}

Napi::Value BpfObject::Close(const Napi::CallbackInfo& info) {
  if (loading_) {
    Napi::Error::New(info.Env(), path_ + ": cannot close during load").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  CloseAll();
  return info.Env().Undefined();
}

}  // namespace kerno
