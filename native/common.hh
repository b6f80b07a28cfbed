// Shared helpers for the kerno native binding. Every JS-visible failure is a JS Error carrying
// `errno`, `code` (e.g. "EPERM") and the libbpf/kernel message, plus the object/program/map it concerns.
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace kerno {

// libbpf returns -errno from most calls (LIBBPF_STRICT_ALL is the default in 1.x), or NULL with errno set.
inline int ErrFromRet(int ret) { return ret < 0 ? -ret : (errno ? errno : EINVAL); }

// "EPERM", "ENOTSUPP", … ("E_UNKNOWN" for the rest). Defined in common.cc.
const char* ErrnoName(int err);

// Builds (does not throw) an Error whose message is "<context>: <strerror>" and whose `errno` and `code`
// (e.g. "EPERM") properties carry the number and its name. Defined in common.cc.
Napi::Error MakeError(Napi::Env env, const std::string& context, int err);

inline void Throw(Napi::Env env, const std::string& context, int err) {
  MakeError(env, context, err).ThrowAsJavaScriptException();
}

}  // namespace kerno
