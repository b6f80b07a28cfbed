#include "log.hh"

#include <bpf/libbpf.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace kerno {
namespace {
std::mutex g_mu;
std::string g_buf;
// 0 = warnings only, 1 = info, 2 = debug (libbpf's levels).
std::atomic<int> g_level{1};
constexpr size_t kMaxLog = 256 * 1024;  // keep the tail: the newest messages explain the failure

int Print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (static_cast<int>(level) > g_level.load()) return 0;
  char line[2048];
  int n = vsnprintf(line, sizeof(line), fmt, args);
  if (n <= 0) return 0;
  std::lock_guard<std::mutex> lock(g_mu);
  g_buf.append(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  if (g_buf.size() > kMaxLog) g_buf.erase(0, g_buf.size() - kMaxLog);
  return n;
}
}  // namespace

void InstallLibbpfLogger() { libbpf_set_print(Print); }

std::string TakeLog() {
  std::lock_guard<std::mutex> lock(g_mu);
  std::string out;
  out.swap(g_buf);
  return out;
}

Napi::Value JsTakeLog(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), TakeLog()); }

Napi::Value JsSetLogLevel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(info.Env(), "setLogLevel(level: 0|1|2)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  g_level.store(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}
}  // namespace kerno
