// Turns errno values and bad arguments into JS exceptions the TS facade can classify.
#include <cstring>

#include "common.h"
#include "libbpf_log.h"

void ThrowErrno(Napi::Env env, const std::string& what, int err) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("libbpfLog", Napi::String::New(env, LogTail(30)));
  e.ThrowAsJavaScriptException();
}

bool ReadBytes(const Napi::CallbackInfo& info, size_t i, const uint8_t** data, size_t* len) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(info.Env(), "expected a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array arr = v.As<Napi::Uint8Array>();
  *data = arr.Data();
  *len = arr.ByteLength();
  return true;
}
