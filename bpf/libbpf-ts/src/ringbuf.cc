// Ring buffer reader: libuv polls the ring buffer's epoll fd; each wakeup hands JS one batch of records.
#include <uv.h>

#include <cerrno>
#include <vector>

#include "common.h"

struct RingBufHandle : Handle {
  Napi::Env env = nullptr;
  ring_buffer* rb = nullptr;
  uv_poll_t* poll = nullptr;  // freed by uv_close's callback, which may run after this handle is closed
  Napi::FunctionReference onBatch;
  std::vector<uint8_t> data;
  std::vector<uint32_t> offsets;
};

namespace {

int OnSample(void* ctx, void* record, size_t size) {
  auto* ring = static_cast<RingBufHandle*>(ctx);
  ring->offsets.push_back(static_cast<uint32_t>(ring->data.size()));
  auto* bytes = static_cast<uint8_t*>(record);
  ring->data.insert(ring->data.end(), bytes, bytes + size);
  return 0;
}

// Drains every pending record and calls onBatch(data, offsets, count) once; offsets has count + 1 entries,
// the last being data.length, so record i spans offsets[i] .. offsets[i + 1].
// Returns the number of records, or -errno.
int Drain(RingBufHandle* ring, bool fromLoop) {
  Napi::Env env = ring->env;
  ring->data.clear();
  ring->offsets.clear();
  int n = ring_buffer__consume(ring->rb);
  if (n < 0) return n;
  size_t count = ring->offsets.size();
  if (count == 0) return 0;
  Napi::HandleScope scope(env);
  auto buf = Napi::Buffer<uint8_t>::Copy(env, ring->data.data(), ring->data.size());
  auto offsets = Napi::Uint32Array::New(env, count + 1);
  for (size_t i = 0; i < count; i++) offsets[i] = ring->offsets[i];
  offsets[count] = static_cast<uint32_t>(ring->data.size());
  ring->data.clear();
  ring->offsets.clear();
  std::vector<napi_value> args = {buf, offsets, Napi::Number::New(env, static_cast<double>(count))};
  if (fromLoop) {
    // MakeCallback runs microtasks afterwards; an exception thrown by onBatch becomes an uncaught exception.
    ring->onBatch.MakeCallback(env.Global(), args);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  } else {
    ring->onBatch.Call(env.Global(), args);
  }
  return static_cast<int>(count);
}

void OnReadable(uv_poll_t* poll, int status, int events) {
  auto* ring = static_cast<RingBufHandle*>(poll->data);
  if (ring == nullptr || ring->closed) return;
  Drain(ring, true);
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int mapFd = info[0].As<Napi::Number>().Int32Value();
  if (!info[1].IsFunction()) {
    Napi::TypeError::New(env, "onBatch must be a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* ring = new RingBufHandle();
  ring->env = env;
  ring->rb = ring_buffer__new(mapFd, OnSample, ring, nullptr);
  if (ring->rb == nullptr) {
    int err = errno;
    delete ring;
    ThrowErrno(env, "open ring buffer", err);
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  ring->poll = new uv_poll_t();
  int err = uv_poll_init(loop, ring->poll, ring_buffer__epoll_fd(ring->rb));
  if (err == 0) {
    ring->poll->data = ring;
    err = uv_poll_start(ring->poll, UV_READABLE, OnReadable);
  }
  if (err != 0) {
    ring_buffer__free(ring->rb);
    delete ring->poll;  // uv_poll_init failing leaves nothing to close; a failed start is rare enough to leak
    delete ring;
    ThrowErrno(env, "watch ring buffer", -err);
    return env.Undefined();
  }
  ring->onBatch = Napi::Persistent(info[1].As<Napi::Function>());
  State(env)->rings.insert(ring);
  return Wrap(env, ring, &kRingTag);
}

Napi::Value Consume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RingBufHandle* ring = Unwrap<RingBufHandle>(info, 0, &kRingTag, "ring buffer reader");
  if (ring == nullptr) return env.Undefined();
  int n = Drain(ring, false);
  if (env.IsExceptionPending()) return env.Undefined();
  if (n < 0) {
    ThrowErrno(env, "consume ring buffer", n);
    return env.Undefined();
  }
  return Napi::Number::New(env, n);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  RingBufHandle* ring = Unwrap<RingBufHandle>(info, 0, &kRingTag, "ring buffer reader");
  if (ring != nullptr) {
    State(info.Env())->rings.erase(ring);
    CloseRing(ring);
  }
  return info.Env().Undefined();
}

}  // namespace

void CloseRing(RingBufHandle* ring) {
  if (ring->closed) return;
  ring->closed = true;
  uv_poll_stop(ring->poll);
  ring->poll->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(ring->poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  ring->poll = nullptr;
  ring_buffer__free(ring->rb);
  ring->rb = nullptr;
  ring->onBatch.Reset();
}

Napi::Object InitRingBuf(Napi::Env env, Napi::Object exports) {
  exports.Set("ringbufOpen", Napi::Function::New(env, Open));
  exports.Set("ringbufConsume", Napi::Function::New(env, Consume));
  exports.Set("ringbufClose", Napi::Function::New(env, Close));
  return exports;
}
