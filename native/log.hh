// libbpf's print callback is process-global and runs on whichever thread calls into libbpf (including the
// load worker thread). It must never call into JS: messages are buffered here under a mutex and drained by
// JS with takeLog().
#pragma once
#include <napi.h>
#include <string>

namespace kerno {
void InstallLibbpfLogger();
// Returns the buffered text since the last call and clears it (JS thread).
std::string TakeLog();
// Mark where a load starts so the caller can fetch only its own messages.
Napi::Value JsTakeLog(const Napi::CallbackInfo& info);
Napi::Value JsSetLogLevel(const Napi::CallbackInfo& info);
}  // namespace kerno
