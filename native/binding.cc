// Entry point of the kerno native addon: a thin, generic libbpf binding. Policy (which programs, how to
// decode maps) lives in TypeScript (src/bpf/); this layer only moves bytes and reports errors faithfully.
#include <napi.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include "common.hh"
#include "log.hh"
#include "object.hh"

namespace kerno {

const char* ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case ENODATA: return "ENODATA";
    case EPROTO: return "EPROTO";
    case EBADMSG: return "EBADMSG";
    case 524: return "ENOTSUPP";  // kernel-internal, leaks out of bpf()
    default: return "E_UNKNOWN";
  }
}

Napi::Error MakeError(Napi::Env env, const std::string& context, int err) {
  char buf[256];
  libbpf_strerror(-err, buf, sizeof(buf));  // knows libbpf's own LIBBPF_ERRNO__* codes too
  Napi::Error e = Napi::Error::New(env, context + ": " + buf);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  return e;
}

static Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) {
    Throw(info.Env(), "libbpf_num_possible_cpus", -n);
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), n);
}

// enableStats() → fd: kernel BPF run-time/run-count stats stay enabled while the fd is open (BPF_ENABLE_STATS),
// so bpf-verify and the daemon can read per-program run counts without flipping a global sysctl.
static Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) {
    Throw(info.Env(), "enable BPF run-time stats", -fd);
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLibbpfLogger();
  exports.Set("BpfObject", BpfObject::Init(env));
  exports.Set("takeLog", Napi::Function::New(env, JsTakeLog, "takeLog"));
  exports.Set("setLogLevel", Napi::Function::New(env, JsSetLogLevel, "setLogLevel"));
  exports.Set("enableStats", Napi::Function::New(env, EnableStats, "enableStats"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus, "numPossibleCpus"));
  return exports;
}

}  // namespace kerno

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return kerno::Init(env, exports); }

NODE_API_MODULE(kerno_native, InitModule)
