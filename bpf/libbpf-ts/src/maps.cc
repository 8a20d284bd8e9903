// Map operations by fd: lookup/update/delete, next-key iteration, batch lookup, pin, open pinned, info.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common.h"

namespace {

int Fd(const Napi::CallbackInfo& info, size_t i = 0) { return info[i].As<Napi::Number>().Int32Value(); }

Napi::Value Lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* key;
  size_t keyLen;
  if (!ReadBytes(info, 1, &key, &keyLen)) return env.Undefined();
  Napi::Buffer<uint8_t> value = Napi::Buffer<uint8_t>::New(env, info[2].As<Napi::Number>().Uint32Value());
  if (bpf_map_lookup_elem(Fd(info), key, value.Data()) != 0) {
    if (errno == ENOENT) return env.Undefined();
    ThrowErrno(env, "lookup", errno);
    return env.Undefined();
  }
  return value;
}

Napi::Value Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t *key, *value;
  size_t keyLen, valueLen;
  if (!ReadBytes(info, 1, &key, &keyLen) || !ReadBytes(info, 2, &value, &valueLen)) return env.Undefined();
  if (bpf_map_update_elem(Fd(info), key, value, info[3].As<Napi::Number>().Uint32Value()) != 0) {
    ThrowErrno(env, "update", errno);
  }
  return env.Undefined();
}

Napi::Value Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* key;
  size_t keyLen;
  if (!ReadBytes(info, 1, &key, &keyLen)) return env.Undefined();
  if (bpf_map_delete_elem(Fd(info), key) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "delete", errno);
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

// nextKey(fd, key | null, keySize) → the key after `key` (the first key for null), or undefined at the end.
Napi::Value NextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* key = nullptr;
  size_t keyLen = 0;
  if (!info[1].IsNull() && !ReadBytes(info, 1, &key, &keyLen)) return env.Undefined();
  Napi::Buffer<uint8_t> next = Napi::Buffer<uint8_t>::New(env, info[2].As<Napi::Number>().Uint32Value());
  if (bpf_map_get_next_key(Fd(info), key, next.Data()) != 0) {
    if (errno == ENOENT) return env.Undefined();
    ThrowErrno(env, "get next key", errno);
    return env.Undefined();
  }
  return next;
}

bool BatchUnsupported(int err) { return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == 524; }

// lookupBatch(fd, keySize, valueStride, max) → { keys, values, count } or undefined when unsupported.
Napi::Value LookupBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = Fd(info);
  uint32_t keySize = info[1].As<Napi::Number>().Uint32Value();
  uint32_t valueStride = info[2].As<Napi::Number>().Uint32Value();
  uint32_t max = info[3].As<Napi::Number>().Uint32Value();
  std::vector<uint8_t> keys(static_cast<size_t>(max) * keySize);
  std::vector<uint8_t> values(static_cast<size_t>(max) * valueStride);
  // The batch cursor is opaque: a u32 bucket/index for hash and array maps; leave room for larger ones.
  std::vector<uint8_t> inBatch(keySize > 8 ? keySize : 8), outBatch(inBatch.size());
  uint32_t total = 0;
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  while (total < max) {
    uint32_t count = max - total;
    int err = bpf_map_lookup_batch(fd, first ? nullptr : inBatch.data(), outBatch.data(),
                                   keys.data() + static_cast<size_t>(total) * keySize,
                                   values.data() + static_cast<size_t>(total) * valueStride, &count, &opts);
    int e = err ? errno : 0;
    if (err && e != ENOENT) {
      if (total == 0 && first && BatchUnsupported(e)) return env.Undefined();
      if (e == ENOSPC && total > 0) break;  // next bucket does not fit in what is left of `max`
      ThrowErrno(env, "lookup batch", e);
      return env.Undefined();
    }
    total += count;
    if (e == ENOENT) break;
    first = false;
    inBatch.swap(outBatch);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("keys", Napi::Buffer<uint8_t>::Copy(env, keys.data(), static_cast<size_t>(total) * keySize));
  out.Set("values", Napi::Buffer<uint8_t>::Copy(env, values.data(), static_cast<size_t>(total) * valueStride));
  out.Set("count", Napi::Number::New(env, total));
  return out;
}

Napi::Value Pin(const Napi::CallbackInfo& info) {
  std::string path = info[1].As<Napi::String>().Utf8Value();
  if (bpf_obj_pin(Fd(info), path.c_str()) != 0) ThrowErrno(info.Env(), "pin " + path, errno);
  return info.Env().Undefined();
}

Napi::Value Info(Napi::Env env, int fd) {
  bpf_map_info mi{};
  uint32_t len = sizeof mi;
  if (bpf_obj_get_info_by_fd(fd, &mi, &len) != 0) {
    ThrowErrno(env, "map info", errno);
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", fd);
  o.Set("name", mi.name);
  const char* type = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(mi.type));
  o.Set("type", type ? type : "unknown");
  o.Set("keySize", mi.key_size);
  o.Set("valueSize", mi.value_size);
  o.Set("maxEntries", mi.max_entries);
  return o;
}

Napi::Value OpenPinned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    ThrowErrno(env, "open pinned " + path, errno);
    return env.Undefined();
  }
  Napi::Value out = Info(env, fd);
  if (env.IsExceptionPending()) close(fd);
  return out;
}

Napi::Value MapInfo(const Napi::CallbackInfo& info) { return Info(info.Env(), Fd(info)); }

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close(Fd(info));
  return info.Env().Undefined();
}

Napi::Value PossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) {
    ThrowErrno(info.Env(), "count possible CPUs", n);
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), n);
}

}  // namespace

Napi::Object InitMaps(Napi::Env env, Napi::Object exports) {
  exports.Set("mapLookup", Napi::Function::New(env, Lookup));
  exports.Set("mapUpdate", Napi::Function::New(env, Update));
  exports.Set("mapDelete", Napi::Function::New(env, Delete));
  exports.Set("mapNextKey", Napi::Function::New(env, NextKey));
  exports.Set("mapLookupBatch", Napi::Function::New(env, LookupBatch));
  exports.Set("mapPin", Napi::Function::New(env, Pin));
  exports.Set("mapOpenPinned", Napi::Function::New(env, OpenPinned));
  exports.Set("mapInfo", Napi::Function::New(env, MapInfo));
  exports.Set("mapClose", Napi::Function::New(env, CloseFd));
  exports.Set("possibleCpus", Napi::Function::New(env, PossibleCpus));
  return exports;
}
