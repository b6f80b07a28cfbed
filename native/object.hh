// BpfObject: one libbpf bpf_object and everything hanging off it (links, ring-buffer drainers). Links and
// drainers are owned by the object and addressed from JS by small integer ids, so closing the object tears
// down everything deterministically and no JS handle can outlive the libbpf state it points into.
#pragma once
#include <napi.h>
#include <bpf/libbpf.h>

#include <map>
#include <memory>
#include <string>

namespace kerno {

class RingDrain;

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit BpfObject(const Napi::CallbackInfo& info);
  ~BpfObject() override;

  // Closes links, drainers and the object. Safe to call repeatedly, and from the env cleanup hook.
  void CloseAll();
  struct bpf_object* obj() const { return obj_; }
  const std::string& path() const { return path_; }
  // Throws (JS) and returns false when the object is closed or a load is in flight.
  bool Usable(Napi::Env env, bool needLoaded);
  struct bpf_map* FindMap(Napi::Env env, const Napi::Value& name);
  // Throws (JS) and returns nullptr when the object has no such program.
  struct bpf_program* FindProgram(Napi::Env env, const std::string& name);

  // Load worker bookkeeping (JS thread only).
  void SetLoading(bool v) { loading_ = v; }
  void SetLoaded() { loaded_ = true; }

 private:
  Napi::Value Programs(const Napi::CallbackInfo& info);
  Napi::Value Maps(const Napi::CallbackInfo& info);
  Napi::Value BtfStruct(const Napi::CallbackInfo& info);
  Napi::Value SetAutoload(const Napi::CallbackInfo& info);
  Napi::Value SetGlobal(const Napi::CallbackInfo& info);
  Napi::Value SetMaxEntries(const Napi::CallbackInfo& info);
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value ProgramInfo(const Napi::CallbackInfo& info);
  Napi::Value MapLookup(const Napi::CallbackInfo& info);
  Napi::Value MapUpdate(const Napi::CallbackInfo& info);
  Napi::Value MapDelete(const Napi::CallbackInfo& info);
  Napi::Value MapDeleteMany(const Napi::CallbackInfo& info);
  Napi::Value MapDump(const Napi::CallbackInfo& info);
  Napi::Value MapDumpChunk(const Napi::CallbackInfo& info);
  Napi::Value MapClear(const Napi::CallbackInfo& info);
  Napi::Value RingOpen(const Napi::CallbackInfo& info);
  Napi::Value RingStats(const Napi::CallbackInfo& info);
  Napi::Value RingDrainNow(const Napi::CallbackInfo& info);
  Napi::Value RingClose(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  struct bpf_object* obj_ = nullptr;
  std::string path_;
  bool loading_ = false;
  bool loaded_ = false;
  int next_id_ = 1;
  std::map<int, struct bpf_link*> links_;
  std::map<int, std::unique_ptr<RingDrain>> rings_;
};

}  // namespace kerno
