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

const char* ErrnoName(int err);

// Builds (does not throw) an Error: "<context>: <strerror> (<CODE>)".
Napi::Error MakeError(Napi::Env env, const std::string& context, int err);

inline void Throw(Napi::Env env, const std::string& context, int err) {
  MakeError(env, context, err).ThrowAsJavaScriptException();
}

}  // namespace kerno
