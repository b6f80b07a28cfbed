// Errors of the native binding (declared in common.hh): every wrapper builds its JS errors here, so none of
// them depends on the entry file.
#include <bpf/libbpf.h>

#include "common.hh"

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
    case ENOTDIR: return "ENOTDIR";
    case EMFILE: return "EMFILE";
    case EXDEV: return "EXDEV";
    case ESTALE: return "ESTALE";
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

}  // namespace kerno
