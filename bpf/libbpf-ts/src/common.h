// Shared handle types, per-environment state and argument helpers of the libbpf_ts addon.
#pragma once

#include <napi.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <set>
#include <string>

// Handles are freed only by their External's finalizer; close() just marks them, so a stale JS handle
// reports "closed" instead of touching freed memory.
struct Handle {
  bool closed = false;
};

struct ObjectHandle : Handle {
  bpf_object* obj = nullptr;
  bool loaded = false;
};

struct LinkHandle : Handle {
  enum class Kind { BpfLink, Tc };
  Kind kind = Kind::BpfLink;
  ObjectHandle* owner = nullptr;
  bpf_link* link = nullptr;   // Kind::BpfLink
  int ifindex = 0;            // Kind::Tc
  bool ingress = true;
  uint32_t handle = 0;
  uint32_t priority = 0;
};

struct RingBufHandle;

// Everything this environment (main thread or worker) opened, so the env cleanup hook can release it.
struct AddonState {
  std::set<ObjectHandle*> objects;
  std::set<LinkHandle*> links;
  std::set<RingBufHandle*> rings;
};

AddonState* State(Napi::Env env);

// Type tags keep an object handle from being passed where a link handle is expected.
extern const napi_type_tag kObjectTag;
extern const napi_type_tag kLinkTag;
extern const napi_type_tag kRingTag;

// Unwraps a tagged external; throws a TypeError and returns nullptr on mismatch.
// Wraps a handle in a type-tagged External whose finalizer frees it once closed.
template <typename T>
Napi::External<T> Wrap(Napi::Env env, T* p, const napi_type_tag* tag) {
  auto ext = Napi::External<T>::New(env, p, [](Napi::Env, T* h) {
    if (h->closed) delete h;  // an open handle is still in AddonState and is released by the cleanup hook
  });
  ext.TypeTag(tag);
  return ext;
}

template <typename T>
T* Unwrap(const Napi::CallbackInfo& info, size_t i, const napi_type_tag* tag, const char* what) {
  Napi::Value v = info[i];
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(tag)) {
    Napi::TypeError::New(info.Env(), std::string("expected a ") + what + " handle").ThrowAsJavaScriptException();
    return nullptr;
  }
  T* p = v.As<Napi::External<T>>().Data();
  if (p->closed) {
    Napi::Error::New(info.Env(), std::string(what) + " is closed").ThrowAsJavaScriptException();
    return nullptr;
  }
  return p;
}

// Reads a byte view (Buffer / Uint8Array) argument; throws a TypeError when it is something else.
bool ReadBytes(const Napi::CallbackInfo& info, size_t i, const uint8_t** data, size_t* len);

// Throws a JS Error carrying errno (positive) and the tail of libbpf's log.
void ThrowErrno(Napi::Env env, const std::string& what, int err);

// Closes one link (detaching tc filters and the clsact we created); safe to call once per link.
void CloseLink(LinkHandle* link);
// Closes an object: its links first, then the libbpf object.
void CloseObject(AddonState* state, ObjectHandle* obj);
// Closes every link owned by obj.
void CloseLinksOf(AddonState* state, ObjectHandle* obj);
// Stops and frees a ring buffer reader.
void CloseRing(RingBufHandle* ring);

Napi::Object InitObject(Napi::Env env, Napi::Object exports);
Napi::Object InitLinks(Napi::Env env, Napi::Object exports);
Napi::Object InitMaps(Napi::Env env, Napi::Object exports);
Napi::Object InitRingBuf(Napi::Env env, Napi::Object exports);
