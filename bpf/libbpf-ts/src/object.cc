// Object lifecycle: open an ELF file, set .rodata and map sizes, reuse pinned maps, load, list, close.
#include <bpf/btf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"
#include "libbpf_log.h"

namespace {

ObjectHandle* Obj(const Napi::CallbackInfo& info) { return Unwrap<ObjectHandle>(info, 0, &kObjectTag, "BPF object"); }

bpf_map* FindMap(const Napi::CallbackInfo& info, ObjectHandle* h, size_t nameArg) {
  std::string name = info[nameArg].As<Napi::String>().Utf8Value();
  bpf_map* map = bpf_object__find_map_by_name(h->obj, name.c_str());
  if (map == nullptr) ThrowErrno(info.Env(), "find map " + name, ENOENT);
  return map;
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ClearLog();
  bpf_object* obj = bpf_object__open_file(path.c_str(), nullptr);
  if (obj == nullptr) {
    ThrowErrno(env, "open " + path, errno);
    return env.Undefined();
  }
  auto* h = new ObjectHandle();
  h->obj = obj;
  State(env)->objects.insert(h);
  return Wrap(env, h, &kObjectTag);
}

// Writes a `const volatile` global: finds the variable in a .rodata* DATASEC of the object's BTF.
Napi::Value SetRodata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  std::string var = info[1].As<Napi::String>().Utf8Value();
  const uint8_t* value;
  size_t len;
  if (!ReadBytes(info, 2, &value, &len)) return env.Undefined();
  if (h->loaded) {
    ThrowErrno(env, "set rodata " + var + " after load", EBUSY);
    return env.Undefined();
  }
  const btf* b = bpf_object__btf(h->obj);
  if (b == nullptr) {
    ThrowErrno(env, "set rodata " + var + " (object has no BTF)", ENOENT);
    return env.Undefined();
  }
  uint32_t n = btf__type_cnt(b);
  for (uint32_t id = 1; id < n; id++) {
    const btf_type* t = btf__type_by_id(b, id);
    if (!btf_is_datasec(t)) continue;
    std::string sec = btf__name_by_offset(b, t->name_off);
    if (sec.rfind(".rodata", 0) != 0) continue;
    const btf_var_secinfo* vs = btf_var_secinfos(t);
    for (uint16_t i = 0; i < btf_vlen(t); i++, vs++) {
      const btf_type* vt = btf__type_by_id(b, vs->type);
      if (var != btf__name_by_offset(b, vt->name_off)) continue;
      if (vs->size != len) {
        Napi::RangeError::New(env, "rodata variable " + var + " is " + std::to_string(vs->size) + " bytes, got " +
                                       std::to_string(len)).ThrowAsJavaScriptException();
        return env.Undefined();
      }
      // The internal map of ".rodata" is named "<obj>.rodata"; custom sections keep their own name.
      bpf_map* map;
      bpf_object__for_each_map(map, h->obj) {
        std::string mname = bpf_map__name(map);
        bool match = sec == ".rodata" ? (mname.size() >= 7 && mname.compare(mname.size() - 7, 7, ".rodata") == 0)
                                      : mname == sec;
        if (!match) continue;
        size_t size = 0;
        void* data = const_cast<void*>(bpf_map__initial_value(map, &size));
        if (data == nullptr || vs->offset + len > size) {
          ThrowErrno(env, "set rodata " + var, EINVAL);
          return env.Undefined();
        }
        memcpy(static_cast<uint8_t*>(data) + vs->offset, value, len);
        return env.Undefined();
      }
      ThrowErrno(env, "set rodata " + var + " (no map for section " + sec + ")", ENOENT);
      return env.Undefined();
    }
  }
  ThrowErrno(env, "set rodata " + var + " (no such const volatile global)", ENOENT);
  return env.Undefined();
}

Napi::Value SetMapMaxEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  bpf_map* map = FindMap(info, h, 1);
  if (map == nullptr) return env.Undefined();
  int err = bpf_map__set_max_entries(map, info[2].As<Napi::Number>().Uint32Value());
  if (err) ThrowErrno(env, "set max entries", err);
  return env.Undefined();
}

Napi::Value ReusePinnedMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  bpf_map* map = FindMap(info, h, 1);
  if (map == nullptr) return env.Undefined();
  std::string path = info[2].As<Napi::String>().Utf8Value();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "open pinned map " + path, errno);
    return env.Undefined();
  }
  int err = bpf_map__reuse_fd(map, fd);  // dups fd on success
  close(fd);
  if (err) {
    ThrowErrno(env, "reuse pinned map " + path, err);
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  ClearLog();
  int err = bpf_object__load(h->obj);
  if (err) {
    ThrowErrno(env, "load", err);
    return env.Undefined();
  }
  h->loaded = true;
  return env.Undefined();
}

Napi::Value Programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  Napi::Array out = Napi::Array::New(env);
  bpf_program* prog;
  uint32_t i = 0;
  bpf_object__for_each_program(prog, h->obj) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", bpf_program__name(prog));
    const char* type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
    o.Set("type", type ? type : "unknown");
    o.Set("section", bpf_program__section_name(prog));
    out.Set(i++, o);
  }
  return out;
}

Napi::Value Maps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  Napi::Array out = Napi::Array::New(env);
  bpf_map* map;
  uint32_t i = 0;
  bpf_object__for_each_map(map, h->obj) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", bpf_map__name(map));
    const char* type = libbpf_bpf_map_type_str(bpf_map__type(map));
    o.Set("type", type ? type : "unknown");
    o.Set("keySize", bpf_map__key_size(map));
    o.Set("valueSize", bpf_map__value_size(map));
    o.Set("maxEntries", bpf_map__max_entries(map));
    o.Set("fd", bpf_map__fd(map));
    out.Set(i++, o);
  }
  return out;
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ObjectHandle* h = Obj(info);
  if (h == nullptr) return env.Undefined();
  CloseObject(State(env), h);
  return env.Undefined();
}

}  // namespace

void CloseObject(AddonState* state, ObjectHandle* h) {
  if (h->closed) return;
  CloseLinksOf(state, h);
  state->objects.erase(h);
  bpf_object__close(h->obj);
  h->obj = nullptr;
  h->closed = true;
}

Napi::Object InitObject(Napi::Env env, Napi::Object exports) {
  exports.Set("objectOpen", Napi::Function::New(env, Open));
  exports.Set("objectSetRodata", Napi::Function::New(env, SetRodata));
  exports.Set("objectSetMapMaxEntries", Napi::Function::New(env, SetMapMaxEntries));
  exports.Set("objectReusePinnedMap", Napi::Function::New(env, ReusePinnedMap));
  exports.Set("objectLoad", Napi::Function::New(env, Load));
  exports.Set("objectPrograms", Napi::Function::New(env, Programs));
  exports.Set("objectMaps", Napi::Function::New(env, Maps));
  exports.Set("objectClose", Napi::Function::New(env, Close));
  return exports;
}
