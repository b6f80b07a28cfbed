// Entry point of the kerno native addon: registers the module's functions and the BpfObject class. Policy
// (which programs, how to decode records) lives in TypeScript (src/bpf/, src/collectors/).
#include <napi.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include "common.hh"
#include "fanotify.hh"
#include "log.hh"
#include "object.hh"

namespace kerno {

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

// The libbpf actually loaded (a release ships its own beside the addon), for `kerno version` and build_info.
static Napi::Value LibbpfVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLibbpfLogger();
  exports.Set("BpfObject", BpfObject::Init(env));
  exports.Set("takeLog", Napi::Function::New(env, JsTakeLog, "takeLog"));
  exports.Set("setLogLevel", Napi::Function::New(env, JsSetLogLevel, "setLogLevel"));
  exports.Set("enableStats", Napi::Function::New(env, EnableStats, "enableStats"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus, "numPossibleCpus"));
  exports.Set("FanotifyReader", FanotifyReader::Init(env));
  exports.Set("fanotifyInit", Napi::Function::New(env, FanotifyInitFn, "fanotifyInit"));
  exports.Set("fanotifyMark", Napi::Function::New(env, FanotifyMarkFn, "fanotifyMark"));
  exports.Set("fileHandle", Napi::Function::New(env, FileHandleFn, "fileHandle"));
  exports.Set("pathOfHandle", Napi::Function::New(env, PathOfHandleFn, "pathOfHandle"));
  exports.Set("libbpfVersion", Napi::Function::New(env, LibbpfVersion, "libbpfVersion"));
  return exports;
}

}  // namespace kerno

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return kerno::Init(env, exports); }

NODE_API_MODULE(kerno_native, InitModule)
